"""Importing every real format from ../shared/data, counts checked against each SOURCE.md."""

from __future__ import annotations

import gzip
import json

import pytest

from conftest import dailypapers_env, run_cli
from dailypapers.ingest.importer import FileImportError, import_paths
from dailypapers.store.models import DailyEntry, Paper, PaperVersion
from dailypapers.store.stats import store_stats

pytestmark = pytest.mark.django_db


def test_flat_jsonl_all_74728_papers(data_dir):
    summary = import_paths([data_dir / "arxiv-cs-daily-2025-2026" / "papers.jsonl.gz"])
    assert (summary.read, summary.new, summary.rejected) == (74_728, 74_728, 0)
    stats = store_stats()
    assert stats["papers"] == 74_728
    assert (stats["first_announced"], stats["last_announced"]) == ("2025-03-18", "2026-07-01")
    by_primary = dict(
        Paper.objects.values_list("primary_category").annotate(
            n=__import__("django.db.models", fromlist=["Count"]).Count("id")
        )
    )
    # SOURCE.md: cs.CV 35,273 · cs.CL 20,699 · cs.AI 11,722 by primary (first listed) category
    assert (by_primary["cs.CV"], by_primary["cs.CL"], by_primary["cs.AI"]) == (35_273, 20_699, 11_722)
    again = import_paths([data_dir / "arxiv-cs-daily-2025-2026" / "papers.jsonl.gz"])
    assert (again.new, again.updated, again.unchanged) == (0, 0, 74_728)


def test_hf_archive_and_flat_entries(data_dir):
    raw = import_paths([data_dir / "hf-daily-papers" / "daily_papers_raw.jsonl.gz"])
    # SOURCE.md: 580 days, 9,881 entries, 9,877 unique arXiv ids
    assert (raw.read, raw.rejected) == (9_881, 0)
    assert DailyEntry.objects.count() == 9_881 and Paper.objects.count() == 9_877
    assert DailyEntry.objects.dates("date", "day").count() == 580
    flat = import_paths([data_dir / "hf-daily-papers" / "papers_flat.jsonl.gz"])
    assert (flat.read, flat.new, flat.rejected) == (9_881, 0, 0), "the flat file holds the same entries"
    assert DailyEntry.objects.count() == 9_881
    first = DailyEntry.objects.select_related("paper").get(paper__arxiv_id="2405.15738", date="2024-05-27")
    assert first.upvotes == 32 and first.num_comments == 3
    assert first.paper.title.startswith("ConvLLaVA: Hierarchical Backbones")


def test_arxiv_api_atom_pages(data_dir):
    summary = import_paths([data_dir / "arxiv-raw-formats" / "api-atom"])
    # three overlapping pages (start=0,1,2, 10 results each) of one query
    assert (summary.files, summary.read, summary.new, summary.rejected) == (3, 30, 12, 0)
    assert all(p.latest_version and p.primary_category for p in Paper.objects.all())


def test_oai_pmh_responses(data_dir):
    summary = import_paths([data_dir / "arxiv-raw-formats" / "oai-pmh"])
    # GetRecord 1 + ListRecords(arXiv) 2 + ListRecords(oai_dc) 5; the 503 page and the JSON index are skipped
    assert (summary.read, summary.rejected, len(summary.skipped_files)) == (8, 0, 2)
    assert Paper.objects.count() == 7
    with_doi = Paper.objects.exclude(doi="")
    assert with_doi.exists() and with_doi.exclude(journal_ref="").exists()


def test_kaggle_snapshot_lines(data_dir, tmp_path):
    source = data_dir / "arxiv-raw-formats" / "kaggle-snapshot" / "arxiv-metadata-oai-snapshot.first5.jsonl"
    gz = tmp_path / "snapshot.jsonl.gz"
    gz.write_bytes(gzip.compress(source.read_bytes()))
    summary = import_paths([gz])
    assert (summary.read, summary.new, summary.rejected) == (5, 5, 0)
    first = Paper.objects.get(arxiv_id="0704.0001")
    assert first.latest_version == 2 and first.doi == "10.1103/PhysRevD.76.013009"
    assert first.journal_ref == "Phys.Rev.D76:013009,2007" and first.categories == "hep-ph"
    assert [v.number for v in first.versions.all()] == [1, 2]
    assert first.first_submitted.isoformat() == "2007-04-02T19:18:42+00:00"
    assert PaperVersion.objects.count() >= 5


def test_bad_records_are_reported_and_good_ones_kept(tmp_path):
    lines = [
        {
            "id": "2501.00001",
            "title": "Good one",
            "authors": ["A"],
            "categories": ["cs.LG"],
            "abstract": "x",
            "listing_date": "2025-01-02",
        },
        "{not json",
        {"id": "2501.00002", "authors": ["B"], "categories": ["cs.LG"], "abstract": "x", "listing_date": "2025-01-02"},
        {
            "id": "2501.00003",
            "title": "Bad date",
            "authors": ["C"],
            "categories": ["cs.LG"],
            "abstract": "x",
            "listing_date": "2025-02-30",
        },
        {
            "id": "2501.00004",
            "title": "Bad authors",
            "authors": 7,
            "categories": ["cs.LG"],
            "abstract": "x",
            "listing_date": "2025-01-02",
        },
        {
            "id": "2501.00005",
            "title": "Good two",
            "authors": ["E"],
            "categories": ["cs.CL"],
            "abstract": "y",
            "listing_date": "2025-01-03",
        },
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n")
    summary = import_paths([path], fmt="flat")
    assert (summary.read, summary.new, summary.rejected) == (6, 2, 4)
    assert sorted(Paper.objects.values_list("arxiv_id", flat=True)) == ["2501.00001", "2501.00005"]
    reasons = [str(r) for r in summary.rejections]
    assert reasons[0].startswith("mixed.jsonl: line 2") and "JSON" in reasons[0]
    assert "line 3" in reasons[1] and "title" in reasons[1]
    assert "line 4" in reasons[2] and "listing_date" in reasons[2]
    assert "line 5" in reasons[3] and "authors" in reasons[3]


def test_strict_stops_at_first_rejection(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(
        '{"id": "2501.00001", "title": "T", "authors": [], "categories": [], "abstract": "", "listing_date": "2025-01-02"}\n{oops\n'
    )
    with pytest.raises(FileImportError, match="line 2"):
        import_paths([path], fmt="flat", strict=True)


def test_unknown_format_is_one_clear_message(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("just some text\n")
    with pytest.raises(FileImportError, match="not a format dailypapers can import"):
        import_paths([path])
    with pytest.raises(FileImportError, match="no such file"):
        import_paths([tmp_path / "missing.jsonl"])


def test_cli_exit_codes_and_summary(tmp_path, data_dir):
    env = dailypapers_env(tmp_path / "home")
    run_cli("migrate", "--verbosity", "0", env=env)
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"id": "2501.00001", "title": "T", "authors": [], "categories": [], "abstract": "", "listing_date": "2025-01-02"}\n{oops\n'
    )
    result = run_cli("import", "--format", "flat", str(bad), env=env, check=False)
    assert result.returncode == 1
    assert "read 2, new 1, updated 0, unchanged 0, rejected 1" in result.stdout
    assert "bad.jsonl: line 2" in result.stderr and "Traceback" not in result.stderr
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00\x01binary")
    result = run_cli("import", str(junk), env=env, check=False)
    assert result.returncode != 0 and "not a format dailypapers can import" in result.stderr
    assert "Traceback" not in result.stderr
    ok = run_cli("import", "--json", str(data_dir / "arxiv-raw-formats" / "api-atom"), env=env)
    assert json.loads(ok.stdout)["new"] == 12
    stats = json.loads(run_cli("stats", "--json", env=env).stdout)
    assert stats["papers"] == 13 and stats["versions"] > 0 and stats["daily_entries"] == 0
