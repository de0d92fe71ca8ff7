"""Driving the web chat widget in Debian's Chromium, for the browser tests and for
``hotline screenshots``. App environment only (Playwright)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Chromium's own background traffic is off: tests and screenshots stay offline.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-features=Translate,OptimizationHints"]

SIZES: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
              "is_mobile": True, "has_touch": True},
}
ANSWER_TIMEOUT_MS = 30_000


def launch(playwright: Playwright) -> Browser:
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"找不到 Chromium（{CHROMIUM}）：请先安装 Debian 的 chromium 软件包，"
                           "或用环境变量 CHROMIUM 指定路径。")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)


def new_context(browser: Browser, size: str) -> BrowserContext:
    return browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **SIZES[size])


def open_widget(page: Page) -> None:
    page.locator("[data-hotline=launcher]").click()
    expect(page.locator("[data-hotline=panel]")).to_be_visible()


def bot_messages(page: Page) -> Any:
    return page.locator("[data-hotline=message][data-role=bot]")


def ask(page: Page, text: str) -> str:
    """Type a question as a citizen would and return the bot's answer to it."""
    before = bot_messages(page).count()
    box = page.locator("[data-hotline=input]")
    box.fill(text)
    box.press("Enter")
    return wait_answer(page, before)


def wait_answer(page: Page, before: int) -> str:
    """The text of the first bot message after the ``before`` ones already shown."""
    answer = bot_messages(page).nth(before)
    expect(answer).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(page.locator("[data-hotline=typing]")).to_be_hidden(timeout=ANSWER_TIMEOUT_MS)
    return str(bot_messages(page).last.inner_text())
