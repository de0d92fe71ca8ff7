"""Helpers shared by the benchmarks: a private stack, percentiles, BENCHMARKS.md tables."""

from __future__ import annotations

import json
import os
import platform
import re
import socket
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import httpx

from hotline import paths, secrets, signing, supervisor

BENCHMARKS = paths.ROOT / "BENCHMARKS.md"
RESULTS = paths.ROOT / "bench" / "results"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def today() -> str:
    return time.strftime("%Y-%m-%d")


def replace_section(name: str, body: str, path: Path = BENCHMARKS) -> None:
    """Rewrite the text between ``<!-- name:start -->`` and ``<!-- name:end -->``."""
    text = path.read_text(encoding="utf-8")
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start}\n{body.rstrip()}\n{end}"
    if start in text and end in text:
        text = re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


class PrivateStack:
    """A whole stack on free ports with its own state, for one benchmark run."""

    def __init__(self, stack: supervisor.Stack, state: Path) -> None:
        self.stack = stack
        self.secret = secrets.read(state / "secrets.env")["HOTLINE_SIGNING_SECRET"].encode()
        self.gateway = f"http://127.0.0.1:{stack.ports.gateway}"
        self.rasa_webhook = f"http://127.0.0.1:{stack.ports.rasa}/webhooks/hotline/webhook"

    def rasa_meta(self, text: str, retrieval: dict[str, Any] | None = None) -> tuple[dict[str, Any], float]:
        """Rasa's ``meta`` for one fresh conversation, through the signed channel, and the ms."""
        metadata: dict[str, Any] = {"channel": "webchat"}
        if retrieval is not None:
            metadata["retrieval"] = retrieval
        body = json.dumps({"sender": f"bench-{uuid.uuid4().hex}", "text": text,
                           "message_id": uuid.uuid4().hex, "metadata": metadata},
                          ensure_ascii=False).encode()
        started = time.perf_counter()
        response = httpx.post(self.rasa_webhook, content=body, timeout=60,
                              headers={"Content-Type": "application/json",
                                       **signing.sign(self.secret, body)})
        response.raise_for_status()
        return dict(response.json()["meta"]), (time.perf_counter() - started) * 1000


@contextmanager
def private_stack(model: Path) -> Iterator[PrivateStack]:
    ports = supervisor.Ports(free_port(), free_port(), free_port(), free_port())
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp)
        stack = supervisor.Stack(ports, state_dir=state, log_dir=state / "logs", model=model)
        try:
            stack.start_all(say=lambda _: None)
            yield PrivateStack(stack, state)
        finally:
            stack.stop_all()


def publish(name: str, result: dict[str, Any], table: str) -> None:
    """Keep the raw result as JSON and regenerate the BENCHMARKS.md section."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, ensure_ascii=False, indent=2))
    replace_section(name, table)
    print(table)
