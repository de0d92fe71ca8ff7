"""``make soak`` (``python -m bench.soak --minutes N``): mixed-channel load on a private
stack for N minutes (30 by default), the resident memory of every process sampled, and
every error counted. Web chat over REST and WebSocket, WeChat safe-mode callbacks and SMS
uplinks (generic provider, with the webhook token) run side by side at a steady pace.

An error is anything but the documented answer: a non-2xx status, a WebSocket that closes
or sends an error, a transport failure. Web chat's holding answer (``deferred``) is counted
separately, not as an error. Results: ``bench/results/soak.json`` and a section of
BENCHMARKS.md. Not part of ``make test``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import statistics
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import psutil
import redis

from bench.common import OPEN_LIMITS, RESULTS, PrivateStack, machine, private_stack, publish, today
from bench.load import WEBCHAT, questions
from bench.wechat import Account, wechat_sender
from channels.stream import DEAD
from hotline import secrets as stack_secrets
from hotline import training

SAMPLE_S = 10.0
# Per simulated citizen, between one answer and the next message. 2 s keeps the offered load
# (about 3 messages/s with the defaults) well inside what the 2-core reference machine answers
# (5–7 messages/s, BENCHMARKS.md "load"); --pace 1 goes past it, into holding answers.
PACE_S = 2.0


def rss_mb(pids: dict[str, int]) -> dict[str, float]:
    """Resident memory of each service, its child processes included."""
    found = {}
    for name, pid in pids.items():
        try:
            root = psutil.Process(pid)
            procs = [root, *root.children(recursive=True)]
            found[name] = round(sum(p.memory_info().rss for p in procs) / 2**20, 1)
        except psutil.Error:
            found[name] = 0.0
    return found


class Soak:
    def __init__(self, stack: PrivateStack, seconds: float, pace_s: float = PACE_S) -> None:
        self.stack = stack
        self.pace_s = pace_s
        self.waits: dict[str, list[float]] = {"rest": [], "ws": []}  # seconds to the first reply
        self.until = time.monotonic() + seconds
        self.started = time.monotonic()
        self.counts: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.incidents: list[dict[str, Any]] = []  # when and what, for the first few errors
        self.pool = questions()
        kept = stack_secrets.ensure(stack.stack.state_dir / "secrets.env")
        self.sms_token = kept["SMS_WEBHOOK_TOKEN"]

    def _text(self) -> str:
        return secrets.choice(self.pool)

    def _error(self, channel: str, what: str, detail: str = "") -> None:
        self.errors[f"{channel}:{what}"] += 1
        if len(self.incidents) < 50:
            self.incidents.append({"t_s": round(time.monotonic() - self.started, 1),
                                   "error": f"{channel}:{what}", "detail": detail[:300]})

    async def rest(self, client: httpx.AsyncClient) -> None:
        session = f"soak-rest-{uuid.uuid4().hex[:12]}"
        while time.monotonic() < self.until:
            try:
                sent = time.monotonic()
                r = await client.post(self.stack.gateway + WEBCHAT,
                                      json={"session_id": session, "text": self._text()})
                if r.status_code != 200:
                    self._error("rest", str(r.status_code))
                else:
                    self.waits["rest"].append(time.monotonic() - sent)
                    self.counts["rest:" + r.json().get("status", "?")] += 1
            except httpx.HTTPError as exc:
                self._error("rest", type(exc).__name__)
            await asyncio.sleep(self.pace_s)

    async def socket(self) -> None:
        from websockets.client import connect  # 10.x here (rasa-sdk pins it): the legacy client

        session = f"soak-ws-{uuid.uuid4().hex[:12]}"
        url = self.stack.gateway.replace("http", "ws") + f"/api/v1/webchat/ws?session_id={session}"
        try:
            async with connect(url, open_timeout=30) as ws:
                while time.monotonic() < self.until:
                    message_id = uuid.uuid4().hex
                    sent = time.monotonic()
                    await ws.send(json.dumps({"type": "message", "text": self._text(),
                                              "message_id": message_id}))
                    while True:  # until this message's reply; the widget reads every frame
                        event = json.loads(await asyncio.wait_for(ws.recv(), 60))
                        if event.get("type") == "error":
                            self._error("ws", "error_event", str(event.get("error")))
                            break
                        if event.get("type") != "reply":
                            continue
                        if event.get("status") == "failed":  # the stream gave up on a message
                            self._error("ws", "gave_up")
                        if event.get("message_id") != message_id:  # an earlier one's late answer
                            self.counts["ws:late_" + str(event.get("status"))] += 1
                            continue
                        self.waits["ws"].append(time.monotonic() - sent)
                        self.counts["ws:" + str(event.get("status"))] += 1
                        break
                    await asyncio.sleep(self.pace_s)
        except Exception as exc:  # a closed or failed socket is an error, then start another
            frame = getattr(exc, "rcvd", None) or getattr(exc, "sent", None)  # the close code, if any
            code = getattr(frame, "code", None)
            self._error("ws", type(exc).__name__ + (f":{code}" if code else ""), repr(exc))
            if time.monotonic() < self.until:
                await asyncio.sleep(self.pace_s)
                await self.socket()

    def count_given_up(self) -> None:
        """Messages of any channel the stream gave up on (dead-lettered after its retries):
        the citizen was told to call 12333 instead of being answered, so each is an error."""
        store = redis.Redis(port=self.stack.stack.ports.redis)
        given_up = int(store.xlen(DEAD))
        store.close()
        counted = self.errors["ws:gave_up"]  # the socket saw its own already
        if given_up > counted:
            self.errors["stream:gave_up"] += given_up - counted

    async def wechat(self, client: httpx.AsyncClient, account: Account) -> None:
        send = wechat_sender(client, account)
        while time.monotonic() < self.until:
            try:
                self.counts["wechat:" + await send(self._text())] += 1
            except httpx.HTTPError as exc:
                self._error("wechat", type(exc).__name__)
            await asyncio.sleep(self.pace_s)

    async def sms(self, client: httpx.AsyncClient, n: int) -> None:
        phone = f"1390000{n:04d}"
        url = self.stack.gateway + "/sms/inbound/generic"
        sent = 0
        while time.monotonic() < self.until:
            sent += 1
            body = {"from": phone, "text": self._text(), "message_id": uuid.uuid4().hex,
                    "received_at": int(time.time())}
            try:
                r = await client.post(url, params={"token": self.sms_token}, json=body)
                self.counts["sms:" + ("ok" if r.status_code == 200 else "refused")] += 1
                if r.status_code != 200:
                    self._error("sms", str(r.status_code))
            except httpx.HTTPError as exc:
                self._error("sms", type(exc).__name__)
            await asyncio.sleep(8.0)  # a citizen's pace, under the 10-a-minute limit per number

    async def run(self, citizens: int) -> list[dict[str, Any]]:
        samples: list[dict[str, Any]] = []
        pids = self.stack.service_pids()
        started = time.monotonic()

        async def sampler() -> None:
            while time.monotonic() < self.until:
                samples.append({"t_s": round(time.monotonic() - started), **rss_mb(pids)})
                await asyncio.sleep(SAMPLE_S)
            samples.append({"t_s": round(time.monotonic() - started), **rss_mb(pids)})

        account = Account(self.stack)
        async with httpx.AsyncClient(timeout=60) as client:
            tasks = [sampler()]
            for n in range(citizens):
                tasks += [self.rest(client), self.socket(), self.wechat(client, account),
                          self.sms(client, n)]
            await asyncio.gather(*tasks)
        return samples


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (t, y) points: a trend that one spike or one collection hides."""
    if len(points) < 2:
        return 0.0
    mean_t = sum(t for t, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    spread = sum((t - mean_t) ** 2 for t, _ in points)
    return sum((t - mean_t) * (y - mean_y) for t, y in points) / spread if spread else 0.0


def summarise(samples: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per process: RSS at a quarter, half and three quarters of the run and at the end, the
    growth over the second half, and its trend in MB per 10 minutes (least squares over the
    second half's samples: flat memory is a trend near zero once caches have filled)."""
    names = [k for k in samples[0] if k != "t_s"]
    at = {q: samples[min(len(samples) - 1, max(1, len(samples) * q // 4))] for q in (1, 2, 3)}
    half = len(samples) // 2
    last = samples[-1]
    return {n: {"quarter_mb": at[1][n], "half_mb": at[2][n], "three_quarters_mb": at[3][n],
                "end_mb": last[n], "growth_mb": round(last[n] - at[2][n], 1),
                "max_mb": max(s[n] for s in samples),
                "trend_mb_per_10min": round(600 * slope([(s["t_s"], s[n]) for s in samples[half:]]), 1)}
            for n in names}


def quantiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50_s": 0.0, "p95_s": 0.0}
    ordered = sorted(values)
    return {"p50_s": round(statistics.median(ordered), 2),
            "p95_s": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 2)}


def table(result: dict[str, Any]) -> str:
    rows = "\n".join(f"| {name} | {m['quarter_mb']} | {m['half_mb']} | {m['three_quarters_mb']} | "
                     f"{m['end_mb']} | {m['growth_mb']:+} | {m['trend_mb_per_10min']:+} | {m['max_mb']} |"
                     for name, m in result["memory"].items())
    counts = ", ".join(f"{k} {v}" for k, v in sorted(result["counts"].items()))
    errors = ", ".join(f"{k} {v}" for k, v in sorted(result["errors"].items())) or "none"
    waits = {k: f"{v['p50_s']} / {v['p95_s']}" for k, v in result["waits"].items()}
    return (f"Soak (`make soak`, `python -m bench.soak --minutes N`; {result['date']}, {result['machine']}, "
            f"5-minute load average {result['load_average_5min'][0]} at the start, "
            f"{result['load_average_5min'][1]} at the end): "
            f"{result['minutes']} minutes, {result['citizens']} simulated citizens on each of web chat REST, "
            f"web chat WebSocket and WeChat (each waits for its answer, then {result['pace_s']:g} s "
            f"before the next message) plus SMS (one every 8 s), on a private stack: "
            f"{result['messages_per_s']} messages/s offered on average. Resident memory sampled every "
            f"{SAMPLE_S:.0f} s (children included); "
            "growth and trend (least-squares slope, MB per 10 minutes) over the second half. "
            "Redis holds the conversations themselves (trackers, streams, analytics), so it grows with "
            "the messages stored; the services should not.\n\n"
            "| process | ¼ MB | ½ MB | ¾ MB | end MB | growth | trend /10 min | max MB |\n"
            "|---|---|---|---|---|---|---|---|\n" + rows +
            f"\n\nMessages: {counts}. Seconds to the first reply, median / 95th percentile: "
            f"REST {waits['rest']}, WebSocket {waits['ws']}. Errors: **{result['error_total']}** ({errors}).")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--citizens", type=int, default=2, help="simulated citizens per channel")
    parser.add_argument("--pace", type=float, default=PACE_S,
                        help="seconds each citizen waits after an answer before the next message")
    parser.add_argument("--model", type=Path, help="a trained model to use instead of `hotline train`'s")
    args = parser.parse_args(argv)
    model = args.model or training.train(say=print)
    env = {**OPEN_LIMITS, "SMS_QUIET_HOURS": "off", "AGENT_HOURS": "always", "HOTLINE_VOICE": "0"}
    with private_stack(model, extra_env=env) as stack:
        soak = Soak(stack, args.minutes * 60, args.pace)
        load_before = os.getloadavg()[1]
        samples = asyncio.run(soak.run(args.citizens))
        soak.count_given_up()
        load = [round(load_before, 1), round(os.getloadavg()[1], 1)]  # 5-minute averages
        if soak.errors:  # the stack's logs go with its folder: keep them for the post-mortem
            kept = RESULTS / "soak-logs"
            shutil.rmtree(kept, ignore_errors=True)
            shutil.copytree(stack.stack.log_dir, kept)
            print(f"errors: the stack's logs are kept in {kept}")
    sent = sum(v for k, v in soak.counts.items() if not k.startswith("ws:late_")) + sum(soak.errors.values())
    result = {"date": today(), "machine": machine(), "minutes": args.minutes, "citizens": args.citizens,
              "pace_s": args.pace, "messages_per_s": round(sent / (args.minutes * 60), 2),
              "waits": {k: quantiles(v) for k, v in soak.waits.items()},
              "counts": dict(soak.counts), "errors": dict(soak.errors),
              "error_total": sum(soak.errors.values()), "memory": summarise(samples), "samples": samples,
              "load_average_5min": load, "incidents": soak.incidents}
    publish("soak", result, table(result))
    return 0 if result["error_total"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
