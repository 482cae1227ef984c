"""A recorded Hugging Face day, imported and shown in chromium: the same papers in the same order,
with the same summary, code link, organization and counts, and images served by us alone."""

from __future__ import annotations

import gzip
import io
import json
import re
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command

from dailypapers.ingest.media import fetch_queued
from dailypapers.store.models import MediaItem
from tests.conftest import DATA
from tests.images import png
from tests.replay_server import ReplayServer, Reply

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
RAW = DATA / "hf-daily-papers" / "daily_papers_raw.jsonl.gz"
DAY = "2026-08-20"  # 15 papers: 9 with an organization, 8 with code, all with an AI summary, 12 discussed


def recorded_day(day: str) -> tuple[bytes, list[dict]]:
    with gzip.open(RAW, "rb") as lines:
        for line in lines:
            if line.startswith(b'{"date": "%s"' % day.encode()):
                return line, json.loads(line)["response"]
    raise AssertionError(f"{day} is not in {RAW}")


def squash(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def imported_day(tmp_path, settings):
    """The recorded day imported through `dailypapers import`, its images fetched from a replay server.

    The copy imported points Hugging Face's CDN addresses at the replay server (and relative avatar
    paths resolve against it), so every image the day names is fetched over loopback."""
    line, entries = recorded_day(DAY)
    with ReplayServer() as images:
        base = images.url("").rstrip("/")
        # Every image address (HF's CDNs, gravatar...) moves to the replay server: no test leaves loopback.
        line = re.sub(
            rb'("(?:avatarUrl|avatar|thumbnail)": ")https://([^/"]+)/',
            lambda m: m[1] + b"%s/%s/" % (base.encode(), m[2]),
            line,
        )
        path = tmp_path / f"hf-{DAY}.jsonl"
        path.write_bytes(line)
        settings.CONFIG = {
            **settings.CONFIG,
            "DAILYPAPERS_HF_SITE_URL": base,
            "DAILYPAPERS_MEDIA_DELAY": 0.0,
            "DAILYPAPERS_MEDIA_ALLOWED_HOSTS": ["127.0.0.1"],  # the replay server stands in for the CDNs
            "DAILYPAPERS_HF_THUMBNAIL_URL": base + "/cdn-thumbnails.huggingface.co/social-thumbnails/papers/{id}.png",
        }
        call_command("import", str(path), "--no-index", stdout=io.StringIO())
        for i, item in enumerate(MediaItem.objects.all()):
            size = (160, 90) if item.kind == "thumbnail" else (24, 24)
            images.route(
                urlsplit(item.url).path,
                Reply(200, png(*size, (40 + 7 * i % 200, 90, 160)), {"Content-Type": "image/png"}),
            )
        assert all(item.url.startswith(base) for item in MediaItem.objects.all())
        summary = fetch_queued(settings.CONFIG)
        assert summary.fetched == MediaItem.objects.count() and summary.refused == 0, summary.errors
    assert MediaItem.objects.filter(kind="thumbnail").count() == len(entries)
    assert MediaItem.objects.filter(kind="avatar").count() > 0
    return entries, base


def loaded_width(page, image) -> int:
    image.scroll_into_view_if_needed()  # loading="lazy": below the fold it loads when scrolled to
    page.wait_for_function("img => img.complete", arg=image.element_handle())
    return image.evaluate("img => img.naturalWidth")


def test_recorded_day_and_paper_page(browser, live_server, screenshots, imported_day):
    entries, hf_site = imported_day
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    elsewhere: list[str] = []
    origin = urlsplit(live_server.url).netloc
    page.on("request", lambda r: elsewhere.append(r.url) if urlsplit(r.url).netloc not in (origin, "") else None)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    page.goto(f"{live_server.url}/papers/date/{DAY}")
    hrefs = page.locator("ol.papers li.card h2 a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert hrefs == [f"/papers/{e['paper']['id']}" for e in entries]  # the recorded order (upvotes, highest first)

    cards = page.locator("ol.papers li.card")
    for i, entry in enumerate(entries):
        card, paper = cards.nth(i), entry["paper"]
        card.locator("details.more summary").first.click()  # the summary, keywords and submitter are on demand
        counts = squash(card.locator(".counts").inner_text())
        upvotes, comments = paper["upvotes"], entry.get("numComments", 0)
        assert card.locator(".vote .count").inner_text() == str(upvotes)  # no votes here yet: Hugging Face's
        assert f"{upvotes} upvote{'s' * (upvotes != 1)} on Hugging Face" in counts  # said to screen readers
        assert f"{comments} comment{'s' * (comments != 1)} on Hugging Face" in counts
        assert card.locator(".hf-comments").get_attribute("href") == f"{hf_site}/papers/{paper['id']}#community"
        assert squash(paper["ai_summary"]) in squash(card.locator(".ai-summary").inner_text())
        assert card.locator(".ai-summary .label").inner_text().lower().startswith("hugging face ai summary")
        if paper.get("githubRepo"):
            assert card.locator("a.repo").get_attribute("href") == paper["githubRepo"]
            if paper.get("githubStars") is not None:
                stars = paper["githubStars"]
                assert card.locator(".stars").get_attribute("title") == f"{stars} GitHub star{'s' * (stars != 1)}"
        else:
            assert card.locator("a.repo").count() == 0
        organization = entry.get("organization") or paper.get("organization")
        if organization:
            assert card.locator(".org").inner_text().strip() == organization["fullname"]
            # Cards name the organization without its avatar: one image request fewer per card (page weight).
            assert card.locator(".org img").count() == 0
        submitter = entry.get("submittedBy")
        if submitter:
            assert squash(card.locator(".submitter").inner_text()) == f"submitted by {submitter['fullname']}"
            assert loaded_width(page, card.locator(".submitter img.avatar")) == 24
        if paper.get("ai_keywords"):
            chip = card.locator("ul.keywords a").first
            assert chip.inner_text() == paper["ai_keywords"][0]
            assert chip.get_attribute("href").startswith("/search?q=")
        assert loaded_width(page, card.locator(".thumb img")) == 160  # our stored copy, loaded
    page.screenshot(path=str(screenshots / "hf-day.png"), full_page=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(screenshots / "hf-day-top.png"))

    first = entries[0]
    page.locator("ol.papers li.card h2 a").first.click()
    page.wait_for_url(re.compile(re.escape(f"/papers/{first['paper']['id']}") + "$"))
    section = page.locator("section.hf")
    assert squash(first["paper"]["ai_summary"]) in squash(section.locator(".ai-summary").inner_text())
    assert section.locator("ul.keywords li").count() == len(first["paper"].get("ai_keywords") or [])
    if first["paper"].get("githubRepo"):
        assert section.locator("a.repo").get_attribute("href") == first["paper"]["githubRepo"]
    organization = first.get("organization") or first["paper"].get("organization")
    if organization:
        assert section.locator(".org").inner_text().strip() == organization["fullname"]
    counts = squash(page.locator("article.paper .counts").inner_text())
    assert f"{first['paper']['upvotes']} upvotes on Hugging Face" in counts
    assert section.locator(".hf-thumb").evaluate("img => img.complete && img.naturalWidth") == 160
    page.screenshot(path=str(screenshots / "hf-paper.png"), full_page=True)

    # The first chip searches for its keyword.
    section.locator("ul.keywords a").first.click()
    page.wait_for_url(re.compile(r"/search\?q="))
    assert page.locator("#q").input_value() == first["paper"]["ai_keywords"][0]

    assert elsewhere == [], f"the pages made the browser call other sites: {elsewhere[:5]}"
    assert not errors, errors
    page.close()


def test_a_missing_image_shows_the_placeholder(browser, live_server, screenshots, settings, tmp_path):
    """Never fetched (the queue not yet run): the card still shows a clean, sized placeholder."""
    line, _ = recorded_day(DAY)
    path = tmp_path / "day.jsonl"
    path.write_bytes(line)
    call_command("import", str(path), "--no-index", stdout=io.StringIO())
    page = browser.new_page(viewport={"width": 1200, "height": 700})
    page.goto(f"{live_server.url}/papers/date/{DAY}")
    thumb = page.locator("ol.papers li.card .thumb img").first
    assert thumb.evaluate("img => img.complete && img.naturalWidth") > 0  # the SVG placeholder, not a broken image
    box = thumb.bounding_box()
    assert round(box["width"]) == 112 and round(box["height"]) == 63  # the card's 16:9 thumbnail box (7rem)
    page.screenshot(path=str(screenshots / "hf-day-placeholders.png"), full_page=False)
    page.close()
