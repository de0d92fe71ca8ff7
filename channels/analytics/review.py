"""The review list for knowledge-base maintainers: what citizens asked that the bot did
not answer (fallback, clarified) or answered with low confidence, grouped by the stored
(normalised, masked) text; each group can become a draft entry in one step.

Drafts go to their own folder (``.hotline/kb-drafts`` in the state folder), never
into ``nlu_data/kb``: the compiler and ``hotline kb lint`` do not see them until a
maintainer completes one and moves it there with ``status: draft`` (docs/kb-format.md).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Connection, case, func, select

from channels.analytics import schema
from channels.analytics.queries import Filters, _where
from hotline.kb import TOPICS

E = schema.events
FIELDS = ("text", "count", "fallback", "clarified", "low_confidence", "topic", "first_seen", "last_seen")


def groups(conn: Connection, f: Filters, limit: int = 200) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(E.c.text, func.count().label("n"),
               func.sum(case((E.c.outcome == "fallback", 1), else_=0)).label("fb"),
               func.sum(case((E.c.outcome == "clarified", 1), else_=0)).label("cl"),
               func.max(E.c.topic).label("topic"), func.min(E.c.day).label("first"),
               func.max(E.c.day).label("last"))
        .where(_where(f, schema.TURN), E.c.text.is_not(None))
        .group_by(E.c.text).order_by(func.count().desc(), E.c.text).limit(limit))
    return [{"text": r.text, "count": int(r.n), "fallback": int(r.fb), "clarified": int(r.cl),
             "low_confidence": int(r.n) - int(r.fb) - int(r.cl), "topic": r.topic,
             "first_seen": r.first, "last_seen": r.last} for r in rows]


def to_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return "\ufeff" + out.getvalue()  # the BOM lets Excel read the Chinese as UTF-8


def draft(text: str, topic: str | None, folder: Path, today: dt.date | None = None) -> Path:
    """Write one draft entry in the knowledge base's format; the same text, the same file."""
    topic = topic if topic in TOPICS else "other"
    digest = hashlib.sha256(text.encode()).hexdigest()[:10]
    entry = {
        "id": f"{topic}_draft_{digest}", "topic": topic, "title": text,
        "questions": [text],
        "answer": {"full": "（待填写：答复口径）", "short": "（待填写）"},
        "source": [{"name": "（待填写：政策依据）"}],
        "region": "national", "effective_from": None, "effective_until": None,
        "status": "draft", "reviewed_at": None, "reviewed_by": None,
        "note": f"来自未答复问题清单，{(today or dt.date.today()).isoformat()}生成；"
                "需补足10条以上问法、答复与依据后移入 nlu_data/kb/。",
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{entry['id']}.yml"
    path.write_text(yaml.safe_dump([entry], allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path
