"""The providers' own sample payloads, parsed; each with failing twins (a missing field,
a wrong type, a bad time). Samples are copied from the pages named above each one."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from channels.sms import providers
from channels.sms.errors import SmsPayloadError

BEIJING = dt.timezone(dt.timedelta(hours=8))

# https://help.aliyun.com/zh/sms/developer-reference/smsup-http (sequence_id a string)
ALIYUN_UP_NEW = """[{"phone_number" : "1381111****", "content" : "内容",
  "send_time" : "2017-09-01 00:00:00", "dest_code" : "1234", "sequence_id" : "1234567890"}]"""
# https://help.aliyun.com/knowledge_detail/60127.html (sequence_id a number, with sign_name)
ALIYUN_UP_OLD = """[ { "phone_number" : "1381111****", "send_time" : "2017-09-01 00:00:00",
  "content" : "内容", "sign_name" : "签名", "dest_code" : "1234", "sequence_id" : 1234567890 } ]"""
# https://developer.aliyun.com/ask/218017 (the compact time format)
ALIYUN_UP_COMPACT = """[{"phone_number" : "18612345678", "send_time" : "20170901000000",
  "content" : "内容", "sign_name" : "签名", "dest_code" : "1234", "sequence_id" : 1234567890}]"""
# https://help.aliyun.com/document_detail/101867.html
ALIYUN_REPORT = """[{"phone_number" : "1381111****", "send_time" : "2017-01-01 00:00:00",
  "report_time" : "2017-01-01 00:00:00", "success" : true, "err_code" : "DELIVERED",
  "err_msg" : "用户接收成功", "sms_size" : "1", "biz_id" : "12345********", "out_id" : "67890**"}]"""
# https://cloud.tencent.com/document/product/382/5809
TENCENT_UP = """{"extend": "扩展码", "mobile": "13xxxxxxxxx", "nationcode": "86",
  "sign": "短信签名", "text": "用户回复的内容", "time": 1457336869}"""
# https://cloud.tencent.com/document/product/382/5807
TENCENT_REPORT = """[{"user_receive_time": "2015-10-17 08:03:04", "nationcode": "86",
  "mobile": "13xxxxxxxxx", "report_status": "SUCCESS", "errmsg": "DELIVRD",
  "description": "用户短信送达成功", "sid": "xxxxxxx"}]"""
# docs/sms.md (this project's generic format)
GENERIC_UP = """{"from": "+8613800138000", "text": "JD SB202401010001", "message_id": "m-1",
  "received_at": "2024-05-01T10:00:00+08:00"}"""
GENERIC_REPORT = """[{"message_id": "abc", "status": "failed", "error": "UNDELIV",
  "reported_at": 1714528800}]"""

SEP_1_2017 = dt.datetime(2017, 9, 1, tzinfo=BEIJING).timestamp()


@pytest.mark.parametrize("sample", [ALIYUN_UP_NEW, ALIYUN_UP_OLD])
def test_aliyun_uplink_with_string_or_numeric_sequence_id(sample: str) -> None:
    [uplink] = providers.parse_uplinks("aliyun", sample.encode())
    assert uplink == providers.Uplink("1381111****", "内容", "aliyun:1234567890", SEP_1_2017)


def test_aliyun_uplink_in_the_compact_time_format() -> None:
    [uplink] = providers.parse_uplinks("aliyun", ALIYUN_UP_COMPACT.encode())
    assert uplink.received_at == SEP_1_2017 and uplink.phone == "18612345678"


def test_aliyun_report() -> None:
    [report] = providers.parse_reports("aliyun", ALIYUN_REPORT.encode())
    assert report.message_id == "12345********" and report.delivered
    assert (report.code, report.out_id) == ("DELIVERED", "67890**")
    assert report.reported_at == dt.datetime(2017, 1, 1, tzinfo=BEIJING).timestamp()


def test_tencent_reply_has_no_id_and_a_unix_time() -> None:
    [uplink] = providers.parse_uplinks("tencent", TENCENT_UP.encode())
    assert uplink == providers.Uplink("13xxxxxxxxx", "用户回复的内容", None, 1457336869.0)


def test_tencent_report() -> None:
    [report] = providers.parse_reports("tencent", TENCENT_REPORT.encode())
    assert (report.message_id, report.delivered, report.code) == ("xxxxxxx", True, "DELIVRD")
    assert report.reported_at == dt.datetime(2015, 10, 17, 8, 3, 4, tzinfo=BEIJING).timestamp()


def test_generic_uplink_and_report() -> None:
    [uplink] = providers.parse_uplinks("generic", GENERIC_UP.encode())
    assert uplink == providers.Uplink("13800138000", "JD SB202401010001", "generic:m-1",
                                      dt.datetime(2024, 5, 1, 10, tzinfo=BEIJING).timestamp())
    [report] = providers.parse_reports("generic", GENERIC_REPORT.encode())
    assert (report.message_id, report.delivered, report.reported_at) == ("abc", False, 1714528800.0)


def _twin(sample: str, change: dict[str, Any] | None = None, drop: str | None = None) -> bytes:
    data = json.loads(sample)
    item = data[0] if isinstance(data, list) else data
    item.update(change or {})
    if drop:
        del item[drop]
    return json.dumps(data, ensure_ascii=False).encode()


@pytest.mark.parametrize(("provider", "body", "field"), [
    ("aliyun", _twin(ALIYUN_UP_NEW, drop="phone_number"), "phone_number"),
    ("aliyun", _twin(ALIYUN_UP_OLD, {"sequence_id": [1234567890]}), "sequence_id"),
    ("aliyun", _twin(ALIYUN_UP_OLD, {"sequence_id": True}), "sequence_id"),
    ("aliyun", _twin(ALIYUN_UP_NEW, {"send_time": "2017/09/01 00:00"}), "send_time"),
    ("aliyun", _twin(ALIYUN_UP_NEW, {"content": 42}), "content"),
    ("tencent", _twin(TENCENT_UP, drop="mobile"), "mobile"),
    ("tencent", _twin(TENCENT_UP, {"time": "1457336869"}), "time"),
    ("tencent", _twin(TENCENT_UP, {"time": -5}), "time"),
    ("generic", _twin(GENERIC_UP, drop="message_id"), "message_id"),
    ("generic", _twin(GENERIC_UP, {"from": 13800138000}), "from"),
    ("generic", _twin(GENERIC_UP, {"received_at": "yesterday"}), "received_at"),
])
def test_uplink_twins_fail_naming_the_field(provider: str, body: bytes, field: str) -> None:
    with pytest.raises(SmsPayloadError) as caught:
        providers.parse_uplinks(provider, body)
    assert field in caught.value.message


@pytest.mark.parametrize(("provider", "body", "field"), [
    ("aliyun", _twin(ALIYUN_REPORT, drop="biz_id"), "biz_id"),
    ("aliyun", _twin(ALIYUN_REPORT, {"success": "true"}), "success"),
    ("aliyun", _twin(ALIYUN_REPORT, {"report_time": "01/01/2017"}), "report_time"),
    ("tencent", _twin(TENCENT_REPORT, drop="sid"), "sid"),
    ("tencent", _twin(TENCENT_REPORT, {"report_status": "OK"}), "report_status"),
    ("tencent", _twin(TENCENT_REPORT, {"user_receive_time": 1444982584}), "user_receive_time"),
    ("generic", _twin(GENERIC_REPORT, {"status": "sent"}), "status"),
])
def test_report_twins_fail_naming_the_field(provider: str, body: bytes, field: str) -> None:
    with pytest.raises(SmsPayloadError) as caught:
        providers.parse_reports(provider, body)
    assert field in caught.value.message


@pytest.mark.parametrize("body", [b"", b"{not json", b"[]", b"[1, 2]", b'"text"', b"\xff\xfe"])
def test_unreadable_bodies_are_refused(body: bytes) -> None:
    with pytest.raises(SmsPayloadError):
        providers.parse_uplinks("generic", body)


def test_aliyun_pushes_arrays_only() -> None:
    with pytest.raises(SmsPayloadError):
        providers.parse_uplinks("aliyun", json.dumps(json.loads(ALIYUN_UP_NEW)[0]).encode())


def test_the_documented_acknowledgements() -> None:
    assert providers.ack("aliyun") == {"code": 0, "msg": "接收成功"}
    assert providers.ack("tencent") == {"result": 0, "errmsg": "OK"}
    assert providers.ack("generic") == {"status": "ok"}


@pytest.mark.parametrize(("given", "kept"), [
    ("+8613800138000", "13800138000"), ("008613800138000", "13800138000"),
    ("8613800138000", "13800138000"), ("138-0013-8000", "13800138000"),
])
def test_numbers_are_kept_in_national_form(given: str, kept: str) -> None:
    body = json.dumps({"from": given, "text": "你好", "message_id": "1", "received_at": 1}).encode()
    assert providers.parse_uplinks("generic", body)[0].phone == kept


def test_a_foreign_tencent_number_keeps_its_country_code() -> None:
    body = _twin(TENCENT_UP, {"nationcode": "852", "mobile": "61234567"})
    assert providers.parse_uplinks("tencent", body)[0].phone == "+85261234567"
