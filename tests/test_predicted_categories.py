"""Papers known only from Hugging Face had no categories (5,591 of the 9,881 featured ones), so a
day full of language-model papers was empty under ?category=cs.CL, a cs.CL/cs.LG weekly digest for
2026-W34 sent nothing, and /trends fell to 0 after week 28. They get categories predicted from
their text (shown as predicted), and arXiv's own, fetched by id, replace them."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
import socket
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command

from dailypapers.cli.categories import fill_categories, predict_missing
from dailypapers.digest import periods
from dailypapers.digest.sender import SendOptions, send_period
from dailypapers.ingest.importer import import_paths
from dailypapers.ingest.records import PaperRecord
from dailypapers.ingest.sync import MISSING_KEY, fetch_arxiv_metadata, load_state
from dailypapers.rank.categorize import paper_text, train
from dailypapers.store.models import Paper, PaperChange
from dailypapers.store.upsert import write_batch
from dailypapers.web.services.trends import topic_trends
from digest_data import make_subscriber

ARXIV = "arxiv-cs-daily-2025-2026/papers.jsonl.gz"
HF = "hf-daily-papers/papers_flat.jsonl.gz"
W34 = ("2026-08-17", "2026-08-18", "2026-08-19", "2026-08-20", "2026-08-21")
FAST = SendOptions(rate=0, retry_base=0.05, retry_max_wait=10, max_attempts=4, bounce_limit=2)


def _lines(path: Path, keep, limit: int) -> list[bytes]:
    found = []
    with gzip.open(path) as lines:
        for line in lines:
            if keep(line):
                found.append(line)
                if len(found) >= limit:
                    break
    return found


@pytest.fixture
def w34(data_dir, tmp_path) -> Path:
    """4,000 bundled arXiv papers (with categories) and Hugging Face's lists of 2026-W34 (without)."""
    arxiv = tmp_path / "arxiv.jsonl"
    arxiv.write_bytes(b"".join(_lines(data_dir / ARXIV, lambda line: b'"listing_date": "2026-0' in line, 4000)))
    hf = tmp_path / "hf.jsonl"
    days = tuple(f'{{"date": "{d}"'.encode() for d in W34)
    hf.write_bytes(b"".join(_lines(data_dir / HF, lambda line: line.startswith(days), 10_000)))
    assert import_paths([arxiv]).rejected == 0
    assert import_paths([hf], fmt="hf-flat").rejected == 0
    return tmp_path


def _day_page(client, category: str) -> list[str]:
    body = client.get(f"/papers/date/2026-08-21?category={category}").content.decode()
    return re.findall(r'href="/papers/(\d{4}\.\d{4,5})"', body)


def test_the_classifier_learns_categories_from_labelled_texts(data_dir):
    rows = [json.loads(line) for line in _lines(data_dir / ARXIV, lambda line: True, 3000)]
    model = train([paper_text(r["title"], r["abstract"]) for r in rows], [r["categories"] for r in rows])
    assert model is not None and {"cs.CL", "cs.CV"} <= set(model.labels)
    (llm, vision) = model.predict(
        [
            paper_text("Speculative decoding for large language model serving", "We speed up LLM inference."),
            paper_text("Semantic segmentation of images", "A convolutional network segments objects in images."),
        ]
    )
    assert llm[0] == "cs.CL" and vision[0] == "cs.CV"
    assert train(["one text"], [["cs.CL"]]) is None  # one category: nothing to tell apart


@pytest.mark.django_db
@pytest.mark.usefixtures("w34")
def test_a_day_of_hugging_face_papers_filters_by_predicted_category(client):
    hf_only = Paper.objects.filter(daily_entries__date="2026-08-21").distinct()
    assert hf_only.exists() and not hf_only.exclude(categories="").exists()
    assert _day_page(client, "cs.CL") == []  # the old answer: an empty day

    trained_on, predicted = predict_missing(20_000)
    assert trained_on == 4000 and predicted >= hf_only.count()
    assert not hf_only.filter(categories="").exists()
    assert hf_only.filter(categories_predicted=True).count() == hf_only.count()
    assert PaperChange.objects.filter(kind="metadata", paper_id__in=hf_only.values("pk")).exists()

    shown = _day_page(client, "cs.CL")
    assert len(shown) >= 5, shown
    body = client.get("/papers/date/2026-08-21?category=cs.CL").content.decode()
    assert 'class="cat predicted"' in body and "(predicted)" in body
    paper = client.get(f"/papers/{shown[0]}").content.decode()
    assert "(predicted)" in paper
    assert predict_missing(20_000) == (0, 0)  # nothing new: nothing trained


@pytest.mark.django_db
@pytest.mark.usefixtures("w34")
def test_a_cs_cl_cs_lg_weekly_digest_for_w34_sends_papers(sink):
    make_subscriber("llm@example.org", frequency="weekly", top_n=10, categories="cs.CL cs.LG")
    call_command("categories", "--offline", stdout=open("/dev/null", "w"))
    result = send_period(periods.parse("weekly:2026-W34"), FAST)
    assert result.sent == 1
    (mail,) = sink.mails_to("llm@example.org")
    assert (
        "arxiv.org" in mail.get_body(("plain",)).get_content() or "/papers/" in mail.get_body(("plain",)).get_content()
    )


@pytest.mark.django_db
@pytest.mark.usefixtures("w34")
def test_trends_keep_counting_categories_after_week_28():
    predict_missing(20_000)
    trends = topic_trends("week", dt.date(2026, 8, 17), dt.date(2026, 8, 23), categories=["cs.CL", "cs.CV"])
    assert [s.total_papers > 0 for s in trends.series] == [True, True]


# -- arXiv's own categories, fetched by id ---------------------------------------------------


def _hf_only(arxiv_id: str, title: str) -> None:
    write_batch(
        [PaperRecord(arxiv_id=arxiv_id, title=title, source="hf", abstract="Dreams of deep networks.")],
        dt.datetime(2026, 8, 21, tzinfo=dt.timezone.utc),
    )


@pytest.mark.django_db
def test_arxiv_metadata_replaces_predicted_categories_batch_by_batch(settings, arxiv_api):
    # Two papers of the recorded response (q-bio.NC and cs.CV there) and one arXiv does not answer for.
    for arxiv_id in ("1611.09520", "1511.08339", "2608.99999"):
        _hf_only(arxiv_id, f"Paper {arxiv_id}")
    from dailypapers.store.predicted import write_predicted

    write_predicted({p.pk: ["cs.CL"] for p in Paper.objects.all()})
    settings.CONFIG = {**settings.CONFIG, "DAILYPAPERS_ARXIV_ID_BATCH": 2}

    result = fetch_arxiv_metadata(settings.CONFIG)
    assert result.error is None and result.pages == 2
    asked = [parse_qs(urlsplit(path).query)["id_list"][0].split(",") for path in arxiv_api]
    assert sorted(sum(asked, [])) == ["1511.08339", "1611.09520", "2608.99999"] and max(map(len, asked)) == 2
    fetched = Paper.objects.get(arxiv_id="1611.09520")
    assert not fetched.categories_predicted and "cs.CL" not in fetched.category_list and fetched.category_list
    assert fetched.title != "Paper 1611.09520"  # the rest of arXiv's metadata came too
    assert Paper.objects.get(arxiv_id="2608.99999").categories_predicted  # still predicted
    assert load_state(MISSING_KEY)["missing"] == ["2608.99999"]

    arxiv_api.clear()
    again = fetch_arxiv_metadata(settings.CONFIG)  # resumed: nothing is asked twice
    assert again.pages == 0 and arxiv_api == []


@pytest.mark.django_db
def test_offline_the_fetch_fails_in_one_sentence_and_prediction_still_runs(settings, data_dir, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}/api/query"
    settings.CONFIG = {**settings.CONFIG, "DAILYPAPERS_ARXIV_API_URL": dead, "DAILYPAPERS_ARXIV_DELAY": 0.0}
    arxiv = tmp_path / "arxiv.jsonl"
    arxiv.write_bytes(b"".join(_lines(data_dir / ARXIV, lambda line: True, 1500)))
    import_paths([arxiv])
    _hf_only("2608.00001", "Instruction tuning of large language models for dialogue")

    result = fill_categories(settings.CONFIG)
    assert result.fetched is not None and result.fetched.unreachable and "\n" not in result.fetched.error
    assert result.predicted == 1
    paper = Paper.objects.get(arxiv_id="2608.00001")
    assert paper.categories_predicted and paper.primary_category == "cs.CL"
    assert "predicted for 1 paper" in result.summary()
