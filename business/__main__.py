"""``python -m business``: serve on loopback (``BUSINESS_HOST`` / ``BUSINESS_PORT``).

``python -m business --demo`` prints the demo persons and their 受理编号 instead.
"""

from __future__ import annotations

import argparse
import logging

import uvicorn

from business.settings import get_settings


def main() -> None:
    settings = get_settings()
    parser = argparse.ArgumentParser(description="12333 参考业务系统")
    parser.add_argument("--host", default=settings.host)
    parser.add_argument("--port", type=int, default=settings.port)
    parser.add_argument("--demo", action="store_true", help="列出演示人员和受理编号后退出")
    args = parser.parse_args()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if args.demo:
        from business.demo import show

        show(settings)
        return
    # No WebSockets here; "none" also avoids uvicorn's websockets import, which the
    # websockets 10.4 pinned by rasa-sdk cannot satisfy (README, "Two environments").
    uvicorn.run("business.app:create_app", factory=True, host=args.host, port=args.port, ws="none",
                log_level=settings.log_level.lower(), access_log=False)


if __name__ == "__main__":
    main()
