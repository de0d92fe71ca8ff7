import json

from channels import masking

ID = "11010519491231002X"
PHONE = "13812345678"


def test_id_number_is_masked_in_text() -> None:
    out = masking.mask_text(f"我的身份证是{ID}，帮我查一下")
    assert ID not in out
    assert "110***********002X" in out


def test_phone_is_masked_in_text_with_country_code() -> None:
    assert masking.mask_text(f"电话{PHONE}") == "电话138****5678"
    assert PHONE not in masking.mask_text(f"打+86 {PHONE}")


def test_bank_card_is_masked() -> None:
    card = "6222021234567890123"
    assert card not in masking.mask_text(f"卡号{card}")


def test_sensitive_keys_are_hidden_whatever_their_value() -> None:
    out = masking.mask_mapping({"text": "随便什么", "openid": "oABC", "channel": "webchat"})
    assert out == {"text": "***", "openid": "***", "channel": "webchat"}


def test_nested_values_are_masked() -> None:
    out = masking.mask_mapping({"ctx": {"note": f"手机{PHONE}"}})
    assert PHONE not in json.dumps(out, ensure_ascii=False)


def test_ordinary_numbers_survive() -> None:
    assert masking.mask_text("缴费满15年，2030年起提高") == "缴费满15年，2030年起提高"
