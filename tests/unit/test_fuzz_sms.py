"""Hostile SMS pushes (SECURITY.md): every provider's format, mangled. The parsers raise
only :class:`SmsPayloadError`; the webhook, given the right token, answers 200 (the
provider's acknowledgement) or 400, never a 5xx, and the gateway keeps answering."""

from __future__ import annotations

import json
from typing import Any, Iterator

import httpx
import pytest
import redis as sync_redis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from channels.app import create_app
from channels.sms import providers
from channels.sms.errors import SmsPayloadError
from tests.unit.conftest import FakeRasa
from tests.unit.conftest import settings as gateway_settings

TOKEN = "sms-fuzz-token"
FIELDS = {
    "aliyun": ["phone_number", "content", "send_time", "dest_code", "sequence_id", "sign_name",
               "biz_id", "out_id", "success", "err_code", "err_msg", "report_time"],
    "tencent": ["mobile", "nationcode", "sign", "text", "time", "extend", "sid", "report_status",
                "errmsg", "description", "user_receive_time"],
    "generic": ["from", "text", "message_id", "received_at", "status", "error", "reported_at"],
}
scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=True),
                    st.text(max_size=80),
                    st.sampled_from(["13800138000", "+8613800138000", "138****5678", "2024-01-01 10:00:00",
                                     "20240101100000", "2024-13-45T99:00:00Z", "1700000000", "SUCCESS",
                                     "delivered", "x" * 600, "9" * 400]))
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                             st.dictionaries(st.text(max_size=8), inner,
                                                                             max_size=3)), max_leaves=8)


def _objects(provider: str) -> st.SearchStrategy[Any]:
    one = st.dictionaries(st.sampled_from(FIELDS[provider]), json_values, max_size=len(FIELDS[provider]))
    return st.one_of(one, st.lists(one, max_size=4), json_values)


bodies = {name: st.one_of(_objects(name).map(lambda v: json.dumps(v, default=str).encode()),
                          st.binary(max_size=512),
                          st.sampled_from([b"", b"[", b"{}", b"null", b"[" * 5000, b"\xff\xfe",
                                           b"phone_number=1&content=2", b'"' + b"a" * 300_000 + b'"']))
          for name in providers.PROVIDERS}


@pytest.mark.parametrize("provider", providers.PROVIDERS)
def test_parsers_raise_only_the_payload_error(provider: str) -> None:
    @settings(max_examples=120, deadline=None, database=None)
    @given(bodies[provider])
    def one(body: bytes) -> None:
        for parse in (providers.parse_uplinks, providers.parse_reports):
            try:
                parsed = parse(provider, body)
            except SmsPayloadError:
                continue
            for item in parsed:
                if isinstance(item, providers.Uplink):
                    assert len(item.text) <= providers.MAX_TEXT and providers.PHONE.match(item.phone)

    one()


@pytest.fixture(scope="module")
def client(redis_server: str) -> Iterator[TestClient]:
    sync_redis.Redis.from_url(redis_server).flushdb()
    config = gateway_settings(redis_server).model_copy(update={
        "sms_api_base": "http://sms.test", "sms_webhook_token": SecretStr(TOKEN)})
    app = create_app(config, transport=httpx.MockTransport(FakeRasa()))
    with TestClient(app) as test_client:
        yield test_client


@pytest.mark.parametrize("provider", providers.PROVIDERS)
def test_the_webhook_answers_mangled_pushes_with_200_or_400(client: TestClient, provider: str) -> None:
    @settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(bodies[provider], st.sampled_from(["inbound", "status"]))
    def one(body: bytes, kind: str) -> None:
        response = client.post(f"/sms/{kind}/{provider}", params={"token": TOKEN}, content=body,
                               headers={"Content-Type": "application/json"})
        assert response.status_code in (200, 400, 413), (response.status_code, body[:60])
        if response.status_code == 200:
            assert response.json() == providers.ack(provider)

    one()
    assert client.get("/healthz").status_code in (200, 503)  # still serving
