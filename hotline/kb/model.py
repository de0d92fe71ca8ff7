"""Knowledge-base entries as plain data, loaded from ``nlu_data/kb/*.yml``.

The file format is documented in ``docs/kb-format.md``. Loading is strict about shape
(a malformed entry names its file and id) and lenient about content; content rules are
the linter's job so that a maintainer sees every problem at once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

TOPICS = (
    "pension", "medical", "unemployment", "injury", "maternity", "card", "transfer",
    "retirement", "employment", "training", "contract", "arbitration", "wages",
    "archives", "title", "talent", "housing_fund", "other",
)
STATUSES = ("draft", "published", "retired")
NATIONAL = "national"


class KnowledgeBaseError(Exception):
    """A knowledge-base file cannot be read as entries."""


@dataclass(frozen=True)
class Source:
    name: str
    article: str = ""
    doc_no: str = ""

    def compact(self) -> str:
        """The shortest faithful citation, for SMS and voice: the 文号 if there is one."""
        return self.doc_no or f"《{self.name.strip('《》').removeprefix('中华人民共和国')}》"

    def cite(self) -> str:
        parts = [f"《{self.name.strip('《》')}》"]
        if self.doc_no:
            parts.append(f"（{self.doc_no}）")
        if self.article:
            parts.append(self.article)
        return "".join(parts)


@dataclass(frozen=True)
class Answer:
    full: str
    short: str
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class Entry:
    id: str
    topic: str
    title: str
    questions: tuple[str, ...]
    answer: Answer
    region: str = NATIONAL
    overrides: Mapping[str, Answer] = field(default_factory=dict)
    effective_from: dt.date | None = None
    effective_until: dt.date | None = None
    status: str = "published"
    reviewed_at: dt.date | None = None
    reviewed_by: str = ""
    path: str = ""

    def is_live(self, today: dt.date) -> bool:
        """Published and in force today; drafts switch on at their date."""
        if self.status == "retired":
            return False
        if self.effective_until and today > self.effective_until:
            return False
        if self.status == "draft":
            return self.effective_from is not None and today >= self.effective_from
        return self.effective_from is None or today >= self.effective_from

    def answer_for(self, region: str | None) -> Answer:
        """The answer for a citizen's province-level region, else the general one."""
        if region and region in self.overrides:
            return self.overrides[region]
        return self.answer


@dataclass(frozen=True)
class KnowledgeBase:
    entries: tuple[Entry, ...]

    def live(self, today: dt.date | None = None) -> tuple[Entry, ...]:
        day = today or dt.date.today()
        return tuple(e for e in self.entries if e.is_live(day))

    def by_id(self) -> dict[str, Entry]:
        return {e.id: e for e in self.entries}


def load(directory: Path) -> KnowledgeBase:
    entries: list[Entry] = []
    for path in sorted(directory.glob("*.yml")):
        entries.extend(load_file(path))
    return KnowledgeBase(tuple(entries))


def load_file(path: Path) -> list[Entry]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except yaml.YAMLError as exc:
        raise KnowledgeBaseError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, list):
        raise KnowledgeBaseError(f"{path}: expected a list of entries")
    return [_entry(item, str(path)) for item in raw]


def _entry(item: Any, path: str) -> Entry:
    if not isinstance(item, Mapping) or "id" not in item:
        raise KnowledgeBaseError(f"{path}: an entry without an id")
    ident = str(item["id"])
    try:
        answer = item["answer"]
        overrides = {
            str(o["region"]): _answer(o, o.get("source") or item.get("source"))
            for o in item.get("overrides") or []
        }
        return Entry(
            id=ident,
            topic=str(item["topic"]),
            title=str(item.get("title") or ""),
            questions=tuple(str(q).strip() for q in item.get("questions") or () if str(q).strip()),
            answer=_answer(answer, item.get("source")),
            region=str(item.get("region") or NATIONAL),
            overrides=overrides,
            effective_from=_date(item.get("effective_from")),
            effective_until=_date(item.get("effective_until")),
            status=str(item.get("status") or "published"),
            reviewed_at=_date(item.get("reviewed_at")),
            reviewed_by=str(item.get("reviewed_by") or ""),
            path=path,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise KnowledgeBaseError(f"{path}: entry {ident}: malformed ({exc!r})") from exc


def _answer(data: Mapping[str, Any], sources: Iterable[Any] | None) -> Answer:
    return Answer(
        full=str(data["full"]).strip(),
        short=str(data["short"]).strip(),
        sources=tuple(_source(s) for s in sources or ()),
    )


def _source(data: Any) -> Source:
    if isinstance(data, str):
        return Source(name=data)
    return Source(
        name=str(data.get("name") or ""),
        article=str(data.get("article") or ""),
        doc_no=str(data.get("doc_no") or ""),
    )


def _date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))
