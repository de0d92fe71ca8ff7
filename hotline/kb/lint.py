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
from hotline.kb.compile import SMS_TWO_SEGMENTS, short_text
from hotline.kb.model import NATIONAL, STATUSES, TOPICS, KnowledgeBase, KnowledgeBaseError, load

MIN_QUESTIONS = 10
SHORT_MAX = 130
FULL_MAX = 600
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{2,80}$")
URL = re.compile(r"https?://|www\.", re.I)
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
    except KnowledgeBaseError as exc:
        print(f"error   {exc}")
        return 1
    findings = check(kb)
    for finding in findings:
        print(finding)
    errors = sum(1 for f in findings if f.level == "error")
    print(f"{len(kb.entries)} 条，{errors} 个错误，{len(findings) - errors} 个警告", file=sys.stderr)
    return 1 if errors else 0
