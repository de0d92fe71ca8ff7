"""Tickets: due dates by type in working days, idempotent filing, lookup."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from business.app import create_app
from business.workdays import BEIJING
from tests.business.conftest import Api, settings
from tests.business.helpers import person


def test_due_dates_follow_the_time_limit_table(api: Api) -> None:
    # Filed on Monday 2026-11-02: n working days later, weekends skipped.
    expected = {"callback": ("2026-11-03", 1), "hard_question": ("2026-11-09", 5),
                "complaint": ("2026-11-23", 15), "report": ("2027-01-25", 60)}
    for kind, (due, days) in expected.items():
        response = api.post("/tickets", {"type": kind, "summary": "测试", "contact_phone": "13800000099"},
                            key=f"ticket-{kind}")
        assert response.status_code == 201, response.text
        body = response.json()
        assert (body["due_date"], body["time_limit_working_days"]) == (due, days), kind
        assert body["status_name"] == "已登记" and body["contact_phone_masked"] == "138****0099"


def test_holidays_and_configured_limits_move_the_due_date(database_url: str) -> None:
    friday = dt.datetime(2026, 11, 6, 16, 0, tzinfo=BEIJING)
    config = settings(database_url, holidays_text="2026-11-09", ticket_due_days={"callback": 2})
    with TestClient(create_app(config, clock=lambda: friday)) as client:
        response = client.post("/api/v1/tickets", json={"type": "callback", "summary": "请回电",
                                                        "contact_phone": "13800000099"},
                               headers={"Authorization": f"Bearer {config.api_token.get_secret_value()}",
                                        "Idempotency-Key": "holiday-key-1"})
    assert response.json()["due_date"] == "2026-11-11"   # Mon 9th is a holiday: Tue 10th, Wed 11th


def test_a_wage_report_keeps_its_facts_and_is_filed_once(api: Api) -> None:
    who = person(api, 3)
    report = {"type": "report", "summary": "举报拖欠工资", "channel": "webchat", "person_ref": who.ref,
              "details": {"employer": "北京某建筑公司", "amount_owed": 18000, "where": "丰台区某工地",
                          "when": "2026年8月至10月", "people_affected": 12}}
    first = api.post("/tickets", report, key="report-key-001")
    again = api.post("/tickets", report, key="report-key-001")
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["ticket_no"] == first.json()["ticket_no"]

    shown = api.get(f"/tickets/{first.json()['ticket_no']}").json()
    assert shown["details"]["employer"] == "北京某建筑公司" and shown["details"]["amount_owed"] == "18000"
    assert shown["person_ref"] == who.ref and shown["contact_phone_masked"] == "138****0004"


def test_ticket_errors(api: Api) -> None:
    no_phone = api.post("/tickets", {"type": "callback", "summary": "请回电"}, key="no-phone-01")
    assert no_phone.status_code == 422 and no_phone.json()["detail"] == "登记回电需要联系电话。"
    assert api.post("/tickets", {"type": "praise", "summary": "表扬"}, key="bad-type-01").status_code == 422
    assert api.get("/tickets/GD20261102999999").status_code == 404
    assert api.get("/tickets/GD2026").status_code == 422
