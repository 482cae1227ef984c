"""The search page in a real browser: an id goes straight to its paper, the mode
that ran and the coverage are shown, the mode is choosable, a bad filter gets a sentence."""

from __future__ import annotations

import re

import pytest

from dailypapers.search.indexer import catch_up
from tests.search_fixtures import write_papers
from tests.web_fixtures import paper_record

pytestmark = pytest.mark.django_db(transaction=True)


def test_search_page_in_a_browser(browser, live_server, settings, search_index, screenshots):
    settings.PAGE_CACHE_SECONDS = 0
    write_papers(
        paper_record(
            arxiv_id="2503.09573",
            title="Robust Language Identification for Romansh Varieties",
            abstract="Romansh idioms.",
            authors=["Charlotte Model"],
            categories=["cs.CL"],
        ),
        paper_record(
            arxiv_id="2503.10001",
            title="Diffusion language models are few-shot learners",
            abstract="A diffusion language model generates text.",
            categories=["cs.CL"],
        ),
    )
    catch_up()
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    url = live_server.url

    page.goto(f"{url}/search")
    page.fill("#q", "https://arxiv.org/abs/2503.09573v2")
    page.click("main button:has-text('Search')")
    page.wait_for_url(re.compile(r"/papers/2503\.09573v2$"))
    assert "Robust Language Identification" in page.content()

    page.goto(f"{url}/search")
    page.fill("#q", "diffusion language model")
    page.select_option("#s-mode", "keyword")
    page.click("main button:has-text('Search')")
    page.wait_for_url(re.compile(r"mode=keyword"))
    assert page.locator("#search-mode").inner_text() == "keyword search"
    assert "semantic: 0 of 2 papers" in page.locator("p.total").inner_text()
    assert "Diffusion language models" in page.locator("ol.papers h2").first.inner_text()
    page.screenshot(path=str(screenshots / "search-mode.png"), full_page=True)

    page.fill("#s-cat", "bogus!!")
    page.click("main button:has-text('Search')")
    page.wait_for_selector("p.error")
    assert "is not an arXiv category" in page.locator("p.error").inner_text()
    assert page.locator("#s-cat").input_value() == "bogus!!"  # the form keeps what was typed
