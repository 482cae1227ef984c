"""Search a researcher trusts: known items first, free text on the topic fields only,
author names when the query names an author, exact forms above stems, all words first,
semantic coverage said, filters that say what they did. Every case through the page, the
JSON API and the CLI (real SQLite/PostgreSQL, real tantivy index, Django's test client)."""

from __future__ import annotations

import datetime as dt
import html
import json

import pytest
from django.core.management import CommandError, call_command

from dailypapers.ingest.records import VersionRecord
from dailypapers.search import rules
from dailypapers.search.backfill import backfill
from dailypapers.search.embed import Embedder
from dailypapers.search.hybrid import FusionParams, fuse
from dailypapers.search.indexer import catch_up
from dailypapers.search.known import Identifier, identify
from dailypapers.search.text import looks_like_name, parse_query
from tests.search_fixtures import write_papers
from tests.web_fixtures import paper_record

pytestmark = pytest.mark.django_db
UTC = dt.UTC


@pytest.fixture
def corpus(search_index, settings):
    settings.PAGE_CACHE_SECONDS = 0
    papers = write_papers(
        # The Romansh case: "Model" is only an author's surname here.
        paper_record(
            arxiv_id="2503.09573",
            title="Robust Language Identification for Romansh Varieties",
            abstract="We identify Romansh idioms in written text.",
            authors=["Charlotte Model", "Son The Nguyen"],
            categories=["cs.CL"],
            doi="10.1234/romansh.2025",
            versions=[
                VersionRecord(1, dt.datetime(2025, 3, 12, tzinfo=UTC)),
                VersionRecord(2, dt.datetime(2025, 4, 2, tzinfo=UTC)),
            ],
        ),
        paper_record(
            arxiv_id="2503.10001",
            title="Diffusion language models are few-shot learners",
            abstract="A diffusion language model generates text by denoising.",
            authors=["Ada Lovelace"],
            categories=["cs.CL", "cs.LG"],
        ),
        paper_record(
            arxiv_id="2503.10002",
            title="Masked diffusion for images",
            abstract="Diffusion of pixels; a language of shapes. The model is small.",
            authors=["Alan Turing"],
            categories=["cs.CV"],
        ),
        paper_record(
            arxiv_id="2503.10003",
            title="A tokenizer for code",
            abstract="We train a tokenizer that splits source code.",
            authors=["Grace Hopper"],
            categories=["cs.CL"],
        ),
        paper_record(
            arxiv_id="2503.10004",
            title="Token pruning for vision transformers",
            abstract="Tokens are pruned; fewer tokens, faster models.",
            authors=["Grace Hopper"],
            categories=["cs.CV"],
        ),
        paper_record(
            arxiv_id="2503.10005",
            title="Token merging at scale",
            abstract="Token merging speeds up inference. Tokens tokens tokens.",
            authors=["Edsger Dijkstra"],
            categories=["cs.CV"],
        ),
        paper_record(
            arxiv_id="2503.10006",
            title="Attention is what you need",
            abstract="Self-attention layers replace recurrence.",
            authors=["Percy Liang", "Ada Lovelace"],
            categories=["cs.LG"],
        ),
        paper_record(
            arxiv_id="2503.10007",
            title="Agents attend to rewards",
            abstract="Agents attend meetings and attend to the reward.",
            authors=["Percy Liang"],
            categories=["cs.AI"],
        ),
        paper_record(
            arxiv_id="2503.10008",
            title="Holistic evaluation of language models",
            abstract="A benchmark of benchmarks.",
            authors=["Percy Liang", "Rishi Bommasani"],
            categories=["cs.CL"],
        ),
        paper_record(
            arxiv_id="2503.10009",
            title="Liang's theorem revisited",
            abstract="Percy and Liang are common words in this made-up abstract about Liang's percy.",
            authors=["Someone Else"],
            categories=["math.CO"],
        ),
        # Known from an arXiv listing only: no submission time, a listing day.
        paper_record(
            arxiv_id="2503.10010",
            title="Listing only paper about graphs",
            abstract="Graphs.",
            first_submitted=None,
            announced=dt.date(2025, 3, 14),
            categories=["cs.DS"],
        ),
        paper_record(
            arxiv_id="hep-th/9901001",
            title="Strings on old style identifiers",
            abstract="An old paper about strings.",
            categories=["hep-th"],
            authors=["Old Author"],
        ),
    )
    catch_up()
    return {p.arxiv_id: p for p in papers}


def _page(client, **params):
    response = client.get("/search", params)
    assert response.status_code == 200, response.status_code
    return html.unescape(response.content.decode())


def _api(client, **params):
    return client.get("/api/papers/search", params)


def _api_ids(client, **params) -> list[str]:
    response = _api(client, **params)
    assert response.status_code == 200, response.content
    return [item["paper"]["id"] for item in response.json()]


def _cli(capsys, *args) -> list[str]:
    call_command("search", *args, "--json")
    return [row["id"] for row in json.loads(capsys.readouterr().out)]


def _cli_text(capsys, *args) -> str:
    call_command("search", *args)
    return capsys.readouterr().out


# -- known items ---------------------------------------------------------------------------


ID_FORMS = [
    "2503.09573",
    "arXiv:2503.09573",
    "arxiv:2503.09573v2",
    "https://arxiv.org/abs/2503.09573v2",
    "https://arxiv.org/pdf/2503.09573v1",
    "arxiv.org/html/2503.09573v2",
    "10.1234/ROMANSH.2025",
    "https://doi.org/10.1234/romansh.2025",
    "10.48550/arXiv.2503.09573",
]


@pytest.mark.parametrize("form", ID_FORMS)
def test_an_id_in_any_form_finds_its_paper_alone_everywhere(client, capsys, corpus, form):
    assert _api_ids(client, q=form) == ["2503.09573"]
    assert _cli(capsys, form) == ["2503.09573"]
    response = client.get("/search", {"q": form})
    assert response.status_code == 302
    version = identify(form).version if identify(form) else None
    assert response["Location"] == "/papers/2503.09573" + (f"v{version}" if version else "")


def test_old_style_ids_are_known_items(client, capsys, corpus):
    assert identify("hep-th/9901001v2") == Identifier(arxiv_id="hep-th/9901001", version=2)
    assert identify("HEP-TH/9901001") == Identifier(arxiv_id="hep-th/9901001")
    assert _api_ids(client, q="hep-th/9901001") == ["hep-th/9901001"]
    assert _cli(capsys, "arXiv:hep-th/9901001") == ["hep-th/9901001"]
    assert client.get("/search", {"q": "hep-th/9901001"})["Location"] == "/papers/hep-th/9901001"


def test_identify_is_strict():
    for text in ("diffusion model", "2503", "2503.09573 diffusion", "10.1234", "arxiv.org/list/cs.CL", ""):
        assert identify(text) is None, text


def test_a_versioned_paper_url_shows_the_paper_with_that_versions_date(client, corpus):
    body = client.get("/papers/2503.09573v1").content.decode()
    assert "Robust Language Identification" in body and 'id="this-version">v1, Mar 12, 2025' in body
    body = client.get("/papers/2503.09573v2").content.decode()
    assert 'id="this-version">v2, Apr 2, 2025' in body
    # A version we have no record of (the bundled listings carry none) still finds the paper.
    body = client.get("/papers/2503.09573v7").content.decode()
    assert "Robust Language Identification" in body and 'id="this-version">v7</dd>' in body
    assert client.get("/papers/2599.00000v1").status_code == 404
    assert client.get("/papers/2503.09573").status_code == 200


def test_an_id_we_do_not_have_offers_to_submit_it(client, capsys, corpus, make_user):
    body = _page(client, q="2504.99999v3")
    assert 'href="/submit?id=2504.99999v3"' in body and "is not here yet" in body
    client.force_login(make_user())  # the submit form (filled in with the id) is for signed-in users
    assert 'value="2504.99999v3"' in client.get("/submit", {"id": "2504.99999v3"}).content.decode()
    assert _api_ids(client, q="arXiv:2504.99999") == []
    assert "2504.99999 is not here yet" in _cli_text(capsys, "2504.99999")


def test_an_exact_or_near_exact_title_comes_first(client, capsys, corpus):
    for title in (
        "Holistic evaluation of language models",
        "holistic EVALUATION of language-models.",
        "  Holistic  evaluation of language models  ",
    ):
        assert _api_ids(client, q=title)[0] == "2503.10008"
        assert _cli(capsys, title)[0] == "2503.10008"
        assert 'href="/papers/2503.10008"' in _page(client, q=title).split('class="papers"')[1].split("</li>")[0]


# -- relevance -------------------------------------------------------------------------------


def test_free_text_words_do_not_match_author_names(client, capsys, corpus):
    # "Model" (an author) and "The" (an author's middle name) no longer surface the Romansh paper.
    for ids in (_api_ids(client, q="diffusion language model"), _cli(capsys, "diffusion language model")):
        # Its title has "Language" only: it comes after every paper with more of the words.
        assert ids[0] == "2503.10001" and ids[-1] == "2503.09573"
    assert "2503.09573" not in _api_ids(client, q="the")


def test_a_full_name_query_finds_that_authors_papers_first(client, capsys, corpus):
    assert looks_like_name("Percy Liang") and looks_like_name("J. R. R. Tolkien") and not looks_like_name("percy liang")
    assert not looks_like_name("Diffusion") and not looks_like_name("A B C D E")
    by_liang = {"2503.10006", "2503.10007", "2503.10008"}
    for ids in (_api_ids(client, q="Percy Liang"), _cli(capsys, "Percy Liang")):
        assert set(ids[:3]) == by_liang
        # The abstract that merely contains the words comes after the author's papers.
        assert ids.index("2503.10009") == 3
    body = _page(client, q="Percy Liang")
    assert "first the 3 papers by Percy Liang, then papers with these words" in body
    assert "contain every word" not in body  # the author's papers are not there for their words
    # Lower case is not recognisably a name: the words are free text (title and abstract only).
    assert _api_ids(client, q="percy liang") == ["2503.10009"]
    # Capitalised words that are nobody's full name stay free text too.
    assert "2503.10006" not in _api_ids(client, q="Percy Theorem")


def test_the_author_operator_and_filter(client, capsys, corpus):
    assert set(_api_ids(client, q='author:"Grace Hopper"')) == {"2503.10003", "2503.10004"}
    assert _api_ids(client, q="author:hopper tokenizer") == ["2503.10003", "2503.10004"]  # exact form first
    assert set(_cli(capsys, "author:Liang")) == {"2503.10006", "2503.10007", "2503.10008"}
    # The web's author filter (full name), and the API's and CLI's.
    body = _page(client, q="transformers", author="Grace Hopper")
    assert 'href="/papers/2503.10004"' in body and 'href="/papers/2503.10005"' not in body
    assert 'value="Grace Hopper"' in body
    assert set(_api_ids(client, q="tokens", author="Grace Hopper")) == {"2503.10004", "2503.10003"}
    assert set(_cli(capsys, "tokens", "--author", "Grace Hopper")) == {"2503.10004", "2503.10003"}
    assert _api_ids(client, q="tokens", author="Percy Liang") == []


def test_exact_forms_score_above_stems(client, capsys, corpus):
    # "tokenizer" stems to "token": the exact form's papers lead the many stem-only matches.
    assert _api_ids(client, q="tokenizer")[0] == "2503.10003"
    assert _cli(capsys, "tokenizer")[0] == "2503.10003"
    assert _api_ids(client, q="attention")[0] == "2503.10006"
    assert _api_ids(client, q="attend")[0] == "2503.10007"


def test_papers_with_every_word_come_first_and_the_message_is_true(client, capsys, corpus):
    ids = _api_ids(client, q="diffusion language model")
    # 10001 and 10002 both contain all three words; 10001 has them as a phrase.
    assert ids[:2] == ["2503.10001", "2503.10002"]
    body = _page(client, q="diffusion language model")
    assert "No paper matches every word" not in body and "No paper contains every word" not in body
    assert "the first 2 contain every word" in body
    # No paper has both words: the page says so and still lists papers with some.
    body = _page(client, q="tokenizer romansh")
    assert 'id="no-every-word"' in body and 'href="/papers/2503.10003"' in body
    assert "none contains every word" in _cli_text(capsys, "tokenizer romansh")
    # Nothing at all: not a claim about "every word".
    assert "No paper matches “zzzqqq”: " in _page(client, q="zzzqqq")  # and what to try next


def test_phrase_order_boost(corpus, client):
    # "language model" adjacent (10001, 10008) rank above scattered words (10002).
    ids = _api_ids(client, q="language models")
    assert ids.index("2503.10001") < ids.index("2503.10002") and ids.index("2503.10008") < ids.index("2503.10002")


# -- filters and messages ----------------------------------------------------------------------


def test_categories_are_case_insensitive_and_validated(client, capsys, corpus):
    assert set(_api_ids(client, q="token", category="CS.cv")) == {"2503.10004", "2503.10005"}
    assert set(_cli(capsys, "token", "--category", "CS.CV")) == {"2503.10004", "2503.10005"}
    assert 'href="/papers/2503.10004"' in _page(client, q="token", category="cs.cv")
    for bad, says in (("bogus!!", "is not an arXiv category"), ("cs.CVV", "Did you mean cs.CV")):
        assert says in _page(client, q="token", category=bad)
        response = _api(client, q="token", category=bad)
        assert response.status_code == 400 and says in response.json()["detail"]
        with pytest.raises(CommandError, match=says.replace(".", r"\.")):
            call_command("search", "token", "--category", bad)


def test_dates_say_what_is_wrong(client, capsys, corpus):
    body = _page(client, q="token", **{"from": "2025-02-30"})
    assert "The from date '2025-02-30' is not a date" in body
    body = _page(client, q="token", **{"from": "2025-05-01", "to": "2025-01-01"})
    assert "is after the to date" in body and "No paper matches" not in body
    response = _api(client, q="token", **{"from": "2025-05-01", "to": "2025-01-01"})
    assert response.status_code == 400 and "after the to date" in response.json()["detail"]
    with pytest.raises(CommandError, match="after the to date"):
        call_command("search", "token", "--from", "2025-05-01", "--until", "2025-01-01")
    with pytest.raises(CommandError, match="not a date"):
        call_command("search", "token", "--until", "yesterday")


def test_one_rule_for_query_length(client, capsys, corpus):
    long = "gene " * (rules.MAX_QUERY_CHARS // 5 + 1)
    assert len(long) > rules.MAX_QUERY_CHARS
    says = "The query is too long"
    assert says in _page(client, q=long)
    assert says in _api(client, q=long).json()["detail"]
    with pytest.raises(CommandError, match=says):
        call_command("search", long)
    # Just under the limit runs everywhere (the page no longer cuts at 500 characters).
    fits = ("tokenizer " * 2000)[: rules.MAX_QUERY_CHARS - 10]
    assert len(fits) > 500
    assert "2503.10003" in _api_ids(client, q=fits)
    assert "The query is too long" not in _page(client, q=fits)


def test_sort_and_mode_are_validated_by_one_rule(client, corpus):
    for param, value in (("sort", "oldest"), ("mode", "magic")):
        assert f"Unknown {param} '{value}'" in _page(client, q="token", **{param: value})
        assert f"Unknown {param}" in _api(client, q="token", **{param: value}).json()["detail"]


def test_every_card_shows_its_date(client, corpus):
    body = _page(client, q="graphs")
    card = body.split('class="papers"')[1]
    assert '<time datetime="2025-03-14">Mar 14, 2025</time>' in card and '· <time datetime=""></time>' not in card


# -- modes and coverage ----------------------------------------------------------------------


def test_mode_and_coverage_are_said_before_and_after_embedding(client, capsys, corpus, settings):
    body = _page(client, q="diffusion")
    assert 'id="search-mode">keyword search' in body and "semantic: 0 of 12 papers" in body
    response = _api(client, q="diffusion")
    assert response["X-Search-Mode"] == "keyword" and response["X-Search-Coverage"] == "0/12"
    assert "semantic: 0 of 12 papers" in _cli_text(capsys, "diffusion")
    assert "Semantic search needs paper embeddings" in _page(client, q="diffusion", mode="semantic")

    embedder = Embedder(max_length=64, model_dir=settings.SEARCH_MODEL_DIR)
    assert backfill(embedder, limit=2).embedded == 2  # a partial embedding (17%, under 25%): the newest first
    catch_up()
    call_command("stats", "--json")
    stats = json.loads(capsys.readouterr().out)
    assert stats["embedded"] == 2 and stats["to_embed"] == 10
    # auto keeps keyword below the coverage threshold, and says why; hybrid and semantic run when asked.
    body = _page(client, q="diffusion")
    assert 'id="search-mode">keyword search' in body and body.count("semantic: 2 of 12 papers") == 1
    assert "keyword only while embeddings are computed" in body
    assert 'id="search-mode">semantic search' in _page(client, q="diffusion", mode="semantic")
    assert 'id="search-mode">hybrid search' in _page(client, q="diffusion", mode="hybrid")
    response = _api(client, q="diffusion", mode="semantic")
    assert response["X-Search-Mode"] == "semantic" and response["X-Search-Coverage"] == "2/12"
    # Semantic mode reaches only the embedded slice: the 2 newest papers (by listing or submission
    # day: 10010 was listed on Mar 14, the rest submitted Jan 2, where the last written come first).
    assert set(_api_ids(client, q="diffusion", mode="semantic")) == {"2503.10010", "hep-th/9901001"}
    # From 25% on, auto runs hybrid.
    backfill(embedder, limit=2)
    catch_up()
    assert _api(client, q="diffusion")["X-Search-Mode"] == "hybrid"

    backfill(embedder)
    catch_up()
    body = _page(client, q="diffusion")
    assert 'id="search-mode">hybrid search' in body and "semantic: 12 of 12 papers" in body
    assert _api(client, q="diffusion")["X-Search-Mode"] == "hybrid"
    assert "(hybrid search; semantic: 12 of 12 papers)" in _cli_text(capsys, "diffusion")
    # An author's full name is answered by the author rule, whatever the mode asked: fused with the
    # name's embedding, the author's papers had fallen out of the first ten (bench/relevance.py).
    by_liang = {"2503.10006", "2503.10007", "2503.10008"}
    for mode in ("hybrid", "auto"):
        assert set(_api_ids(client, q="Percy Liang", mode=mode)[:3]) == by_liang
        assert _api(client, q="Percy Liang", mode=mode)["X-Search-Mode"] == "keyword"
    body = _page(client, q="Percy Liang", mode="hybrid")
    assert 'id="search-mode">keyword search' in body
    assert "first the 3 papers by Percy Liang, then papers with these words" in body


def test_partial_embeddings_never_push_a_keyword_hit_down():
    keyword = [("a", 10.0), ("b", 8.0), ("c", 7.0), ("d", 0.0)]
    semantic = [("c", 0.9), ("z", 0.5)]  # a and b have no vector yet
    naive = [doc for doc, _ in fuse(keyword, semantic, FusionParams())]
    fair = fuse(keyword, semantic, FusionParams(), embedded=lambda d: d in {"c", "d", "z"})
    assert naive[0] == "c"  # the old fusion: the best keyword hit, unembedded, loses the semantic share
    assert [doc for doc, _ in fair][:3] == ["a", "c", "b"]
    assert dict(fair)["a"] == 1.0 and dict(fair)["b"] == pytest.approx(0.8)  # its keyword standing, unchanged
    # Fully embedded: the same fusion as before.
    assert fuse(keyword, semantic, FusionParams(), embedded=lambda d: True) == fuse(keyword, semantic, FusionParams())


# -- similar papers --------------------------------------------------------------------------


def test_similar_papers_come_from_the_abstract_not_title_words(search_index, client, settings):
    settings.PAGE_CACHE_SECONDS = 0
    write_papers(
        paper_record(
            arxiv_id="2504.00001",
            title="EnvHarness: Awakening agents",
            abstract="A harness of reinforcement learning environments for tool-using agents and benchmarks.",
        ),
        paper_record(arxiv_id="2504.00002", title="Awakening of spring flowers", abstract="Botany of tulips in April."),
        paper_record(arxiv_id="2504.00003", title="Awakening the sleeping giant", abstract="Volcanoes erupt rarely."),
        paper_record(
            arxiv_id="2504.00004",
            title="Gym for agents",
            abstract="Reinforcement learning environments where tool-using agents are trained, with benchmarks.",
        ),
    )
    catch_up()
    body = client.get("/papers/2504.00001").content.decode()
    similar = body.split("Similar papers")[1] if "Similar papers" in body else body.split("similar")[-1]
    assert 'href="/papers/2504.00004"' in similar
    assert 'href="/papers/2504.00002"' not in similar and 'href="/papers/2504.00003"' not in similar


def test_parse_query_keeps_exact_forms_and_authors():
    parsed = parse_query('author:"Percy Liang" tokenizer of Tokens')
    assert parsed.authors == ("Percy Liang",) and "tokenizer" in parsed.exact and "tokens" in parsed.exact
    assert set(parsed.terms) == {"token"} and "percy" not in parsed.text.lower()
    assert parse_query("author:Liang").authors == ("Liang",) and not parse_query("author:Liang").is_empty


def test_embed_prints_progress_with_an_eta_and_what_remains(corpus, capsys, settings):
    call_command("embed", "--limit", "5", "--max-length", "16", "--chunk", "2", "--no-index", "--no-static")
    captured = capsys.readouterr()
    # Each line after its time stamp; counted against every paper (12), whatever this run's limit.
    lines = [line.split(" ", 3)[3] for line in captured.err.splitlines() if " embedded " in line]
    assert lines[0].startswith("embedded 2 of 12 (") and "10 left, ETA " in lines[0]
    assert lines[-1].startswith("embedded 5 of 12 (") and "7 left" in lines[-1]
    assert "7 papers still to embed (about " in captured.out


def test_two_model_sessions_write_the_same_vectors_as_one(settings):
    texts = [f"Paper {i}: " + "attention over tokens " * (i % 7 + 1) for i in range(40)]
    one = Embedder(max_length=32, batch_size=8, model_dir=settings.SEARCH_MODEL_DIR, threads=2)
    two = Embedder(max_length=32, batch_size=8, model_dir=settings.SEARCH_MODEL_DIR, threads=2, sessions=2)
    assert len(two._sessions) == 2
    import numpy as np

    np.testing.assert_allclose(one.embed(texts), two.embed(texts), atol=1e-6)
