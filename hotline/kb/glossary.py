"""Plain explanations of policy jargon (``hotline/kb/glossary.yml``), for elder mode.

An answer that uses 视同缴费年限 or 个人账户 gets a one-line explanation of the first
such terms when the citizen asked for plain wording. Matching is plain substring search,
longest term first, so 个人账户养老金 is explained as itself and not as 个人账户.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from hotline.kb.model import KnowledgeBaseError

TABLE = Path(__file__).with_name("glossary.yml")
EXPLAIN_MAX = 60
PER_ANSWER = 2


@dataclass(frozen=True)
class Term:
    term: str
    explain: str
    also: tuple[str, ...] = ()

    @property
    def spellings(self) -> tuple[str, ...]:
        return (self.term, *self.also)

    def line(self) -> str:
        return f"【{self.term}】{self.explain}"


@dataclass(frozen=True)
class Glossary:
    terms: tuple[Term, ...]

    def used_in(self, text: str, limit: int = PER_ANSWER) -> list[Term]:
        """The terms ``text`` uses, in the order it first uses them, at most ``limit``."""
        found: dict[str, tuple[int, Term]] = {}
        taken: list[tuple[int, int]] = []
        spellings = sorted(((s, t) for t in self.terms for s in t.spellings),
                           key=lambda pair: len(pair[0]), reverse=True)
        for spelling, term in spellings:
            start = text.find(spelling)
            while start >= 0:
                end = start + len(spelling)
                # Inside a longer term already found (个人账户 in 个人账户养老金): not a use of its own.
                if not any(a <= start and end <= b for a, b in taken):
                    taken.append((start, end))
                    if term.term not in found or start < found[term.term][0]:
                        found[term.term] = (start, term)
                start = text.find(spelling, end)
        ordered = sorted(found.values(), key=lambda pair: pair[0])
        return [term for _, term in ordered][:limit]

    def explain(self, text: str, known: str = "", limit: int = PER_ANSWER) -> str:
        """One line per jargon term ``text`` uses, or ``""``. Terms named in ``known``
        (the question itself, e.g. 什么是视同缴费年限: the answer is the explanation)
        are left out."""
        used = [t for t in self.used_in(text, limit=len(self.terms))
                if not any(s in known for s in t.spellings)]
        return "\n".join(t.line() for t in used[:limit])


def parse(raw: Any, where: str = "glossary") -> Glossary:
    if not isinstance(raw, list):
        raise KnowledgeBaseError(f"{where}: expected a list of terms")
    terms = []
    for item in raw:
        if not isinstance(item, dict) or not item.get("term") or not item.get("explain"):
            raise KnowledgeBaseError(f"{where}: every item needs term and explain: {item!r}")
        also = item.get("also") or []
        if not isinstance(also, list):
            raise KnowledgeBaseError(f"{where}: {item['term']}: also must be a list")
        terms.append(Term(str(item["term"]).strip(), str(item["explain"]).strip(),
                          tuple(str(a).strip() for a in also if str(a).strip())))
    return Glossary(tuple(terms))


@functools.lru_cache(maxsize=1)
def load(path: Path = TABLE) -> Glossary:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise KnowledgeBaseError(f"{path}: {exc}") from exc
    return parse(raw, str(path))


def check(glossary: Glossary) -> list[str]:
    """What is wrong with the glossary itself, in the linter's words."""
    problems = []
    seen: dict[str, str] = {}
    for term in glossary.terms:
        for spelling in term.spellings:
            owner = seen.setdefault(spelling, term.term)
            if owner != term.term:
                problems.append(f"术语“{spelling}”在 {owner} 与 {term.term} 中重复")
        if len(term.explain) > EXPLAIN_MAX:
            problems.append(f"术语“{term.term}”的解释有 {len(term.explain)} 字，超过 {EXPLAIN_MAX} 字")
        if "\n" in term.explain:
            problems.append(f"术语“{term.term}”的解释须为一行")
    return problems
