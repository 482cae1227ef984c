"""The look in a real browser: a screenful of papers, a one-line header on a phone, "Save" that keeps
the reader's place, and a search notice that stays one box."""

from __future__ import annotations

import datetime as dt

import pytest

from dailypapers.search.indexer import catch_up
from tests.search_fixtures import write_papers
from tests.web_fixtures import feature, import_real_days, paper_record

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "a long enough passphrase 42"
REAL_DAY = "2026-05-12"  # Hugging Face's real list of that day: 50 papers with their summaries and organizations
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# Cards whose whole box lies inside the viewport.
FULLY_VISIBLE = """() => [...document.querySelectorAll('ol.papers > li.card')].filter(c => {
  const r = c.getBoundingClientRect();
  return r.top >= 0 && r.bottom <= window.innerHeight && r.left >= 0 && r.right <= window.innerWidth;
}).length"""
# Every direct part of the header's bar that is shown sits on the first one's line; nothing sticks out.
HEADER_ONE_LINE = """() => {
  const nav = document.querySelector('header.site nav');
  const parts = [...nav.children].filter(e => e.getClientRects().length && getComputedStyle(e).position !== 'absolute');
  const first = parts[0].getBoundingClientRect();
  const line = parts.every(e => { const r = e.getBoundingClientRect(); return r.top < first.bottom && r.bottom > first.top; });
  return {line, overflow: document.documentElement.scrollWidth - window.innerWidth,
          right: Math.max(...parts.map(e => e.getBoundingClientRect().right)), height: nav.getBoundingClientRect().height};
}"""


def log_in(page, base: str, name: str) -> None:
    page.goto(base + "/accounts/login")
    page.fill("#id_username", name)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_at_least_six_papers_fit_a_1280_by_800_screen(browser, live_server, tmp_path, settings, scheme):
    settings.PAGE_CACHE_SECONDS = 0
    import_real_days(tmp_path, REAL_DAY, REAL_DAY)
    context = browser.new_context(viewport=DESKTOP, color_scheme=scheme)
    page = context.new_page()
    page.goto(f"{live_server.url}/papers/date/{REAL_DAY}")
    assert page.locator("ol.papers > li.card").count() == 50
    visible = page.evaluate(FULLY_VISIBLE)
    assert visible >= 6, f"{visible} papers fully visible at 1280x800"
    # One short counts line per card: it never wraps onto a second line.
    counts = page.locator("ol.papers > li.card .counts").first
    assert counts.evaluate("e => e.getClientRects().length === 1 && e.getBoundingClientRect().height < 40")
    context.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390px-phone", "1280px-laptop"])
@pytest.mark.parametrize("logged_in", [False, True])
def test_the_header_fits_one_line(browser, live_server, settings, django_user_model, logged_in, viewport):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False  # the live server speaks plain HTTP
    feature(dt.date(2025, 1, 6), 3, upvotes=2)
    django_user_model.objects.create_user("maximilian", "m@example.org", PASSWORD)
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    if logged_in:
        log_in(page, live_server.url, "maximilian")
    page.goto(f"{live_server.url}/papers/date/2025-01-06")
    header = page.evaluate(HEADER_ONE_LINE)
    assert header["line"] and header["overflow"] <= 0 and header["right"] <= viewport["width"], header
    assert header["height"] < 64, header
    # Every link keeps a name for screen readers, though only its icon shows.
    for link in page.locator("header.site nav a, header.site nav button").all():
        assert link.inner_text().strip() or link.get_attribute("title") or link.get_attribute("aria-label"), link
    context.close()


def test_save_on_a_card_returns_to_that_card_without_javascript(browser, live_server, settings, django_user_model):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    settings.PAGE_CACHE_SECONDS = 0
    papers = feature(dt.date(2025, 1, 6), 30, upvotes=5)
    django_user_model.objects.create_user("dora", "dora@example.org", PASSWORD)
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    page = context.new_page()
    log_in(page, live_server.url, "dora")
    page.goto(f"{live_server.url}/papers/date/2025-01-06")
    card = page.locator("ol.papers > li.card").nth(24)
    card.scroll_into_view_if_needed()
    card_id = card.get_attribute("id")
    assert page.evaluate("window.scrollY") > 0
    with page.expect_navigation():
        card.locator("form.save button").click()
    assert "Saved to" in page.content()
    assert page.url.endswith(f"#{card_id}"), page.url
    assert page.evaluate("window.scrollY") > 0, "the page jumped back to its top"
    box = page.locator(f"#{card_id}").bounding_box()
    assert box and 0 <= box["y"] < DESKTOP["height"], box  # the saved card is on screen
    assert page.locator(f"#{card_id} form.save button").get_attribute("aria-pressed") == "true"
    assert len(papers) == 30
    context.close()


def test_the_search_notice_is_one_box(browser, live_server, settings, search_index):
    settings.PAGE_CACHE_SECONDS = 0
    write_papers(
        paper_record(arxiv_id="2503.09573", title="Robust Language Identification", authors=["Charlotte Model"]),
        paper_record(arxiv_id="2503.10001", title="Diffusion language models", authors=["Charlotte Model"]),
    )
    catch_up()
    for viewport in (PHONE, DESKTOP):
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        page.goto(f"{live_server.url}/search?q=Charlotte+Model")
        notice = page.locator(".note", has_text="then papers with these words")
        assert notice.count() == 1
        # One rectangle (not a box broken across lines), inside the page's width.
        shape = notice.evaluate(
            "e => ({rects: e.getClientRects().length, right: e.getBoundingClientRect().right, width: innerWidth})"
        )
        assert shape["rects"] == 1 and shape["right"] <= shape["width"], (viewport, shape)
        context.close()
