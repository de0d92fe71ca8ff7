"""Rasa's tracker store stays bounded however long a conversation runs (issue 13).

Found by the soak: one web chat session of 243 turns was 2.6 MB in Redis, and every turn
read, merged and rewrote all of it on Rasa's single event loop, until turns took seconds
and the stream gave up on messages. The probe runs in the bot environment against a real
Redis, through Rasa's own tracker classes.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from hotline import paths

BOT_PYTHON = paths.ROOT / ".venv" / "bot" / "bin" / "python"
PROBE = Path(__file__).with_name("probe_tracker_store.py")
TURNS = 300  # about 1200 events: twice the bound


@pytest.fixture(scope="module")
def probe(redis_server: str) -> dict[str, Any]:
    if not BOT_PYTHON.exists():
        pytest.skip("no bot environment (.venv/bot): run make setup")
    port = redis_server.rsplit(":", 1)[1].split("/")[0]
    done = subprocess.run([str(BOT_PYTHON), str(PROBE), port, str(TURNS)], cwd=paths.ROOT,
                          env={"PYTHONPATH": str(paths.ROOT), "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_a_long_session_is_compacted_not_kept_whole(probe: dict[str, Any]) -> None:
    assert probe["events"] <= probe["max_events"] < 4 * TURNS
    assert probe["bytes_at_end"] <= probe["largest_bytes"]


def test_compaction_keeps_what_the_next_turn_needs(probe: dict[str, Any]) -> None:
    # The form begun at turn 3 and the agent's takeover at turn 10 were compacted away,
    # yet Rasa reads them back, with the slots and the latest exchange.
    assert probe["active_loop"] == "booking_form"
    assert probe["paused"] is True
    assert probe["slots"]["booking_service"] == "社保卡补办"
    assert probe["slots"]["requested_slot"] == "booking_hall"
    assert probe["latest_text"] == f"第{TURNS - 1}个问题"
    assert probe["latest_bot"] == f"第{TURNS - 1}个答复"


def test_a_new_session_replaces_the_old_one(probe: dict[str, Any]) -> None:
    after = probe["next_session"]
    assert after["sessions_stored"] == 1 and after["stored_events"] < 20
    assert after["latest_text"] == f"第{TURNS}个问题"
    assert after["booking_service"] == "社保卡补办"  # carried over by ActionSessionStart
