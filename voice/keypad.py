"""The keypad and the caller's own requests: pure functions, no I/O.

Keys outside an entry: ``0`` a human, ``*`` the last answer again, ``1``/``2`` the menu
read in the greeting. When the bot has just asked for a number (身份证号, 受理编号, phone
number, verification code) the caller may key it instead of saying it: digits, ``*`` for
the X of a 身份证号, ``#`` to finish; the digits go to the dialogue as the turn's text
(the gateway tokenises them at its edge, so they reach no log in clear). A 受理编号 opens
with two letters: the caller keys each on the key that carries it (ITU-T E.161, printed on
every phone: S on 7, Y on 9), and :func:`acceptance_from_keys` turns the sixteen keys back
into ``SY…``; the business types' letter pairs fall on different key pairs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from business.catalog import KIND_BY_PREFIX

HUMAN_KEY = "0"
REPEAT_KEY = "*"
END_KEY = "#"
MAX_ENTRY = 24    # an 18-digit 身份证号 with room for a slip; more is a stuck key

# key → (what the caller hears, the text sent as the turn or None for a prompt only)
MENU: dict[str, tuple[str, str | None]] = {
    "1": ("请说出您要咨询的政策问题，比如：失业金怎么领。", None),
    "2": ("", "查一下办理进度"),
}

# ITU-T E.161: the letters printed on each key.
_KEYS = {"2": "ABC", "3": "DEF", "4": "GHI", "5": "JKL", "6": "MNO", "7": "PQRS", "8": "TUV", "9": "WXYZ"}
LETTER_KEYS = {letter: key for key, letters in _KEYS.items() for letter in letters}


def _prefixes_by_keys() -> dict[str, str]:
    found: dict[str, list[str]] = {}
    for prefix in KIND_BY_PREFIX:
        found.setdefault("".join(LETTER_KEYS[c] for c in prefix), []).append(prefix)
    # Two types on the same keys could not be told apart: neither is keyed (said instead).
    return {keys: prefixes[0] for keys, prefixes in found.items() if len(prefixes) == 1}


PREFIX_BY_KEYS = _prefixes_by_keys()


def acceptance_from_keys(keys: str) -> str:
    """``7920261103000123`` → ``SY20261103000123``; anything else is returned as keyed
    (the bot then says it is not a valid 受理编号 and how one looks)."""
    prefix = PREFIX_BY_KEYS.get(keys[:2]) if len(keys) == 16 and keys.isdigit() else None
    return prefix + keys[2:] if prefix else keys


# What the bot says when it wants a number the keypad can give.
_ASKS = re.compile(r"(身份证号|受理编号|手机号|验证码)[^。？]*?(输入|发给我|发送|告诉我|提供)"
                   r"|(输入|发给我|发送|告诉我|提供)[^。？]*?(身份证号|受理编号|手机号|验证码)")
_ID_NUMBER = re.compile(r"身份证号")
_ACCEPTANCE = re.compile(r"受理编号")
_CODE = re.compile(r"(输入|告诉我|发给我)[^。？，]*验证码")

# The caller's own requests, said on their own (a short utterance, not a question that
# happens to contain the words).
_PUNCTUATION = re.compile(r"[\s，。！？、,.!?…~～]+")
SHORT_REQUEST = 10
SLOW_WORDS = ("说慢点", "说慢一点", "慢一点", "慢点说", "慢点", "听不清", "太快了", "说得太快")
REPEAT_WORDS = ("请再说一遍", "再说一遍", "再说一次", "再讲一遍", "重复一遍", "重复一下", "重复", "没听清")


def asks_for_digits(text: str) -> str | None:
    """What number ``text`` asks for: ``"id"`` a 身份证号 (``*`` keys its X), ``"code"`` a
    verification code (may start with 0), ``"acceptance"`` a 受理编号 (letters on their
    keys), ``"digits"`` another; None when it asks for none."""
    if not _ASKS.search(text):
        return None
    if _ID_NUMBER.search(text):
        return "id"
    if _CODE.search(text):
        return "code"
    return "acceptance" if _ACCEPTANCE.search(text) else "digits"


def _request(words: str, phrases: tuple[str, ...]) -> bool:
    flat = _PUNCTUATION.sub("", words)
    return 0 < len(flat) <= SHORT_REQUEST and any(p in flat for p in phrases)


def wants_slow(words: str) -> bool:
    """说慢点, 听不清 …: the caller asks for slower speech."""
    return _request(words, SLOW_WORDS)


def wants_repeat(words: str) -> bool:
    """请再说一遍, 重复 …: the caller asks to hear the last answer again."""
    return _request(words, REPEAT_WORDS)


@dataclass
class Entry:
    """Digits keyed after the bot asked for a number, until ``#``."""

    kind: str                      # "id", "code", "acceptance" or "digits"
    keys: list[str] = field(default_factory=list)

    def means_human(self, key: str) -> bool:
        """0 before anything else still asks for a human: no 身份证号, mobile number or
        受理编号 date starts with 0 (a verification code may, so there it is a digit)."""
        return key == HUMAN_KEY and not self.keys and self.kind != "code"

    def means_repeat(self, key: str) -> bool:
        """``*`` is the X of a 身份证号; in any other entry it still repeats."""
        return key == REPEAT_KEY and self.kind != "id"

    def press(self, key: str) -> str | None:
        """The whole entry once ``#`` ends it (None before); ``*`` is X in a 身份证号."""
        if key == END_KEY:
            keyed = "".join(self.keys)
            return acceptance_from_keys(keyed) if self.kind == "acceptance" else keyed
        if key == REPEAT_KEY:
            if self.kind == "id":
                self.keys.append("X")
        elif key.isdigit() and len(self.keys) < MAX_ENTRY:
            self.keys.append(key)
        return None
