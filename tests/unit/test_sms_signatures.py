"""Golden vectors from the providers' signing documentation, each with a failing twin."""

from __future__ import annotations

import hashlib

from channels.sms import signatures

# Aliyun SMS "HTTP协议及签名" (https://help.aliyun.com/document_detail/56189.html):
# SendSms with AccessKeyId testId / AccessKeySecret testSecret.
ALIYUN_SMS = {
    "AccessKeyId": "testId", "Action": "SendSms", "Format": "XML", "OutId": "123",
    "PhoneNumbers": "15300000001", "RegionId": "cn-hangzhou", "SignName": "阿里云短信测试专用",
    "SignatureMethod": "HMAC-SHA1", "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
    "SignatureVersion": "1.0", "TemplateCode": "SMS_71390007", "TemplateParam": '{"customer":"test"}',
    "Timestamp": "2017-07-12T02:42:19Z", "Version": "2017-05-25",
}
ALIYUN_SMS_TO_SIGN = (
    "GET&%2F&AccessKeyId%3DtestId%26Action%3DSendSms%26Format%3DXML%26OutId%3D123%26PhoneNumbers"
    "%3D15300000001%26RegionId%3Dcn-hangzhou%26SignName%3D%25E9%2598%25BF%25E9%2587%258C%25E4%25BA"
    "%2591%25E7%259F%25AD%25E4%25BF%25A1%25E6%25B5%258B%25E8%25AF%2595%25E4%25B8%2593%25E7%2594%25A8"
    "%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D45e25e9b-0a6f-4070-8c85-2956eda1b466"
    "%26SignatureVersion%3D1.0%26TemplateCode%3DSMS_71390007%26TemplateParam%3D%257B%2522customer"
    "%2522%253A%2522test%2522%257D%26Timestamp%3D2017-07-12T02%253A42%253A19Z%26Version%3D2017-05-25"
)
# Aliyun RPC "签名机制" (https://help.aliyun.com/document_detail/154849.html): DescribeRegions.
ALIYUN_RPC = {
    "Format": "XML", "AccessKeyId": "testid", "Action": "DescribeRegions", "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf", "SignatureVersion": "1.0",
    "Version": "2014-05-26", "Timestamp": "2016-02-23T12:46:24Z",
}

# Tencent Cloud API 3.0 "签名方法 v3" (https://cloud.tencent.com/document/api/362/4208; the SMS
# API's copy is listed under https://cloud.tencent.com/document/api/382/52069): the worked
# DescribeInstances example, keys as printed on the page, asterisks included.
TC3_ID = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******"
TC3_KEY = "Gu5t9xGARNpq86cd98joQYCN3*******"
TC3_PAYLOAD = b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
TC3_TIMESTAMP = 1551113065
TC3_SIGNATURE = "2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c"


def test_aliyun_sms_example() -> None:
    assert signatures.aliyun_string_to_sign("GET", ALIYUN_SMS) == ALIYUN_SMS_TO_SIGN
    assert signatures.aliyun_signature("GET", ALIYUN_SMS, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_aliyun_rpc_example() -> None:
    assert signatures.aliyun_signature("GET", ALIYUN_RPC, "testsecret") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


def test_aliyun_twins() -> None:
    assert signatures.aliyun_signature("GET", ALIYUN_SMS, "testsecret") != "zJDF+Lrzhj/ThnlvIToysFRq6t4="
    assert signatures.aliyun_signature("POST", ALIYUN_SMS, "testSecret") != "zJDF+Lrzhj/ThnlvIToysFRq6t4="
    changed = dict(ALIYUN_SMS, PhoneNumbers="15300000002")
    assert signatures.aliyun_signature("GET", changed, "testSecret") != "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_aliyun_ignores_a_signature_already_in_the_parameters() -> None:
    signed = dict(ALIYUN_SMS, Signature="zJDF+Lrzhj/ThnlvIToysFRq6t4=")
    assert signatures.aliyun_signature("GET", signed, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_percent_encoding_follows_pop() -> None:
    assert signatures.percent_encode("a b*~") == "a%20b%2A~"
    assert signatures.percent_encode("/=&+") == "%2F%3D%26%2B"


def test_tc3_example_step_by_step() -> None:
    assert hashlib.sha256(TC3_PAYLOAD).hexdigest() == (
        "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064")
    canonical = signatures.tc3_canonical_request("cvm.tencentcloudapi.com", TC3_PAYLOAD)
    assert hashlib.sha256(canonical.encode()).hexdigest() == (
        "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031")
    to_sign = signatures.tc3_string_to_sign("cvm", TC3_TIMESTAMP, canonical)
    assert to_sign.splitlines()[:3] == ["TC3-HMAC-SHA256", "1551113065", "2019-02-25/cvm/tc3_request"]
    assert signatures.tc3_signature(TC3_KEY, "cvm", TC3_TIMESTAMP, to_sign) == TC3_SIGNATURE


def test_tc3_authorization_header() -> None:
    header = signatures.tc3_authorization(TC3_ID, TC3_KEY, "cvm", "cvm.tencentcloudapi.com",
                                          TC3_PAYLOAD, TC3_TIMESTAMP)
    assert header == (f"TC3-HMAC-SHA256 Credential={TC3_ID}/2019-02-25/cvm/tc3_request, "
                      f"SignedHeaders=content-type;host, Signature={TC3_SIGNATURE}")


def test_tc3_twins() -> None:
    def sign(key: str = TC3_KEY, payload: bytes = TC3_PAYLOAD, timestamp: int = TC3_TIMESTAMP) -> str:
        return signatures.tc3_authorization(TC3_ID, key, "cvm", "cvm.tencentcloudapi.com", payload,
                                            timestamp).rsplit("=", 1)[1]

    assert sign(key=TC3_KEY.lower()) != TC3_SIGNATURE
    assert sign(payload=TC3_PAYLOAD.replace(b"1", b"2", 1)) != TC3_SIGNATURE
    assert sign(timestamp=TC3_TIMESTAMP + 86400) != TC3_SIGNATURE
