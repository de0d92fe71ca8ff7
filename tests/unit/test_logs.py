"""Gateway logs are JSON with personal data masked before they are written."""

from __future__ import annotations

import json
from typing import Iterator

import pytest
import structlog

from channels import logs


@pytest.fixture(autouse=True)
def fresh_structlog() -> Iterator[None]:
    # configure() caches loggers bound to this test's captured stdout; undo it afterwards.
    yield
    structlog.reset_defaults()


def test_log_lines_never_carry_raw_personal_data(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("INFO")
    structlog.get_logger("t").info("查询 11010519491231002X 的进度", text="我的手机13812345678",
                                   note="身份证11010519491231002X", channel="webchat")
    line = capsys.readouterr().out.strip().splitlines()[-1]
    record = json.loads(line)
    assert "11010519491231002X" not in line and "13812345678" not in line
    assert record["text"] == "***"                       # sensitive key: hidden whole
    assert record["note"] == "身份证110***********002X"   # free text: masked by pattern
    assert record["channel"] == "webchat" and record["level"] == "info"
