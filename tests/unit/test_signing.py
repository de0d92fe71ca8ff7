import pytest

from hotline import signing

SECRET = b"s" * 32
BODY = '{"sender":"abc","text":"社保卡丢了"}'.encode()


def test_signed_body_verifies() -> None:
    headers = signing.sign(SECRET, BODY, timestamp=1_700_000_000)
    signing.verify(SECRET, BODY, headers, now=1_700_000_010)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda h, b: (h, b + b" "),                                      # body changed
        lambda h, b: ({**h, signing.SIGNATURE_HEADER: "0" * 64}, b),     # wrong digest
        lambda h, b: ({signing.TIMESTAMP_HEADER: h[signing.TIMESTAMP_HEADER]}, b),  # unsigned
        lambda h, b: ({}, b),                                            # no headers
    ],
)
def test_tampered_or_unsigned_is_refused(mutate) -> None:  # type: ignore[no-untyped-def]
    headers, body = mutate(signing.sign(SECRET, BODY, timestamp=1_700_000_000), BODY)
    with pytest.raises(signing.SignatureError):
        signing.verify(SECRET, body, headers, now=1_700_000_000)


def test_stale_timestamp_is_refused_both_ways() -> None:
    headers = signing.sign(SECRET, BODY, timestamp=1_700_000_000)
    for now in (1_700_000_000 + 301, 1_700_000_000 - 301):
        with pytest.raises(signing.SignatureError, match="stale"):
            signing.verify(SECRET, BODY, headers, now=now)


def test_other_secret_is_refused() -> None:
    headers = signing.sign(b"other-secret", BODY, timestamp=1_700_000_000)
    with pytest.raises(signing.SignatureError):
        signing.verify(SECRET, BODY, headers, now=1_700_000_000)


def test_empty_secret_fails_closed() -> None:
    headers = signing.sign(b"", BODY, timestamp=1_700_000_000)
    with pytest.raises(signing.SignatureError):
        signing.verify(b"", BODY, headers, now=1_700_000_000)


def test_seal_detects_changed_identity() -> None:
    data = {"level": "verified", "person": "p1"}
    sig = signing.seal(SECRET, data)
    assert signing.unseal(SECRET, data, sig)
    assert not signing.unseal(SECRET, {**data, "level": "phone"}, sig)


def test_pseudonym_is_stable_and_keyed() -> None:
    a = signing.pseudonym(SECRET, "webchat", "session-1")
    assert a == signing.pseudonym(SECRET, "webchat", "session-1")
    assert a != signing.pseudonym(SECRET, "sms", "session-1")
    assert a != signing.pseudonym(b"k" * 32, "webchat", "session-1")
    assert "session-1" not in a
