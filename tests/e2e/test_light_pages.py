"""Light pages in a real browser: page weight, no KaTeX without math, dark mode, j/k//,
topic-trend charts without JavaScript, a logged-out vote and comment that survive the login,
math and links in comments, a formula that never wraps away from its word, styled 404s.

The page-weight figures are printed (run with -s) and written to $DAILYPAPERS_SCREENSHOTS
(or the test's tmp folder) as weights.json: docs/site.md quotes them.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time

import pytest

from tests.web_fixtures import feature, import_real_days

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "a long enough passphrase 42"
PLAIN_DAY = "2026-05-12"  # Hugging Face's real list of that day: 50 papers, none with TeX in its title
MATH_DAY = "2026-05-11"  # 41 papers; arXiv's title of one is "A$^2$RD: Agentic ..." (TeX inside a word)
KIB = 1024
# Every box of the element overlaps the first one vertically: it sits on one line.
ONE_LINE = "e => { const r = [...e.getClientRects()]; return r.length > 0 && r.every(b => b.top < r[0].bottom && b.bottom > r[0].top); }"


def weigh(page, url: str) -> dict:
    """Load ``url`` in a fresh page and sum what went over the wire (headers + encoded bodies)."""
    sizes: list[tuple[str, int, int]] = []

    def finished(request):
        s = request.sizes()
        sizes.append((request.url, s["responseBodySize"], s["responseHeadersSize"]))

    page.on("requestfinished", finished)
    started = time.monotonic()
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    load_ms = (time.monotonic() - started) * 1000
    page.remove_listener("requestfinished", finished)
    return {
        "requests": len(sizes),
        "transferred_kib": round(sum(b + h for _, b, h in sizes) / KIB, 1),
        "html_kib": round(sum(b + h for u, b, h in sizes if "/static/" not in u) / KIB, 1),
        "load_ms": round(load_ms),
        "urls": [u.split("/", 3)[-1] for u, _, _ in sizes],
    }


@pytest.fixture
def new_page(browser):
    contexts = []

    def make(**options):
        context = browser.new_context(viewport=options.pop("viewport", {"width": 1200, "height": 900}), **options)
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
        return page

    yield make
    for context in contexts:
        context.close()


def test_day_page_without_math_weighs_under_60_kib(live_server, new_page, screenshots, tmp_path, settings):
    import_real_days(tmp_path, PLAIN_DAY, PLAIN_DAY)
    import_real_days(tmp_path, MATH_DAY, MATH_DAY)
    url = f"{live_server.url}/papers/date/{PLAIN_DAY}"
    page = new_page()
    first = weigh(page, url)
    assert page.locator("ol.papers li.card").count() == 50
    assert not any("katex" in u for u in first["urls"]), first["urls"]
    page.screenshot(path=str(screenshots / "day-plain.png"), full_page=False)
    again = weigh(page, url)  # static files now come from the browser's cache (hashed names, immutable)
    math = new_page()
    tex_day = weigh(math, f"{live_server.url}/papers/date/{MATH_DAY}")
    math.wait_for_selector(".card .katex")
    figures = {"day_without_math": first, "day_without_math_repeat_view": again, "day_with_math": tex_day}
    (screenshots / "weights.json").write_text(json.dumps(figures, indent=1))
    print("\nPAGE WEIGHT", json.dumps({k: {f: v for f, v in d.items() if f != "urls"} for k, d in figures.items()}))
    assert first["transferred_kib"] <= 60, first
    assert any("katex" in u for u in tex_day["urls"])
    assert again["transferred_kib"] < first["transferred_kib"] and again["requests"] <= first["requests"]
    assert not page.errors and not math.errors, page.errors + math.errors


def test_dark_mode_follows_the_system_setting(live_server, new_page, screenshots):
    feature(dt.date(2025, 1, 6), 3, upvotes=4, title="Plain title for the dark page")
    light, dark = new_page(color_scheme="light"), new_page(color_scheme="dark")
    for page, name in ((light, "light"), (dark, "dark")):
        page.goto(f"{live_server.url}/papers/date/2025-01-06")
        page.screenshot(path=str(screenshots / f"day-{name}.png"))
    background = {
        name: page.locator("body").evaluate("e => getComputedStyle(e).backgroundColor")
        for page, name in ((light, "light"), (dark, "dark"))
    }
    assert background == {"light": "rgb(246, 247, 249)", "dark": "rgb(15, 17, 21)"}  # app.css's --bg tokens
    title = dark.locator(".card h2 a").first.evaluate("e => getComputedStyle(e).color")
    assert title == "rgb(231, 233, 238)"  # --fg in dark


def test_j_k_and_slash_shortcuts(live_server, new_page):
    feature(dt.date(2025, 1, 6), 3, upvotes=1)
    page = new_page()
    page.goto(f"{live_server.url}/papers/date/2025-01-06")
    cards = page.locator("ol.papers > li.card")
    page.keyboard.press("j")
    assert "current" in cards.nth(0).get_attribute("class")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("j")  # stays on the last
    assert "current" in cards.nth(2).get_attribute("class") and "current" not in cards.nth(0).get_attribute("class")
    page.keyboard.press("k")
    assert "current" in cards.nth(1).get_attribute("class")
    assert page.evaluate("document.activeElement.closest('li.card') !== null")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "nav-q"
    page.keyboard.type("jk")  # typing in the box is typing, not shortcuts
    assert page.locator("#nav-q").input_value() == "jk" and "current" in cards.nth(1).get_attribute("class")


def test_topic_trends_are_drawn_without_javascript(live_server, new_page, screenshots, tmp_path):
    import_real_days(tmp_path, "2026-04-01", "2026-06-30")
    query = "/trends?by=week&from=2026-04-01&to=2026-06-30&category=cs.CV,cs.CL&keyword=diffusion,agent"
    page = new_page(java_script_enabled=False)
    page.goto(live_server.url + query)
    charts = page.locator("figure svg.chart")
    assert charts.count() == 2 and charts.first.is_visible()
    assert page.locator("figure svg.chart").first.locator("g.series").count() == 4
    box = charts.first.bounding_box()
    assert box["width"] > 600 and box["height"] > 200
    page.screenshot(path=str(screenshots / "trends.png"), full_page=True)
    data = json.loads(page.context.request.get(live_server.url + query.replace("/trends", "/trends.json")).text())
    cv = next(s for s in data["series"] if s["name"] == "cs.CV")
    assert sum(cv["papers"]) > 100 and sum(cv["votes"]) > 1000  # real papers, real Hugging Face votes
    assert data["buckets"][0] == "2026-W14" and len(data["buckets"]) == 14


def login(page, username: str = "dora") -> None:
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button:has-text('Log in')")


def test_vote_and_comment_started_logged_out_survive_the_login(
    live_server, new_page, screenshots, django_user_model, settings
):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False  # the live server speaks plain HTTP
    from dailypapers.community.models import Comment, Vote

    django_user_model.objects.create_user("dora", "dora@example.org", PASSWORD)
    paper = feature(dt.date(2025, 1, 6), 1, upvotes=2, title="A paper worth a vote")[0]
    page = new_page()
    page.goto(f"{live_server.url}/papers/date/2025-01-06")
    page.click("a.vote-button")
    page.wait_for_url(re.compile(r"/accounts/login\?next="))
    login(page)
    # The vote's POST form went by itself, back to the card it started from.
    page.wait_for_url(re.compile(re.escape(f"{live_server.url}/papers/date/2025-01-06") + "#p-"))
    assert page.locator("form.vote button[aria-pressed='true'] .count").inner_text() == "3"
    assert Vote.objects.filter(paper=paper, user__username="dora").count() == 1

    other = new_page()  # logged out again: a fresh browser
    other.goto(f"{live_server.url}/papers/{paper.arxiv_id}")
    text = "The bound $O(n^2)$ is tight,\nsee https://example.org/proof."
    other.fill("#comment-body", text)
    other.click("button:has-text('Log in to post')")
    assert "Log in to post your comment" in other.content()
    login(other)
    other.wait_for_url(re.compile(re.escape(f"/papers/{paper.arxiv_id}#comments") + "$"))
    assert other.locator("#comment-body").input_value() == text
    other.click("button:has-text('Post comment')")
    other.wait_for_selector(".comment .body a[rel~='ugc']")
    link = other.locator(".comment .body a").first
    assert link.get_attribute("href") == "https://example.org/proof" and "nofollow" in link.get_attribute("rel")
    assert Comment.objects.get().body.startswith("The bound $O(n^2)$")
    other.reload()  # the page now has math in a comment: KaTeX is loaded and renders it
    other.wait_for_selector(".comment .body .katex")
    other.screenshot(path=str(screenshots / "comment-math.png"), full_page=True)

    other.click(".comment .tools a.delete")
    assert "Delete this comment?" in other.content() and not Comment.objects.get().deleted
    other.click("main button:has-text('Delete')")
    other.wait_for_selector(".comment .removed")
    assert Comment.objects.get().deleted
    assert not page.errors and not other.errors, page.errors + other.errors


def test_a_formula_never_wraps_away_from_its_word(live_server, new_page, screenshots, tmp_path):
    """A real title with TeX inside a word ("A$^2$RD:") must not wrap inside it; nor "$\\alpha$-divergence"."""
    from dailypapers.store.models import Paper

    import_real_days(tmp_path, MATH_DAY, MATH_DAY)
    real = Paper.objects.get(title__startswith="A$^2$RD: Agentic")
    made = feature(
        dt.date(2025, 1, 6),
        1,
        upvotes=3,
        title=("Scaling laws for $\\alpha$-divergence minimization with $\\mathcal{O}(n\\log n)$-time estimators"),
    )[0]
    page = new_page(viewport={"width": 360, "height": 800})
    for paper, glued in ((real, ["A2RD:"]), (made, ["α-divergence", "O(nlogn)-time"])):
        page.goto(f"{live_server.url}/papers/{paper.arxiv_id}")
        page.wait_for_selector("h1 .katex")
        words = page.locator("h1 .nowrap")
        assert words.count() == len(glued)
        for i, word in enumerate(glued):
            # One line box each: the formula and the letters glued to it stay together.
            assert words.nth(i).evaluate(ONE_LINE), word
            visible = words.nth(i).locator(".katex-html").inner_text().replace("\n", "")
            text = (
                words.nth(i).evaluate("e => e.firstChild.nodeType === 3 ? e.firstChild.data : ''")
                + visible
                + words.nth(i).evaluate("e => e.lastChild.nodeType === 3 ? e.lastChild.data : ''")
            )
            assert text.replace(" ", "").replace("\u200b", "") == word.replace(" ", ""), text
        page.screenshot(path=str(screenshots / f"title-narrow-{paper.arxiv_id}.png"), full_page=False)
    assert not page.errors, page.errors


def test_unknown_paper_page_is_styled_and_offers_search_and_submission(live_server, new_page, screenshots):
    page = new_page()
    response = page.goto(f"{live_server.url}/papers/2501.99999")
    assert response.status == 404
    assert page.locator("header.site nav").is_visible()
    page.click("text=Search for “2501.99999”")
    page.wait_for_url(re.compile(r"/search\?q=2501\.99999$"))
    page.go_back()
    assert (
        page.locator("a:has-text('Submit arXiv paper 2501.99999')").get_attribute("href") == "/submit?arxiv=2501.99999"
    )
    page.screenshot(path=str(screenshots / "404.png"), full_page=True)
