"""Helpers shared by the benchmarks: a private stack, percentiles, BENCHMARKS.md tables."""

from __future__ import annotations

import json
import os
import platform
import re
import socket
import sys
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


def latency_summary(ms: list[float]) -> dict[str, float | None]:
    """p50 / p95 / p99 of ``ms``, rounded to 0.1 ms; ``None`` for an empty list."""
    return {f"p{round(q * 100)}": (round(percentile(ms, q), 1) if ms else None)
            for q in (0.50, 0.95, 0.99)}


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """``numerator / denominator`` to two places, or ``None`` when either is missing or zero."""
    if not numerator or not denominator:
        return None
    return round(numerator / denominator, 2)


def times(value: float | None) -> str:
    """A ratio as a table shows it: ``1.62×``, or an em dash when there is none."""
    return "—" if value is None else f"{value:.2f}×"


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
        kept = secrets.ensure(state / "secrets.env")  # what the services got: the environment wins
        self.secret = kept["HOTLINE_SIGNING_SECRET"].encode()
        self.pseudonym_secret = kept["HOTLINE_PSEUDONYM_SECRET"].encode()
        self.gateway = f"http://127.0.0.1:{stack.ports.gateway}"
        self.rasa_webhook = f"http://127.0.0.1:{stack.ports.rasa}/webhooks/hotline/webhook"

    def rasa_request(self, sender: str, text: str,
                     retrieval: dict[str, Any] | None = None) -> tuple[bytes, dict[str, str]]:
        """Body and headers of one signed message to Rasa's channel, as the gateway sends it."""
        metadata: dict[str, Any] = {"channel": "webchat"}
        if retrieval is not None:
            metadata["retrieval"] = retrieval
        body = json.dumps({"sender": sender, "text": text, "message_id": uuid.uuid4().hex,
                           "metadata": metadata}, ensure_ascii=False).encode()
        return body, {"Content-Type": "application/json", **signing.sign(self.secret, body)}

    def rasa_meta(self, text: str, retrieval: dict[str, Any] | None = None) -> tuple[dict[str, Any], float]:
        """Rasa's ``meta`` for one fresh conversation, through the signed channel, and the ms."""
        body, headers = self.rasa_request(f"bench-{uuid.uuid4().hex}", text, retrieval)
        started = time.perf_counter()
        response = httpx.post(self.rasa_webhook, content=body, timeout=60, headers=headers)
        response.raise_for_status()
        return dict(response.json()["meta"]), (time.perf_counter() - started) * 1000

    async def rasa_send(self, client: httpx.AsyncClient, sender: str, text: str) -> dict[str, Any]:
        """One turn of conversation ``sender`` straight to Rasa's signed channel."""
        body, headers = self.rasa_request(sender, text)
        response = await client.post(self.rasa_webhook, content=body, headers=headers)
        response.raise_for_status()
        return dict(response.json())

    def tracker_key(self, session_id: str) -> str:
        """Rasa's Redis key for a web chat session: the gateway names the conversation by a
        pseudonym of channel and session id (``channels/routes/webchat.py``)."""
        return f"rasa:tracker:{signing.pseudonym(self.pseudonym_secret, 'webchat', session_id)}"

    def service_pids(self) -> dict[str, int]:
        """Process (group) id of each running service: redis, actions, rasa, gateway."""
        return {name: s.process.pid for name, s in self.stack.services.items() if s.process}


# Load benchmarks measure the system, not the web chat abuse limiter (20 messages a
# minute per session, 120 per address by default): one client address sends them all.
OPEN_LIMITS = {"WEBCHAT_RATE_SESSION": "1000000000", "WEBCHAT_RATE_IP": "1000000000"}


@contextmanager
def private_stack(model: Path, extra_env: dict[str, str] | None = None) -> Iterator[PrivateStack]:
    ports = supervisor.Ports.free()
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp)
        stack = supervisor.Stack(ports, state_dir=state, log_dir=state / "logs", model=model,
                                 extra_env=extra_env)
        try:
            try:
                stack.start_all(say=lambda _: None)
            except supervisor.StartupError:
                _show_logs(state / "logs")  # the folder goes with the stack
                raise
            yield PrivateStack(stack, state)
        finally:
            stack.stop_all()


def _show_logs(folder: Path, lines: int = 30) -> None:
    for log in sorted(folder.glob("*.log")):
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
        print(f"--- {log.name} (last {len(tail)} lines) ---", *tail, sep="\n", file=sys.stderr)


def publish(name: str, result: dict[str, Any], table: str) -> None:
    """Keep the raw result as JSON and regenerate the BENCHMARKS.md section."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, ensure_ascii=False, indent=2))
    replace_section(name, table)
    print(table)
