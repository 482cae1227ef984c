"""BibTeX out of stored fields and back in, parsed by a real BibTeX parser (bibtexparser 2.1.0)."""

import bibtexparser
from hypothesis import given, settings
from hypothesis import strategies as st

from dailypapers.library import bibtex
from dailypapers.library.bibtex import BibPaper

NASTY = r"Deep $x^2$ & 50% of {A}_b ~#\ nets for Müller–Ωmega"


def _parsed(text):
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks, [b.error for b in library.failed_blocks]
    return library.entries


def test_misc_entry_with_arxiv_fields_and_escaping_round_trips():
    paper = BibPaper("2501.01234", NASTY, ["José Müller", "Alan Turing"], 2025, "cs.LG")
    (entry,) = _parsed(bibtex.export([paper]))
    assert entry.entry_type == "misc" and entry.key == "muller2025deep"
    assert entry["eprint"] == "2501.01234" and entry["archivePrefix"] == "arXiv" and entry["primaryClass"] == "cs.LG"
    assert r"\&" in entry["title"] and r"\%" in entry["title"] and r"\_" in entry["title"] and "{ü}" in entry["title"]
    assert bibtex.unescape(entry["title"]) == NASTY
    assert bibtex.unescape(entry["author"]) == "José Müller and Alan Turing"
    assert "doi" not in entry.fields_dict and "journal" not in entry.fields_dict


def test_article_when_journal_ref_known_and_doi_kept():
    paper = BibPaper(
        "2501.01234", "Graphs", ["Ada Lovelace"], 2024, "cs.DM", "J. Graph Th. 3 (2024) 1-9", "10.1000/xyz_123"
    )
    (entry,) = _parsed(bibtex.export([paper]))
    assert entry.entry_type == "article" and entry["journal"] == "J. Graph Th. 3 (2024) 1-9"
    assert entry["doi"] == "10.1000/xyz_123" and entry["year"] == "2024"


def test_keys_are_stable_and_unique_with_suffixes():
    a = BibPaper("2501.00002", "The deep learning", ["Y. LeCun"], 2025)
    b = BibPaper("2501.00001", "Deep nets", ["Yann LeCun"], 2025)
    c = BibPaper("hep-th/9901001", "On strings", ["Ed Witten"])
    keys = bibtex.unique_keys([a, b, c])
    assert keys == ["lecun2025deepb", "lecun2025deepa", "witten1999strings"]  # a/b by arXiv id, not input order
    assert bibtex.unique_keys([b, a, c]) == ["lecun2025deepa", "lecun2025deepb", "witten1999strings"]
    assert bibtex.unique_keys([a]) == ["lecun2025deep"]
    entries = _parsed(bibtex.export([a, b, c]))
    assert len({e.key for e in entries}) == 3


def test_parse_reads_identifiers_and_reports_broken_blocks_by_line():
    text = """@misc{x, title={Known {GAN}s}, eprint={2501.00001v2}, archivePrefix={arXiv}}
@article{y, title={By url}, url={https://arxiv.org/abs/2401.12345}}
@article{z, title={Only a \\& DOI}, doi={10.1/ABC}}
@misc{broken, title={never closed}
"""
    parsed = bibtex.parse(text)
    assert [(r.key, r.arxiv_id, r.doi) for r in parsed.references] == [
        ("x", "2501.00001", ""),
        ("y", "2401.12345", ""),
        ("z", "", "10.1/ABC"),
    ]
    assert parsed.references[0].title == "Known GANs" and parsed.references[2].title == "Only a & DOI"
    assert len(parsed.errors) == 1 and parsed.errors[0].startswith("line 4:")


texts = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=60).filter(lambda t: t.strip())


@settings(max_examples=150, deadline=None)
@given(title=texts, author=texts)
def test_any_title_and_author_survive_export_and_parse(title, author):
    paper = BibPaper("2501.00001", title, [author], 2025, "cs.LG")
    (entry,) = _parsed(bibtex.export([paper]))
    assert bibtex.unescape(entry["title"]) == " ".join(title.split())
    assert bibtex.unescape(entry["author"]) == " ".join(author.split())
    assert entry.key.isascii()
