"""docs/operators.md followed on this machine: a real PostgreSQL and a Redis server of its
own, configured with the guide's own snippets (its ```redis settings, its ```sql and its
```env hotline.env block, read from the page), the stack started with that environment,
a web chat turn answered, and the data found in that PostgreSQL and that Redis, not in
the embedded defaults. Then the guide's backup script is run against them.

Only what a test machine must change is changed: ports (free ones instead of 6379/5432),
the Redis data folder, and the placeholders the guide tells the reader to fill in.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import time
from pathlib import Path
from typing import Iterator

import httpx
import pytest
import redis
from sqlalchemy import create_engine, make_url, text

from hotline import paths, redis_embedded, supervisor, training
from tests.business import postgres
from tests.unit.test_docs import blocks

pytestmark = pytest.mark.integration
GUIDE = paths.ROOT / "docs" / "operators.md"


def snippet(language: str, tag: str = "") -> str:
    found = [b.text for b in blocks(GUIDE) if b.language == language and (not tag or b.tag == tag)]
    assert len(found) == 1, f"docs/operators.md should have one ```{language} {tag} block"
    return found[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def cluster() -> Iterator[postgres.Cluster]:
    bindir = postgres.server_bindir()
    if bindir is None:
        reason = "PostgreSQL server binaries not found: install postgresql (scripts/debian-packages.sh)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    started = postgres.start(bindir)
    yield started
    started.stop()


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, str]]:
    """Redis as its own server process, configured by the guide's redis.conf lines."""
    folder = tmp_path_factory.mktemp("redis")
    password, port = secrets.token_hex(16), free_port()
    conf = snippet("redis").replace("<redis-password>", password)
    conf = re.sub(r"^port 6379$", f"port {port}", conf, flags=re.M)
    assert f"port {port}" in conf and f"requirepass {password}" in conf
    (folder / "redis.conf").write_text(conf + f"\ndir {folder}\n")
    with (folder / "log").open("wb") as log:
        process = subprocess.Popen([redis_embedded.executable(), str(folder / "redis.conf")],
                                   stdout=log, stderr=subprocess.STDOUT)
    client = redis.Redis(port=port, password=password)
    deadline = time.monotonic() + 15
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            assert process.poll() is None, (folder / "log").read_text()
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.1)
    # The guide's settings are in force, not the server's defaults.
    assert client.config_get("appendonly")["appendonly"] == "yes"
    assert client.config_get("maxmemory-policy")["maxmemory-policy"] == "noeviction"
    client.close()
    yield port, password
    process.terminate()
    process.wait(10)


def test_operator_guide_runs_on_postgresql_and_a_separate_redis(
        cluster: postgres.Cluster, redis_server: tuple[int, str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    redis_port, redis_password = redis_server
    pg_port = make_url(cluster.url).port
    pg_password = secrets.token_hex(16)

    # Section 3: the guide's SQL, as the postgres user.
    admin = create_engine(cluster.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for statement in snippet("sql").replace("<postgres-password>", pg_password).split(";"):
            if statement.strip():
                conn.exec_driver_sql(statement)
    admin.dispose()

    # Section 4: the environment file, placeholders filled in as the guide says.
    env: dict[str, str] = {}
    for line in snippet("env", "hotline.env").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, value = line.split("=", 1)
        value = (value.replace("<redis-password>", redis_password)
                 .replace("<postgres-password>", pg_password)
                 .replace("<secret>", secrets.token_hex(32))
                 .replace("@127.0.0.1:6379/", f"@127.0.0.1:{redis_port}/")
                 .replace("@127.0.0.1:5432/", f"@127.0.0.1:{pg_port}/")
                 .replace("/opt/hotline/.hotline/", f"{tmp_path}/"))
        assert "<" not in value, f"{name}: a placeholder the test does not know"
        env[name] = value
    for name in ("REDIS_URL", "BUSINESS_DATABASE_URL", "ANALYTICS_DATABASE_URL"):
        assert name in env, f"the guide's environment file lacks {name}"
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for name in ("BUSINESS_URL", "SMS_API_BASE", "WECHAT_API_BASE"):
        monkeypatch.delenv(name, raising=False)

    state = tmp_path / "state"
    stack = supervisor.Stack(supervisor.Ports.free(), state_dir=state, log_dir=state / "logs",
                             model=training.train(say=lambda _: None),
                             extra_env={"HOTLINE_VOICE": "0", "AGENT_HOURS": "always"})
    try:
        stack.start_all(say=lambda _: None)
        assert "redis" not in stack.services, "the embedded Redis was started despite REDIS_URL"
        base = f"http://127.0.0.1:{stack.ports.gateway}"
        reply = httpx.post(base + "/api/v1/webchat/messages",
                           json={"session_id": "operator-guide", "text": "社保卡丢了怎么补办"},
                           timeout=30).json()
        assert reply["messages"] and reply["messages"][0]["text"]
        assert httpx.get(base + "/healthz", timeout=10).status_code == 200

        # The turn's analytics event is in PostgreSQL (written within about a second).
        analytics = create_engine(env["ANALYTICS_DATABASE_URL"])
        deadline = time.monotonic() + 20
        while True:
            with analytics.connect() as conn:
                turns = conn.execute(text("SELECT count(*) FROM analytics_events "
                                          "WHERE kind = 'turn' AND channel = 'webchat'")).scalar_one()
            if turns or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        analytics.dispose()
        assert turns >= 1, "no analytics event in PostgreSQL"
        business = create_engine(env["BUSINESS_DATABASE_URL"])
        with business.connect() as conn:
            tables = conn.execute(text("SELECT count(*) FROM information_schema.tables "
                                       "WHERE table_schema = 'public'")).scalar_one()
        business.dispose()
        assert tables > 0, "the business system did not create its tables in PostgreSQL"

        # The conversation lives in the guide's Redis: the inbound stream and Rasa's tracker.
        client = redis.Redis.from_url(env["REDIS_URL"])
        keys = {k.decode() for k in client.scan_iter(count=1000)}
        client.close()
        assert "inbound:stream:main" in keys
        assert any(k.startswith("rasa") for k in keys), "no Rasa tracker in the guide's Redis"
        assert not (state / "business.db").exists() and not (state / "analytics.db").exists()
        assert not (state / "redis").exists()
    finally:
        stack.stop_all()

    # Section 7: the backup script against the same servers.
    backups = tmp_path / "backups"
    done = subprocess.run(
        [str(paths.ROOT / "deploy" / "backup.sh")], capture_output=True, text=True, timeout=120,
        env=dict(os.environ, BACKUP_DIR=str(backups), PG_DUMP=str(cluster.bindir / "pg_dump"),
                 REDIS_CLI=str(Path(redis_embedded.executable()).with_name("redis-cli"))))
    assert done.returncode == 0, done.stderr
    made = {p.name.split("-")[0]: p for p in backups.iterdir()}
    assert set(made) == {"redis", "business", "analytics"} and all(p.stat().st_size for p in made.values())
    listing = subprocess.run([str(cluster.bindir / "pg_restore"), "--list", str(made["analytics"])],
                             capture_output=True, text=True, check=True).stdout
    assert "analytics_events" in listing
    assert made["redis"].read_bytes().startswith(b"REDIS")
    assert pg_password not in done.stdout + done.stderr and redis_password not in done.stdout + done.stderr
