"""`dailypapers sync` against a loopback server replaying real arXiv and Hugging Face responses.

The clock is fake: the client's waits are recorded instead of spent, so the tests run at full
speed and still check the politeness (3 s between arXiv requests, Retry-After honoured).
"""

from __future__ import annotations

import csv
import datetime as dt
import email.utils
import gzip
import json
import re
import socket

import pytest
from django.conf import settings

from conftest import DATA, dailypapers_env, run_cli, sql_rows
from dailypapers.ingest.http import HttpClient, HttpStatusError, SourceUnavailable, client_from_config
from dailypapers.ingest.sync import api_query, load_state, sync
from dailypapers.store.models import DailyEntry, Paper, SyncState
from replay_server import ReplayServer, Reply

OAI_DIR = DATA / "arxiv-raw-formats" / "oai-pmh"
PAGE_WITH_TOKEN = OAI_DIR / "ListRecords_oai_dc_set-cs_from-2024-01-25_with_resumptionToken.xml"
LAST_PAGE = OAI_DIR / "ListRecords_from-2015-01-01_metadataPrefix-arXiv_until-2015-01-03_http200.xml"
BUSY_PAGE = OAI_DIR / "ListRecords_from-2015-01-01_metadataPrefix-arXiv_until-2015-01-03_http503.html"
ATOM_DIR = DATA / "arxiv-raw-formats" / "api-atom"
HF_DIR = DATA / "hf-daily-papers"
TOKEN = "6960524|1001"
USER_AGENT = "dailypapers-tests/0.1 (mailto:tests@example.org)"
PAGE1_IDS = {"1303.2033", "2401.14034", "2401.14036", "2401.14038", "2401.14040"}
LAST_PAGE_IDS = {"1412.8544", "hep-th/9504118"}


class FakeTime:
    """A monotonic clock that moves only when the code under test sleeps; every wait is recorded."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def server(fake_time):
    with ReplayServer(clock=fake_time.clock) as replay:
        yield replay


def make_config(server: ReplayServer, **overrides) -> dict:
    config = {
        **settings.CONFIG,
        "DAILYPAPERS_ARXIV_OAI_URL": server.url("/oai"),
        "DAILYPAPERS_ARXIV_API_URL": server.url("/api/query"),
        "DAILYPAPERS_HF_API_URL": server.url("/api/daily_papers"),
        "DAILYPAPERS_SYNC_SETS": ["cs"],
        "DAILYPAPERS_SYNC_CATEGORIES": [],
        "DAILYPAPERS_SYNC_METADATA_PREFIX": "oai_dc",
        "DAILYPAPERS_SYNC_FIRST_DAYS": 3,
        "DAILYPAPERS_ARXIV_DELAY": 3.0,
        "DAILYPAPERS_HTTP_TIMEOUT": 5.0,
        "DAILYPAPERS_HTTP_RETRIES": 3,
        "DAILYPAPERS_HTTP_MAX_WAIT": 600.0,
        "DAILYPAPERS_USER_AGENT": USER_AGENT,
    }
    config.update({f"DAILYPAPERS_{k.upper()}": v for k, v in overrides.items()})
    return config


def run_sync(config: dict, fake_time: FakeTime, sources=("arxiv",), **options):
    client = client_from_config(config, clock=fake_time.clock, sleep=fake_time.sleep, jitter=lambda: 0.0)
    return sync(config, list(sources), client=client, **options)


def busy_reply() -> Reply:
    """arXiv's real 'Retry after 10 seconds' 503."""
    return Reply.file(BUSY_PAGE, status=503, headers={"Retry-After": "10"})


def token_request(query: dict) -> bool:
    return query.get("resumptionToken") == TOKEN


# -- the HTTP client ------------------------------------------------------------------------


def test_backoff_is_exponential_and_stops_at_the_first_success(server, fake_time):
    server.route("/flaky", [Reply(500, b"oops"), Reply(502, b"bad gateway"), Reply(503, b"busy"), Reply(200, b"ok")])
    client = HttpClient(
        USER_AGENT, retries=5, backoff=1.0, clock=fake_time.clock, sleep=fake_time.sleep, jitter=lambda: 1.0
    )
    assert client.get(server.url("/flaky")).body == b"ok"
    assert fake_time.waits == [1.5, 3.0, 6.0]  # 1, 2, 4 s, each plus the (here maximal) 50 % jitter
    assert len(server.requests) == 4


def test_client_error_fails_at_once_naming_url_and_status(server, fake_time):
    server.route("/missing", Reply(404, b"not here"))
    client = HttpClient(USER_AGENT, clock=fake_time.clock, sleep=fake_time.sleep)
    with pytest.raises(HttpStatusError) as caught:
        client.get(server.url("/missing"), {"q": "x"})
    assert f"{server.url('/missing')}?q=x" in str(caught.value) and "HTTP 404" in str(caught.value)
    assert caught.value.status == 404
    assert len(server.requests) == 1 and fake_time.waits == []


def test_retry_after_as_http_date_is_honoured(server, fake_time):
    later = email.utils.format_datetime(dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=20), usegmt=True)
    server.route("/limited", [Reply(429, b"slow down", {"Retry-After": later}), Reply(200, b"ok")])
    client = HttpClient(USER_AGENT, clock=fake_time.clock, sleep=fake_time.sleep)
    assert client.get(server.url("/limited")).body == b"ok"
    assert len(fake_time.waits) == 1 and 17 <= fake_time.waits[0] <= 20


def test_retry_after_longer_than_max_wait_gives_up_without_waiting(server, fake_time):
    server.route("/busy", Reply(503, b"come back in an hour", {"Retry-After": "3600"}))
    client = HttpClient(USER_AGENT, max_wait=600, clock=fake_time.clock, sleep=fake_time.sleep)
    with pytest.raises(SourceUnavailable, match="DAILYPAPERS_HTTP_MAX_WAIT"):
        client.get(server.url("/busy"))
    assert fake_time.waits == [] and len(server.requests) == 1


def test_timeouts_are_retried(server, fake_time):
    server.route("/slow", [Reply(200, b"too late", delay=1.0), Reply(200, b"in time")])
    client = HttpClient(USER_AGENT, timeout=0.2, clock=fake_time.clock, sleep=fake_time.sleep, jitter=lambda: 0.0)
    assert client.get(server.url("/slow")).body == b"in time"
    assert fake_time.waits == [1.0]


def test_connection_refused_is_reported_at_once(fake_time):
    # Retrying a refused connection only made the user wait 75 s for the same sentence.
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = HttpClient(USER_AGENT, retries=2, clock=fake_time.clock, sleep=fake_time.sleep, jitter=lambda: 0.0)
    with pytest.raises(
        SourceUnavailable, match=rf"cannot reach 127\.0\.0\.1:{port}: connection refused; is the network up\?"
    ):
        client.get(f"http://127.0.0.1:{port}/oai")
    assert fake_time.waits == []


def test_minimum_interval_per_host_holds_across_calls(server, fake_time):
    server.route("/a", Reply(200, b"a"))
    host = f"127.0.0.1:{server.port}"
    polite = HttpClient(USER_AGENT, min_interval={host: 3.0}, clock=fake_time.clock, sleep=fake_time.sleep)
    for _ in range(3):
        polite.get(server.url("/a"))
    assert fake_time.waits == [3.0, 3.0]
    fake_time.waits.clear()
    other = HttpClient(USER_AGENT, min_interval={"export.arxiv.org": 3.0}, clock=fake_time.clock, sleep=fake_time.sleep)
    other.get(server.url("/a"))
    other.get(server.url("/a"))
    assert fake_time.waits == []
    assert {r.header("User-Agent") for r in server.requests} == {USER_AGENT}


# -- arXiv OAI-PMH --------------------------------------------------------------------------


@pytest.mark.django_db
def test_oai_harvest_follows_the_token_through_a_503(server, fake_time):
    server.route("/oai", Reply.file(PAGE_WITH_TOKEN), when={"verb": "ListRecords", "set": "cs"})
    server.route("/oai", [busy_reply(), Reply.file(LAST_PAGE)], when=token_request)
    config = make_config(server)

    [result] = run_sync(config, fake_time, today=dt.date(2024, 1, 28))

    assert result.error is None
    assert (result.pages, result.read, result.new, result.rejected) == (2, 7, 7, 0)
    assert set(Paper.objects.values_list("arxiv_id", flat=True)) == PAGE1_IDS | LAST_PAGE_IDS
    first, busy, retried = server.requests
    # First run: from = today - DAILYPAPERS_SYNC_FIRST_DAYS, no until.
    assert first.query == {"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "cs", "from": "2024-01-25"}
    # The token is passed back verbatim, alone, as OAI-PMH requires.
    assert busy.query == retried.query == {"verb": "ListRecords", "resumptionToken": TOKEN}
    assert "resumptionToken=6960524%7C1001" in busy.raw_query
    assert {r.header("User-Agent") for r in server.requests} == {USER_AGENT}
    # 3 s spacing before the second request, then the 10 s the 503 asked for.
    assert fake_time.waits == [3.0, 10.0]
    assert all(b.time - a.time >= 3.0 for a, b in zip(server.requests, server.requests[1:]))
    # Done: the next harvest starts on the day the list was started (page 1's responseDate).
    assert load_state("arxiv-oai:cs") == {"from": "2024-01-27"}


@pytest.mark.django_db(transaction=True)
def test_interrupted_harvest_resumes_from_the_saved_token(server, fake_time):
    server.route("/oai", Reply.file(PAGE_WITH_TOKEN), when={"verb": "ListRecords", "set": "cs"})
    server.route("/oai", busy_reply(), when=token_request)  # arXiv stays busy: retries run out
    config = make_config(server)

    [result] = run_sync(config, fake_time, today=dt.date(2024, 1, 28))

    assert result.error and "failed 4 times" in result.error and "resumptionToken=6960524%7C1001" in result.error
    assert fake_time.waits == [3.0, 10.0, 10.0, 10.0]
    # Page 1 was committed with the token that continues it.
    assert set(Paper.objects.values_list("arxiv_id", flat=True)) == PAGE1_IDS
    assert load_state("arxiv-oai:cs") == {
        "token": TOKEN,
        "list": {"from": "2024-01-25", "until": None, "started": "2024-01-27"},
    }

    server.reset()
    server.route("/oai", Reply.file(LAST_PAGE), when=token_request)
    [result] = run_sync(config, fake_time, today=dt.date(2024, 1, 29))

    assert result.error is None and (result.pages, result.new) == (1, 2)
    assert server.requests[0].query == {"verb": "ListRecords", "resumptionToken": TOKEN}
    assert server.unmatched == []
    assert Paper.objects.count() == 7
    assert load_state("arxiv-oai:cs") == {"from": "2024-01-27"}


@pytest.mark.django_db
def test_next_run_continues_from_the_stored_date(server, fake_time):
    SyncState.objects.create(source="arxiv-oai:cs", state={"from": "2024-01-27"})
    server.route("/oai", Reply.file(LAST_PAGE), when={"verb": "ListRecords"})
    config = make_config(server, sync_metadata_prefix="arXiv")

    [result] = run_sync(config, fake_time, today=dt.date(2024, 2, 1))

    assert result.error is None and result.new == 2
    assert server.requests[0].query == {
        "verb": "ListRecords",
        "metadataPrefix": "arXiv",
        "set": "cs",
        "from": "2024-01-27",
    }
    # The new position is the recorded page's own responseDate, whatever our calendar says.
    assert load_state("arxiv-oai:cs") == {"from": "2018-06-21"}


@pytest.mark.django_db
def test_expired_token_lists_again_from_the_saved_date(server, fake_time):
    SyncState.objects.create(
        source="arxiv-oai:cs",
        state={"token": TOKEN, "list": {"from": "2024-01-25", "until": None, "started": "2024-01-27"}},
    )
    # arXiv's header from page 1 with the OAI-PMH error element for a token that has expired.
    head = PAGE_WITH_TOKEN.read_bytes().split(b"<ListRecords>")[0]
    expired = (
        head
        + b'<error code="badResumptionToken">The value of the resumptionToken argument is invalid or expired.</error>\n</OAI-PMH>'
    )
    server.route("/oai", Reply(200, expired, {"Content-Type": "text/xml"}), when=token_request)
    server.route("/oai", Reply.file(LAST_PAGE), when={"verb": "ListRecords", "set": "cs"})
    config = make_config(server)

    [result] = run_sync(config, fake_time, today=dt.date(2024, 2, 1))

    assert result.error is None and result.new == 2
    assert [r.query for r in server.requests] == [
        {"verb": "ListRecords", "resumptionToken": TOKEN},
        {"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "cs", "from": "2024-01-25"},
    ]
    assert load_state("arxiv-oai:cs") == {"from": "2018-06-21"}


@pytest.mark.django_db
def test_deleted_record_marks_the_paper_deleted(server, fake_time):
    server.route("/oai", Reply.file(LAST_PAGE))
    config = make_config(server, sync_categories=["cs", "hep-th"], sync_metadata_prefix="arXiv")
    run_sync(config, fake_time, today=dt.date(2024, 2, 1))
    assert Paper.objects.filter(deleted=False).count() == 2

    # The same page where arXiv has since deleted 1412.8544: a header with status="deleted", no metadata.
    deleted = re.sub(
        rb"<header>(\s*<identifier>oai:arXiv.org:1412.8544</identifier>.*?</header>)\s*<metadata>.*?</metadata>",
        rb'<header status="deleted">\1',
        LAST_PAGE.read_bytes(),
        count=1,
        flags=re.S,
    )
    server.reset()
    server.route("/oai", Reply(200, deleted, {"Content-Type": "text/xml"}))
    [result] = run_sync(config, fake_time, today=dt.date(2024, 2, 2))

    assert result.error is None and result.updated == 1 and result.skipped == 0
    assert Paper.objects.get(arxiv_id="1412.8544").deleted
    assert not Paper.objects.get(arxiv_id="hep-th/9504118").deleted


@pytest.mark.django_db
def test_window_harvest_leaves_the_stored_date(server, fake_time):
    SyncState.objects.create(source="arxiv-oai:cs", state={"from": "2024-01-27"})
    server.route("/oai", Reply.file(LAST_PAGE), when={"verb": "ListRecords"})
    config = make_config(server, sync_metadata_prefix="arXiv")

    [result] = run_sync(config, fake_time, since=dt.date(2015, 1, 1), until=dt.date(2015, 1, 3))

    assert result.error is None and result.new == 2
    assert server.requests[0].query["from"] == "2015-01-01" and server.requests[0].query["until"] == "2015-01-03"
    assert load_state("arxiv-oai:cs") == {"from": "2024-01-27"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "categories, kept", [(["cs"], {"1412.8544"}), (["hep-th", "cs.AI"], {"hep-th/9504118"}), (["cs.AI"], set())]
)
def test_categories_filter_by_category_or_archive(server, fake_time, categories, kept):
    server.route("/oai", Reply.file(LAST_PAGE))
    config = make_config(server, sync_categories=categories, sync_metadata_prefix="arXiv")

    [result] = run_sync(config, fake_time, today=dt.date(2024, 2, 1))

    assert set(Paper.objects.values_list("arxiv_id", flat=True)) == kept
    assert (result.read, result.skipped) == (2, 2 - len(kept))


@pytest.mark.django_db
def test_unparseable_page_is_reported_with_its_url_and_keeps_the_state(server, fake_time):
    server.route("/oai", Reply.file(PAGE_WITH_TOKEN), when={"verb": "ListRecords", "set": "cs"})
    # A 200 whose body is not OAI-PMH (arXiv's busy page served with the wrong status).
    server.route("/oai", Reply.file(BUSY_PAGE), when=token_request)
    config = make_config(server)

    [result] = run_sync(config, fake_time, today=dt.date(2024, 1, 28))

    assert result.error.startswith(server.url("/oai?verb=ListRecords&resumptionToken=6960524%7C1001"))
    assert "not an OAI-PMH response" in result.error
    assert Paper.objects.count() == 5
    assert load_state("arxiv-oai:cs")["token"] == TOKEN


# -- arXiv API (Atom) -----------------------------------------------------------------------


def atom_page(index: int) -> Reply:
    return Reply.file(ATOM_DIR / f"search_deep_dream_start{index}.atom")


def empty_atom_page() -> Reply:
    """What arXiv answers past the last result: the same feed without entries (built from a real page)."""
    body = re.sub(rb"\s*<entry>.*?</entry>", b"", (ATOM_DIR / "search_deep_dream_start2.atom").read_bytes(), flags=re.S)
    return Reply(200, body, {"Content-Type": "application/atom+xml"})


@pytest.mark.django_db
def test_api_pages_until_the_results_end(server, fake_time):
    for start, reply in ((0, atom_page(0)), (10, atom_page(1)), (20, atom_page(2)), (30, empty_atom_page())):
        server.route("/api/query", reply, when={"start": str(start)})
    config = make_config(server, sync_categories=["cs", "math.AG"])

    [result] = run_sync(config, fake_time, method="api", since=dt.date(2007, 1, 1), api_page_size=10)

    assert result.error is None and result.pages == 4
    assert [r.query["start"] for r in server.requests] == ["0", "10", "20", "30"]
    assert server.requests[0].query == {
        "search_query": "cat:cs OR cat:cs.* OR cat:math.AG",
        "sortBy": "submittedDate",
        "sortOrder": "descending",
        "start": "0",
        "max_results": "10",
    }
    assert fake_time.waits == [3.0, 3.0, 3.0]
    # The pages overlap (they were recorded with start 0, 1, 2): each paper is stored once.
    assert set(Paper.objects.values_list("arxiv_id", flat=True)) == {
        "1612.03659",
        "1402.2297",
        "1510.02795",
        "1304.8005",
        "1403.7984",
        "1604.07600",
        "1701.04738",
    }
    assert result.read == 30 and result.new == 7
    assert load_state("arxiv-api") == {"from": "2017-01-17"}


@pytest.mark.django_db
def test_api_stops_at_papers_older_than_the_last_sync(server, fake_time):
    SyncState.objects.create(source="arxiv-api", state={"from": "2016-01-01"})
    server.route("/api/query", atom_page(0), when={"start": "0"})
    config = make_config(server, sync_categories=["cs", "q-bio"])

    [result] = run_sync(config, fake_time, method="api", api_page_size=10, today=dt.date(2017, 5, 14))

    assert result.error is None and len(server.requests) == 1
    assert set(Paper.objects.values_list("arxiv_id", flat=True)) == {"1611.09520", "1612.03659", "1608.03425"}
    assert load_state("arxiv-api") == {"from": "2016-12-12"}


def test_api_query_names_categories_and_archives():
    assert api_query(["cs.LG", "hep-th"]) == "cat:cs.LG OR cat:hep-th OR cat:hep-th.*"


# -- Hugging Face ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hf_days() -> dict[str, list]:
    """date -> the recorded /api/daily_papers?date= body, for June 2024."""
    days = {}
    with gzip.open(HF_DIR / "daily_papers_raw.jsonl.gz", "rt") as lines:
        for line in lines:
            record = json.loads(line)
            if record["date"].startswith("2024-06-1"):
                days[record["date"]] = record["response"]
    return days


def earlier_snapshot(day: str, response: list) -> list:
    """The day's list as an earlier recorded snapshot saw it (upvote_snapshots.csv), from the final one."""
    with gzip.open(HF_DIR / "upvote_snapshots.csv.gz", "rt") as rows:
        snapshots = [row for row in csv.DictReader(rows) if row["date"] == day]
    first_commit = min(snapshots, key=lambda row: row["snapshot_committed_at"])["source_commit"]
    counts = {row["arxiv_id"]: row for row in snapshots if row["source_commit"] == first_commit}
    entries = []
    for entry in json.loads(json.dumps(response)):
        row = counts.get(entry["paper"]["id"])
        if row:
            entry["paper"]["upvotes"], entry["numComments"] = int(row["upvotes"]), int(row["num_comments"])
            entries.append(entry)
    return entries


def json_reply(body) -> Reply:
    return Reply(200, json.dumps(body).encode(), {"Content-Type": "application/json"})


@pytest.mark.django_db
def test_hf_days_and_a_later_snapshot_refreshes_the_votes(server, fake_time, hf_days):
    early = earlier_snapshot("2024-06-12", hf_days["2024-06-12"])
    assert len(early) == 14 and len(hf_days["2024-06-12"]) == 16
    for day in ("2024-06-10", "2024-06-11"):
        server.route("/api/daily_papers", json_reply(hf_days[day]), when={"date": day})
    server.route("/api/daily_papers", json_reply(early), when={"date": "2024-06-12"})
    config = make_config(server, sync_first_days=2)

    [result] = run_sync(config, fake_time, sources=["hf"], today=dt.date(2024, 6, 12))

    assert result.error is None and (result.pages, result.read, result.new) == (3, 37, 37)
    assert [r.query for r in server.requests] == [
        {"date": "2024-06-10"},
        {"date": "2024-06-11"},
        {"date": "2024-06-12"},
    ]
    assert DailyEntry.objects.filter(date=dt.date(2024, 6, 10)).count() == 9
    entry = DailyEntry.objects.get(paper__arxiv_id="2406.07550", date=dt.date(2024, 6, 12))
    assert (entry.upvotes, entry.num_comments) == (23, 4)
    assert load_state("hf") == {"last_day": "2024-06-12"}

    # Later the same day: the final snapshot (more votes, two more papers) replaces the counts.
    server.reset()
    server.route("/api/daily_papers", json_reply(hf_days["2024-06-12"]), when={"date": "2024-06-12"})
    [result] = run_sync(config, fake_time, sources=["hf"], today=dt.date(2024, 6, 12))

    assert result.error is None and (result.read, result.new) == (16, 2)
    assert [r.query for r in server.requests] == [{"date": "2024-06-12"}]
    entry.refresh_from_db()
    assert (entry.upvotes, entry.num_comments) == (29, 7)
    assert DailyEntry.objects.filter(date=dt.date(2024, 6, 12)).count() == 16
    assert DailyEntry.objects.count() == 39


@pytest.mark.django_db
def test_hf_asks_for_weekends_too(server, fake_time, hf_days):
    SyncState.objects.create(source="hf", state={"last_day": "2024-06-14"})
    server.route("/api/daily_papers", json_reply([]))  # the API's answer for a day without a list
    for day in ("2024-06-14", "2024-06-17"):
        server.route("/api/daily_papers", json_reply(hf_days[day]), when={"date": day})
    config = make_config(server)

    [result] = run_sync(config, fake_time, sources=["hf"], today=dt.date(2024, 6, 17))

    assert result.error is None
    assert [r.query["date"] for r in server.requests] == ["2024-06-14", "2024-06-15", "2024-06-16", "2024-06-17"]
    assert DailyEntry.objects.count() == 28 + 18
    assert load_state("hf") == {"last_day": "2024-06-17"}


@pytest.mark.django_db
def test_a_failing_source_does_not_stop_the_others(server, fake_time, hf_days):
    server.route("/oai", Reply(404, b"gone"))
    server.route("/api/daily_papers", json_reply(hf_days["2024-06-10"]))
    config = make_config(server)

    arxiv, hf = run_sync(
        config, fake_time, sources=["arxiv", "hf"], since=dt.date(2024, 6, 10), until=dt.date(2024, 6, 10)
    )

    assert "HTTP 404" in arxiv.error and server.url("/oai") in arxiv.error
    assert hf.error is None and hf.new == 9


# -- the command, for real ------------------------------------------------------------------


def test_sync_command_end_to_end(tmp_path, scratch_databases, hf_days):
    database_url = scratch_databases("sync")
    with ReplayServer() as replay:
        replay.route("/oai", Reply.file(PAGE_WITH_TOKEN), when={"verb": "ListRecords", "set": "cs"})
        replay.route("/oai", Reply.file(LAST_PAGE), when=token_request)
        for day in ("2024-06-10", "2024-06-11"):
            replay.route("/api/daily_papers", json_reply(hf_days[day]), when={"date": day})
        env = dailypapers_env(
            tmp_path,
            DATABASE_URL=database_url,
            DAILYPAPERS_ARXIV_OAI_URL=replay.url("/oai"),
            DAILYPAPERS_ARXIV_API_URL=replay.url("/api/query"),
            DAILYPAPERS_HF_API_URL=replay.url("/api/daily_papers"),
            DAILYPAPERS_ARXIV_DELAY="0",
            DAILYPAPERS_SYNC_SETS="cs",
            DAILYPAPERS_SYNC_CATEGORIES="cs",
            DAILYPAPERS_SYNC_METADATA_PREFIX="oai_dc",
            DAILYPAPERS_USER_AGENT=USER_AGENT,
        )
        run_cli("migrate", "--verbosity", "0", env=env)

        done = run_cli("sync", "--source", "arxiv", env=env)
        assert "arxiv (oai): 2 page(s), read 7, new 6, updated 0, unchanged 0, rejected 0, skipped 1" in done.stdout
        assert "page 1" in done.stderr and "page 2" in done.stderr  # progress goes to stderr
        [(state,)] = sql_rows(database_url, "SELECT state FROM store_syncstate WHERE source = 'arxiv-oai:cs'")
        assert (json.loads(state) if isinstance(state, str) else state) == {"from": "2024-01-27"}

        window = run_cli("sync", "--source", "hf", "--from", "2024-06-10", "--until", "2024-06-11", "--json", env=env)
        assert json.loads(window.stdout)["hf"] == {
            "method": None,
            "pages": 2,
            "read": 23,
            "new": 23,
            "updated": 0,
            "unchanged": 0,
            "rejected": 0,
            "skipped": 0,
            "error": None,
        }
        assert sql_rows(database_url, "SELECT COUNT(*) FROM store_dailyentry") == [(23,)]
        assert all(r.header("User-Agent") == USER_AGENT for r in replay.requests)

        replay.reset()
        replay.route("/oai", Reply.file(BUSY_PAGE))  # a body that is not OAI-PMH
        failed = run_cli("sync", "--source", "arxiv", env=env, check=False)
        assert failed.returncode == 1
        assert "arxiv sync failed:" in failed.stderr and replay.url("/oai?verb=ListRecords") in failed.stderr
        assert "Traceback" not in failed.stderr

        bad_date = run_cli("sync", "--from", "2024-13-01", env=env, check=False)
        assert bad_date.returncode != 0 and "is not a date" in bad_date.stderr


# -- the first sync continues the imported data; a dead network is said at once ---------


def import_hf_days(hf_days, days) -> None:
    from dailypapers.ingest.parsers.hf import parse_hf_response
    from dailypapers.store.upsert import write_batch

    for day in days:
        records = list(parse_hf_response(json.dumps(hf_days[day]).encode(), date=dt.date.fromisoformat(day)))
        write_batch(records, dt.datetime.now(dt.timezone.utc))


@pytest.mark.django_db
def test_first_sync_continues_from_the_newest_day_held(server, fake_time, hf_days):
    import_hf_days(hf_days, ["2024-06-10", "2024-06-11"])  # as `dailypapers import` would leave it
    server.route("/api/daily_papers", json_reply([]))
    server.route("/oai", Reply.file(LAST_PAGE), when={"verb": "ListRecords"})
    messages: list[str] = []
    config = make_config(server)

    arxiv, hf = run_sync(
        config, fake_time, sources=["arxiv", "hf"], today=dt.date(2024, 6, 20), progress=messages.append
    )

    assert arxiv.error is None and hf.error is None
    hf_days_asked = [r.query["date"] for r in server.requests if "date" in r.query]
    # Before: 2024-06-17 (three days before today), leaving 06-12..06-16 out.
    assert hf_days_asked[0] == "2024-06-11" and hf_days_asked[-1] == "2024-06-20" and len(hf_days_asked) == 10
    oai = next(r for r in server.requests if r.query.get("verb") == "ListRecords")
    newest_arxiv = max(d for d in Paper.objects.values_list("first_submitted", flat=True) if d).date()
    assert oai.query["from"] == newest_arxiv.isoformat()
    assert any("hf: first sync; continuing from 2024-06-11" in m for m in messages)


@pytest.mark.django_db
def test_first_sync_backfill_is_bounded_by_a_setting(server, fake_time, hf_days):
    import_hf_days(hf_days, ["2024-06-10"])
    server.route("/api/daily_papers", json_reply([]))
    messages: list[str] = []
    config = make_config(server, sync_max_backfill_days=5)

    [hf] = run_sync(config, fake_time, sources=["hf"], today=dt.date(2024, 8, 1), progress=messages.append)

    assert hf.error is None
    assert [r.query["date"] for r in server.requests] == [f"2024-07-{d:02d}" for d in range(27, 32)] + ["2024-08-01"]
    assert any("holds papers up to 2024-06-10, more than 5 days ago; starting at 2024-07-27" in m for m in messages)


@pytest.mark.django_db
def test_first_sync_after_months_old_data_leaves_no_gap(server, fake_time, hf_days):
    # The bundled data ends 108 days before a first `make run`: a 90-day cap on where the first
    # sync may start (the old default) began it on day 90 back and left 18 days out.
    import_hf_days(hf_days, ["2024-06-10"])
    server.route("/api/daily_papers", json_reply([]))
    server.route("/oai", Reply.file(LAST_PAGE), when={"verb": "ListRecords"})

    arxiv, hf = run_sync(make_config(server), fake_time, sources=["arxiv", "hf"], today=dt.date(2024, 9, 26))

    assert arxiv.error is None and hf.error is None
    asked = [r.query["date"] for r in server.requests if "date" in r.query]
    assert asked[0] == "2024-06-10" and asked[-1] == "2024-09-26" and len(asked) == 109
    oai = next(r for r in server.requests if r.query.get("verb") == "ListRecords")
    newest_arxiv = max(d for d in Paper.objects.values_list("first_submitted", flat=True) if d).date()
    assert oai.query["from"] == newest_arxiv.isoformat()


@pytest.mark.django_db
def test_an_empty_database_still_starts_a_few_days_back(server, fake_time):
    server.route("/api/daily_papers", json_reply([]))
    [hf] = run_sync(make_config(server), fake_time, sources=["hf"], today=dt.date(2024, 8, 1))
    assert [r.query["date"] for r in server.requests] == ["2024-07-29", "2024-07-30", "2024-07-31", "2024-08-01"]


def test_unreachable_reasons_are_told_apart():
    import urllib.error

    from dailypapers.ingest.http import unreachable_reason

    assert (
        unreachable_reason(urllib.error.URLError(socket.gaierror(-2, "Name or service not known")))
        == "the host name does not resolve (Name or service not known)"
    )
    assert unreachable_reason(ConnectionRefusedError(111, "Connection refused")) == "connection refused"
    assert unreachable_reason(ConnectionResetError(104, "reset")) is None  # worth a retry
    assert unreachable_reason(urllib.error.URLError(TimeoutError())) is None


def test_sync_command_without_network_says_so_in_one_sentence_at_once(tmp_path):
    import time

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    env = dailypapers_env(
        tmp_path,
        DAILYPAPERS_ARXIV_OAI_URL=f"{dead}/oai",
        DAILYPAPERS_HF_API_URL=f"{dead}/hf",
        DAILYPAPERS_ARXIV_DELAY="0",
    )
    run_cli("migrate", "--verbosity", "0", env=env)
    started = time.monotonic()
    failed = run_cli("sync", "--no-index", env=env, check=False)
    elapsed = time.monotonic() - started
    assert failed.returncode == 1 and "Traceback" not in failed.stderr
    assert f"arxiv sync failed: cannot reach {dead[7:]}: connection refused; is the network up?" in failed.stderr
    assert f"hf sync failed: cannot reach {dead[7:]}: connection refused" in failed.stderr
    assert "retrying" not in failed.stderr
    assert elapsed < 20, f"took {elapsed:.1f} s"  # before: 75 s of back-off (about 15 s here is start-up)
