"""``hotline kb lint`` and ``hotline kb stats``: keep the knowledge base clean.

Errors stop training-quality problems at the door (exit status 1); warnings are shown
for a maintainer to review.
"""

from __future__ import annotations

import collections
import datetime as dt
import re
import sys
from dataclasses import dataclass
from typing import Any

from hotline import paths, regions
from hotline.kb import glossary as kb_glossary
from hotline.kb.compile import SMS_TWO_SEGMENTS, short_text
from hotline.kb.model import NATIONAL, STATUSES, TOPICS, KnowledgeBase, KnowledgeBaseError, load

MIN_QUESTIONS = 10
SHORT_MAX = 130
FULL_MAX = 600
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{2,80}$")
URL = re.compile(r"https?://|www\.", re.I)
# Plain wording (issue 16): a short answer is read aloud and read by pensioners.
LIST_OR_TABLE = re.compile(r"\n|\||(?:^|[。；])\s*(?:\d{1,2}[.．、](?!\d)|[（(]\d{1,2}[）)]|[-•·])")
CLAUSE_BREAKS = re.compile(r"[，。；！？、：,;!?:（）()“”《》]")
CLAUSE_MAX = 35
JARGON_MAX = 3
PROVINCES = frozenset(regions.PROVINCES)


@dataclass(frozen=True)
class Finding:
    level: str  # "error" | "warning"
    entry: str
    message: str

    def __str__(self) -> str:
        return f"{self.level:7s} {self.entry}: {self.message}"


def normalise(question: str) -> str:
    return re.sub(r"[\s\W_]+", "", question).lower()


def check(kb: KnowledgeBase, today: dt.date | None = None) -> list[Finding]:
    day = today or dt.date.today()
    findings: list[Finding] = []
    seen_ids: set[str] = set()
    owners: dict[str, str] = {}

    def err(entry: str, message: str) -> None:
        findings.append(Finding("error", entry, message))

    terms = kb_glossary.load()
    for problem in kb_glossary.check(terms):
        err("glossary", problem)
    for e in kb.entries:
        if e.id in seen_ids:
            err(e.id, "id 重复")
        seen_ids.add(e.id)
        if not ID_PATTERN.match(e.id):
            err(e.id, "id 须为小写字母、数字、下划线")
        if e.topic not in TOPICS:
            err(e.id, f"未知主题 {e.topic!r}")
        elif not e.id.startswith(e.topic + "_"):
            err(e.id, f"id 须以主题 {e.topic}_ 开头")
        if e.status not in STATUSES:
            err(e.id, f"未知状态 {e.status!r}")
        if len(e.questions) < MIN_QUESTIONS:
            err(e.id, f"问法只有 {len(e.questions)} 条，至少需要 {MIN_QUESTIONS} 条")
        for answer, where in [(e.answer, "")] + [(a, f"（{r}）") for r, a in e.overrides.items()]:
            if not answer.sources or not all(s.name for s in answer.sources):
                err(e.id, f"答复{where}缺少依据来源")
            if len(answer.short) > SHORT_MAX:
                err(e.id, f"短答复{where}有 {len(answer.short)} 字，超过 {SHORT_MAX} 字")
            if len(short_text(answer)) > SMS_TWO_SEGMENTS:
                err(e.id, f"短答复{where}加上依据后有 {len(short_text(answer))} 字，超过两条短信"
                          f"（{SMS_TWO_SEGMENTS} 字）")
            if URL.search(answer.short):
                err(e.id, f"短答复{where}不能含网址（短信与语音无法使用）")
            if not answer.full or not answer.short:
                err(e.id, f"答复{where}缺少完整或简短版本")
            if len(answer.full) > FULL_MAX:
                findings.append(Finding("warning", e.id, f"完整答复{where}超过 {FULL_MAX} 字"))
            findings.extend(Finding("warning", e.id, m) for m in plain_wording(answer.short, where, terms))
        for region in e.overrides:
            if region not in PROVINCES:
                err(e.id, f"地区 {region!r} 不是省级行政区全称")
        if e.region != NATIONAL and e.region not in PROVINCES:
            err(e.id, f"地区 {e.region!r} 不是 national 或省级行政区全称")
        if e.status == "published" and e.effective_until and day > e.effective_until:
            err(e.id, f"已于 {e.effective_until} 失效，请改为 retired 或更新")
        if e.status == "draft" and e.effective_from and e.effective_from <= day:
            findings.append(Finding("warning", e.id, f"草稿已于 {e.effective_from} 生效，请审核发布"))
        if e.status != "retired":
            for q in (e.title, *e.questions):
                key = normalise(q)
                owner = owners.setdefault(key, e.id)
                if owner != e.id:
                    err(e.id, f"问法“{q}”与 {owner} 重复")
    return findings


def plain_wording(short: str, where: str, terms: kb_glossary.Glossary) -> list[str]:
    """Why ``short`` is not yet the plain form elder mode and voice need, if it is not."""
    problems = []
    if LIST_OR_TABLE.search(short):
        problems.append(f"短答复{where}含换行、列表或表格（语音与短信无法朗读）")
    clause = max(CLAUSE_BREAKS.split(short), key=len)
    if len(clause) > CLAUSE_MAX:
        problems.append(f"短答复{where}有一句 {len(clause)} 字不停顿（“{clause[:12]}…”），"
                        f"请拆成 {CLAUSE_MAX} 字以内的短句")
    used = terms.used_in(short, limit=len(terms.terms))
    if len(used) > JARGON_MAX:
        names = "、".join(t.term for t in used)
        problems.append(f"短答复{where}用了 {len(used)} 个术语（{names}），长辈模式只解释前 "
                        f"{kb_glossary.PER_ANSWER} 个，请改用白话")
    return problems


def stats(kb: KnowledgeBase | None = None, today: dt.date | None = None) -> dict[str, Any]:
    kb = kb or load(paths.KB)
    day = today or dt.date.today()
    by_topic: dict[str, dict[str, int]] = {t: {"entries": 0, "questions": 0} for t in TOPICS}
    status = collections.Counter(e.status for e in kb.entries)
    for e in kb.entries:
        if e.status == "published" and e.topic in by_topic:
            by_topic[e.topic]["entries"] += 1
            by_topic[e.topic]["questions"] += len(e.questions)
    return {
        "published": status.get("published", 0),
        "drafts_pending": sum(1 for e in kb.entries if e.status == "draft" and not e.is_live(day)),
        "retired": status.get("retired", 0),
        "region_overrides": sum(len(e.overrides) for e in kb.entries),
        "topics_missing": [t for t, v in by_topic.items() if not v["entries"]],
        "by_topic": by_topic,
    }


def main() -> int:
    try:
        kb = load(paths.KB)
        findings = check(kb)
    except KnowledgeBaseError as exc:
        print(f"error   {exc}")
        return 1
    for finding in findings:
        print(finding)
    errors = sum(1 for f in findings if f.level == "error")
    print(f"{len(kb.entries)} 条，{errors} 个错误，{len(findings) - errors} 个警告", file=sys.stderr)
    return 1 if errors else 0
