"""Starting, watching and stopping the processes of the system.

``Stack`` knows how to start each service with its environment, wait until it is healthy
and stop it; ``run_forever`` adds restarts with back-off and a clean Ctrl-C. Tests use
``Stack`` directly to kill and restart single services.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Callable
from urllib.parse import urlparse

import httpx

from hotline import paths, redis_embedded, secrets, training


@dataclass
class Ports:
    gateway: int = 8000
    rasa: int = 5005
    actions: int = 5055
    redis: int = 6390
    business: int = 8100   # the reference provincial business system
    sms: int = 8110        # the local fake SMS gateway (when SMS_API_BASE is unset)
    wechat: int = 8120     # the local fake WeChat API (when WECHAT_API_BASE is unset)
    voice: int = 5060      # SIP over UDP (the voice service, when its Whisper model is built)

    @classmethod
    def from_env(cls) -> Ports:
        env = os.environ
        return cls(
            gateway=int(env.get("GATEWAY_PORT", 8000)),
            rasa=int(env.get("RASA_PORT", 5005)),
            actions=int(env.get("ACTIONS_PORT", 5055)),
            redis=int(env.get("EMBEDDED_REDIS_PORT", 6390)),
            business=int(env.get("BUSINESS_PORT", 8100)),
            sms=int(env.get("FAKE_SMS_PORT", 8110)),
            wechat=int(env.get("FAKE_WECHAT_PORT", 8120)),
            voice=int(env.get("VOICE_SIP_PORT", 5060)),
        )

    @classmethod
    def free(cls) -> Ports:
        """Free ports for every service: tests and benchmarks never disturb ``make run``."""
        return cls(*(_free_port() for _ in fields(cls)))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Service:
    name: str
    command: list[str]
    env: dict[str, str]
    ready: Callable[[], bool]
    startup_s: float = 60.0
    process: subprocess.Popen[bytes] | None = None
    restarts: list[float] = field(default_factory=list)


class StartupError(RuntimeError):
    pass


class Stack:
    def __init__(self, ports: Ports, state_dir: Path = paths.STATE, log_dir: Path = paths.LOGS,
                 model: Path | None = None, extra_env: dict[str, str] | None = None) -> None:
        self.ports = ports
        self.state_dir = state_dir
        self.log_dir = log_dir
        self.model = model
        self.extra_env = extra_env or {}
        self.services: dict[str, Service] = {}
        self.redis_url = os.environ.get("REDIS_URL") or ""

    # -- composition ----------------------------------------------------------------

    def base_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(secrets.ensure(self.state_dir / "secrets.env"))
        env.update(self.extra_env)
        env["PYTHONPATH"] = str(paths.ROOT)
        env["RASA_TELEMETRY_ENABLED"] = "false"
        env["REDIS_URL"] = self.redis_url
        return env

    def plan(self) -> list[Service]:
        services = []
        if not os.environ.get("REDIS_URL"):
            self.redis_url = f"redis://127.0.0.1:{self.ports.redis}/0"
            services.append(Service(
                "redis", redis_embedded.command(self.state_dir / "redis", self.ports.redis),
                {}, lambda: _redis_ping(self.redis_url), startup_s=15))
        env = self.base_env()
        env["BUSINESS_URL"] = self._business(env, services)   # for the actions and the gateway
        actions_url = f"http://127.0.0.1:{self.ports.actions}"
        rasa_url = f"http://127.0.0.1:{self.ports.rasa}"
        services.append(Service(
            "actions",
            [str(paths.APP_BIN / "python"), "-m", "actions.server", "--port", str(self.ports.actions)],
            env, lambda: _http_ok(actions_url + "/health"), startup_s=60))
        redis = urlparse(self.redis_url)
        rasa_env = dict(env, ACTION_ENDPOINT_URL=actions_url + "/webhook",
                        REDIS_HOST=redis.hostname or "127.0.0.1", REDIS_PORT=str(redis.port or 6379),
                        REDIS_DB=(redis.path.strip("/") or "0"), REDIS_PASSWORD=redis.password or "",
                        TF_CPP_MIN_LOG_LEVEL="2")
        model = self.model or training.model_path()
        services.append(Service(
            "rasa",
            [str(paths.BOT_BIN / "rasa"), "run", "--model", str(model),
             "--endpoints", str(paths.ENDPOINTS), "--credentials", str(paths.CREDENTIALS),
             "--interface", "127.0.0.1", "--port", str(self.ports.rasa)],
            rasa_env, lambda: _http_ok(rasa_url + "/webhooks/hotline/"), startup_s=180))
        sms_env = self._fake_sms(env, services)
        wechat_env = self._fake_wechat(env, services)
        services.append(Service(
            "gateway",
            [str(paths.APP_BIN / "uvicorn"), "channels.app:create_app", "--factory",
             "--host", os.environ.get("GATEWAY_HOST", "127.0.0.1"),
             "--port", str(self.ports.gateway), "--ws", "wsproto", "--no-access-log"],
            dict(env, GATEWAY_PORT=str(self.ports.gateway), RASA_URL=rasa_url,
                 ACTIONS_URL=actions_url, **sms_env, **wechat_env,
                 # analytics events live with the rest of the state unless a URL is given
                 ANALYTICS_DATABASE_URL=env.get("ANALYTICS_DATABASE_URL")
                 or f"sqlite:///{self.state_dir / 'analytics.db'}"),
            lambda: _http_ok(f"http://127.0.0.1:{self.ports.gateway}/healthz", any_status=True),
            startup_s=60))
        services += self._voice(env)
        return services

    def _voice(self, env: dict[str, str]) -> list[Service]:
        """The SIP voice service (docs/voice.md), when ``python -m speech.models`` has built
        its Whisper model; ``HOTLINE_VOICE=0`` leaves it out."""
        from speech import models

        if env.get("HOTLINE_VOICE") == "0" or not models.ready():
            return []
        port = self.ports.voice
        return [Service("voice", [str(paths.APP_BIN / "python"), "-m", "voice"],
                        dict(env, VOICE_SIP_PORT=str(port),
                             VOICE_GATEWAY_URL=f"http://127.0.0.1:{self.ports.gateway}"),
                        lambda: _sip_ok(port), startup_s=60)]

    def _business(self, env: dict[str, str], services: list[Service]) -> str:
        """The reference business system, unless ``BUSINESS_URL`` names a province's own;
        its SQLite file lives with the rest of the state unless a database URL is given."""
        if env.get("BUSINESS_URL"):
            return env["BUSINESS_URL"]
        url = f"http://127.0.0.1:{self.ports.business}"
        database = env.get("BUSINESS_DATABASE_URL") or f"sqlite:///{self.state_dir / 'business.db'}"
        services.append(Service(
            "business",
            [str(paths.APP_BIN / "python"), "-m", "business", "--port", str(self.ports.business)],
            dict(env, BUSINESS_DATABASE_URL=database), lambda: _http_ok(url + "/health"), startup_s=60))
        return url

    def _fake_sms(self, env: dict[str, str], services: list[Service]) -> dict[str, str]:
        """The local fake SMS provider, unless a real one is configured (SMS_API_BASE, or
        Aliyun/Tencent at their public endpoints); the gateway's SMS settings for it."""
        if env.get("SMS_API_BASE") or env.get("SMS_PROVIDER", "generic") != "generic":
            return {}
        base = f"http://127.0.0.1:{self.ports.sms}"
        services.append(Service(
            "sms",
            [str(paths.APP_BIN / "python"), "-m", "fakes.sms_gateway", "--port", str(self.ports.sms)],
            dict(env, SMS_GATEWAY_URL=f"http://127.0.0.1:{self.ports.gateway}"),
            lambda: _http_ok(base + "/_fake/health"), startup_s=30))
        return {"SMS_API_BASE": base, "SMS_PROVIDER": "generic"}

    def _fake_wechat(self, env: dict[str, str], services: list[Service]) -> dict[str, str]:
        """The local fake of WeChat's API, unless WECHAT_API_BASE names the real one; it
        checks the same development WECHAT_APP_ID/WECHAT_APP_SECRET the gateway uses."""
        if env.get("WECHAT_API_BASE"):
            return {}
        base = f"http://127.0.0.1:{self.ports.wechat}"
        services.append(Service(
            "wechat",
            [str(paths.APP_BIN / "python"), "-m", "fakes.wechat_api", "--port", str(self.ports.wechat)],
            env, lambda: _http_ok(base + "/_fake/health"), startup_s=30))
        return {"WECHAT_API_BASE": base}

    # -- lifecycle ------------------------------------------------------------------

    def start_all(self, say: Callable[[str], None] = print) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for service in self.plan():
            self.services[service.name] = service
            self.start(service.name, say)

    def start(self, name: str, say: Callable[[str], None] = print) -> None:
        service = self.services[name]
        if service.process and service.process.poll() is None:
            return
        if name != "redis" and not service.env.get("REDIS_URL"):
            service.env["REDIS_URL"] = self.redis_url
        log = (self.log_dir / f"{name}.log").open("ab")
        service.process = subprocess.Popen(service.command, cwd=paths.ROOT, env=service.env or None,
                                           stdout=log, stderr=subprocess.STDOUT,
                                           start_new_session=True)
        log.close()
        started = time.monotonic()
        while time.monotonic() - started < service.startup_s:
            if service.process.poll() is not None:
                raise StartupError(f"{name} 启动失败（退出码 {service.process.returncode}），"
                                   f"请查看 {self.log_dir / (name + '.log')}")
            if service.ready():
                say(f"  ✓ {name:8s} 已就绪（{time.monotonic() - started:.1f} 秒）")
                return
            time.sleep(0.3)
        raise StartupError(f"{name} 在 {service.startup_s:.0f} 秒内没有就绪，"
                           f"请查看 {self.log_dir / (name + '.log')}")

    def stop(self, name: str, sig: int = signal.SIGTERM, wait_s: float = 15.0) -> None:
        service = self.services.get(name)
        if not service or not service.process or service.process.poll() is not None:
            return
        with _suppress_lookup():
            os.killpg(service.process.pid, sig)
        try:
            service.process.wait(wait_s)
        except subprocess.TimeoutExpired:
            with _suppress_lookup():
                os.killpg(service.process.pid, signal.SIGKILL)
            service.process.wait(5)

    def stop_all(self) -> None:
        for name in reversed(list(self.services)):
            self.stop(name)

    def urls(self) -> dict[str, str]:
        base = f"http://127.0.0.1:{self.ports.gateway}"
        return {"门户演示页（右下角「在线咨询」）": base + "/",
                "坐席工作台（账号 agent / supervisor，密码见 .hotline/secrets.env 的 STAFF_*_PASSWORD）":
                    base + "/agent/",
                "接口描述": base + "/openapi.json",
                "健康检查": base + "/healthz", "运行指标": base + "/metrics",
                "业务系统接口": (os.environ.get("BUSINESS_URL")
                                 or f"http://127.0.0.1:{self.ports.business}") + "/openapi.json",
                **({"电话语音（SIP，UDP）": f"sip:12333@127.0.0.1:{self.ports.voice}"}
                   if "voice" in self.services else {})}

    def run_forever(self, say: Callable[[str], None] = print) -> None:
        stop = False

        def on_signal(*_: object) -> None:
            nonlocal stop
            stop = True

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        while not stop:
            time.sleep(1)
            for name, service in self.services.items():
                if stop or not service.process or service.process.poll() is None:
                    continue
                now = time.monotonic()
                service.restarts = [t for t in service.restarts if now - t < 300] + [now]
                if len(service.restarts) > 5:
                    say(f"✗ {name} 五分钟内退出了 5 次，不再重启；请查看 logs/{name}.log")
                    stop = True
                    break
                say(f"! {name} 意外退出（退出码 {service.process.returncode}），正在重启…")
                try:
                    self.start(name, say)
                except StartupError as exc:
                    say(f"✗ {exc}")
        say("正在停止所有服务…")
        self.stop_all()
        say("已全部停止。")


class _suppress_lookup:
    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, *_: object) -> bool:
        return kind is ProcessLookupError


def _http_ok(url: str, any_status: bool = False) -> bool:
    try:
        response = httpx.get(url, timeout=1.0)
    except httpx.HTTPError:
        return False
    return any_status or response.status_code == 200


def _sip_ok(port: int) -> bool:
    """An OPTIONS ping answered with 200 (the voice service has loaded its engines)."""
    from voice import sip

    request = sip.Message("OPTIONS sip:12333@127.0.0.1 SIP/2.0", [
        ("Via", "SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKhealth"), ("From", "<sip:health@127.0.0.1>;tag=h"),
        ("To", "<sip:12333@127.0.0.1>"), ("Call-ID", "health"), ("CSeq", "1 OPTIONS")])
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(1.0)
        try:
            s.sendto(request.to_bytes(), ("127.0.0.1", port))
            return sip.parse(s.recv(4096)).status == 200
        except (OSError, sip.SipError):
            return False


def _redis_ping(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), 0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False
