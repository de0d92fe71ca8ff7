"""Signatures and safe-mode crypto against Tencent's published vectors, each with a
failing twin, and every refusal at the HTTP edge: a 4xx that never echoes the body.

Vectors: the sample code published with the official account's 消息加解密 guide
(https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Message_encryption_and_decryption_instructions.html,
download https://wximg.gtimg.com/shake_tv/mpwiki/cryptoDemo.zip): ``python/Sample.py``
(a compatible-mode text message with its msg_signature) and
``java/src/com/qq/weixin/mp/aes/WXBizMsgCryptTest.java`` (encryption with a fixed
16-byte prefix).
"""

from __future__ import annotations

import pytest

from channels.wechat import security
from channels.wechat.crypto import Cipher
from channels.wechat.errors import (
    MalformedRequestError,
    OversizeError,
    ReplayError,
    SignatureError,
    StaleRequestError,
)
from tests.unit import wechat_support as ws
from tests.unit.conftest import FakeRasa

# python/Sample.py
SAMPLE_TOKEN = "spamtest"
SAMPLE_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
SAMPLE_APP_ID = "wx2c2769f8efd9abc2"
SAMPLE_TIMESTAMP = "1409735669"
SAMPLE_NONCE = "1320562132"
SAMPLE_MSG_SIGNATURE = "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
SAMPLE_ENCRYPT = (
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQ"
    "HFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tED"
    "YsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZb"
    "Gpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5"
    "rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
)
SAMPLE_BODY = (
    "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><FromUserName><![CDATA["
    "oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName><CreateTime>1409735668</CreateTime><MsgType>"
    "<![CDATA[text]]></MsgType><Content><![CDATA[abcdteT]]></Content><MsgId>6054768590064713728"
    f"</MsgId><Encrypt><![CDATA[{SAMPLE_ENCRYPT}]]></Encrypt></xml>"
)
SAMPLE_OPENID = "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
# java/.../WXBizMsgCryptTest.java
JAVA_TOKEN, JAVA_APP_ID = "pamtest", "wxb11529c136998cb6"
JAVA_PREFIX, JAVA_PLAINTEXT = "aaaabbbbccccdddd", "我是中文abcd123"
JAVA_ENCRYPTED = "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="


# -- pure: signatures, decryption, encryption -------------------------------------------


def test_sample_msg_signature_verifies() -> None:
    security.check_signature((SAMPLE_TIMESTAMP, SAMPLE_NONCE, SAMPLE_ENCRYPT), SAMPLE_TOKEN,
                             SAMPLE_MSG_SIGNATURE)


def test_a_wrong_msg_signature_is_refused() -> None:
    wrong = SAMPLE_MSG_SIGNATURE[:-1] + ("0" if SAMPLE_MSG_SIGNATURE[-1] != "0" else "1")
    with pytest.raises(SignatureError):
        security.check_signature((SAMPLE_TIMESTAMP, SAMPLE_NONCE, SAMPLE_ENCRYPT), SAMPLE_TOKEN, wrong)
    with pytest.raises(SignatureError):  # the right signature under another token
        security.check_signature((SAMPLE_TIMESTAMP, SAMPLE_NONCE, SAMPLE_ENCRYPT), "other",
                                 SAMPLE_MSG_SIGNATURE)
    with pytest.raises(SignatureError):
        security.check_signature((SAMPLE_TIMESTAMP, SAMPLE_NONCE, SAMPLE_ENCRYPT), SAMPLE_TOKEN, "")


def test_sample_decrypts_to_the_published_plaintext() -> None:
    plaintext = Cipher(SAMPLE_TOKEN, SAMPLE_AES_KEY, SAMPLE_APP_ID).decrypt(SAMPLE_ENCRYPT)
    assert "<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>" in plaintext
    assert "<Content><![CDATA[abcdteT]]></Content>" in plaintext
    assert "<MsgId>6054768590064713728</MsgId>" in plaintext


def test_decryption_for_another_app_id_is_refused() -> None:
    with pytest.raises(MalformedRequestError):
        Cipher(SAMPLE_TOKEN, SAMPLE_AES_KEY, "wx0000000000000000").decrypt(SAMPLE_ENCRYPT)


@pytest.mark.parametrize("bad", ["not base64!", SAMPLE_ENCRYPT[:-4], "QUJD", ""])
def test_bad_ciphertext_is_refused(bad: str) -> None:
    with pytest.raises(MalformedRequestError):
        Cipher(SAMPLE_TOKEN, SAMPLE_AES_KEY, SAMPLE_APP_ID).decrypt(bad)


def test_encryption_reproduces_the_java_vector() -> None:
    cipher = Cipher(JAVA_TOKEN, SAMPLE_AES_KEY, JAVA_APP_ID)
    assert cipher.encrypt(JAVA_PLAINTEXT, prefix=JAVA_PREFIX) == JAVA_ENCRYPTED
    assert cipher.decrypt(JAVA_ENCRYPTED) == JAVA_PLAINTEXT


def test_encryption_is_not_the_vector_with_another_app_id_or_a_random_prefix() -> None:
    assert Cipher(JAVA_TOKEN, SAMPLE_AES_KEY, "wx2c2769f8efd9abc2").encrypt(
        JAVA_PLAINTEXT, prefix=JAVA_PREFIX) != JAVA_ENCRYPTED
    cipher = Cipher(JAVA_TOKEN, SAMPLE_AES_KEY, JAVA_APP_ID)
    once, twice = cipher.encrypt(JAVA_PLAINTEXT), cipher.encrypt(JAVA_PLAINTEXT)
    assert once != twice != JAVA_ENCRYPTED
    assert cipher.decrypt(once) == cipher.decrypt(twice) == JAVA_PLAINTEXT


def test_sealed_reply_verifies_with_its_own_signature() -> None:
    cipher = Cipher(SAMPLE_TOKEN, SAMPLE_AES_KEY, SAMPLE_APP_ID)
    envelope = cipher.seal("<xml><Content><![CDATA[你好]]></Content></xml>", "n0nce", "1700000000")
    assert "你好" not in envelope
    assert "你好" in ws.open_reply(envelope, SAMPLE_AES_KEY, SAMPLE_APP_ID, SAMPLE_TOKEN)


@pytest.mark.parametrize("key", ["short", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF!"])
def test_a_malformed_encoding_aes_key_is_refused(key: str) -> None:
    with pytest.raises(ValueError, match="EncodingAESKey"):
        Cipher("t", key, "wx")


def test_timestamp_window() -> None:
    security.check_timestamp(SAMPLE_TIMESTAMP, float(SAMPLE_TIMESTAMP) + 299)
    with pytest.raises(StaleRequestError):
        security.check_timestamp(SAMPLE_TIMESTAMP, float(SAMPLE_TIMESTAMP) + 301)
    with pytest.raises(StaleRequestError):
        security.check_timestamp(SAMPLE_TIMESTAMP, float(SAMPLE_TIMESTAMP) - 301)


def test_screen_xml_refuses_dtds_entities_and_oversize() -> None:
    assert security.screen_xml(SAMPLE_BODY.encode()) == SAMPLE_BODY
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><xml>&b;</xml>'
    for hostile in (bomb, b"<!entity x SYSTEM 'file:///etc/passwd'><xml/>", b"<! DOCTYPE xml><xml/>"):
        with pytest.raises(MalformedRequestError):
            security.screen_xml(hostile)
    with pytest.raises(OversizeError):
        security.screen_xml(b"<xml>" + b"a" * security.MAX_BODY + b"</xml>")
    with pytest.raises(MalformedRequestError):
        security.screen_xml(b"<xml>\xff\xfe</xml>")


async def test_nonce_cache_allows_a_verbatim_resend_and_refuses_another_body(redis) -> None:  # type: ignore[no-untyped-def]
    cache = security.NonceCache(redis)
    assert await cache.check("n1", b"<xml>a</xml>") is True
    assert await cache.check("n1", b"<xml>a</xml>") is False
    with pytest.raises(ReplayError):
        await cache.check("n1", b"<xml>b</xml>")
    assert await redis.ttl("wechat:nonce:n1") > 0


# -- at the HTTP edge ---------------------------------------------------------------------


@pytest.fixture
def upstreams() -> ws.Upstreams:
    return ws.Upstreams(FakeRasa())


@pytest.fixture
def sample_gateway(redis_server: str, upstreams: ws.Upstreams):  # type: ignore[no-untyped-def]
    """The gateway configured with the sample's token, key and AppID, its clock at the
    sample's time, so Tencent's request can be replayed end to end."""
    from pydantic import SecretStr

    with ws.gateway(redis_server, upstreams, wechat_token=SecretStr(SAMPLE_TOKEN),
                    wechat_encoding_aes_key=SecretStr(SAMPLE_AES_KEY),
                    wechat_app_id=SAMPLE_APP_ID) as client:
        client.app.state.wechat.clock = lambda: float(SAMPLE_TIMESTAMP)  # type: ignore[attr-defined]
        yield client


def sample_query(**changes: str) -> dict[str, str]:
    query = {"signature": ws.sha1(SAMPLE_TOKEN, SAMPLE_TIMESTAMP, SAMPLE_NONCE),
             "timestamp": SAMPLE_TIMESTAMP, "nonce": SAMPLE_NONCE, "encrypt_type": "aes",
             "msg_signature": SAMPLE_MSG_SIGNATURE, "openid": SAMPLE_OPENID}
    return {**query, **changes}


def assert_refused(response, status: int, *secrets_in_body: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    for secret in ("abcdteT", SAMPLE_ENCRYPT[:40], SAMPLE_OPENID, "DOCTYPE", "ENTITY", *secrets_in_body):
        assert secret not in response.text


def test_tencents_sample_request_is_answered_with_an_encrypted_passive_reply(
        sample_gateway, upstreams: ws.Upstreams) -> None:  # type: ignore[no-untyped-def]
    response = sample_gateway.post("/wechat", params=sample_query(), content=SAMPLE_BODY)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    assert "您好" not in response.text  # sealed
    inner = ws.open_reply(response.text, SAMPLE_AES_KEY, SAMPLE_APP_ID, SAMPLE_TOKEN)
    assert f"<ToUserName><![CDATA[{SAMPLE_OPENID}]]></ToUserName>" in inner
    assert "<FromUserName><![CDATA[gh_10f6c3c3ac5a]]></FromUserName>" in inner
    assert "您好，请问有什么可以帮您？" in ws.content(inner)
    assert [r["text"] for r in upstreams.rasa.requests] == ["abcdteT"]
    assert SAMPLE_OPENID not in upstreams.rasa.requests[0]["sender"]


def test_a_wrong_msg_signature_gets_401(sample_gateway, upstreams: ws.Upstreams) -> None:  # type: ignore[no-untyped-def]
    response = sample_gateway.post("/wechat", params=sample_query(msg_signature="0" * 40),
                                   content=SAMPLE_BODY)
    assert_refused(response, 401)
    assert upstreams.rasa.requests == []


def test_a_wrong_plain_signature_gets_401(sample_gateway) -> None:  # type: ignore[no-untyped-def]
    assert_refused(sample_gateway.post("/wechat", params=sample_query(signature="f" * 40),
                                       content=SAMPLE_BODY), 401)
    assert_refused(sample_gateway.get("/wechat", params={**sample_query(signature="f" * 40),
                                                         "echostr": "4075181314397890557"}),
                   401, "4075181314397890557")


def test_a_stale_timestamp_gets_403(sample_gateway) -> None:  # type: ignore[no-untyped-def]
    sample_gateway.app.state.wechat.clock = lambda: float(SAMPLE_TIMESTAMP) + 301
    assert_refused(sample_gateway.post("/wechat", params=sample_query(), content=SAMPLE_BODY), 403)


def test_the_sample_for_another_app_id_gets_400(redis_server: str, upstreams: ws.Upstreams) -> None:
    from pydantic import SecretStr

    with ws.gateway(redis_server, upstreams, wechat_token=SecretStr(SAMPLE_TOKEN),
                    wechat_encoding_aes_key=SecretStr(SAMPLE_AES_KEY),
                    wechat_app_id="wx0000000000000000") as client:
        client.app.state.wechat.clock = lambda: float(SAMPLE_TIMESTAMP)  # type: ignore[attr-defined]
        assert_refused(client.post("/wechat", params=sample_query(), content=SAMPLE_BODY), 400)
    assert upstreams.rasa.requests == []


def test_bad_base64_with_a_valid_signature_gets_400(sample_gateway) -> None:  # type: ignore[no-untyped-def]
    bogus = "not*base64*at*all"
    body = SAMPLE_BODY.replace(SAMPLE_ENCRYPT, bogus)
    query = sample_query(msg_signature=ws.sha1(SAMPLE_TOKEN, SAMPLE_TIMESTAMP, SAMPLE_NONCE, bogus))
    assert_refused(sample_gateway.post("/wechat", params=query, content=body), 400, bogus)


def test_a_replayed_nonce_with_another_body_gets_403(redis_server: str, upstreams: ws.Upstreams) -> None:
    # In plaintext mode the signature does not cover the body: a captured query could carry
    # a forged body. The nonce cache refuses it; WeChat resending the very same request passes.
    with ws.gateway(redis_server, upstreams, wechat_encoding_aes_key=None) as client:
        query, body = ws.plain(ws.text_xml(SAMPLE_OPENID, "abcdteT", 6054768590064713728))
        assert client.post("/wechat", params=query, content=body).status_code == 200
        assert client.post("/wechat", params=query, content=body).status_code == 200
        forged = ws.text_xml("oAttacker", "forged", 1).encode()
        assert_refused(client.post("/wechat", params=query, content=forged), 403, "forged", "oAttacker")
    assert [r["text"] for r in upstreams.rasa.requests] == ["abcdteT"]


def test_a_safe_mode_gateway_refuses_the_sample_downgraded_to_plaintext(sample_gateway) -> None:  # type: ignore[no-untyped-def]
    assert_refused(sample_gateway.post("/wechat", params=sample_query(encrypt_type="raw"),
                                       content=SAMPLE_BODY), 400)


def test_a_doctype_with_a_valid_signature_gets_400(sample_gateway) -> None:  # type: ignore[no-untyped-def]
    body = '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + SAMPLE_BODY
    assert_refused(sample_gateway.post("/wechat", params=sample_query(), content=body), 400)


def test_an_oversize_body_gets_413_unread(sample_gateway) -> None:  # type: ignore[no-untyped-def]
    body = SAMPLE_BODY.replace("abcdteT", "abcdteT" + "x" * security.MAX_BODY)
    assert_refused(sample_gateway.post("/wechat", params=sample_query(), content=body), 413)


def test_a_malformed_query_gets_400(sample_gateway) -> None:  # type: ignore[no-untyped-def]
    assert_refused(sample_gateway.post("/wechat", params=sample_query(nonce="../../x"),
                                       content=SAMPLE_BODY), 400)
    assert_refused(sample_gateway.post("/wechat", params=sample_query(timestamp="soon"),
                                       content=SAMPLE_BODY), 400)


def test_url_verification_echoes_only_after_the_signature(sample_gateway) -> None:  # type: ignore[no-untyped-def]
    params = {"signature": ws.sha1(SAMPLE_TOKEN, SAMPLE_TIMESTAMP, SAMPLE_NONCE),
              "timestamp": SAMPLE_TIMESTAMP, "nonce": SAMPLE_NONCE, "echostr": "4075181314397890557"}
    response = sample_gateway.get("/wechat", params=params)
    assert response.status_code == 200 and response.text == "4075181314397890557"
    assert response.headers["content-type"].startswith("text/plain")
    assert_refused(sample_gateway.get("/wechat", params={**params, "echostr": "<script>"}), 400, "<script>")


def test_an_unconfigured_channel_answers_503_in_chinese(redis_server: str, upstreams: ws.Upstreams) -> None:
    with ws.gateway(redis_server, upstreams, wechat_token=None) as client:
        query, body = ws.plain(ws.text_xml("oX", "你好", 1))
        for response in (client.post("/wechat", params=query, content=body),
                         client.get("/wechat", params={**query, "echostr": "1"})):
            assert response.status_code == 503
            assert "WECHAT_TOKEN" in response.json()["error"] and "微信公众号" in response.json()["error"]


def test_a_bad_aes_key_closes_the_channel_not_the_gateway(redis_server: str, upstreams: ws.Upstreams) -> None:
    from pydantic import SecretStr

    with ws.gateway(redis_server, upstreams, wechat_encoding_aes_key=SecretStr("too-short")) as client:
        query, body = ws.sealed(ws.text_xml("oX", "你好", 1))
        assert client.post("/wechat", params=query, content=body).status_code == 503
        webchat = client.post("/api/v1/webchat/messages", json={"session_id": "s1", "text": "你好"})
        assert webchat.status_code == 200
