"""Compile the knowledge base into Rasa training data.

Each live entry becomes the retrieval sub-intent ``faq/<id>`` with its title and
paraphrases as examples, and the response ``utter_faq/<id>`` with a variant per channel
length: the full answer for web and WeChat, the short one for SMS and voice. Every
variant names its source, because a citizen must be able to check what the answer
rests on.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml

from hotline.kb.model import Answer, Entry, KnowledgeBase

SHORT_CHANNELS = ("sms", "voice")


def cite(answer: Answer) -> str:
    return "；".join(source.cite() for source in answer.sources)


SMS_TWO_SEGMENTS = 134  # 2 × 67 characters: a long Chinese SMS is sent in 67-character parts


def short_text(answer: Answer) -> str:
    """The short answer with a compact citation, within two SMS segments."""
    if not answer.sources:
        return answer.short
    return f"{answer.short}（依据{answer.sources[0].compact()}）"


def render(answer: Answer, short: bool) -> str:
    """The text a citizen reads: the answer with its source."""
    if short:
        return short_text(answer)
    basis = cite(answer)
    # One newline: Rasa splits a text at blank lines into separate messages.
    return f"{answer.full}\n依据：{basis}" if basis else answer.full


def to_rasa(kb: KnowledgeBase, today: dt.date | None = None) -> dict[str, Any]:
    entries = kb.live(today)
    nlu = [_examples(entry) for entry in entries]
    responses = {f"utter_faq/{entry.id}": _variants(entry) for entry in entries}
    return {"version": "3.1", "nlu": nlu, "responses": responses}


def _examples(entry: Entry) -> dict[str, str]:
    phrasings = dict.fromkeys([entry.title, *entry.questions])
    lines = "".join(f"- {_one_line(q)}\n" for q in phrasings if q)
    return {"intent": f"faq/{entry.id}", "examples": lines}


def _variants(entry: Entry) -> list[dict[str, str]]:
    variants = [{"text": render(entry.answer, short=False)}]
    for channel in SHORT_CHANNELS:
        variants.append({"text": render(entry.answer, short=True), "channel": channel})
    return variants


def _one_line(text: str) -> str:
    return " ".join(text.split())


def write(kb: KnowledgeBase, out_dir: Path, today: dt.date | None = None) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "kb.yml"
    data = to_rasa(kb, today)
    target.write_text(
        yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000), encoding="utf-8"
    )
    return target
