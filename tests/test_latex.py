"""LaTeX in plain-text places: the browser tab, collection and shared pages, search snippets (one helper,
dailypapers.latex, everywhere)."""

import re

import pytest
from django.test import Client

from dailypapers import latex
from dailypapers.search.indexer import catch_up
from tests.search_fixtures import write_paper

DIMO = r"Di$\mathtt{[M]}$O: Distilling Masked Diffusion Models into One-step Generator"


def test_plain_renders_latex_as_text_and_leaves_literal_characters_alone():
    assert latex.plain(DIMO) == "Di[𝙼]O: Distilling Masked Diffusion Models into One-step Generator"
    assert latex.plain(r"\emph{Sparse} attention: 50% fewer FLOPs for $5 & more") == (
        "Sparse attention: 50% fewer FLOPs for $5 & more"
    )
    assert latex.plain(r"Learning $\alpha$-divergences in $O(n^2)$") == "Learning α-divergences in O(n^2)"
    assert latex.plain(r"Caf\'e \textbf{bold} 10\% off") == "Café bold 10% off"
    assert latex.plain("No LaTeX here (really) ~ 3x") == "No LaTeX here (really) ~ 3x"
    assert latex.outside_math(r"\emph{Why} $\mathtt{[M]}$ works") == r"Why $\mathtt{[M]}$ works"
    assert latex.snippet_html(r"We \emph{<b>speculate</b>} on $x&lt;y$ &amp; more") == (
        "We <b>speculate</b> on $x&lt;y$ &amp; more"
    )


def _title(page: str) -> str:
    return re.search(r"<title>(.*?)</title>", page, re.DOTALL).group(1)


@pytest.mark.django_db
def test_tab_titles_collection_and_shared_pages_and_snippets_show_no_raw_latex(alice_client, search_index):
    paper = write_paper(
        title=r"\emph{Sparse} " + DIMO,
        abstract=r"We study \emph{speculative decoding} with \textbf{draft models} and $\mathtt{[M]}$ tokens.",
    )
    catch_up()
    page = alice_client.get(f"/papers/{paper.arxiv_id}").content.decode()
    assert _title(page).startswith("Sparse Di[𝙼]O: Distilling")
    alice_client.post(f"/papers/{paper.arxiv_id}/save", {})
    from dailypapers.library.models import Collection

    collection = Collection.objects.get()
    alice_client.post(f"/library/{collection.pk}/share", {"share": "1"})
    collection.refresh_from_db()
    for page in (
        alice_client.get(f"/library/{collection.pk}").content.decode(),
        Client().get(f"/shared/{collection.share_token}").content.decode(),
    ):
        assert r"\emph" not in page and "Sparse Di$\\mathtt{[M]}$O" in page  # the math is KaTeX's to typeset
        assert "katex" in page.lower()  # ... and KaTeX is loaded for it
    page = Client().get("/search?q=speculative+decoding").content.decode()
    snippet = re.search(r'<p class="snippet tex">(.*?)</p>', page, re.DOTALL).group(1)
    assert r"\emph" not in snippet and r"\textbf" not in snippet and "draft models" in snippet
    assert _title(Client().get("/search?q=speculative+decoding").content.decode()).startswith("speculative decoding")


@pytest.mark.django_db
def test_feeds_and_digest_mails_carry_titles_as_text(search_index, sink):
    import datetime as dt

    from dailypapers.digest import periods
    from dailypapers.digest.sender import SendOptions, send_period
    from dailypapers.ingest.records import DailyEntryRecord
    from dailypapers.store.upsert import write_batch
    from digest_data import make_subscriber
    from tests.web_fixtures import paper_record

    day = dt.date(2026, 6, 30)
    record = paper_record(title=DIMO, abstract="Speculative decoding, distilled.", announced=day)
    write_batch([record, DailyEntryRecord(paper=record, date=day, upvotes=7)], fetched_at=dt.datetime.now(dt.UTC))
    catch_up()
    feed = Client().get("/search/feed?q=speculative+decoding").content.decode()
    assert "<title>Di[𝙼]O: Distilling" in feed and "mathtt" not in feed
    make_subscriber("reader@example.org")
    assert send_period(periods.parse("daily:2026-06-30"), SendOptions(rate=0)).sent == 1
    (mail,) = sink.mails_to("reader@example.org")
    for part in ("plain", "html"):
        body = mail.get_body((part,)).get_content()
        assert "Di[𝙼]O: Distilling" in body and "mathtt" not in body
