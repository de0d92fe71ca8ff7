"""Sending SMS (MT): policy around a provider's sender.

Order of checks in :meth:`SmsDownlink.send`: an idempotency key already sent returns
the earlier result; opt-out (``TD``) stops everything but one-time codes; quiet hours
(22:00–08:00 Beijing time by default) delay ``confirmation`` messages, never a code and
never a reply to a citizen who has just written; then the per-number rate limit and
daily cap; then the provider, retried with the same idempotency key.

Redis keys hold the pseudonym of the number, never the number: ``sms:optout:<p>``,
``sms:rate:<p>:<minute>``, ``sms:daily:<p>:<yyyymmdd>``; ``sms:sent:<idempotency key>``
(a day); ``sms:report:<provider>:<message id>`` (a week); ``sms:delayed`` (a sorted set
of Fernet-sealed messages by due time).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import time
from dataclasses import asdict, dataclass
from typing import Any, Awaitable, Callable, Literal

import structlog
from cryptography.fernet import Fernet, InvalidToken
from redis.asyncio import Redis

from channels.sms import segments
from channels.sms.errors import SmsRateLimited, SmsUnavailable
from channels.sms.providers import BEIJING, Report
from channels.sms.senders import Sender, TryAgain
from hotline.signing import pseudonym

log = structlog.get_logger(__name__)

Kind = Literal["otp", "reply", "confirmation"]
SENT_TTL_S = 86400
REPORT_TTL_S = 7 * 86400
DELAYED = "sms:delayed"
RATE_TEXT = "该号码短信发送过于频繁，请稍后再试。如问题紧急，可拨打12333。"
DAILY_TEXT = "该号码今日接收的短信已达上限，请明天再试，或拨打12333咨询。"
UNAVAILABLE_TEXT = "短信暂时无法发送，请稍后再试；如需帮助请拨打12333。"


@dataclass(frozen=True)
class SendResult:
    """``sent`` (``message_id`` is the provider's), ``scheduled`` (quiet hours; due at
    ``send_at``) or ``opted_out`` (nothing sent)."""

    status: Literal["sent", "scheduled", "opted_out"]
    message_id: str | None = None
    parts: int = 0
    send_at: float | None = None


@dataclass(frozen=True)
class QuietHours:
    """A nightly window in Beijing time, in minutes after midnight; ``start == end`` is off."""

    start: int = 22 * 60
    end: int = 8 * 60

    @classmethod
    def parse(cls, spec: str) -> QuietHours:
        """``"22:00-08:00"``; ``"off"`` or empty for none."""
        if spec.strip().lower() in ("", "off", "none"):
            return cls(0, 0)
        first, _, second = spec.partition("-")
        return cls(_minutes(first), _minutes(second))

    def until(self, now: float) -> float | None:
        """When the window containing ``now`` ends, or None outside it."""
        if self.start == self.end:
            return None
        local = dt.datetime.fromtimestamp(now, BEIJING)
        minute = local.hour * 60 + local.minute
        inside = (self.start <= minute or minute < self.end) if self.start > self.end \
            else self.start <= minute < self.end
        if not inside:
            return None
        end = local.replace(hour=self.end // 60, minute=self.end % 60, second=0, microsecond=0)
        if end <= local:
            end += dt.timedelta(days=1)
        return end.timestamp()


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _minutes(text: str) -> int:
    hours, _, minutes = text.strip().partition(":")
    return (int(hours) * 60 + int(minutes or 0)) % (24 * 60)


class SmsDownlink:
    def __init__(self, sender: Sender, redis: Redis, *, pseudonym_secret: bytes, sealing_key: bytes,
                 sign_name: str = "12333", max_parts: int = 3, rate_per_minute: int = 5,
                 daily_cap: int = 40, quiet: QuietHours | None = None, attempts: int = 3,
                 backoff_s: float = 0.5, clock: Callable[[], float] = time.time) -> None:
        self.sender = sender
        self.redis = redis
        self.signature = segments.signature_for(sign_name)
        self.max_parts = max_parts
        self.rate_per_minute = rate_per_minute
        self.daily_cap = daily_cap
        self.quiet = quiet or QuietHours()
        self.attempts = attempts
        self.backoff_s = backoff_s
        self.clock = clock
        self._secret = pseudonym_secret
        self._fernet = Fernet(sealing_key)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._pump: asyncio.Task[None] | None = None

    @property
    def provider(self) -> str:
        return self.sender.name

    def subject(self, phone: str) -> str:
        """The pseudonym of a number; the SMS conversation id is the same value."""
        return pseudonym(self._secret, "sms", phone)

    # -- sending ------------------------------------------------------------------------

    async def send(self, phone: str, text: str, *, kind: Kind, idempotency_key: str) -> SendResult:
        """Send ``text`` to ``phone`` (digits, ``+`` and country code for abroad).

        ``kind``: ``"otp"`` one-time code (ignores opt-out and quiet hours, still rate
        limited), ``"reply"`` answer to a citizen who has just written (ignores quiet
        hours), ``"confirmation"`` business notice (delayed during quiet hours).
        ``idempotency_key``: the caller's stable name for this message, without the
        number in it; the same key is never sent twice and provider retries reuse it.
        Raises :class:`SmsRateLimited` (per-number limit or daily cap) or
        :class:`SmsUnavailable` (provider refused or unreachable after retries).
        """
        done = await self.redis.get(f"sms:sent:{idempotency_key}")
        if done:
            return SendResult(**json.loads(done))
        subject = self.subject(phone)
        if kind != "otp" and await self.redis.exists(f"sms:optout:{subject}"):
            return SendResult("opted_out")
        text = segments.fit(text, self.signature, self.max_parts)
        due = self.quiet.until(self.clock()) if kind == "confirmation" else None
        if due is not None:
            await self._delay(phone, text, kind, idempotency_key, due)
            result = SendResult("scheduled", parts=segments.count(text, self.signature), send_at=due)
            await self._remember(idempotency_key, result)
            return result
        return await self._send_now(phone, subject, text, idempotency_key)

    async def confirm_opt_out(self, phone: str, text: str, idempotency_key: str) -> SendResult:
        """The one message sent after a number opted out: the confirmation of it."""
        return await self._send_now(phone, self.subject(phone), text, idempotency_key)

    async def _send_now(self, phone: str, subject: str, text: str, key: str) -> SendResult:
        await self._count(subject)
        for attempt in range(self.attempts):
            try:
                message_id = await self.sender.send(phone, text, key)
                break
            except TryAgain as exc:
                log.warning("sms.send_retry", provider=self.provider, attempt=attempt + 1, error=str(exc))
                if attempt + 1 < self.attempts:
                    await asyncio.sleep(self.backoff_s * 2 ** attempt)
        else:
            raise SmsUnavailable(UNAVAILABLE_TEXT)
        result = SendResult("sent", message_id, segments.count(text, self.signature))
        await self._remember(key, result)
        log.info("sms.sent", provider=self.provider, parts=result.parts)
        return result

    async def _remember(self, key: str, result: SendResult) -> None:
        await self.redis.set(f"sms:sent:{key}", json.dumps(asdict(result)), ex=SENT_TTL_S)

    async def _count(self, subject: str) -> None:
        now = self.clock()
        minute = f"sms:rate:{subject}:{int(now) // 60}"
        day = f"sms:daily:{subject}:{dt.datetime.fromtimestamp(now, BEIJING):%Y%m%d}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(minute)
            pipe.expire(minute, 120)
            pipe.incr(day)
            pipe.expire(day, 2 * 86400)
            per_minute, _, per_day, _ = await pipe.execute()
        if int(per_minute) > self.rate_per_minute:
            raise SmsRateLimited(RATE_TEXT)
        if int(per_day) > self.daily_cap:
            raise SmsRateLimited(DAILY_TEXT)

    # -- opt-out and reports --------------------------------------------------------------

    async def opt_out(self, phone: str) -> None:
        await self.redis.set(f"sms:optout:{self.subject(phone)}", str(int(self.clock())))

    async def opt_in(self, phone: str) -> None:
        await self.redis.delete(f"sms:optout:{self.subject(phone)}")

    async def opted_out(self, phone: str) -> bool:
        return bool(await self.redis.exists(f"sms:optout:{self.subject(phone)}"))

    async def record_report(self, provider: str, report: Report) -> None:
        key = f"sms:report:{provider}:{report.message_id}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping={
                "delivered": "1" if report.delivered else "0", "code": report.code,
                "description": report.description, "reported_at": repr(report.reported_at),
                "out_id": report.out_id})
            pipe.expire(key, REPORT_TTL_S)
            await pipe.execute()

    async def report(self, message_id: str) -> dict[str, str] | None:
        found = await self.redis.hgetall(f"sms:report:{self.provider}:{message_id}")
        return {_text(k): _text(v) for k, v in found.items()} if found else None

    # -- quiet hours ------------------------------------------------------------------------

    async def _delay(self, phone: str, text: str, kind: str, key: str, due: float) -> None:
        sealed = self._fernet.encrypt(json.dumps(
            {"phone": phone, "text": text, "kind": kind, "key": key}, ensure_ascii=False).encode())
        await self.redis.zadd(DELAYED, {sealed.decode(): due})

    async def flush_due(self) -> int:
        """Send the delayed messages that are due; how many were sent."""
        sent = 0
        for entry in await self.redis.zrangebyscore(DELAYED, 0, self.clock(), start=0, num=100):
            sealed = _text(entry)
            if not await self.redis.zrem(DELAYED, sealed):
                continue  # another replica took it
            try:
                item = json.loads(self._fernet.decrypt(sealed.encode()))
            except (InvalidToken, ValueError):
                continue
            if await self.opted_out(item["phone"]):
                continue
            try:
                await self._send_now(item["phone"], self.subject(item["phone"]), item["text"], item["key"])
                sent += 1
            except (SmsRateLimited, SmsUnavailable) as exc:
                log.warning("sms.delayed_failed", error=type(exc).__name__)
        return sent

    async def run(self, interval_s: float = 30.0) -> None:
        """Send delayed messages once quiet hours end; until cancelled."""
        while True:
            with contextlib.suppress(ConnectionError, OSError, TimeoutError):
                await self.flush_due()
            await asyncio.sleep(interval_s)

    # -- background sends -------------------------------------------------------------------

    def spawn(self, work: Awaitable[Any], what: str) -> None:
        """Run a send after the webhook has answered; failures are logged, not raised."""

        async def guarded() -> None:
            try:
                await work
            except (SmsRateLimited, SmsUnavailable) as exc:
                log.warning("sms.background_failed", what=what, error=type(exc).__name__)
            except Exception as exc:  # a bug must not vanish with the task
                log.exception("sms.background_error", what=what, error=type(exc).__name__)

        task = asyncio.create_task(guarded())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def start(self, interval_s: float = 30.0) -> None:
        """Start sending delayed messages in the background (inside the running loop)."""
        self._pump = asyncio.create_task(self.run(interval_s))

    async def aclose(self, timeout_s: float = 5.0) -> None:
        """Stop the pump; give sends still under way ``timeout_s`` to finish."""
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
            self._pump = None
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=timeout_s)
