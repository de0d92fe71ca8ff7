"""The real stack for integration tests: embedded Redis, a trained Rasa model, the
action server and the gateway as separate processes talking HTTP, on free ports and with
their own state, so a developer's ``make run`` is not disturbed."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import httpx
import pytest

from hotline import secrets, supervisor, training

pytestmark = pytest.mark.integration
# The shared key of a pretend portal that logs citizens in (tests mint its JWTs).
PORTAL_JWT_KEY = "portal-test-key-" + "0" * 32


class Live:
    def __init__(self, stack: supervisor.Stack, state: Path) -> None:
        self.stack = stack
        self.state = state
        self.base = f"http://127.0.0.1:{stack.ports.gateway}"
        self.rasa = f"http://127.0.0.1:{stack.ports.rasa}"

    def secret(self, name: str) -> str:
        return secrets.read(self.state / "secrets.env")[name]

    def say(self, session: str, text: str, message_id: str | None = None,
            timeout: float = 30) -> dict[str, Any]:
        body: dict[str, Any] = {"session_id": session, "text": text}
        if message_id:
            body["message_id"] = message_id
        response = httpx.post(self.base + "/api/v1/webchat/messages", json=body, timeout=timeout)
        response.raise_for_status()
        return dict(response.json())

    def replies(self, session: str) -> list[dict[str, Any]]:
        response = httpx.get(self.base + "/api/v1/webchat/messages",
                             params={"session_id": session}, timeout=10)
        return list(response.json()["replies"])

    def redis_json(self, key: str) -> Any:
        import redis

        client = redis.Redis.from_url(self.stack.redis_url)
        raw = client.get(key)
        client.close()
        return json.loads(raw) if raw else None


def wait_for(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    state = tmp_path_factory.mktemp("state")
    model = training.train(say=lambda _: None)
    ports = supervisor.Ports.free()
    stack = supervisor.Stack(ports, state_dir=state, log_dir=state / "logs", model=model,
                             # WeChat's budget is shortened so that tests/integration/test_wechat.py
                             # can make a turn outlast it (Rasa paused for 3 s) yet still finish
                             # within RASA_TIMEOUT_S; a normal turn takes well under a second.
                             extra_env={"LOG_LEVEL": "INFO", "AGENT_HOURS": "always",
                                        "SMS_QUIET_HOURS": "off",   # booking SMS even at night
                                        "WEBCHAT_JWT_KEY": PORTAL_JWT_KEY,
                                        "WECHAT_REPLY_BUDGET_S": "2.0",
                                        # tests/integration/test_voice.py waits out the silences
                                        "VOICE_SILENCE_S": "2"})
    try:
        stack.start_all(say=lambda _: None)
        yield Live(stack, state)
    finally:
        stack.stop_all()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (hotline/browser.py), one per test module."""
    from playwright.sync_api import sync_playwright

    from hotline import browser as chrome

    with sync_playwright() as playwright:
        launched = chrome.launch(playwright)
        yield launched
        launched.close()
