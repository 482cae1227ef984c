"""The parser sweep kept in CI: any bytes in -> records, or the parser's own
``Rejected`` naming where, never another exception; and every record that comes out is safe
to store (no control characters, only http(s) links, numbers the columns hold).

Inputs are arbitrary bytes and mutations of the real files in ../shared/data (byte flips,
insertions of hostile tokens, cuts). The budget is fixed and derandomized, so CI time and
results are the same on every run (about 30 s on two cores)."""

from __future__ import annotations

import datetime as dt
import gzip
import os
import re
from functools import lru_cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import DATA
from dailypapers.ingest import parsers
from dailypapers.ingest.parsers.oai import parse_oai_page
from dailypapers.ingest.records import DailyEntryRecord, PaperRecord, Rejected
from dailypapers.ingest.sanitize import ENTRY_LIMITS, MAX_INT, PAPER_LIMITS
from dailypapers.ingest.urls import safe_url

# DAILYPAPERS_FUZZ_EXAMPLES=2000 runs a deeper sweep by hand; CI keeps the fixed budget.
BUDGET = settings(
    max_examples=int(os.environ.get("DAILYPAPERS_FUZZ_EXAMPLES", "120")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Tokens the adversarial sweep found breaking things, and their relatives.
HOSTILE = [
    b"\x00",
    b"\x01",
    b"\x08",
    b"\x1b",
    b"\x7f",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\xed\xa0\x80",  # lone surrogate in UTF-8
    b"\\u0000",
    b"\\ud800",
    b"\\udfff",
    b"\\u0001",
    "²".encode(),
    "٣".encode(),
    b"9999-12-31T23:00:00-05:00",
    b"0001-01-01T00:00:00+01:00",
    b"Mon, 31 Dec 9999 23:59:59 -0500",
    b"18446744073709551616",
    b"9223372036854775808",
    b"-9223372036854775809",
    b"1e400",
    b"NaN",
    b"v99999999999",
    b"v0",
    b"&undefined;",
    b"&amp;",
    b"&#1;",
    b"<x:a>",
    b"</x:a>",
    b'<!DOCTYPE feed SYSTEM "x.dtd">',
    b"<![CDATA[",
    b"]]>",
    b"<!--",
    b"-->",
    b"javascript:alert(1)",
    b"data:text/html,x",
    b"{",
    b"}",
    b"[",
    b"]",
    b'"',
    b",",
    b":",
    b"\n",
    b"\r\n",
    b"a" * 600 + b"/9901001",
    b'"id": "hep-th/9901001"',
    b"null",
    b"true",
    b"[]",
    b"{}",
]


# Whole values put in place of a real field's value (as JSON tokens, or as XML text/attributes).
JSON_VALUES = [
    b'"9999-12-31T23:00:00-05:00"',
    b'"0001-01-01T00:00:00+01:00"',
    b'"9999-12-31"',
    b'"2024-13-45"',
    b"18446744073709551616",
    b"9223372036854775808",
    b"2147483648",
    b"-1",
    b"1e400",
    b"1.5",
    b"true",
    b'"javascript:alert(1)"',
    b'"data:text/html,x"',
    b'"https://ok.example/x"',
    b'"\\u0001\\ud800x"',
    b'"v99999999999"',
    b'"2401.00001v99999999999"',
    b'"' + b"a" * 507 + b'/9901001"',
    b'""',
    b"null",
    b"[]",
    b"{}",
    b'["\\u0000"]',
    b'"' + b"x" * 600 + b'"',
    b'"\\ud800"',
]
XML_VALUES = [
    b"9999-12-31T23:00:00-05:00",
    b"0001-01-01T00:00:00+01:00",
    "²".encode(),
    b"99999999999999999999999",
    b"Mon, 31 Dec 9999 23:59:59 -0500",
    b"&undefined;",
    b"&#1;",
    b"<x:b>t</x:b>",
    b"v99999999999",
    b"http://arxiv.org/abs/2401.00001v99999999999",
    b"javascript:alert(1)",
    b"",
    b"x" * 600,
    b"hep-th/9901001",
    b"a" * 507 + b"/9901001",
    b"\xef\xbf\xbe",
]
_JSON_VALUE = re.compile(rb'": ("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|true|false|null)')
_XML_VALUE = re.compile(rb'>([^<>]{1,300})</|="([^"]*)"')


@lru_cache
def real(name: str) -> bytes:
    path = DATA / name
    data = gzip.open(path).read(60_000) if name.endswith(".gz") else path.read_bytes()
    if name.endswith(".gz"):
        data = data[: data.rfind(b"\n") + 1]  # whole lines only: mutations do the cutting
    return data


ATOM = "arxiv-raw-formats/api-atom/search_deep_dream_start0.atom"
OAI_DC = "arxiv-raw-formats/oai-pmh/ListRecords_oai_dc_set-cs_from-2024-01-25_with_resumptionToken.xml"
OAI_ARXIV = "arxiv-raw-formats/oai-pmh/ListRecords_from-2015-01-01_metadataPrefix-arXiv_until-2015-01-03_http200.xml"
SNAPSHOT = "arxiv-raw-formats/kaggle-snapshot/arxiv-metadata-oai-snapshot.first5.jsonl"
HF_RAW = "hf-daily-papers/daily_papers_raw.jsonl.gz"
HF_FLAT = "hf-daily-papers/papers_flat.jsonl.gz"
FLAT = "arxiv-cs-daily-2025-2026/papers.jsonl.gz"
SEEDS = {
    "atom": [ATOM],
    "oai": [OAI_DC, OAI_ARXIV],
    "snapshot": [SNAPSHOT],
    "hf-raw": [HF_RAW],
    "hf-flat": [HF_FLAT],
    "flat": [FLAT],
}


@st.composite
def mutated(draw, names: list[str]) -> bytes:
    data = bytearray(real(draw(st.sampled_from(names))))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["value", "value", "value", "insert", "replace", "flip", "delete", "cut"]))
        if kind == "value":  # one field's whole value, where the parsers convert it
            xml = data.lstrip()[:1] == b"<"
            spans = list((_XML_VALUE if xml else _JSON_VALUE).finditer(data))
            if spans:
                match = spans[draw(st.integers(0, len(spans) - 1))]
                group = next(i for i in range(1, (match.lastindex or 1) + 1) if match.group(i) is not None)
                data[match.start(group) : match.end(group)] = draw(st.sampled_from(XML_VALUES if xml else JSON_VALUES))
        elif kind == "insert":
            data[at:at] = draw(st.sampled_from(HOSTILE) | st.binary(max_size=8))
        elif kind == "replace":
            data[at : at + draw(st.integers(1, 40))] = draw(st.sampled_from(HOSTILE))
        elif kind == "flip" and at < len(data):
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 200))]
        elif kind == "cut":
            del data[at:]
    return bytes(data)


@st.composite
def hf_body(draw) -> bytes:
    """A /api/daily_papers body: one real day's response, mutated."""
    import json

    line = real(HF_RAW).split(b"\n", 1)[0]
    body = bytearray(json.dumps(json.loads(line)["response"][:4]).encode())
    for _ in range(draw(st.integers(1, 5))):
        at = draw(st.integers(0, len(body)))
        body[at : at + draw(st.integers(0, 20))] = draw(st.sampled_from(HOSTILE))
    return bytes(body)


def run_parser(fmt: str, data: bytes) -> list:
    parser = parsers.FORMATS[fmt]
    items = list(parser(data.splitlines(keepends=True)) if fmt in parsers.LINE_FORMATS else parser(data))
    for item in items:
        check_item(item)
    return items


_UNSAFE = {*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F, 0xFFFE, 0xFFFF}


def clean(text: str | None, limit: int | None = None) -> bool:
    if text is None:
        return True
    ok = not any(ord(c) in _UNSAFE or 0xD800 <= ord(c) <= 0xDFFF for c in text)
    return ok and (limit is None or len(text) <= limit)


def check_item(item) -> None:
    if isinstance(item, Rejected):
        assert isinstance(item.position, str) and item.position, item
        assert isinstance(item.reason, str) and item.reason, item
        return
    assert isinstance(item, (PaperRecord, DailyEntryRecord)), f"unexpected item {item!r}"
    paper = item.paper if isinstance(item, DailyEntryRecord) else item
    assert paper.position
    assert paper.title or paper.deleted
    for name in (
        "arxiv_id",
        "title",
        "abstract",
        "primary_category",
        "comments",
        "journal_ref",
        "doi",
        "license",
        "submitter",
    ):
        assert clean(getattr(paper, name), PAPER_LIMITS.get(name)), (name, getattr(paper, name))
    for name in ("authors", "categories"):
        assert all(isinstance(v, str) and clean(v) for v in getattr(paper, name) or []), name
    assert len(" ".join(paper.categories or [])) <= PAPER_LIMITS["categories"]
    for number in [paper.latest_version or 1] + [v.number for v in paper.versions]:
        assert 1 <= number <= MAX_INT
    for stamp in [paper.first_submitted, paper.last_updated] + [v.date for v in paper.versions]:
        assert stamp is None or (isinstance(stamp, dt.datetime) and stamp.tzinfo is not None)
    if isinstance(item, DailyEntryRecord):
        assert isinstance(item.date, dt.date)
        for name in ("submitted_by", "organization", "ai_summary", "github_repo", "project_page"):
            assert clean(getattr(item, name), ENTRY_LIMITS.get(name)), name
        for link in (item.github_repo, item.project_page):
            assert link is None or safe_url(link) == link
        for count in (item.upvotes, item.num_comments, item.github_stars):
            assert count is None or (isinstance(count, int) and 0 <= count <= MAX_INT)
        assert all(clean(k) for k in item.ai_keywords or [])


# -- arbitrary bytes ---------------------------------------------------------------------------


@BUDGET
@given(fmt=st.sampled_from(sorted(parsers.FORMATS)), data=st.binary(max_size=2000))
def test_any_bytes(fmt, data):
    run_parser(fmt, data)


# -- mutations of the real files ---------------------------------------------------------------


@BUDGET
@given(data=mutated(SEEDS["atom"]))
def test_atom_mutations(data):
    run_parser("atom", data)


@BUDGET
@given(data=mutated(SEEDS["oai"]))
def test_oai_mutations(data):
    run_parser("oai", data)
    page = parse_oai_page(data)  # what sync reads: the token and size must be usable as they are
    assert page.complete_list_size is None or 0 <= page.complete_list_size
    assert page.resumption_token is None or isinstance(page.resumption_token, str)


@BUDGET
@given(data=mutated(SEEDS["snapshot"]))
def test_snapshot_mutations(data):
    run_parser("snapshot", data)


@BUDGET
@given(data=mutated(SEEDS["hf-raw"]))
def test_hf_raw_mutations(data):
    run_parser("hf-raw", data)


@BUDGET
@given(data=mutated(SEEDS["hf-flat"]))
def test_hf_flat_mutations(data):
    run_parser("hf-flat", data)


@BUDGET
@given(data=hf_body())
def test_hf_response_mutations(data):
    run_parser("hf", data)


@BUDGET
@given(data=mutated(SEEDS["flat"]))
def test_flat_mutations(data):
    run_parser("flat", data)


@BUDGET
@given(
    data=mutated([name for names in SEEDS.values() for name in names]),
    name=st.sampled_from(
        ["x.atom", "x.xml", "arxiv-metadata-oai-snapshot.json", "daily_papers_raw.jsonl", "papers_flat.jsonl", "x"]
    ),
)
def test_sniffing_then_parsing(data, name):
    fmt = parsers.sniff(data[:65536], name)
    assert fmt is None or fmt in parsers.FORMATS
    if fmt is not None:
        run_parser(fmt, data)


def test_the_seeds_parse_clean():
    """The unmutated files give records and no rejections: the mutations start from good input."""
    for fmt, names in SEEDS.items():
        for name in names:
            items = run_parser(fmt, real(name))
            assert items and not any(isinstance(i, Rejected) for i in items), (fmt, name)


# -- the streaming XML parsers give what the whole-document parsers give ---------------------------


class Pieces:
    """A document served in small pieces (cutting tags and characters), as the importer streams files."""

    def __init__(self, data: bytes, size: int) -> None:
        self.data, self.size = data, size

    def chunks(self):
        return (self.data[i : i + self.size] for i in range(0, len(self.data), self.size))

    def read_document(self) -> bytes:
        return self.data


@BUDGET
@given(data=mutated(SEEDS["atom"] + SEEDS["oai"]), size=st.integers(1, 5000))
def test_streaming_xml_matches_the_whole_document(data, size):
    fmt = "atom" if b"<feed" in data[:400] else "oai"
    whole = list(parsers.FORMATS[fmt](data))
    streamed = list(parsers.STREAM_FORMATS[fmt](Pieces(data, size)))
    for item in streamed:
        check_item(item)
    assert streamed == whole, next(((a, b) for a, b in zip(streamed, whole) if a != b), (len(streamed), len(whole)))
