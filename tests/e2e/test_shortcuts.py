"""In a real browser: "?" opens the list of keyboard shortcuts, Escape closes it, and the
footer link opens it too (the shortcuts could not be discovered)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.web_fixtures import feature

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_question_mark_shows_the_shortcuts(live_server, browser, no_page_cache):  # noqa: F811
    feature(dt.date(2025, 1, 3), 2)
    page = browser.new_page()
    try:
        page.goto(live_server.url + "/")
        help = page.locator("dialog#shortcuts")
        assert not help.is_visible()
        page.keyboard.press("?")
        assert help.is_visible() and "next / previous paper" in help.inner_text()
        page.keyboard.press("Escape")
        assert not help.is_visible()
        # Typing a "?" into the search box is text, not a shortcut.
        page.locator("#nav-q").press_sequentially("what?")
        assert not help.is_visible()
        page.click("a.shortcuts-link")
        assert help.is_visible()
    finally:
        page.close()
