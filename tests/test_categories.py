"""Categories are arXiv's: checked against its taxonomy at import, split when a source kept several
as one value, MSC and ACM classes kept apart, filters matched whatever the case, and a migration
that fixes papers imported before."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from dailypapers.ingest.importer import import_paths
from dailypapers.search.service import clean_filters
from dailypapers.search.text import QueryError
from dailypapers.store.models import Paper, PaperChange
from dailypapers.store.taxonomy import canonical, classify
from tests.web_fixtures import feature

ARXIV = "arxiv-cs-daily-2025-2026/papers.jsonl.gz"
# Real papers of the bundled listing: MSC and ACM lists kept as categories, two categories kept
# as one value, and a value that is nothing ("N/A").
MSC_ACM, JOINED, JUNK = "2503.11954", "2508.01712", "2509.06690"


def bundled_lines(data_dir: Path, ids: set[str]) -> list[bytes]:
    found = []
    with gzip.open(data_dir / ARXIV) as lines:
        for line in lines:
            if any(f'"id": "{i}"'.encode() in line for i in ids):
                found.append(line)
                if len(found) == len(ids):
                    break
    return found


@pytest.fixture
def bundled(data_dir, tmp_path) -> Path:
    path = tmp_path / "papers.jsonl"
    path.write_bytes(b"".join(bundled_lines(data_dir, {MSC_ACM, JOINED, JUNK})))
    return path


def test_classify_splits_and_sorts_what_sources_put_among_categories():
    found = classify(["cs.cv", "cs.CV, cs.MM", "94A29,", "I.4.2;", "68T07 (Primary), 68T50 (Secondary)", "N/A"])
    assert found.categories == ["cs.CV", "cs.MM"]
    assert found.msc == ["94A29", "68T07", "68T50"]
    assert found.acm == ["I.4.2"]
    assert found.unknown == ["N/A"]
    assert canonical("COND-MAT.STAT-MECH") == "cond-mat.stat-mech" and canonical("cs.XX") is None


@pytest.mark.django_db
def test_import_keeps_arxiv_categories_and_msc_acm_classes_apart(bundled):
    summary = import_paths([bundled])
    assert summary.rejected == 0
    msc_acm = Paper.objects.get(arxiv_id=MSC_ACM)
    assert msc_acm.category_list == ["eess.IV", "cs.AI", "cs.CV", "cs.IT", "cs.LG", "math.IT"]
    assert msc_acm.msc_list == ["94A29", "94A08", "94B05", "68T01", "68P30"]
    assert msc_acm.acm_list == ["I.4.2", "E.4", "I.2.10", "I.5.4", "I.5.1", "I.4.1"]
    assert msc_acm.primary_category == "eess.IV"
    assert Paper.objects.get(arxiv_id=JOINED).category_list == ["cs.CV", "cs.AI", "cs.MM"]
    junk = Paper.objects.get(arxiv_id=JUNK)
    assert junk.category_list == ["cs.CV", "cs.AI", "cs.AR"] and junk.acm_list == ["I.2.9", "I.2.10", "I.4.6"]
    # The one value that is nothing is left out and counted, not a rejection.
    assert summary.fields_dropped == 1


@pytest.mark.django_db
def test_malformed_categories_are_never_suggested(bundled):
    import_paths([bundled])
    with pytest.raises(QueryError) as refused:
        clean_filters(["cs.CVV"])
    message = str(refused.value)
    assert "Did you mean" in message and "cs.CV," not in message and "94A29" not in message
    assert clean_filters(["cs.mm"]).categories == ("cs.MM",)


@pytest.mark.django_db
def test_paper_page_shows_msc_and_acm_classes_as_such_not_as_category_chips(bundled, client, no_page_cache):  # noqa: F811
    import_paths([bundled])
    page = client.get(f"/papers/{MSC_ACM}").content.decode()
    assert "?category=94A29" not in page and "?category=I.4.2" not in page
    assert "MSC 94A29, 94A08, 94B05, 68T01, 68P30" in page and "ACM I.4.2, E.4, I.2.10" in page
    assert 'href="/?category=eess.IV"' in page


FRI = dt.date(2025, 1, 3)


def _ids(response) -> set[str]:
    return {p.arxiv_id for p in response.context["papers"]}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    ["/papers/date/2025-01-03", "/papers/week/2025-W01", "/papers/month/2025-01", "/trending"],
)
def test_category_filters_ignore_case(client, no_page_cache, url):  # noqa: F811
    # Only cs.CV, and cs.CV among others: SQLite's LIKE ignored case for the second kind only.
    cv = {p.arxiv_id for p in feature(FRI, 1, upvotes=3, categories=["cs.CV"])}
    cv |= {p.arxiv_id for p in feature(FRI, 1, upvotes=3, categories=["cs.AI", "cs.CV"])}
    feature(FRI, 2, upvotes=3, categories=["cs.CL"])
    for spelling in ("cs.CV", "cs.cv", "CS.CV"):
        assert _ids(client.get(f"{url}?category={spelling}")) == cv, spelling


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/papers/date/2025-01-03", "/trending"])
def test_a_filter_that_is_no_category_says_so(client, no_page_cache, url):  # noqa: F811
    feature(FRI, 2, upvotes=3, categories=["cs.CV"])
    page = client.get(f"{url}?category=94A29%2C").content.decode()
    assert "“94A29,” is not an arXiv category" in page
    assert 'id="category-refused"' not in client.get(f"{url}?category=cs.cv").content.decode()


@pytest.mark.django_db
def test_day_feed_category_filter_ignores_case(client, no_page_cache):  # noqa: F811
    cv = feature(FRI, 1, categories=["cs.CV"])[0]
    other = feature(FRI, 1, categories=["cs.CL"])[0]
    for spelling in ("cs.CV", "cs.cv"):
        body = client.get(f"/papers/date/2025-01-03/feed?category={spelling}").content.decode()
        assert cv.arxiv_id in body and other.arxiv_id not in body, spelling


def _sql(query: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall() if cursor.description else []


@pytest.mark.django_db(transaction=True)
def test_migration_sorts_the_categories_of_papers_already_imported():
    call_command("migrate", "store", "0005", verbosity=0)
    try:
        # As the old import stored them: each source value joined with spaces.
        rows = [
            (1, MSC_ACM, "eess.IV", "eess.IV cs.AI cs.CV 94A29, 94A08, 68P30 I.4.2; E.4; I.4.1"),
            (2, JOINED, "cs.CV", "cs.CV cs.AI cs.CV, cs.MM I.2.10"),
            (3, "2503.00003", "I.2.7", "I.2.7 cs.CL"),
            (4, "2503.00004", "cs.LG", "cs.LG stat.ML"),
        ]
        for pk, arxiv_id, primary, categories in rows:
            _sql(
                "INSERT INTO store_paper (id, arxiv_id, title, abstract, authors, primary_category, categories, "
                "comments, journal_ref, doi, license, submitter, withdrawn, deleted, sources, created_at, change_seq, "
                "hidden) VALUES (%s, %s, 'T', '', '[]', %s, %s, '', '', '', '', '', %s, %s, '{}', %s, 0, %s)",
                [
                    pk,
                    arxiv_id,
                    primary,
                    categories,
                    False,
                    False,
                    dt.datetime(2025, 1, 2, tzinfo=dt.timezone.utc),
                    False,
                ],
            )
    finally:
        call_command("migrate", verbosity=0)
    got = {p.arxiv_id: p for p in Paper.objects.all()}
    assert got[MSC_ACM].category_list == ["eess.IV", "cs.AI", "cs.CV"]
    assert got[MSC_ACM].msc_list == ["94A29", "94A08", "68P30"] and got[MSC_ACM].acm_list == ["I.4.2", "E.4", "I.4.1"]
    assert got[JOINED].category_list == ["cs.CV", "cs.AI", "cs.MM"] and got[JOINED].acm_list == ["I.2.10"]
    assert got["2503.00003"].primary_category == "cs.CL" and got["2503.00003"].category_list == ["cs.CL"]
    assert got["2503.00004"].category_list == ["cs.LG", "stat.ML"]
    # The fixed papers reach the search indexes through the feed; the untouched one does not.
    changed = set(PaperChange.objects.filter(kind="metadata").values_list("arxiv_id", flat=True))
    assert changed == {MSC_ACM, JOINED, "2503.00003"}


def test_bundled_listing_categories_are_all_sorted(data_dir):
    """Every category value of the bundled listing is an arXiv category, an MSC or ACM class, or
    one of the few free-text values reported at import."""
    unknown = []
    with gzip.open(data_dir / ARXIV) as lines:
        for line in lines:
            unknown += classify(json.loads(line)["categories"]).unknown
    assert 0 < len(unknown) < 40
