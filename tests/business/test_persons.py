"""Identity matching, progress queries, personal records and the token, on both databases."""

from __future__ import annotations

from stdnum.cn import ric

from business import numbers
from tests.business.conftest import TOKEN, Api
from tests.business.helpers import person


def test_verify_matches_the_seeded_person(api: Api) -> None:
    who = person(api, 0)
    body = api.post("/persons/verify", {"id_number": who.id_number.lower(), "name": who.name}).json()
    assert body["match"] is True
    assert body["person_ref"] == who.ref and who.id_number not in body["person_ref"]
    assert body["phone"] == "13800000001" and body["phone_masked"] == "138****0001"
    assert body["region"] == "北京市"


def test_verify_does_not_say_which_field_was_wrong(api: Api) -> None:
    who, other = person(api, 0), person(api, 1)
    wrong_name = api.post("/persons/verify", {"id_number": who.id_number, "name": other.name})
    unknown_id = api.post("/persons/verify", {"id_number": "110105198001010019", "name": who.name})
    assert wrong_name.status_code == unknown_id.status_code == 200
    assert wrong_name.json() == unknown_id.json() == {"match": False}


def test_seeded_id_numbers_pass_gb11643_and_phones_are_test_numbers(api: Api) -> None:
    people = [person(api, i) for i in range(30)]
    assert all(ric.is_valid(p.id_number) for p in people)
    assert len({p.id_number for p in people}) == 30
    assert [p.phone for p in people][:2] == ["13800000001", "13800000002"]


def test_application_by_acceptance_number(api: Api) -> None:
    mine = api.get(f"/persons/{person(api, 0).ref}/applications").json()["applications"]
    assert {a["type"] for a in mine} == {"unemployment_benefit", "skill_subsidy"}
    reviewing = next(a for a in mine if a["status"] == "reviewing")
    assert numbers.is_acceptance_no(reviewing["acceptance_no"])

    # Citizens type numbers in lower case and with spaces.
    typed = reviewing["acceptance_no"].lower()[:8] + " " + reviewing["acceptance_no"][8:]
    body = api.get(f"/applications/{typed}").json()
    assert body == reviewing
    assert [step["step"] for step in body["timeline"]] == ["受理", "审核"]
    assert body["next_step"] and body["office"].startswith("北京市朝阳区")
    assert body["applicant_masked"] == "张*"


def test_unknown_acceptance_number_is_404_in_chinese(api: Api) -> None:
    response = api.get("/applications/SY20200101999999")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert "SY20200101999999" in response.json()["detail"]


def test_malformed_acceptance_number_is_422(api: Api) -> None:
    for bad in ("SY2026110300012", "XX20261103000123", "SY20261332000123"):
        response = api.get(f"/applications/{bad}")
        assert response.status_code == 422, bad
        assert "受理编号格式不正确" in response.json()["detail"]


def test_personal_records(api: Api) -> None:
    worker, retiree = person(api, 0), person(api, 13)   # 张伟 works; 朱建国 retired in 2020
    contributions = api.get(f"/persons/{worker.ref}/contributions").json()
    assert contributions["total_months"] == sum(y["months_paid"] for y in contributions["years"])
    assert contributions["years"][0]["year"] == 2026 and contributions["years"][0]["months_paid"] == 10
    assert api.get(f"/persons/{worker.ref}/pension-payments").json() == {
        "person_ref": worker.ref, "retired": False, "payments": []}

    pension = api.get(f"/persons/{retiree.ref}/pension-payments").json()
    assert pension["retired"] is True and len(pension["payments"]) == 12
    assert pension["payments"][0]["month"] == "2026-10"   # November's is paid on the 15th

    card = api.get(f"/persons/{worker.ref}/card").json()
    assert card["status"] == "active" and card["card_no_masked"].count("*") >= 8

    assert api.get("/persons/p-unknown/card").status_code == 404


def test_every_api_route_needs_the_token(api: Api) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
        response = api.client.get("/api/v1/halls", headers=headers)
        assert response.status_code == 401
        assert response.json() == {"code": "unauthorized", "detail": "访问令牌缺失或不正确。"}
        assert api.client.post("/api/v1/persons/verify", json={}, headers=headers).status_code == 401
    assert api.client.get("/health").json() == {"status": "ok", "database": "ok"}
    assert api.client.get("/openapi.json").status_code == 200
