"""Staff accounts: the file ``hotline staff add`` writes, and what the gateway accepts."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from channels.staff import check_password, hash_password, load_accounts
from hotline import paths


def test_passwords_are_stored_as_salted_scrypt_hashes() -> None:
    one, two = hash_password("correct horse"), hash_password("correct horse")
    assert one != two and "correct" not in one
    assert check_password("correct horse", one)
    assert not check_password("correct hors", one)
    assert not check_password("x", "md5$abc$def")


def test_hotline_staff_add_writes_an_account_the_gateway_accepts(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    accounts = tmp_path / "staff.json"
    run = subprocess.run(
        [str(paths.APP_BIN / "hotline"), "staff", "add", "zhang", "--name", "张三（1024）",
         "--role", "supervisor", "--skill", "pension", "--region", "beijing", "--file", str(accounts)],
        env={"STAFF_PASSWORD": "a-long-password-1", "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert "a-long-password-1" not in accounts.read_text()
    assert accounts.stat().st_mode & 0o077 == 0  # readable by its owner only
    [entry] = json.loads(accounts.read_text())
    assert entry["roles"] == ["agent", "supervisor"]

    loaded = load_accounts(accounts, None, None)
    user = loaded["zhang"].user
    assert user.display_name == "张三（1024）" and user.has("supervisor") and user.has("agent")
    assert user.skills == frozenset({"pension"}) and user.regions == frozenset({"beijing"})
    assert check_password("a-long-password-1", loaded["zhang"].password_hash)


def test_a_short_password_is_refused(tmp_path: Path) -> None:
    run = subprocess.run(
        [str(paths.APP_BIN / "hotline"), "staff", "add", "li", "--file", str(tmp_path / "s.json")],
        env={"STAFF_PASSWORD": "short", "PATH": "/usr/bin:/bin"}, capture_output=True, text=True,
        check=False)
    assert run.returncode == 2 and "至少10位" in run.stderr
    assert not (tmp_path / "s.json").exists()


def test_configured_accounts_switch_the_demo_accounts_off(redis_server: str, tmp_path: Path) -> None:
    import httpx
    from fastapi.testclient import TestClient
    from pydantic import SecretStr

    from channels.app import create_app
    from channels.staff import add_account
    from tests.unit.conftest import FakeRasa, settings

    accounts = tmp_path / "staff.json"
    add_account(accounts, "zhang", "a-long-password-1", ["agent"])
    config = settings(redis_server).model_copy(update={
        "staff_agent_password": SecretStr("demo-password-1"), "staff_accounts_file": str(accounts)})
    with TestClient(create_app(config, transport=httpx.MockTransport(FakeRasa()))) as client:
        demo = client.post("/api/v1/agent/login", json={"username": "agent", "password": "demo-password-1"})
        assert demo.status_code == 401
        named = client.post("/api/v1/agent/login",
                            json={"username": "zhang", "password": "a-long-password-1"})
        assert named.status_code == 200
