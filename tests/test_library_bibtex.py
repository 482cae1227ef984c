"""BibTeX out of stored fields and back in, parsed by a real BibTeX parser (bibtexparser 2.1.0)."""

import bibtexparser
import pytest
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


DIMO = r"Di$\mathtt{[M]}$O: Distilling Masked Diffusion Models into One-step Generator"

# A small BibTeX style: each entry's key, its title as a title-casing style prints it (plain.bst's
# "t" change.case$: lower case but the first letter, braced groups untouched), and its number of names.
TITLES_BST = r"""ENTRY { title author } { } { }
FUNCTION {misc} {
  "\entry{" cite$ * "}{" * title "t" change.case$ * "}{" * author num.names$ int.to.str$ * "}" * write$ newline$
}
FUNCTION {article} { misc }
FUNCTION {default.type} { misc }
READ
ITERATE {call.type$}
"""


def _bibtex_prints(tmp_path, bib: str) -> list[tuple[str, str, int]]:
    """Run the real BibTeX program over ``bib`` with TITLES_BST: (key, printed title, names) per entry."""
    import re
    import shutil
    import subprocess

    (tmp_path / "refs.bib").write_text(bib, encoding="utf-8")
    (tmp_path / "titles.bst").write_text(TITLES_BST)
    (tmp_path / "paper.aux").write_text("\\relax\n\\citation{*}\n\\bibdata{refs}\n\\bibstyle{titles}\n")
    run = subprocess.run(
        [shutil.which("bibtex") or "bibtex", "paper"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stdout + run.stderr  # 1 = warnings, 2 = errors: neither is acceptable
    # BibTeX wraps long output lines at a space, indenting the rest by two: undone here.
    bbl = (tmp_path / "paper.bbl").read_text(encoding="utf-8").replace("\n  ", " ")
    return [(k, t, int(n)) for k, t, n in re.findall(r"\\entry\{(.*?)\}\{(.*)\}\{(\d+)\}", bbl)]


bibtex_program = pytest.mark.skipif(
    __import__("shutil").which("bibtex") is None, reason="needs the bibtex program (.ci/run installs texlive-binaries)"
)


@bibtex_program
def test_a_real_bibtex_prints_titles_with_math_and_capitals_kept(tmp_path):
    """/papers/2503.15457.bib exported ``Di\\$\\textbackslash{}mathtt\\{[M]\\}\\$O``, key zhu2025dimathttmo,
    and a title-casing style printed "distilling masked diffusion models"."""
    papers = [
        BibPaper("2503.15457", DIMO, ["Yuanzhi Zhu", "Xi Wang", "Stéphane Lathuilière"], 2025, "cs.CV"),
        BibPaper("2501.00001", "BERT and GANs: 50% of $5 & more_ideas", ["Ada Lovelace"], 2025),
        BibPaper("2501.00002", "Über-fast Ångström nets", ["Émile Zola"], 2025),
    ]
    printed = _bibtex_prints(tmp_path, bibtex.export(papers))
    assert [key for key, _, _ in printed] == ["zhu2025dimo", "lovelace2025bert", "zola2025uber"]
    dimo = printed[0][1]
    assert "{$\\mathtt{[M]}$}" in dimo  # LaTeX math, braced against the style's case change
    assert bibtex.unescape(dimo) == DIMO  # "Distilling Masked Diffusion Models" not lowercased
    assert bibtex.unescape(printed[1][1]) == "BERT and GANs: 50% of $5 & more_ideas"
    assert bibtex.unescape(printed[2][1]) == "Über-fast Ångström nets"
    (entry, *_) = _parsed(bibtex.export(papers))
    assert bibtex.unescape(entry["title"]) == DIMO


@bibtex_program
def test_one_author_named_with_and_stays_one_author(tmp_path):
    paper = BibPaper("2606.06950", "Graphs", ["Md Enamul Hoq", "Donald Johann Jr. and Fred Prior"], 2026)
    ((_, _, names),) = _bibtex_prints(tmp_path, bibtex.export([paper]))
    assert names == 2
    (entry,) = _parsed(bibtex.export([paper]))
    assert bibtex.unescape(entry["author"]) == "Md Enamul Hoq and Donald Johann Jr. and Fred Prior"
    assert "{and}" in entry["author"]


def test_dois_are_never_altered_silently():
    def fields(doi):
        (entry,) = _parsed(bibtex.export([BibPaper("2501.00001", "T", ["A B"], 2025, doi=doi)]))
        return entry.fields_dict.get("doi") and entry["doi"], entry.fields_dict.get("note") and entry["note"]

    assert fields("10.1000/xyz_123") == ("10.1000/xyz_123", None)
    assert fields("10.1000/(SICI)1097-4636(199706)35:4<477::AID>3.0.CO;2-C")[0] is not None
    assert fields("10.1000/xyz\\_123") == ("10.1000/xyz_123", None)  # arXiv's LaTeX escape undone, nothing else
    # Two DOIs used to become one that names nothing ("10.1000/abc10.1001/def").
    assert fields("10.1000/abc 10.1001/def") == ("10.1000/abc", "DOI: 10.1000/abc 10.1001/def")
    doi, note = fields("10.1000/a{b")  # cannot go into a .bib verbatim: kept, escaped, in a note
    assert doi is None and bibtex.unescape(note) == "DOI: 10.1000/a{b"
