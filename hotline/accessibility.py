"""Accessibility audit of a page with axe-core, run inside Chromium through Playwright.

axe-core comes from the ``axe-playwright-python`` wheel (it bundles ``axe.min.js``), so
nothing is fetched at run time. axe walks open shadow roots, so the chat widget inside
its shadow root is audited along with the portal page. App environment only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import Page

# What GB/T 37668 and WCAG 2.1 AA ask of a page, plus axe's best practices.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
BLOCKING = ("serious", "critical")


@dataclass(frozen=True)
class Violation:
    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.impact} {self.rule}: {self.help} — {', '.join(self.targets[:5])}"


def audit(page: Page, tags: list[str] | None = None) -> list[Violation]:
    """Every axe violation on the page as it is now, widget included."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT)
    options = {"runOnly": {"type": "tag", "values": tags or TAGS}, "resultTypes": ["violations"]}
    result: dict[str, Any] = page.evaluate("options => axe.run(document, options)", options)
    return [
        Violation(rule=v["id"], impact=str(v.get("impact") or "minor"), help=v.get("help", ""),
                  targets=tuple(_target(n.get("target")) for n in v.get("nodes", [])))
        for v in result.get("violations", [])
    ]


def blocking(violations: list[Violation]) -> list[Violation]:
    return [v for v in violations if v.impact in BLOCKING]


def _target(target: Any) -> str:
    # Inside a shadow root axe gives a list of selectors: host first, then the element.
    if isinstance(target, list):
        return " >>> ".join(_target(t) for t in target)
    return str(target)
