"""A throwaway PostgreSQL cluster from the Debian server binaries, for the business tests.

initdb refuses to run as root, so as root the cluster is made and run as the ``postgres``
user (``runuser``) in a temporary folder owned by it; its socket lives there too and it
listens on a free loopback port with a generated password.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text

from business.models import Base
from tests.conftest import free_port


@dataclass
class Cluster:
    root: Path
    bindir: Path
    as_user: list[str]
    url: str   # to the maintenance database "postgres"

    def stop(self) -> None:
        subprocess.run([*self.as_user, str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"),
                        "-m", "immediate", "-w", "stop"], capture_output=True, check=False, timeout=30)
        shutil.rmtree(self.root, ignore_errors=True)


def server_bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    return Path(found[-1]).parent if found else None


def start(bindir: Path) -> Cluster:
    root = Path(tempfile.mkdtemp(prefix="business-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(root, owner.pw_uid, owner.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    password = secrets.token_hex(16)
    pwfile = root / "pw"
    pwfile.write_text(password + "\n")
    if as_user:
        os.chown(pwfile, pwd.getpwnam("postgres").pw_uid, -1)
    port = free_port()
    try:
        _run(as_user, bindir / "initdb", "-D", str(root / "data"), "-U", "postgres", "--pwfile", str(pwfile),
             "-A", "scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync")
        # Durability off: a test cluster is thrown away, and fsync would dominate the run time.
        options = (f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off")
        _run(as_user, bindir / "pg_ctl", "-D", str(root / "data"), "-l", str(root / "log"),
             "-o", options, "-w", "-t", "60", "start")
    except subprocess.CalledProcessError as exc:
        log = (root / "log").read_text() if (root / "log").exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL did not start: {exc.stderr}\n{log}") from exc
    return Cluster(root, bindir, as_user, f"postgresql+psycopg://postgres:{password}@127.0.0.1:{port}/postgres")


def _run(as_user: list[str], *command: str | Path) -> None:
    subprocess.run([*as_user, *map(str, command)], check=True, capture_output=True, text=True, timeout=120)


def snapshot(url: str) -> None:
    """Keep a copy of every table in the schema ``seed``."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE SCHEMA seed")
        for table in Base.metadata.sorted_tables:
            conn.exec_driver_sql(f"CREATE TABLE seed.{table.name} AS TABLE public.{table.name}")
    engine.dispose()


def restore(url: str) -> None:
    """Every table back to the snapshot, sequences included. Table names come from our own
    models, never from input, hence the f-strings."""
    engine = create_engine(url)
    tables = Base.metadata.sorted_tables
    with engine.begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {', '.join(t.name for t in tables)}")
        for table in tables:
            name = table.name
            conn.exec_driver_sql(f"INSERT INTO public.{name} SELECT * FROM seed.{name}")  # noqa: S608
            if "id" in table.c and table.c.id.type.python_type is int:
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608
                                  f"(SELECT coalesce(max(id), 0) + 1 FROM {name}), false)"))
    engine.dispose()
