"""Elder mode (适老化) and accessibility of the web chat widget, in Debian's Chromium on the
demo portal page with the real stack behind it (issue 16, "Done when"): an axe-core audit
in both modes, elder mode kept across reloads, the widget run from the keyboard alone."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from hotline import accessibility
from hotline import browser as chrome
from tests.integration.conftest import Live


def serious(page: Page) -> list[str]:
    return [str(v) for v in accessibility.blocking(accessibility.audit(page))]


def focused(page: Page) -> str:
    """``data-hotline`` of the element that has the focus inside the widget."""
    return str(page.evaluate(
        "() => { const a = document.querySelector('hotline-webchat').shadowRoot.activeElement;"
        " return a ? (a.dataset.hotline || a.className || a.tagName) : ''; }"))


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_audit_finds_no_serious_violation_in_either_mode(live: Live, chromium: Browser, size: str) -> None:
    context = chrome.new_context(chromium, size)
    page = context.new_page()
    page.goto(live.base + "/")
    assert serious(page) == []  # the portal page with the launcher
    chrome.open_widget(page)
    chrome.ask(page, "保险")  # rich text, quick replies and links on screen
    expect(page.locator("[data-hotline=quick-reply]").first).to_be_visible()
    assert serious(page) == []
    page.locator("[data-hotline=elder-toggle]").click()
    expect(page.locator("[data-hotline=assist]")).to_be_visible()
    chrome.ask(page, "失业保险金怎么申领")
    assert serious(page) == []
    context.close()


def test_audit_sees_inside_the_widget(live: Live, chromium: Browser) -> None:
    """The audit can fail: a nameless button in the widget's shadow root is reported."""
    context = chrome.new_context(chromium, "desktop")
    page = context.new_page()
    page.goto(live.base + "/")
    chrome.open_widget(page)
    page.evaluate("() => document.querySelector('hotline-webchat').shadowRoot"
                  ".querySelector('[data-hotline=quick-replies]').append(document.createElement('button'))")
    assert any("button-name" in v for v in serious(page))
    context.close()


def test_elder_mode_answers_plainly_and_is_kept_across_reloads(live: Live, chromium: Browser) -> None:
    context = chrome.new_context(chromium, "desktop")
    page = context.new_page()
    page.goto(live.base + "/")
    chrome.open_widget(page)
    normal = chrome.ask(page, "失业保险金怎么申领")
    toggle = page.locator("[data-hotline=elder-toggle]")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    panel = page.locator("[data-hotline=panel]")
    expect(panel).to_have_attribute("data-mode", "elder")
    greeting = chrome.bot_messages(page).first
    expect(greeting).to_contain_text("请直接打字")
    assert float(greeting.evaluate("n => parseFloat(getComputedStyle(n).fontSize)")) >= 20
    phone = page.locator("[data-hotline=phone]")
    expect(phone).to_be_visible()
    expect(phone).to_have_attribute("href", "tel:12333")
    expect(page.locator("[data-hotline=elder-human]")).to_be_visible()

    plain = chrome.ask(page, "失业保险金怎么申领")
    assert "依据" in plain and len(plain) < len(normal)
    expect(page.locator("[data-hotline=quick-reply]", has_text="听不懂？转人工")).to_be_visible()
    chrome.ask(page, "保险")  # the closest questions and 转人工: more than three choices
    expect(page.locator("[data-hotline=quick-reply]")).to_have_count(3)
    more = page.locator("[data-hotline=quick-more]")
    more.click()
    expect(page.locator("[data-hotline=quick-reply]")).to_have_count(4)
    expect(more).to_have_count(0)

    page.reload()
    expect(panel).to_be_visible()
    expect(panel).to_have_attribute("data-mode", "elder")
    expect(page.locator("[data-hotline=elder-toggle]")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("[data-hotline=phone]")).to_be_visible()
    page.locator("[data-hotline=elder-toggle]").click()  # and back, remembered as well
    page.reload()
    expect(panel).to_have_attribute("data-mode", "normal")
    expect(page.locator("[data-hotline=phone]")).to_be_hidden()
    context.close()


def test_a_portal_can_start_the_widget_in_elder_mode(live: Live, chromium: Browser) -> None:
    context = chrome.new_context(chromium, "phone")
    page = context.new_page()
    portal = ('<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>长辈版</title></head>'
              '<body><main><h1>人社服务（长辈版）</h1></main>'
              '<script src="/widget.js" data-elder="true" data-open="true"></script></body></html>')
    page.route(live.base + "/elder.html", lambda route: route.fulfill(
        body=portal, content_type="text/html; charset=utf-8"))
    page.goto(live.base + "/elder.html")
    panel = page.locator("[data-hotline=panel]")
    expect(panel).to_be_visible()
    expect(panel).to_have_attribute("data-mode", "elder")
    assert serious(page) == []
    # The citizen's own choice on this device wins over the page's default.
    page.locator("[data-hotline=elder-toggle]").click()
    page.reload()
    expect(panel).to_have_attribute("data-mode", "normal")
    context.close()


def test_the_widget_works_from_the_keyboard_alone(live: Live, chromium: Browser) -> None:
    context = chrome.new_context(chromium, "desktop")
    page = context.new_page()
    page.goto(live.base + "/")
    launcher = page.locator("[data-hotline=launcher]")
    launcher.focus()
    page.keyboard.press("Enter")
    expect(page.locator("[data-hotline=panel]")).to_be_visible()
    assert focused(page) == "input"  # open → the question box
    page.keyboard.type("保险")
    before = chrome.bot_messages(page).count()
    page.keyboard.press("Enter")
    chrome.wait_answer(page, before)
    expect(page.locator("[data-hotline=quick-reply]").first).to_be_visible()

    page.keyboard.press("Shift+Tab")  # back from the question box to the last quick reply
    assert focused(page) == "quick-reply"
    chosen = page.evaluate("() => document.querySelector('hotline-webchat').shadowRoot"
                           ".activeElement.textContent")
    before = chrome.bot_messages(page).count()
    page.keyboard.press("Enter")
    expect(page.locator("[data-hotline=message][data-role=user]").last).to_have_text(chosen)
    chrome.wait_answer(page, before)

    page.keyboard.press("Escape")  # close → back on the launcher
    expect(page.locator("[data-hotline=panel]")).to_be_hidden()
    assert focused(page) == "launcher"
    page.keyboard.press("Space")
    expect(page.locator("[data-hotline=panel]")).to_be_visible()
    assert focused(page) == "input"

    # Elder mode from the keyboard: from the question box back to the header's switch.
    for _ in range(40):
        page.keyboard.press("Shift+Tab")
        if focused(page) == "elder-toggle":
            break
    assert focused(page) == "elder-toggle"
    page.keyboard.press("Enter")
    expect(page.locator("[data-hotline=elder-toggle]")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert focused(page) == "elder-human"  # the prominent 转人工 comes next, before the log
    context.close()
