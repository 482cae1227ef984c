"""The import side of hardening: hostile or damaged real files import what is
good, report the rest in a sentence naming file and record, and never crash."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from dailypapers.ingest.importer import import_paths, write_records
from dailypapers.ingest.parsers.hf import parse_hf_flat_lines
from dailypapers.ingest.records import RecordError, split_arxiv_id
from dailypapers.store.models import DailyEntry, ImportCheckpoint, Paper

pytestmark = pytest.mark.django_db

HF_FLAT = "hf-daily-papers/papers_flat.jsonl.gz"
ATOM = "arxiv-raw-formats/api-atom/search_deep_dream_start0.atom"
OAI = "arxiv-raw-formats/oai-pmh/ListRecords_oai_dc_set-cs_from-2024-01-25_with_resumptionToken.xml"


def real_lines(data_dir: Path, name: str, count: int) -> list[dict]:
    with gzip.open(data_dir / name, "rt", encoding="utf-8") as handle:
        return [json.loads(next(handle)) for _ in range(count)]


def write_jsonl(path: Path, rows: list[dict | str], gz: bool = False) -> Path:
    body = "".join((row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows).encode()
    path.write_bytes(gzip.compress(body) if gz else body)
    return path


def reasons(summary) -> list[str]:
    return [str(item) for item in summary.rejections]


# -- totality of numeric and date conversions ---------------------------------------


def test_atom_date_in_year_9999_with_offset_rejects_its_entry_only(data_dir, tmp_path):
    text = (data_dir / ATOM).read_text()
    first = text.index("<published>")
    broken = (
        text[:first]
        + "<published>9999-12-31T23:00:00-05:00</published>"
        + text[text.index("</published>", first) + 12 :]
    )
    path = tmp_path / "year9999.atom"
    path.write_text(broken)
    summary = import_paths([path])
    assert summary.read == 10 and summary.rejected == 1 and summary.new == 9
    assert (
        "year9999.atom: entry 1 (http://arxiv.org/abs/1611.09520v2): published: '9999-12-31T23:00:00-05:00' is out of range"
        in reasons(summary)[0]
    )
    path.write_text(broken.replace("9999-12-31T23:00:00-05:00", "0001-01-01T00:30:00+01:00"))
    again = import_paths([path])
    assert again.rejected == 1 and "'0001-01-01T00:30:00+01:00' is out of range" in reasons(again)[0]


@pytest.mark.parametrize("big", [2**63, 2**64 + 5, 10**30])
def test_hf_counts_above_the_columns_drop_the_field_and_keep_the_entry(data_dir, tmp_path, big):
    rows = real_lines(data_dir, HF_FLAT, 5)
    rows[1]["upvotes"] = big
    rows[2]["github_stars"] = big
    rows[3]["num_comments"] = -big
    notes = []
    summary = import_paths([write_jsonl(tmp_path / "big.jsonl", rows)], on_note=notes.append)
    assert (summary.read, summary.new, summary.rejected, summary.fields_dropped) == (5, 5, 0, 3)
    assert [n.position for n in notes] == ["big.jsonl: line 2", "big.jsonl: line 3", "big.jsonl: line 4"]
    assert "upvotes: " in notes[0].reason and "out of range (0 to 2147483647); field dropped" in notes[0].reason
    entry = DailyEntry.objects.get(paper__arxiv_id=rows[1]["arxiv_id"], date=rows[1]["date"])
    assert entry.upvotes == 0  # unknown: the column default, not a wrapped number
    assert DailyEntry.objects.get(paper__arxiv_id=rows[2]["arxiv_id"], date=rows[2]["date"]).github_stars is None
    assert DailyEntry.objects.get(paper__arxiv_id=rows[4]["arxiv_id"]).upvotes == rows[4]["upvotes"]


def test_version_above_the_column_rejects_the_record(tmp_path):
    rows = [
        {"id": "2401.00001v99999999999", "title": "Too new", "listing_date": "2024-01-02"},
        {"id": "2401.00002v2147483648", "title": "Just over", "listing_date": "2024-01-02"},
        {"id": "2401.00003v3", "title": "Fine", "listing_date": "2024-01-02"},
    ]
    summary = import_paths([write_jsonl(tmp_path / "versions.jsonl", rows)], fmt="flat")
    assert (summary.new, summary.rejected) == (1, 2)
    assert all("is not an arXiv id" in r or "out of range" in r for r in reasons(summary))
    assert Paper.objects.get().latest_version == 3


def test_complete_list_size_of_digit_like_characters(data_dir, tmp_path):
    text = (data_dir / OAI).read_text()
    assert 'completeListSize="' in text
    path = tmp_path / "size.xml"
    path.write_text(text.replace('completeListSize="', 'completeListSize="\u00b2', 1))
    summary = import_paths([path])
    assert summary.read == 5 and summary.rejected == 0


def test_undeclared_namespace_prefixes_recovered_by_lxml(data_dir, tmp_path):
    text = (data_dir / OAI).read_text()
    first = text.index("<oai_dc:dc ")
    # The first record's metadata element and the root both lose their declarations.
    broken = text[:first] + "<x:dc>" + text[text.index(">", first) + 1 :]
    path = tmp_path / "prefix.xml"
    path.write_text(broken)
    summary = import_paths([path])
    assert summary.read == 5 and summary.rejected >= 1 and summary.new >= 3
    root = tmp_path / "root.xml"
    root.write_text(text.replace("<OAI-PMH ", "<y:OAI-PMH ", 1).replace("</OAI-PMH>", "</y:OAI-PMH>"))
    whole = import_paths([root], fmt="oai")
    assert whole.rejected == 1 and "not an OAI-PMH response: <y:OAI-PMH>" in reasons(whole)[0]


def test_truncated_gzip_keeps_every_readable_record_and_a_rerun_finishes(data_dir, tmp_path):
    data = (data_dir / HF_FLAT).read_bytes()
    path = tmp_path / "papers_flat.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    complete = sum(1 for _ in _readable_lines(path))
    assert complete > 4000  # half the file: far more than one batch
    summary = import_paths([path], batch_size=500)
    assert summary.rejected == 1
    assert summary.read == complete + 1
    (report,) = reasons(summary)
    assert report.startswith(
        f"papers_flat.jsonl.gz: line {complete + 1}: the file ends early: the gzip data ends early"
    )
    assert DailyEntry.objects.count() == complete
    assert ImportCheckpoint.objects.get().finished
    rerun = import_paths([path], batch_size=500)  # not stuck: the same report, nothing new, done
    assert (rerun.new, rerun.unchanged, rerun.rejected) == (0, complete, 1)
    assert ImportCheckpoint.objects.get().finished


def _readable_lines(path: Path):
    import zlib

    decoder = zlib.decompressobj(wbits=31)
    text = decoder.decompress(path.read_bytes())
    return text.split(b"\n")[:-1]  # the last piece is cut


def test_corrupt_gzip_reports_one_error(data_dir, tmp_path):
    data = bytearray((data_dir / HF_FLAT).read_bytes()[:400_000])
    data[200_000:200_100] = b"\xff" * 100
    path = tmp_path / "corrupt.jsonl.gz"
    path.write_bytes(bytes(data) + b"\x00" * 10)
    summary = import_paths([path], fmt="hf-flat")
    # Damaged deflate data may still decode (to garbage: one unreadable line) before zlib gives up.
    assert 1 <= summary.rejected <= 3 and summary.new > 100
    assert "corrupt.jsonl.gz: line " in reasons(summary)[-1]
    assert "the file ends early: the gzip data" in reasons(summary)[-1]


def test_a_value_the_database_refuses_costs_only_its_record(data_dir):
    records = [
        item for item in parse_hf_flat_lines(json.dumps(row).encode() for row in real_lines(data_dir, HF_FLAT, 6))
    ]
    records[3].github_stars = 2**70  # past any column: as if a parser had let it through
    counts, refused = write_records(records, __import__("datetime").datetime.now(__import__("datetime").timezone.utc))
    assert counts.new == 5 and len(refused) == 1
    assert refused[0].record_id == records[3].paper.arxiv_id and "the database refused it" in refused[0].reason
    assert DailyEntry.objects.count() == 5


# -- control characters ----------------------------------------------------------


def test_control_characters_and_lone_surrogates_are_stripped(data_dir, tmp_path):
    rows = real_lines(data_dir, HF_FLAT, 3)
    lines = [json.dumps(row) for row in rows]
    lines[0] = lines[0].replace('"title": "', '"title": "\\u0001Bell\\u0008 \\u0000rings\\u007f\\ud800 ', 1)
    lines[1] = lines[1].replace('"summary": "', '"summary": "Tab\\tkept\\u001b[31m \\ufffe', 1)
    lines[2] = lines[2].replace('"authors": ["', '"authors": ["\\u0002', 1)
    summary = import_paths([write_jsonl(tmp_path / "control.jsonl", lines)])
    assert (summary.new, summary.rejected) == (3, 0)
    first = Paper.objects.get(arxiv_id=rows[0]["arxiv_id"])
    assert first.title.startswith("Bell rings ") and first.title.endswith(rows[0]["title"].split()[-1])
    second = Paper.objects.get(arxiv_id=rows[1]["arxiv_id"])
    assert second.abstract.startswith("Tab kept[31m ")  # abstracts unwrap tabs, as before
    third = Paper.objects.get(arxiv_id=rows[2]["arxiv_id"])
    assert third.authors[0] == rows[2]["authors"][0]
    bad = [
        c
        for p in Paper.objects.all()
        for field in (p.title, p.abstract, *p.authors)
        for c in field
        if (ord(c) < 32 and c not in "\t\n\r") or c == "\x7f" or 0xD800 <= ord(c) <= 0xDFFF or c == "\ufffe"
    ]
    assert bad == []


def test_control_characters_in_oai_xml_character_references(data_dir, tmp_path):
    text = (data_dir / OAI).read_text()
    path = tmp_path / "control.xml"
    first = text.index("<dc:title>") + len("<dc:title>")
    path.write_text(text[:first] + "\u0085Odd\u0007 " + text[first:])  # BEL is not XML: lxml refuses it
    summary = import_paths([path])
    assert summary.read == 5 and summary.rejected <= 1


# -- URLs -------------------------------------------------------------------------


def test_unsafe_links_are_dropped_and_the_entry_kept(data_dir, tmp_path):
    rows = real_lines(data_dir, HF_FLAT, 4)
    rows[0]["github_repo"] = "javascript:alert(document.cookie)"
    rows[1]["project_page"] = "data:text/html,<script>alert(1)</script>"
    rows[2]["github_repo"] = "https://github.com/example/ok"
    rows[3]["project_page"] = " java\tscript:alert(1)"
    notes = []
    summary = import_paths([write_jsonl(tmp_path / "links.jsonl", rows)], on_note=notes.append)
    assert (summary.new, summary.rejected, summary.fields_dropped) == (4, 0, 3)
    assert (
        "github_repo: 'javascript:alert(document.cookie)' dropped: scheme javascript: is not allowed" in notes[0].reason
    )
    links = set(DailyEntry.objects.values_list("github_repo", "project_page"))
    assert all(not value or value.startswith("https://") for pair in links for value in pair)
    assert DailyEntry.objects.get(paper__arxiv_id=rows[2]["arxiv_id"]).github_repo == "https://github.com/example/ok"


def test_the_import_command_reports_dropped_fields(data_dir, tmp_path):
    from conftest import dailypapers_env, run_cli

    rows = real_lines(data_dir, HF_FLAT, 2)
    rows[0]["github_repo"] = "javascript:alert(1)"
    path = write_jsonl(tmp_path / "links.jsonl", rows)
    env = dailypapers_env(tmp_path / "home")
    run_cli("migrate", env=env)
    result = run_cli("import", "--no-index", "-v", "2", str(path), env=env)
    assert "dropped: links.jsonl: line 1 (" in result.stderr and "scheme javascript:" in result.stderr
    assert "1 field(s) dropped" in result.stdout


# -- BOM, entities, ids ------------------------------------------------------------


def test_utf8_bom_is_accepted(data_dir, tmp_path):
    rows = real_lines(data_dir, HF_FLAT, 2)
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + write_jsonl(tmp_path / "plain.jsonl", rows).read_bytes())
    summary = import_paths([path])
    assert (summary.new, summary.rejected) == (2, 0)
    atom = tmp_path / "bom.atom"
    atom.write_bytes(b"\xef\xbb\xbf" + (data_dir / ATOM).read_bytes())
    assert import_paths([atom]).rejected == 0


def test_undefined_entity_names_the_record_instead_of_cutting_its_text(data_dir, tmp_path):
    text = (data_dir / ATOM).read_text()
    text = text.replace(
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE feed SYSTEM "atom.dtd">',
        1,
    )
    text = text.replace("<title>Hierarchical Neural", "<title>Hierarchical &dream; Neural", 1)
    path = tmp_path / "entity.atom"
    path.write_text(text)
    summary = import_paths([path])
    assert (summary.new, summary.rejected) == (9, 1)
    assert reasons(summary) == [
        "entity.atom: entry 1 (http://arxiv.org/abs/1611.09520v2): undefined entity &dream; in <title>"
    ]


def test_old_style_ids_are_bounded_to_archive_names():
    assert split_arxiv_id("hep-th/9901001v2") == ("hep-th/9901001", 2)
    assert split_arxiv_id("math.GT/0309136") == ("math.GT/0309136", None)
    assert split_arxiv_id("chao-dyn/9510015") == ("chao-dyn/9510015", None)
    for bad in ("a" * 507 + "/9901001", "hep-th-x-y/9901001", "-/9901001", "hep--th/9901001"):
        with pytest.raises(RecordError):
            split_arxiv_id(bad)


def test_overlong_line_is_skipped_and_reported(data_dir, tmp_path, settings):
    settings.CONFIG = {**settings.CONFIG, "DAILYPAPERS_IMPORT_MAX_LINE_MB": 1}
    rows = real_lines(data_dir, HF_FLAT, 3)
    huge = dict(rows[1], summary="x" * (3 << 20))
    summary = import_paths([write_jsonl(tmp_path / "long.jsonl.gz", [rows[0], huge, rows[2]], gz=True)])
    assert (summary.new, summary.rejected) == (2, 1)
    assert reasons(summary) == ["long.jsonl.gz: line 2: longer than 1 MiB; skipped"]


def test_concatenated_gzip_members_are_read_once_each(data_dir, tmp_path):
    rows = real_lines(data_dir, HF_FLAT, 40)
    body = [("".join(json.dumps(row) + "\n" for row in part)).encode() for part in (rows[:25], rows[25:])]
    path = tmp_path / "two_members.jsonl.gz"
    path.write_bytes(gzip.compress(body[0]) + gzip.compress(body[1]))
    summary = import_paths([path])
    assert (summary.read, summary.new, summary.rejected) == (40, 40, 0)


def test_sanitize_limits_are_the_columns_limits():
    from dailypapers.ingest.sanitize import ENTRY_LIMITS, MAX_INT, PAPER_LIMITS

    for model, limits in ((Paper, PAPER_LIMITS), (DailyEntry, ENTRY_LIMITS)):
        for name, limit in limits.items():
            assert model._meta.get_field(name).max_length == limit, (model.__name__, name)
    assert MAX_INT == 2**31 - 1  # IntegerField / PositiveIntegerField on PostgreSQL


def test_text_longer_than_its_column_drops_the_field(data_dir, tmp_path):
    rows = real_lines(data_dir, HF_FLAT, 2)
    rows[0]["organization"] = {"fullname": "O" * 300}
    notes = []
    summary = import_paths([write_jsonl(tmp_path / "long.jsonl", rows)], on_note=notes.append)
    assert (summary.new, summary.rejected, summary.fields_dropped) == (2, 0, 1)
    assert notes[0].reason == "organization: longer than 256 characters; field dropped"
    assert DailyEntry.objects.get(paper__arxiv_id=rows[0]["arxiv_id"]).organization == ""
