"""Knowledge-base answers as the citizen should read them: for their region, at their
channel's length, and in plain words when they asked for it. Rasa chooses the entry;
the knowledge base owns the wording."""

from __future__ import annotations

import dataclasses

from channels.inbound import BotReply
from hotline import regions
from hotline.kb import Entry, KnowledgeBase, KnowledgeBaseError
from hotline.kb import glossary as kb_glossary
from hotline.kb.compile import render
from hotline.kb.model import NATIONAL

HUMAN_PAYLOAD = "/request_human"
HUMAN_OFFER = {"title": "听不懂？转人工", "payload": HUMAN_PAYLOAD}


class Answers:
    def __init__(self, kb: KnowledgeBase, default_region: str = NATIONAL,
                 glossary: kb_glossary.Glossary | None = None) -> None:
        self._entries = kb.by_id()
        self._default = default_region
        self._glossary = glossary if glossary is not None else _glossary()

    def entry(self, faq_id: str | None) -> Entry | None:
        return self._entries.get(faq_id or "")

    def search_titles(self, query: str, limit: int) -> list[str]:
        """Entries whose title or questions share the most characters with ``query``
        (the agents' canned-answer search when the retriever is switched off)."""
        wanted = set(query.replace(" ", ""))
        scored = sorted(((len(wanted & set(e.title + "".join(e.questions))), e.id)
                         for e in self._entries.values()), reverse=True)
        return [faq_id for score, faq_id in scored[:limit] if score]

    def region_for(self, identity_region: str | None, text: str) -> str:
        """The citizen's own region first, then one named in the question, else the default."""
        if identity_region and identity_region != NATIONAL:
            return identity_region
        return regions.find(text) or self._default

    def localise(self, reply: BotReply, region: str, short: bool) -> BotReply:
        """Swap the general answer for the region's own where the entry has one."""
        entry = self.entry(reply.meta.get("faq_id"))
        if entry is None or region not in entry.overrides or not reply.messages:
            return reply
        messages = [dict(m) for m in reply.messages]
        messages[0]["text"] = render(entry.answer_for(region), short=short)
        return dataclasses.replace(reply, messages=messages, meta={**reply.meta, "region": region})

    def plain(self, reply: BotReply, region: str) -> BotReply:
        """Elder mode: the entry's short answer with its jargon explained, and
        「听不懂？转人工」 offered unless a human, a form or a widget is already on the way."""
        messages = [dict(m) for m in reply.messages]
        entry = self.entry(reply.meta.get("faq_id"))
        if entry is not None and messages:
            text = render(entry.answer_for(region), short=True)
            notes = self._glossary.explain(text, known=entry.title)
            messages[0]["text"] = f"{text}\n{notes}" if notes else text
        busy = reply.meta.get("handoff") or any(m.get("custom") for m in messages)
        offered = any(b.get("payload") == HUMAN_PAYLOAD or "转人工" in str(b.get("title") or "")
                      for m in messages for b in m.get("buttons") or [])
        if messages and not busy and not offered and reply.status == "answered":
            last = messages[-1]
            last["buttons"] = [*(last.get("buttons") or []), dict(HUMAN_OFFER)]
        return dataclasses.replace(reply, messages=messages)


def _glossary() -> kb_glossary.Glossary:
    try:
        return kb_glossary.load()
    except KnowledgeBaseError:
        return kb_glossary.Glossary(())  # answers stay right; only the explanations are lost
