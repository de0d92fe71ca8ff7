"""``make run`` works for WeChat out of the box: development values shaped like the admin
console's, and the fake WeChat API in the stack unless a real one is named."""

from __future__ import annotations

from pathlib import Path

import pytest

from channels.wechat.crypto import Cipher
from hotline import secrets, supervisor


def test_development_values_have_the_consoles_shapes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("WECHAT_TOKEN", "WECHAT_ENCODING_AES_KEY", "WECHAT_APP_ID", "WECHAT_APP_SECRET"):
        monkeypatch.delenv(name, raising=False)
    values = secrets.ensure(tmp_path / "secrets.env")
    assert 3 <= len(values["WECHAT_TOKEN"]) <= 32 and values["WECHAT_TOKEN"].isalnum()
    assert len(values["WECHAT_ENCODING_AES_KEY"]) == 43 and values["WECHAT_ENCODING_AES_KEY"].isalnum()
    assert values["WECHAT_APP_ID"].startswith("wx") and len(values["WECHAT_APP_ID"]) == 18
    cipher = Cipher(values["WECHAT_TOKEN"], values["WECHAT_ENCODING_AES_KEY"], values["WECHAT_APP_ID"])
    assert cipher.decrypt(cipher.encrypt("<xml/>")) == "<xml/>"
    assert secrets.ensure(tmp_path / "secrets.env") == values  # generated once
    monkeypatch.setenv("WECHAT_TOKEN", "fromtheenvironment")
    assert secrets.ensure(tmp_path / "secrets.env")["WECHAT_TOKEN"] == "fromtheenvironment"


def test_the_stack_runs_the_fake_wechat_api_unless_a_real_one_is_named(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WECHAT_API_BASE", raising=False)
    ports = supervisor.Ports.free()
    assert ports.wechat not in (ports.gateway, ports.sms)
    stack = supervisor.Stack(ports, state_dir=tmp_path, log_dir=tmp_path, model=tmp_path / "m.tar.gz")
    services = {s.name: s for s in stack.plan()}
    assert services["wechat"].command[-3:] == ["fakes.wechat_api", "--port", str(ports.wechat)]
    assert services["gateway"].env["WECHAT_API_BASE"] == f"http://127.0.0.1:{ports.wechat}"
    assert services["wechat"].env["WECHAT_APP_SECRET"] == services["gateway"].env["WECHAT_APP_SECRET"]
    assert list(services).index("wechat") < list(services).index("gateway")

    monkeypatch.setenv("WECHAT_API_BASE", "https://api.weixin.qq.com")
    services = {s.name: s for s in supervisor.Stack(ports, state_dir=tmp_path, log_dir=tmp_path,
                                                    model=tmp_path / "m.tar.gz").plan()}
    assert "wechat" not in services
    assert services["gateway"].env["WECHAT_API_BASE"] == "https://api.weixin.qq.com"
    monkeypatch.delenv("FAKE_WECHAT_PORT", raising=False)
    assert supervisor.Ports.from_env().wechat == 8120
