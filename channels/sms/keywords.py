"""The SMS keyword service: what a short message means before the NLU sees it (pure).

Feature phones make typing Chinese slow, so 12333 short codes answer to a few words and
their pinyin initials (JD 进度, YY 预约, RG 人工, BZ 帮助, TD 退订). The table is data
(``channels/sms/keywords.yml``, format in docs/sms.md); this module only matches.

A message routes to one of: ``dialogue`` (text or payload for Rasa), ``local`` (a reply
the gateway sends itself, e.g. the menu), ``optout`` / ``optin``, ``callback`` (a callback
ticket the gateway files for the sender's number, 人工/RG), or ``choice`` (a number
picking one of the options of the last reply; the caller resolves it from Redis).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml

from channels.sms.errors import KeywordTableError

TABLE = Path(__file__).with_name("keywords.yml")
MAX_CHOICE = 9
TRIM = " \t\r\n。，、！？!?.,;；:：~～"
SEPARATORS = " \t+:：，,-_#"

RouteKind = Literal["dialogue", "local", "optout", "optin", "choice", "callback"]


@dataclass(frozen=True)
class Route:
    kind: RouteKind
    text: str = ""
    payload: str | None = None
    reply: str = ""
    keyword: str = ""
    choice: int = 0


@dataclass(frozen=True)
class Keyword:
    name: str
    words: tuple[str, ...]
    argument: bool = False
    send_text: str | None = None
    send_payload: str | None = None
    reply: str | None = None
    opt: Literal["out", "in"] | None = None
    missing: str | None = None
    ticket: Literal["callback"] | None = None

    def route(self, rest: str) -> Route:
        if self.argument and not rest and self.missing:
            return Route("local", reply=self.missing, keyword=self.name)
        if self.send_text is not None:
            return Route("dialogue", text=self.send_text.format(rest=rest).strip(), keyword=self.name)
        if self.send_payload is not None:
            return Route("dialogue", payload=self.send_payload, keyword=self.name)
        if self.ticket is not None:
            return Route("callback", keyword=self.name)
        kind: RouteKind = "optout" if self.opt == "out" else "optin" if self.opt == "in" else "local"
        return Route(kind, reply=self.reply or "", keyword=self.name)


@dataclass(frozen=True)
class KeywordTable:
    keywords: tuple[Keyword, ...]
    choice_expired: str = "您回复的序号已失效，请直接发送您要咨询的问题。"
    _exact: dict[str, Keyword] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for keyword in self.keywords:
            for word in keyword.words:
                self._exact.setdefault(normalise(word), keyword)

    def route(self, text: str) -> Route:
        """Where ``text`` goes. Free text goes to the NLU unchanged."""
        key = normalise(text)
        if key.isdigit() and 1 <= int(key) <= MAX_CHOICE and len(key) == 1:
            return Route("choice", choice=int(key))
        if key in self._exact:
            return self._exact[key].route("")
        for word, keyword in self._prefixes():
            if key.startswith(word):
                rest = text_after(text, len(word))
                return keyword.route(rest)
        return Route("dialogue", text=text.strip())

    def _prefixes(self) -> list[tuple[str, Keyword]]:
        pairs = [(normalise(w), k) for k in self.keywords if k.argument for w in k.words]
        return sorted(pairs, key=lambda pair: len(pair[0]), reverse=True)


def normalise(text: str) -> str:
    """Full-width forms folded (ＪＤ → JD, １ → 1), case and edge punctuation ignored."""
    return unicodedata.normalize("NFKC", text).strip(TRIM).upper()


def text_after(text: str, length: int) -> str:
    """What follows the first ``length`` normalised characters, separators dropped."""
    folded = unicodedata.normalize("NFKC", text).strip(TRIM)
    rest = folded[length:].strip(SEPARATORS + TRIM)
    # Reference numbers such as 受理编号 are upper case; feature phones often type lower.
    return rest.upper() if rest.isascii() else rest


def parse(data: Any) -> KeywordTable:
    if not isinstance(data, dict) or not isinstance(data.get("keywords"), list):
        raise KeywordTableError("短信关键词表应包含 keywords 列表。")
    keywords = tuple(_keyword(item) for item in data["keywords"])
    expired = data.get("choice_expired")
    if expired is not None and not isinstance(expired, str):
        raise KeywordTableError("choice_expired 应为文字。")
    return KeywordTable(keywords, expired) if expired else KeywordTable(keywords)


def _keyword(item: Any) -> Keyword:
    if not isinstance(item, dict) or not isinstance(item.get("name"), str):
        raise KeywordTableError("每个关键词都需要 name。")
    name = item["name"]
    words = item.get("words")
    if not isinstance(words, list) or not words or not all(isinstance(w, str) and w for w in words):
        raise KeywordTableError(f"关键词 {name} 的 words 应为非空文字列表。")
    actions = [k for k in ("send_text", "send_payload", "reply", "ticket") if item.get(k) is not None]
    if len(actions) != 1 or not isinstance(item[actions[0]], str):
        raise KeywordTableError(f"关键词 {name} 须有且只有 send_text、send_payload、reply、ticket 之一。")
    if item.get("ticket") not in (None, "callback"):
        raise KeywordTableError(f"关键词 {name} 的 ticket 只能是 callback。")
    if item.get("opt") not in (None, "out", "in") or (item.get("opt") and actions != ["reply"]):
        raise KeywordTableError(f"关键词 {name} 的 opt 只能是 out 或 in，且须配 reply。")
    unknown = set(item) - {"name", "words", "argument", "send_text", "send_payload", "reply", "opt",
                           "missing", "ticket"}
    if unknown:
        raise KeywordTableError(f"关键词 {name} 含未知字段：{'、'.join(sorted(unknown))}。")
    return Keyword(name=name, words=tuple(words), argument=bool(item.get("argument")),
                   send_text=item.get("send_text"), send_payload=item.get("send_payload"),
                   reply=item.get("reply"), opt=item.get("opt"), missing=item.get("missing"),
                   ticket=item.get("ticket"))


@lru_cache(maxsize=4)
def load(path: Path = TABLE) -> KeywordTable:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise KeywordTableError(f"无法读取短信关键词表：{path.name}") from exc
    return parse(data)
