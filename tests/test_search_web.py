"""Search through the site, the API and the CLI: every query-syntax case answers (never a 500),
filters, escaped highlighted snippets, pagination, similar papers, no N+1 queries."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.core.management import CommandError, call_command

from dailypapers.search.backfill import backfill
from dailypapers.search.embed import Embedder
from dailypapers.search.indexer import catch_up
from tests.conftest import dailypapers_env, run_cli
from tests.search_fixtures import write_papers
from tests.web_fixtures import paper_record

pytestmark = pytest.mark.django_db

# Every one of these must give results or a clear message, through every door.
QUERIES = [
    'gene "therapy',  # unbalanced quote
    '"gene therapy"',
    "gene AND therapy OR NOT cancer",
    "(unbalanced gene",
    "gene)) therapy(",
    "gene*",
    "-gene",
    "title:gene",
    "C++ & <script>",
    "深度学习 医学",
    "рак лёгких",
    "السرطان",
    "🧬🔬",
    "gene " * 2000,  # 10 kB
    "x" * 30_000,  # over the engine's limit: a clear message
    "",
    "   ",
    "\x00\x1f gene",
]


@pytest.fixture
def corpus(search_index, settings):
    settings.PAGE_CACHE_SECONDS = 0
    papers = write_papers(
        paper_record(
            arxiv_id="2501.10001",
            title="Gene therapy for rare disease",
            abstract="A gene therapy trial. <script>alert(1)</script> & more.",
            categories=["q-bio.GN"],
            first_submitted=dt.datetime(2025, 1, 2, tzinfo=dt.timezone.utc),
        ),
        paper_record(
            arxiv_id="2501.10002",
            title="Deep gene expression models",
            abstract="Transformers read gene expression.",
            categories=["cs.LG"],
            first_submitted=dt.datetime(2025, 3, 2, tzinfo=dt.timezone.utc),
        ),
        paper_record(arxiv_id="2501.10003", title="深度学习 医学 影像", abstract="卷积 神经网络", categories=["cs.CV"]),
        paper_record(
            arxiv_id="2501.10004", title="Рак лёгких и курение", abstract="Исследование", categories=["cs.CY"]
        ),
        paper_record(arxiv_id="2501.10005", title="السرطان والتدخين", abstract="دراسة", categories=["cs.CY"]),
        *[
            paper_record(title=f"Gene regulatory network {i}", abstract="Networks of genes.", categories=["q-bio.MN"])
            for i in range(25)
        ],
    )
    catch_up()
    return papers


@pytest.mark.parametrize("query", QUERIES, ids=range(len(QUERIES)))
def test_search_page_never_fails(client, corpus, query):
    response = client.get("/search", {"q": query})
    if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", query):  # refused before any view (web/guards.py)
        assert response.status_code == 400 and b"control character" in response.content
        return
    assert response.status_code == 200
    body = response.content.decode()
    assert "result" in body or 'class="error"' in body or not query.strip()


@pytest.mark.parametrize("query", QUERIES, ids=range(len(QUERIES)))
def test_api_search_never_fails(client, corpus, query):
    response = client.get("/api/papers/search", {"q": query})
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert response.json()["detail"]
    else:
        assert isinstance(response.json(), list)


@pytest.mark.parametrize("query", [q for q in QUERIES if "\x00" not in q], ids=range(len(QUERIES) - 1))
def test_cli_search_never_fails(corpus, query, capsys):
    try:
        call_command("search", query, "--json")
    except CommandError as exc:
        assert exc.returncode == 2 and str(exc)
        return
    assert isinstance(json.loads(capsys.readouterr().out), list)


def test_non_latin_queries_find_their_papers(client, corpus):
    for query, expected in (("深度学习", "2501.10003"), ("лёгких", "2501.10004"), ("السرطان", "2501.10005")):
        assert [p["paper"]["id"] for p in client.get("/api/papers/search", {"q": query}).json()][:1] == [expected]


def test_snippets_are_highlighted_and_escaped(client, corpus):
    body = client.get("/search", {"q": "therapy"}).content.decode()
    assert "<b>therapy</b>" in body
    assert "<script>alert" not in body and "&lt;script&gt;" in body


def test_filters_sorts_and_pagination(client, corpus):
    page = client.get("/search", {"q": "gene", "category": "cs.LG"}).content.decode()
    assert "Deep gene expression" in page and "Gene therapy for rare" not in page
    page = client.get("/search", {"q": "gene", "from": "2025-02-01", "to": "2025-04-01"}).content.decode()
    assert "Deep gene expression" in page and "Gene therapy for rare" not in page
    api = client.get("/api/papers/search", {"q": "gene", "limit": 10}).json()
    nxt = client.get("/api/papers/search", {"q": "gene", "limit": 10, "p": 1}).json()
    first_ids, next_ids = [p["paper"]["id"] for p in api], [p["paper"]["id"] for p in nxt]
    assert len(first_ids) == len(next_ids) == 10 and not set(first_ids) & set(next_ids)


def test_cli_search_json_and_exit_code(tmp_path, data_dir, scratch_databases):
    env = dailypapers_env(tmp_path / "home", DATABASE_URL=scratch_databases("cli"))
    run_cli("migrate", "--verbosity", "0", env=env)
    run_cli("import", str(data_dir / "arxiv-raw-formats" / "api-atom" / "search_deep_dream_start0.atom"), env=env)
    rows = json.loads(run_cli("search", "deep dream", "--json", "--limit", "3", env=env).stdout)
    assert 1 <= len(rows) <= 3 and {"id", "title", "score"} <= set(rows[0])
    bad = run_cli("search", "🙂", env=env, check=False)
    assert bad.returncode == 2 and "word" in bad.stderr and "Traceback" not in bad.stderr


def test_search_page_queries_do_not_grow_with_results(client, corpus, django_assert_max_num_queries):
    client.get("/search", {"q": "gene"})  # warm: index reader opened
    with django_assert_max_num_queries(12):
        response = client.get("/search", {"q": "gene"})
    assert response.content.decode().count('class="card"') == 20


def test_similar_papers_by_keywords_exclude_the_paper(client, corpus):
    body = client.get("/papers/2501.10002").content.decode()
    section = body.split('id="similar-h"')[1]
    assert "Gene regulatory network" in section and "/papers/2501.10002" not in section


def test_similar_papers_by_embedding(client, corpus, settings):
    embedder = Embedder(max_length=64, model_dir=settings.SEARCH_MODEL_DIR)
    assert backfill(embedder).embedded == len(corpus)
    catch_up()
    body = client.get("/papers/2501.10001").content.decode()
    section = body.split('id="similar-h"')[1]
    assert section.count("<li") == 5 and "/papers/2501.10001" not in section
    results = client.get("/api/papers/search", {"q": "curing hereditary illnesses"}).json()
    assert results[0]["paper"]["id"] == "2501.10001"
