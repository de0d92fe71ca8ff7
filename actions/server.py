"""Run the action server on loopback only (rasa-sdk's own CLI binds every interface)."""

from __future__ import annotations

import argparse
import logging
import os


def main() -> None:
    parser = argparse.ArgumentParser(description="12333 action server")
    parser.add_argument("--host", default=os.environ.get("ACTIONS_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("ACTIONS_PORT", "5055")))
    args = parser.parse_args()
    os.environ["SANIC_HOST"] = args.host
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    from rasa_sdk.endpoint import run

    # Only Rasa calls the action server, so no browser origin is allowed (no CORS).
    run("actions", port=args.port, cors_origins=None)


if __name__ == "__main__":
    main()
