"""SMS length rules, as Chinese providers count and bill them (pure).

A message of up to 70 characters, the signature 【12333】 included, is one SMS. Longer,
it is sent as one concatenated SMS whose parts carry 67 characters each (the 134-octet
UCS-2 payload less the concatenation header); the handset joins them again. Aliyun and
Tencent count every character alike, Latin letters and digits too, so this module does.

The carrier cuts a concatenated SMS at fixed 67-character positions, so where the
gateway splits cannot be chosen; what can be chosen is where an answer too long for
``max_parts`` parts is cut: at the end of a sentence where possible, then a clause, and
a pointer to the full answer (WeChat, the portal) follows, within the limit.
"""

from __future__ import annotations

SINGLE = 70
PART = 67
SIGNATURE = "【12333】"
POINTER = "完整答复请关注当地人社微信公众号或访问人社门户网站。"

SENTENCE_ENDS = "。！？；!?;\n"
CLAUSE_ENDS = "，、：,:"
ELLIPSIS = "…"


def signature_for(sign_name: str) -> str:
    """The signature as the handset shows it, e.g. ``【12333】`` for sign name ``12333``."""
    return f"【{sign_name}】"


def count(text: str, signature: str = SIGNATURE) -> int:
    """How many billed parts ``text`` takes with ``signature`` in front of it."""
    total = len(signature) + len(text)
    if total <= SINGLE:
        return 1
    return -(-total // PART)


def capacity(max_parts: int, signature: str = SIGNATURE) -> int:
    """Characters of text (without the signature) that fit in ``max_parts`` parts."""
    whole = SINGLE if max_parts <= 1 else max_parts * PART
    return whole - len(signature)


def parts(text: str, signature: str = SIGNATURE) -> list[str]:
    """The parts the carrier delivers: signature and text cut every 67 characters."""
    whole = signature + text
    if len(whole) <= SINGLE:
        return [whole]
    return [whole[i:i + PART] for i in range(0, len(whole), PART)]


def fit(text: str, signature: str = SIGNATURE, max_parts: int = 3, *,
        pointer: str = POINTER, reserve: int = 0) -> str:
    """``text`` unchanged when it fits in ``max_parts`` parts (leaving ``reserve``
    characters for what the caller appends), else cut at a sentence boundary with
    ``pointer`` appended, the whole still within the limit."""
    text = text.strip()
    room = capacity(max_parts, signature) - reserve
    if len(text) <= room:
        return text
    budget = room - len(pointer)
    if budget <= 0:
        return cut(text, room)
    return cut(text, budget) + pointer


def cut(text: str, budget: int) -> str:
    """The longest head of ``text`` within ``budget`` characters ending at a sentence
    end; failing that at a clause end or anywhere, marked with an ellipsis."""
    if len(text) <= budget:
        return text
    if budget <= len(ELLIPSIS):
        return ""
    head = text[:budget]
    floor = budget // 3  # a cut that loses most of the room is worse than a hard one
    end = max(head.rfind(mark) for mark in SENTENCE_ENDS)
    if end >= floor:
        return head[:end + 1].rstrip()
    head = text[:max(budget - len(ELLIPSIS), 0)]
    end = max(head.rfind(mark) for mark in CLAUSE_ENDS)
    if end >= floor:
        return head[:end].rstrip() + ELLIPSIS
    return head.rstrip() + ELLIPSIS
