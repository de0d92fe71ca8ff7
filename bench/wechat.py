"""``hotline bench wechat``: WeChat's 5-second rule under load.

N citizens (default 1, 8, 32) at once each send ``SCRIPT`` encrypted text messages in safe
mode to ``POST /wechat``, closed loop, signed and encrypted the way WeChat does (with
wechatpy, independently of the gateway's code). Measured: the callback's response time
(what WeChat waits for; it gives up at 5 s), and how each answer went out — passively in
the callback's reply, or ``success`` followed by a customer-service message because the
bot's turn did not fit in ``WECHAT_REPLY_BUDGET_S``. Results: ``bench/results/wechat.json``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import secrets
import time
from typing import Any, Sequence

import httpx
from wechatpy.crypto import PrpCrypto

from bench.common import OPEN_LIMITS, PrivateStack, machine, private_stack, publish, today
from bench.load import Send, drive, questions, scripts
from hotline import secrets as stack_secrets
from hotline import training

LEVELS = (1, 8, 32)
SCRIPT = 10
ACCOUNT = "gh_bench12333"
_ids = itertools.count(9_000_000_000)


def _sha1(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()  # noqa: S324 (WeChat's scheme)


class Account:
    """What WeChat's servers know: the token, the AES key and the AppID."""

    def __init__(self, stack: PrivateStack) -> None:
        kept = stack_secrets.ensure(stack.stack.state_dir / "secrets.env")
        self.token = kept["WECHAT_TOKEN"]
        self.crypto = PrpCrypto(base64.b64decode(kept["WECHAT_ENCODING_AES_KEY"] + "="))
        self.app_id = kept["WECHAT_APP_ID"]
        self.url = stack.gateway + "/wechat"

    def callback(self, openid: str, text: str) -> tuple[dict[str, str], bytes]:
        plain = (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{openid}]]>"
                 f"</FromUserName><CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]>"
                 f"</MsgType><Content><![CDATA[{text}]]></Content><MsgId>{next(_ids)}</MsgId></xml>")
        encrypt = self.crypto.encrypt(plain, self.app_id).decode()
        ts, nonce = str(int(time.time())), secrets.token_hex(5)
        query = {"signature": _sha1(self.token, ts, nonce), "timestamp": ts, "nonce": nonce,
                 "openid": openid, "encrypt_type": "aes",
                 "msg_signature": _sha1(self.token, ts, nonce, encrypt)}
        body = (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
                f"<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>")
        return query, body.encode()


def wechat_sender(client: httpx.AsyncClient, account: Account) -> Send:
    openid = "oBench" + secrets.token_hex(11)

    async def send(text: str) -> str:
        query, body = account.callback(openid, text)
        response = await client.post(account.url, params=query, content=body)
        response.raise_for_status()
        # "answered": the answer rode in the callback's reply; "deferred": it went later
        # as a customer-service message.
        return "deferred" if response.text == "success" else "answered"

    return send


async def measure_async(stack: PrivateStack, levels: Sequence[int] = LEVELS,
                        length: int = SCRIPT) -> list[dict[str, Any]]:
    account, pool = Account(stack), questions()
    rows = []
    async with httpx.AsyncClient(timeout=30) as client:
        await drive(lambda: wechat_sender(client, account), [pool[:3]])  # warm-up, not counted
        for n in levels:
            result = await drive(lambda: wechat_sender(client, account), scripts(n, length, pool))
            rows.append({"conversations": n, **result})
            await asyncio.sleep(5)  # let late answers go out before the next level
    return rows


def table(result: dict[str, Any]) -> str:
    rows, budget_s = result["rows"], result["budget_s"]
    lines = [
        f"Measured {today()} on {machine()} with `hotline bench wechat`: N simulated citizens at "
        f"once, each sending {SCRIPT} encrypted (safe-mode) text messages to `POST /wechat` in a "
        "closed loop; questions from the held-out set. Latency is the callback's response time, "
        "what WeChat waits for (it gives up at 5 s). Passive: the answer was in the reply; "
        f"async: `success`, then a customer-service message. Budget `WECHAT_REPLY_BUDGET_S` = {budget_s} s.",
        "",
        "| N | messages | p50 ms | p95 ms | p99 ms | passive | async | errors |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        ms, share = row["latency_ms"], passive_share(row)
        lines.append(f"| {row['conversations']} | {row['messages']} | {ms['p50']} | {ms['p95']} | "
                     f"{ms['p99']} | {share:.0%} | {1 - share:.0%} | {row['errors']} |")
    return "\n".join(lines)


def passive_share(row: dict[str, Any]) -> float:
    answered = max(1, row["messages"] - row["errors"])
    return (answered - row["deferred"]) / answered


def measure(stack: PrivateStack) -> dict[str, Any]:
    budget = stack.stack.base_env().get("WECHAT_REPLY_BUDGET_S", "4.0")
    return {"date": today(), "machine": machine(), "budget_s": budget,
            "rows": asyncio.run(measure_async(stack))}


def main() -> int:
    with private_stack(training.train(say=lambda _: None), extra_env=OPEN_LIMITS) as stack:
        result = measure(stack)
    publish("wechat", result, table(result))
    return 0
