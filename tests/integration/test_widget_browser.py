"""The widget as a citizen uses it: Debian's Chromium on the demo portal page, the real
gateway, Rasa and action server behind it (issue 6, "Done when")."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from hotline import browser as chrome
from tests.integration.conftest import Live


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_citizen_asks_picks_a_quick_reply_asks_for_a_human_and_reloads(
        live: Live, chromium: Browser, size: str) -> None:
    context = chrome.new_context(chromium, size)
    page = context.new_page()
    page.goto(live.base + "/")
    expect(page.get_by_text("点击右下角「在线咨询」")).to_be_visible()
    chrome.open_widget(page)
    panel = page.locator("[data-hotline=panel]")
    expect(panel).to_have_attribute("data-transport", "ws", timeout=10_000)
    if size == "phone":  # the open panel takes the whole small screen
        box = panel.bounding_box()
        assert box is not None and box["width"] >= 380

    answer = chrome.ask(page, "失业保险金怎么申领")
    assert "失业" in answer and "依据" in answer

    # A vague question gets the closest questions as quick replies.
    chrome.ask(page, "保险")
    choices = page.locator("[data-hotline=quick-reply]")
    expect(choices.first).to_be_visible()
    before = chrome.bot_messages(page).count()
    chosen = choices.first.inner_text()
    choices.first.click()
    expect(page.locator("[data-hotline=message][data-role=user]").last).to_have_text(chosen)
    assert "依据" in chrome.wait_answer(page, before)

    page.locator("[data-hotline=human]").click()
    status = page.locator("[data-hotline=handoff]")
    expect(status).to_contain_text("已为您排队", timeout=chrome.ANSWER_TIMEOUT_MS)

    shown = chrome.bot_messages(page).count()
    page.reload()
    expect(panel).to_be_visible()  # it was open, so it opens again
    expect(chrome.bot_messages(page)).to_have_count(shown)
    expect(page.locator("[data-hotline=message][data-role=user]").first).to_have_text("失业保险金怎么申领")
    expect(status).to_contain_text("已为您排队")
    context.close()


def test_without_a_websocket_the_widget_falls_back_to_rest(live: Live, chromium: Browser) -> None:
    context = chrome.new_context(chromium, "desktop")
    page: Page = context.new_page()
    page.route_web_socket("**/api/v1/webchat/ws**", lambda ws: ws.close())
    page.goto(live.base + "/")
    chrome.open_widget(page)
    assert "社保卡" in chrome.ask(page, "社保卡丢了怎么办")
    expect(page.locator("[data-hotline=panel]")).to_have_attribute("data-transport", "rest")
    context.close()
