"""``hotline screenshots``: the widget on a desktop and a phone screen, in normal and in
elder mode (长辈模式), as PNG files.

Uses the stack at ``--url`` when one answers there, otherwise starts a private one on
free ports (about a minute), so it works on a machine where nothing runs yet.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Iterator

import httpx
from playwright.sync_api import sync_playwright

from hotline import browser, paths

OUT = paths.ROOT / "build" / "screenshots"
QUESTION = "失业保险金怎么申领"


def capture(base_url: str, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as playwright:
        chromium = browser.launch(playwright)
        for size in browser.SIZES:
            context = browser.new_context(chromium, size)
            page = context.new_page()
            page.goto(base_url + "/")
            page.wait_for_load_state("networkidle")
            written.append(out / f"portal-{size}.png")
            page.screenshot(path=str(written[-1]))
            browser.open_widget(page)
            browser.ask(page, QUESTION)
            written.append(out / f"widget-{size}.png")
            page.screenshot(path=str(written[-1]))
            # Elder mode (长辈模式): large type, the plain answer, 转人工 and 12333 in reach.
            page.locator("[data-hotline=elder-toggle]").click()
            browser.ask(page, QUESTION)
            written.append(out / f"widget-elder-{size}.png")
            page.screenshot(path=str(written[-1]))
            context.close()
        chromium.close()
    return written


def _answers(url: str) -> bool:
    try:
        return httpx.get(url + "/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@contextlib.contextmanager
def _gateway(url: str) -> Iterator[str]:
    if _answers(url):
        yield url
        return
    sys.path.insert(0, str(paths.ROOT))  # bench/ is not an installed package
    from bench.common import private_stack
    from hotline import training

    print(f"{url} 没有运行中的服务，启动一套临时服务（约一分钟）…")
    with private_stack(training.train(say=lambda _: None)) as stack:
        yield stack.gateway


def main(url: str, out: Path = OUT) -> int:
    with _gateway(url.rstrip("/")) as base:
        for path in capture(base, out):
            print(f"  {path.relative_to(paths.ROOT) if path.is_relative_to(paths.ROOT) else path}")
    return 0
