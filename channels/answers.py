"""Knowledge-base answers as the citizen should read them: for their region, at their
channel's length. Rasa chooses the entry; the knowledge base owns the wording."""

from __future__ import annotations

import dataclasses

from channels.inbound import BotReply
from hotline import regions
from hotline.kb import Entry, KnowledgeBase
from hotline.kb.compile import render
from hotline.kb.model import NATIONAL


class Answers:
    def __init__(self, kb: KnowledgeBase, default_region: str = NATIONAL) -> None:
        self._entries = kb.by_id()
        self._default = default_region

    def entry(self, faq_id: str | None) -> Entry | None:
        return self._entries.get(faq_id or "")

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
