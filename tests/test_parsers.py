"""The pure parsers against the real sample files, and against broken input."""

from __future__ import annotations

import datetime as dt
import gzip
import itertools
from pathlib import Path

import orjson
import pytest

from dailypapers.ingest.parsers import FORMATS, LINE_FORMATS, sniff
from dailypapers.ingest.parsers.atom import parse_atom
from dailypapers.ingest.parsers.flat import parse_flat_lines
from dailypapers.ingest.parsers.hf import parse_hf_flat_lines, parse_hf_raw_lines, parse_hf_response
from dailypapers.ingest.parsers.oai import parse_oai, parse_oai_page
from dailypapers.ingest.parsers.snapshot import parse_snapshot_lines
from dailypapers.ingest.records import DailyEntryRecord, PaperRecord, Rejected, clean_abstract

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
RAW = DATA / "arxiv-raw-formats"
OAI_DIR = RAW / "oai-pmh"
ATOM_FILES = sorted((RAW / "api-atom").glob("*.atom"))
FLAT = DATA / "arxiv-cs-daily-2025-2026" / "papers.jsonl.gz"
HF_RAW = DATA / "hf-daily-papers" / "daily_papers_raw.jsonl.gz"
HF_FLAT = DATA / "hf-daily-papers" / "papers_flat.jsonl.gz"
SNAPSHOT = RAW / "kaggle-snapshot" / "arxiv-metadata-oai-snapshot.first5.jsonl"
OAI_ARXIV = OAI_DIR / "ListRecords_from-2015-01-01_metadataPrefix-arXiv_until-2015-01-03_http200.xml"
OAI_DC = OAI_DIR / "ListRecords_oai_dc_set-cs_from-2024-01-25_with_resumptionToken.xml"
OAI_503 = OAI_DIR / "ListRecords_from-2015-01-01_metadataPrefix-arXiv_until-2015-01-03_http503.html"
UTC = dt.timezone.utc


def utc(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=UTC)


def split(items) -> tuple[list, list[Rejected]]:
    items = list(items)
    return [i for i in items if not isinstance(i, Rejected)], [i for i in items if isinstance(i, Rejected)]


def jsonl(*rows: object) -> list[bytes]:
    """Lines as a file gives them; bytes rows are taken as they are (broken or blank lines)."""
    return [(row if isinstance(row, bytes) else orjson.dumps(row)) + b"\n" for row in rows]


# --- flat daily listing ----------------------------------------------------------------------


def test_flat_full_file():
    count, ids, days, rejected, last = 0, set(), set(), [], None
    with gzip.open(FLAT) as lines:
        for item in parse_flat_lines(lines):  # streamed: holding 74k records would only cost time
            if isinstance(item, Rejected):
                rejected.append(item)
                continue
            assert item.source == "flat" and item.title and item.categories
            count += 1
            ids.add(item.arxiv_id)
            days.add(item.announced)
            last = item
    assert (count, len(ids), rejected) == (74_728, 74_728, [])
    # 410 daily files, but weekend files repeat Friday's list and a paper keeps its first day.
    assert (min(days), max(days), len(days)) == (dt.date(2025, 3, 18), dt.date(2026, 7, 1), 322)
    assert last.position == "line 74728"


def test_flat_first_record():
    with gzip.open(FLAT) as lines:
        first = next(parse_flat_lines(lines))
    assert first.arxiv_id == "2503.11731" and first.latest_version is None
    assert first.title == (
        "Industrial-Grade Sensor Simulation via Gaussian Splatting: A Modular "
        "Framework for Scalable Editing and Full-Stack Validation"
    )
    assert first.authors[:3] == ["Xianming Zeng", "Sicong Du", "Qifeng Chen"] and len(first.authors) == 16
    assert (first.primary_category, first.categories) == ("cs.CV", ["cs.CV", "cs.RO"])
    assert first.announced == dt.date(2025, 3, 18) and first.comments is None
    assert first.abstract.startswith("Sensor simulation is pivotal for scalable validation of autonomous driving")
    assert "\n" not in first.abstract


def test_flat_abstract_shortcut_matches_clean_abstract():
    texts = ["  one\nline\n", "para one\n\n  para two", "tab\there", "non\u00a0ascii\nspace", "a  b", "\n", ""]
    lines = jsonl(*({"id": "2501.00001", "title": "T", "abstract": t, "listing_date": "2025-01-02"} for t in texts))
    assert [p.abstract for p in parse_flat_lines(lines)] == [clean_abstract(t) for t in texts]


def test_flat_bad_lines_are_rejected_and_neighbours_kept():
    good = {
        "id": "2501.00001",
        "title": "Good\n  title",
        "authors": ["A  B"],
        "categories": ["cs.CL"],
        "comment": None,
        "abstract": "x",
        "listing_date": "2025-01-02",
    }
    lines = jsonl(
        good,
        b'{"id": "2501.00002", "title": ',
        b"   ",
        {**good, "id": None},
        {**good, "id": "abc"},
        {**good, "title": "  "},
        {**good, "authors": 3},
        {**good, "categories": ["cs.CL", 7]},
        {**good, "listing_date": "2024-02-30"},
        [1, 2],
        {**good, "id": "2501.00003v2"},
    )
    items = list(parse_flat_lines(lines))
    assert [(i.position, i.reason) for i in items if isinstance(i, Rejected)] == [
        ("line 2", items[1].reason),
        ("line 4", "id: missing"),
        ("line 5", "id: 'abc' is not an arXiv id"),
        ("line 6", "title: missing"),
        ("line 7", "authors: expected a list, got int"),
        ("line 8", "categories[1]: expected text, got int"),
        ("line 9", "listing_date: '2024-02-30' is not a date"),
        ("line 10", "record: expected an object, got a list"),
    ]
    assert items[1].reason.startswith("not valid JSON: ")
    assert len(items) == 10  # the blank line gives no item
    assert items[3].record_id == "abc"
    assert (items[0].title, items[0].authors, items[0].position) == ("Good title", ["A B"], "line 1")
    assert (items[-1].arxiv_id, items[-1].latest_version, items[-1].position) == ("2501.00003", 2, "line 11")


# --- Hugging Face daily papers ----------------------------------------------------------------


@pytest.fixture(scope="module")
def hf_raw_items() -> list:
    with gzip.open(HF_RAW) as lines:
        return list(parse_hf_raw_lines(lines))


def test_hf_raw_full_file(hf_raw_items):
    entries, rejected = split(hf_raw_items)
    assert (len(entries), rejected) == (9_881, [])
    assert len({e.position.split(" entry")[0] for e in entries}) == 580
    assert all(isinstance(e, DailyEntryRecord) and e.paper.source == "hf" and e.seen_at for e in entries)
    first = entries[0]
    assert (first.position, first.date, first.paper.arxiv_id) == ("line 1 entry 1", dt.date(2024, 5, 27), "2405.15738")
    assert first.paper.title == "ConvLLaVA: Hierarchical Backbones as Visual Encoder for Large Multimodal Models"
    assert first.paper.authors[:2] == ["Chunjiang Ge", "Sijie Cheng"] and len(first.paper.authors) == 9
    assert (first.upvotes, first.num_comments) == (32, 3)
    assert first.paper.first_submitted == utc(2024, 5, 24, 17, 34, 15)
    assert first.seen_at == utc(2024, 6, 1, 17, 7, 21)  # 2024-06-02T01:07:21+08:00
    forcing = next(e for e in entries if e.paper.arxiv_id == "2510.02283")
    assert (forcing.position, forcing.date) == ("line 353 entry 1", dt.date(2025, 10, 3))
    assert (forcing.upvotes, forcing.num_comments) == (43, 2)
    assert forcing.paper.title == "Self-Forcing++: Towards Minute-Scale High-Quality Video Generation"
    assert (forcing.organization, forcing.submitted_by) == ("ByteDance Seed", "cuijiaxing")
    assert (forcing.github_repo, forcing.github_stars) == ("https://github.com/justincui03/Self-Forcing-Plus-Plus", 1)
    assert forcing.ai_keywords[:2] == ["diffusion models", "transformer architectures"]


def test_hf_flat_full_file_agrees_with_raw(hf_raw_items):
    def key(e: DailyEntryRecord) -> tuple:
        return (
            e.date,
            e.paper.arxiv_id,
            e.paper.title,
            tuple(e.paper.authors),
            e.upvotes,
            e.num_comments,
            e.organization,
            e.github_repo,
            e.github_stars,
            e.ai_summary,
            e.seen_at,
        )

    with gzip.open(HF_FLAT) as lines:
        flat, rejected = split(parse_hf_flat_lines(lines))
    assert (len(flat), rejected) == (9_881, [])
    assert len({e.paper.arxiv_id for e in flat}) == 9_877
    assert sorted(map(key, flat)) == sorted(map(key, hf_raw_items))


HF_ENTRY = {
    "paper": {
        "id": "2405.15738",
        "authors": [{"_id": "1", "name": "Chunjiang\n Ge", "hidden": False}, {"_id": "2", "name": "Bo Zheng"}],
        "publishedAt": "2024-05-24T17:34:15.000Z",
        "submittedOnDailyAt": "2024-05-27T01:50:58.348Z",
        "title": "ConvLLaVA: Hierarchical Backbones as Visual Encoder for Large Multimodal\n  Models",
        "summary": "High-resolution\nLMMs.",
        "upvotes": 32,
        "ai_keywords": ["LMM", "ConvNeXt"],
        "githubRepo": "https://github.com/alibaba/conv-llava",
        "githubStars": 120,
        "organization": {"_id": "x", "name": "alibaba", "fullname": "Alibaba"},
    },
    "publishedAt": "2024-05-26T23:50:58.348Z",
    "title": "ConvLLaVA",
    "numComments": 3,
    "submittedBy": {"_id": "y", "fullname": "AK", "name": "akhaliq", "type": "user"},
}


def test_hf_response_fields_and_day():
    (entry,) = parse_hf_response(orjson.dumps([HF_ENTRY]))
    assert entry.date == dt.date(2024, 5, 27)  # from paper.submittedOnDailyAt
    assert entry.paper.title == "ConvLLaVA: Hierarchical Backbones as Visual Encoder for Large Multimodal Models"
    assert entry.paper.authors == ["Chunjiang Ge", "Bo Zheng"]
    assert entry.paper.abstract == "High-resolution LMMs."
    assert (entry.upvotes, entry.num_comments, entry.submitted_by, entry.organization) == (32, 3, "akhaliq", "Alibaba")
    assert entry.submitter_fullname == "AK"  # submitted_by is the username, as submittedBy.name
    assert (entry.github_repo, entry.github_stars, entry.ai_keywords) == (
        "https://github.com/alibaba/conv-llava",
        120,
        ["LMM", "ConvNeXt"],
    )
    assert entry.position == "entry 1"

    (given,) = parse_hf_response(orjson.dumps([HF_ENTRY]), date=dt.date(2024, 6, 1), seen_at=utc(2024, 6, 1, 8))
    assert (given.date, given.seen_at) == (dt.date(2024, 6, 1), utc(2024, 6, 1, 8))

    older = {**HF_ENTRY, "paper": {k: v for k, v in HF_ENTRY["paper"].items() if k != "submittedOnDailyAt"}}
    assert next(parse_hf_response(orjson.dumps([older]))).date == dt.date(2024, 5, 26)  # top-level publishedAt


def test_hf_response_variants_and_rejections():
    paper = HF_ENTRY["paper"]
    entries = [
        {**HF_ENTRY, "paper": {**paper, "upvotes": None}, "submittedBy": "someone", "numComments": None},
        {**HF_ENTRY, "paper": {**paper, "upvotes": "many"}},
        {**HF_ENTRY, "paper": {**paper, "id": None}},
        {**HF_ENTRY, "paper": "2405.15738"},
        {**HF_ENTRY, "paper": {**paper, "authors": {"name": "x"}}},
        {**HF_ENTRY, "paper": {**paper, "submittedOnDailyAt": "2024-13-01T00:00:00Z"}},
        HF_ENTRY,
    ]
    items = list(parse_hf_response(orjson.dumps(entries)))
    assert len(items) == 7
    assert (items[0].upvotes, items[0].num_comments, items[0].submitted_by) == (0, 0, "someone")
    assert [(i.position, i.reason) for i in items if isinstance(i, Rejected)] == [
        ("entry 2", "paper.upvotes: expected an integer, got text"),
        ("entry 3", "paper.id: missing"),
        ("entry 4", "paper: expected an object, got text"),
        ("entry 5", "paper.authors: expected a list, got object"),
        ("entry 6", "paper.submittedOnDailyAt: '2024-13-01T00:00:00Z' is not a date"),
    ]
    assert items[1].record_id == "2405.15738"
    assert isinstance(items[6], DailyEntryRecord)

    (broken,) = parse_hf_response(b'[{"paper": ')
    assert (broken.position, broken.reason[:15]) == ("document", "not valid JSON:")
    (error,) = parse_hf_response(b'{"error": "Invalid date"}')
    assert error.reason == "API error: Invalid date"


def test_hf_raw_broken_line_keeps_other_lines():
    day = {
        "date": "2024-05-27",
        "snapshot_committed_at": "2024-06-02T01:07:21+08:00",
        "stored_shape": "api_list",
        "response": [HF_ENTRY, {**HF_ENTRY, "paper": {"id": "2405.1"}}],
    }
    lines = jsonl(day, b"{not json", {**day, "response": {"a": 1}}, {**day, "date": "2024-02-30"}, b"", day)
    items = list(parse_hf_raw_lines(lines))
    positions = [(i.position, type(i).__name__) for i in items]
    assert positions == [
        ("line 1 entry 1", "DailyEntryRecord"),
        ("line 1 entry 2", "Rejected"),
        ("line 2", "Rejected"),
        ("line 3", "Rejected"),
        ("line 4", "Rejected"),
        ("line 6 entry 1", "DailyEntryRecord"),
        ("line 6 entry 2", "Rejected"),
    ]
    assert items[1].reason == "paper.id: '2405.1' is not an arXiv id"
    assert items[2].reason.startswith("not valid JSON: ")
    assert items[3].reason == "response: expected a list, got object"
    assert items[4].reason == "date: '2024-02-30' is not a date"
    assert items[0].date == dt.date(2024, 5, 27) and items[0].seen_at == utc(2024, 6, 1, 17, 7, 21)


def test_hf_flat_rejections():
    row = {
        "date": "2024-05-27",
        "arxiv_id": "2405.15738",
        "title": "T",
        "upvotes": None,
        "num_comments": 1,
        "authors": ["A"],
        "summary": "S",
        "organization": "NVIDIA",
        "submitted_by": None,
        "snapshot_committed_at": "2024-06-02T01:07:21+08:00",
    }
    items = list(
        parse_hf_flat_lines(
            jsonl(row, {**row, "date": "2024-02-30"}, {**row, "authors": "A, B"}, {**row, "title": None})
        )
    )
    assert items[0].upvotes == 0 and items[0].organization == "NVIDIA"
    assert [(i.position, i.reason) for i in items[1:]] == [
        ("line 2", "date: '2024-02-30' is not a date"),
        ("line 3", "authors: expected a list, got text"),
        ("line 4", "title: missing"),
    ]
    assert items[3].record_id == "2405.15738"


# --- arXiv API (Atom) -------------------------------------------------------------------------


def test_atom_pages():
    pages = [split(parse_atom(path.read_bytes())) for path in ATOM_FILES]
    assert [(len(papers), rejected) for papers, rejected in pages] == [(10, [])] * 3
    papers = {p.arxiv_id: p for page, _ in pages for p in page}
    first = pages[0][0][0]
    assert (first.arxiv_id, first.latest_version, first.position) == ("1611.09520", 2, "entry 1")
    assert first.title == (
        "Hierarchical Neural Representation of Dreamed Objects Revealed by Brain "
        "Decoding with Deep Neural Network Features"
    )
    assert first.authors == ["Tomoyasu Horikawa", "Yukiyasu Kamitani"]
    assert (first.first_submitted, first.last_updated) == (utc(2016, 11, 29, 8, 18, 38), utc(2017, 1, 23, 6, 54, 20))
    assert [v.number for v in first.versions] == [1, 2]
    assert first.abstract.startswith("Dreaming is generally thought to be generated by spontaneous brain activity")
    atmospheres = papers["1511.08339"]
    assert (atmospheres.doi, atmospheres.comments, atmospheres.source) == (
        "10.3847/0004-637X/820/2/107",
        "ApJ accepted",
        "arxiv-api",
    )
    social = papers["1402.2297"]
    assert (social.primary_category, social.categories) == ("cs.SI", ["cs.SI", "physics.soc-ph"])
    combinatorics = papers["0706.3031"]
    assert combinatorics.latest_version == 3
    assert combinatorics.journal_ref == (
        "S\\'eminaire Lotharingien de Combinatoire, Issue 58 (2008), Article B58e. (electronic)"
    )
    assert combinatorics.categories == ["math.CO"]  # the MSC class term is not an arXiv category
    assert combinatorics.msc_classes == ["05E99", "05E05", "20B30"]  # but kept as what it is


ATOM_HEAD = b"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom">
  <title type="html">ArXiv Query</title>
  <id>http://arxiv.org/api/x</id>
"""


def atom_entry(arxiv_id: str, title: str = "A title", published: str = "2016-11-29T08:18:38Z") -> bytes:
    return f"""  <entry>
    <id>http://arxiv.org/abs/{arxiv_id}</id>
    <updated>2017-01-23T06:54:20Z</updated>
    <published>{published}</published>
    <title>{title}</title>
    <summary>An abstract.</summary>
    <author><name>A. Author</name></author>
    <arxiv:comment>This paper has been withdrawn</arxiv:comment>
    <arxiv:primary_category term="cs.CL" scheme="http://arxiv.org/schemas/atom"/>
    <category term="cs.CL" scheme="http://arxiv.org/schemas/atom"/>
  </entry>
""".encode()


def test_atom_error_feed():
    feed = (
        ATOM_HEAD
        + b"""  <entry>
    <id>http://arxiv.org/api/errors#incorrect_id_format_for_1234.12345v1x</id>
    <title>Error</title>
    <summary>incorrect id format for 1234.12345v1x</summary>
    <updated>2024-01-01T00:00:00-05:00</updated>
    <author><name>arXiv api core</name></author>
  </entry>
</feed>"""
    )
    (rejected,) = parse_atom(feed)
    assert (rejected.position, rejected.reason) == ("entry 1", "arXiv API error: incorrect id format for 1234.12345v1x")
    assert sniff(feed, "query.atom") == "atom"


def test_atom_bad_entries():
    feed = (
        ATOM_HEAD
        + atom_entry("1611.09520v1")
        + atom_entry("1611.09521v1", title="")
        + atom_entry("1611.09522v1", published="2016-02-30T00:00:00Z")
        + atom_entry("nonsense")
        + atom_entry("1611.09523v1")
        + b"</feed>"
    )
    items = list(parse_atom(feed))
    assert [(i.position, i.reason) for i in items if isinstance(i, Rejected)] == [
        ("entry 2", "title: missing"),
        ("entry 3", "published: '2016-02-30T00:00:00Z' is not a date"),
        ("entry 4", "id: 'http://arxiv.org/abs/nonsense' is not an arXiv id"),
    ]
    assert items[1].record_id == "http://arxiv.org/abs/1611.09521v1"
    assert [i.arxiv_id for i in items if isinstance(i, PaperRecord)] == ["1611.09520", "1611.09523"]
    assert items[0].withdrawn is True and items[0].versions[0].date == utc(2016, 11, 29, 8, 18, 38)


def test_atom_broken_xml_recovers_other_entries():
    feed = (
        ATOM_HEAD
        + atom_entry("1611.09520v1")
        + atom_entry("1611.09521v1", title="Broken <b>tag")
        + atom_entry("1611.09522v1")
        + b"</feed>"
    )
    items = list(parse_atom(feed))
    assert [type(i).__name__ for i in items] == ["PaperRecord", "Rejected", "PaperRecord"]
    assert items[1].position == "entry 2" and items[1].reason.startswith("not well-formed XML: line ")
    assert [i.arxiv_id for i in (items[0], items[2])] == ["1611.09520", "1611.09522"]

    (junk,) = parse_atom(b"\x00\x01 this is not xml")
    assert junk.position == "document" and junk.reason.startswith("not well-formed XML")
    (wrong,) = parse_atom(OAI_ARXIV.read_bytes())
    assert wrong.reason == "not an Atom feed: root element is <OAI-PMH>"


# --- OAI-PMH ----------------------------------------------------------------------------------


def test_oai_arxiv_list_records():
    page = parse_oai_page(OAI_ARXIV.read_bytes())
    assert (page.resumption_token, page.complete_list_size, page.error) == (None, None, None)
    ks, planck = page.records
    assert (ks.arxiv_id, ks.source, ks.position) == ("1412.8544", "oai-arXiv", "record 1")
    assert ks.title == "A Kochen-Specker system has at least 22 vectors (extended abstract)"
    assert ks.authors == ["Sander Uijlen", "Bas Westerbaan"]
    assert (ks.doi, ks.journal_ref) == ("10.4204/EPTCS.172.11", "EPTCS 172, 2014, pp. 154-164")
    assert (ks.categories, ks.primary_category) == (["cs.DM"], "cs.DM")
    assert ks.comments == "In Proceedings QPL 2014, arXiv:1412.8102"
    assert ks.license == "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"
    assert ks.first_submitted == utc(2014, 12, 29) and ks.abstract.startswith("At the heart of the Conway-Kochen")
    assert (planck.arxiv_id, planck.authors, planck.doi) == ("hep-th/9504118", ["M. Requardt"], None)
    assert '"strength"' in planck.abstract  # &quot; decoded
    assert list(parse_oai(OAI_ARXIV.read_bytes())) == page.records

    get_record = OAI_DIR / "GetRecord_identifier-oai-arXiv.org-1412.8544_metadataPrefix-arXiv_http200.xml"
    assert list(parse_oai(get_record.read_bytes())) == [ks]


def test_oai_dc_page_with_resumption_token():
    page = parse_oai_page(OAI_DC.read_bytes())
    assert (page.resumption_token, page.complete_list_size, page.error) == ("6960524|1001", 1162, None)
    assert len(page.records) == 5
    first = page.records[0]
    assert (first.arxiv_id, first.source) == ("1303.2033", "oai-dc")
    assert first.title == "Extended Fourier analysis of signals"
    assert (first.authors, first.comments) == (["Vilnis Liepins"], "32 pages, 9 figures")
    assert (first.first_submitted, first.last_updated) == (utc(2013, 3, 8), utc(2024, 1, 23))
    assert page.records[1].authors == ["Chuankun Li", "Shuai Li", "Yanbo Gao", "Ping Chen", "Jian Li", "Wanqing Li"]
    assert page.records[4].title == "(Chat)GPT v BERT: Dawn of Justice for Semantic Change Detection"
    assert [r.arxiv_id for r in page.records] == ["1303.2033", "2401.14034", "2401.14036", "2401.14038", "2401.14040"]


@pytest.mark.parametrize(
    "name",
    [
        "Identify_http200.xml",
        "ListSets_http200.xml",
        "ListMetadataFormats_http200.xml",
        "ListIdentifiers_from-2009-01-01_metadataPrefix-arXiv_until-2009-01-02_http200.xml",
    ],
)
def test_oai_other_verbs_have_no_records(name):
    page = parse_oai_page((OAI_DIR / name).read_bytes())
    assert (page.records, page.error) == ([], None)


def test_oai_503_page_is_an_error():
    page = parse_oai_page(OAI_503.read_bytes())
    assert page.error == "not an OAI-PMH response: <html> 'Retry after 10 seconds'"
    assert [(r.position, r.reason) for r in page.records] == [("document", page.error)]
    assert page.resumption_token is None


OAI_HEAD = b"""<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">
<responseDate>2024-01-27T17:53:42Z</responseDate>
<request verb="ListRecords" resumptionToken="6960524|1001">http://export.arxiv.org/oai2</request>
"""

# Hand-written after http://arxiv.org/OAI/arXivRaw.xsd: no real arXivRaw response was available.
ARXIV_RAW = (
    OAI_HEAD
    + b"""<ListRecords>
<record>
<header><identifier>oai:arXiv.org:0704.0001</identifier><datestamp>2008-11-26</datestamp>
<setSpec>physics:hep-ph</setSpec></header>
<metadata>
<arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="http://arxiv.org/OAI/arXivRaw/ http://arxiv.org/OAI/arXivRaw.xsd">
<id>0704.0001</id><submitter>Pavel Nadolsky</submitter>
<version version="v1"><date>Mon, 2 Apr 2007 19:18:42 GMT</date><size>717kb</size><source_type>D</source_type></version>
<version version="v2"><date>Tue, 24 Jul 2007 20:10:27 GMT</date><size>722kb</size><source_type>D</source_type></version>
<title>Calculation of prompt diphoton production cross sections at Tevatron and
  LHC energies</title>
<authors>C. Bal\\'azs, E. L. Berger (Argonne), P. M. Nadolsky and C.-P. Yuan</authors>
<categories>hep-ph cs.LG</categories>
<comments>37 pages, 15 figures; published version</comments>
<journal-ref>Phys.Rev.D76:013009,2007</journal-ref>
<doi>10.1103/PhysRevD.76.013009</doi>
<license>http://arxiv.org/licenses/nonexclusive-distrib/1.0/</license>
<abstract>  A fully differential calculation in perturbative quantum chromodynamics is
presented for the production of massive photon pairs at hadron colliders.
</abstract>
</arXivRaw>
</metadata>
</record>
<record>
<header status="deleted"><identifier>oai:arXiv.org:0704.0002</identifier><datestamp>2009-01-01</datestamp></header>
</record>
<record>
<header><identifier>oai:arXiv.org:0704.0003</identifier><datestamp>2008-11-26</datestamp></header>
<metadata>
<arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/">
<id>0704.0003</id><submitter>Someone</submitter>
<version version="v1"><date>Foo 99</date><size>1kb</size></version>
<title>A title</title><authors>A. Someone</authors><categories>math.CO</categories>
</arXivRaw>
</metadata>
</record>
<record>
<header><identifier>oai:arXiv.org:0704.0004</identifier><datestamp>2008-11-26</datestamp></header>
<metadata>
<arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/">
<id>0704.0004</id><version version="v1"><date>Sat, 31 Mar 2007 02:26:18 GMT</date></version>
<authors>A. Someone</authors><categories>math.CO</categories>
</arXivRaw>
</metadata>
</record>
<record>
<header><identifier>oai:arXiv.org:0704.0005</identifier><datestamp>2008-11-26</datestamp></header>
<metadata><other xmlns="http://example.org/other/"><id>0704.0005</id></other></metadata>
</record>
<resumptionToken cursor="1001" completeListSize="1162"></resumptionToken>
</ListRecords>
</OAI-PMH>
"""
)


def test_oai_arxiv_raw_records():
    page = parse_oai_page(ARXIV_RAW)
    assert (page.resumption_token, page.complete_list_size, page.error) == (None, 1162, None)
    paper, deleted, bad_date, no_title, other = page.records
    assert (paper.arxiv_id, paper.source, paper.submitter) == ("0704.0001", "oai-arXivRaw", "Pavel Nadolsky")
    assert paper.title == "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    assert paper.authors == ["C. Bal\\'azs", "E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan"]
    v1, v2 = utc(2007, 4, 2, 19, 18, 42), utc(2007, 7, 24, 20, 10, 27)
    assert [(v.number, v.date) for v in paper.versions] == [(1, v1), (2, v2)]
    assert (paper.latest_version, paper.first_submitted, paper.last_updated) == (2, v1, v2)
    assert (paper.primary_category, paper.categories) == ("hep-ph", ["hep-ph", "cs.LG"])
    assert (paper.doi, paper.journal_ref) == ("10.1103/PhysRevD.76.013009", "Phys.Rev.D76:013009,2007")
    assert paper.withdrawn is False
    assert paper.abstract.startswith("A fully differential calculation in perturbative quantum chromodynamics is")
    # A deleted record has no metadata; the format comes from the other records of the page.
    assert (deleted.arxiv_id, deleted.title, deleted.deleted, deleted.source, deleted.position) == (
        "0704.0002",
        "",
        True,
        "oai-arXivRaw",
        "record 2",
    )
    assert (bad_date.position, bad_date.reason, bad_date.record_id) == (
        "record 3",
        "version[0].date: 'Foo 99' is not a date",
        "oai:arXiv.org:0704.0003",
    )
    assert (no_title.position, no_title.reason) == ("record 4", "title: missing")
    assert (other.position, other.reason) == ("record 5", "metadata: unsupported format 'http://example.org/other/'")
    assert sniff(ARXIV_RAW, "page.xml") == "oai"


def test_oai_errors():
    no_match = parse_oai_page(OAI_HEAD + b'<error code="noRecordsMatch">No records</error></OAI-PMH>')
    assert (no_match.records, no_match.error, no_match.resumption_token) == ([], None, None)
    expired = parse_oai_page(
        OAI_HEAD + b'<error code="badResumptionToken">The value of\n the token is invalid</error></OAI-PMH>'
    )
    assert expired.error == "OAI error badResumptionToken: The value of the token is invalid"
    assert [(r.position, r.reason) for r in expired.records] == [("document", expired.error)]


def test_oai_broken_record_is_rejected_and_others_recovered():
    text = OAI_DC.read_bytes().replace(b"<dc:title>Unsupervised Spatial", b"<dc:title><i>Unsupervised Spatial", 1)
    page = parse_oai_page(text)
    assert page.error and page.error.startswith("not well-formed XML: line ")
    assert [type(r).__name__ for r in page.records] == ["PaperRecord", "Rejected"] + ["PaperRecord"] * 3
    assert page.records[1].position == "record 2" and page.records[1].record_id == "oai:arXiv.org:2401.14034"
    assert page.resumption_token == "6960524|1001"

    # A page cut off in record 3: the first two stand, the token is lost and the page is in error.
    data = OAI_DC.read_bytes()
    cut = parse_oai_page(data[: data.index(b"<dc:title>Diverse") + 30])
    assert [type(r).__name__ for r in cut.records] == ["PaperRecord", "PaperRecord", "Rejected"]
    assert (cut.resumption_token, cut.records[2].position) == (None, "record 3")
    assert cut.error.startswith("not well-formed XML")

    # On one line, errors cannot be told apart by record: none of them is trusted.
    one_line = b" ".join(data.replace(b"Diverse and Lifespan", b"Diverse & Lifespan").split(b"\n"))
    assert [type(r).__name__ for r in parse_oai(one_line)] == ["Rejected"] * 5

    (nothing,) = parse_oai(b"<OAI-PMH><ListRecords><rec")
    assert nothing.position == "document" and nothing.reason.startswith("not well-formed XML")


# --- Kaggle snapshot --------------------------------------------------------------------------


def test_snapshot_first5():
    with open(SNAPSHOT, "rb") as lines:
        papers, rejected = split(parse_snapshot_lines(lines))
    assert (len(papers), rejected) == (5, [])
    assert [p.arxiv_id for p in papers] == ["0704.0001", "0704.0002", "0704.0003", "0704.0004", "0704.0005"]
    assert all(p.versions and p.source == "snapshot" for p in papers)
    first = papers[0]
    assert first.title == "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    assert first.authors == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C. -P. Yuan"]  # from authors_parsed
    v1, v2 = utc(2007, 4, 2, 19, 18, 42), utc(2007, 7, 24, 20, 10, 27)
    assert [(v.number, v.date) for v in first.versions] == [(1, v1), (2, v2)]
    assert (first.latest_version, first.first_submitted, first.last_updated) == (2, v1, v2)
    assert (first.doi, first.journal_ref) == ("10.1103/PhysRevD.76.013009", "Phys.Rev.D76:013009,2007")
    assert first.submitter == "Pavel Nadolsky"
    assert (first.categories, first.license) == (["hep-ph"], None)
    second = papers[1]
    assert (second.primary_category, second.categories) == ("math.CO", ["math.CO", "cs.CG"])
    assert second.authors == ["Ileana Streinu", "Louis Theran"]
    assert second.license == "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"


def test_snapshot_rejections():
    row = {
        "id": "0704.0002",
        "title": "Sparsity",
        "authors": "Ileana Streinu and Louis Theran",
        "categories": "math.CO cs.CG",
        "comments": "This paper has been Withdrawn",
        "versions": [{"version": "v1", "created": "Sat, 31 Mar 2007 02:26:18 GMT"}],
    }
    lines = jsonl(
        row,
        {**row, "versions": [row["versions"][0], {"version": "v2", "created": "Foo 99"}]},
        {**row, "versions": [{"version": "v1", "created": "Fri, 30 Feb 2007 02:26:18 GMT"}]},
        {**row, "title": None},
        {**row, "authors_parsed": "Streinu"},
        b"[",
        b"\n",
        row,
    )
    items = list(parse_snapshot_lines(lines))
    assert items[0].authors == ["Ileana Streinu", "Louis Theran"] and items[0].withdrawn is True
    assert [(i.position, i.reason) for i in items[1:-1]] == [
        ("line 2", "versions[1].created: 'Foo 99' is not a date"),
        ("line 3", "versions[0].created: 'Fri, 30 Feb 2007 02:26:18 GMT' is not a date"),
        ("line 4", "title: missing"),
        ("line 5", "authors_parsed: expected a list, got text"),
        ("line 6", items[5].reason),
    ]
    assert items[5].reason.startswith("not valid JSON: ") and items[1].record_id == "0704.0002"
    assert items[-1].position == "line 8"


# --- sniffing and the format table ------------------------------------------------------------


def head_of(path: Path) -> bytes:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        return f.read(64 * 1024)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        *((path, "atom") for path in ATOM_FILES),
        *((path, "oai") for path in sorted(OAI_DIR.glob("*.xml"))),
        (OAI_503, None),
        (OAI_DIR / "paperhive_index.json", None),
        (SNAPSHOT, "snapshot"),
        (FLAT, "flat"),
        (HF_RAW, "hf-raw"),
        (HF_FLAT, "hf-flat"),
        (DATA / "hf-daily-papers" / "upvote_snapshots.csv.gz", None),
        (DATA / "scifact-beir" / "corpus.jsonl.gz", None),
        (RAW / "abs-files" / "arxiv-browse-test-abs-files.tar.gz", None),
        (RAW / "SOURCE.md", None),
    ],
    ids=lambda value: value.name if isinstance(value, Path) else str(value),
)
def test_sniff_samples(path, expected):
    assert sniff(head_of(path), path.name) == expected


def test_sniff_api_body_and_junk():
    assert sniff(orjson.dumps([HF_ENTRY]), "daily_papers.json") == "hf"
    assert sniff(gzip.decompress(gzip.compress(OAI_DC.read_bytes())), "x.xml.gz") == "oai"
    for junk in (b"hello", b"\x00\x01\x02", b"{}", b'{"a": 1}\n', b"[1, 2]", b"<html></html>", b"id,title\n1,2"):
        assert sniff(junk, "data.bin") is None, junk
    assert sniff(b"", "data.bin") is None
    assert sniff(head_of(HF_RAW)[:3000], "x.jsonl") == "hf-raw"  # first line cut short: keys read as text
    assert sniff(SNAPSHOT.read_bytes()[:300], "x.jsonl") == "snapshot"
    assert sniff(b"", "daily_papers_raw.jsonl.gz") == "hf-raw"  # empty file: only the name speaks


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_every_format_reads_its_sample_deterministically(name):
    sample = {
        "atom": ATOM_FILES[0],
        "oai": OAI_DC,
        "snapshot": SNAPSHOT,
        "flat": FLAT,
        "hf-raw": HF_RAW,
        "hf-flat": HF_FLAT,
    }.get(name)
    if name == "hf":
        data = orjson.dumps([HF_ENTRY, HF_ENTRY])
        runs = [list(FORMATS[name](data)) for _ in range(2)]
    elif name in LINE_FORMATS:
        runs = []
        for _ in range(2):
            with gzip.open(sample) if sample.suffix == ".gz" else open(sample, "rb") as lines:
                runs.append(list(itertools.islice(FORMATS[name](lines), 200)))
    else:
        runs = [list(FORMATS[name](sample.read_bytes())) for _ in range(2)]
    assert runs[0] == runs[1] and runs[0]
    assert not any(isinstance(item, Rejected) for item in runs[0])
