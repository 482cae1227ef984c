"""BibTeX out and in, pure: paper fields in, text out; text in, references out.

Keys are ``surnameYEARfirstword`` (ASCII-folded words of the title as text, lower case), so the
same paper gets the same key in every export; papers that would share a key within one export get
``a``, ``b``, ... suffixes in arXiv-id order. Text fields are LaTeX-escaped (& % $ # _ { } ~ ^ \\);
non-ASCII letters stay UTF-8, each wrapped in braces so BibTeX treats it as one letter when sorting
and casing. In titles, math spans (``$\\mathtt{[M]}$``) stay LaTeX math, and every word with a
capital letter is brace-protected, so a style that lowercases titles keeps "GANs" and "BERT".
A name holding " and " keeps it braced ({and}): BibTeX splits authors on a bare " and ".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import bibtexparser

from dailypapers import latex

_ESCAPES = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_UNESCAPES = {v: k for k, v in _ESCAPES.items()}
_LATEX_TOKEN = re.compile(r"\\text(?:backslash|asciitilde|asciicircum)\{\}|\\[&%$#_{}]|[{}]|[^{}\\]+|\\")
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "on",
        "of",
        "in",
        "for",
        "to",
        "and",
        "with",
        "from",
        "by",
        "at",
        "is",
        "are",
        "towards",
        "toward",
        "via",
    ]
)
_NEW_ID = re.compile(r"^(\d{2})(\d{2})\.\d{4,5}$")


@dataclass(frozen=True)
class BibPaper:
    """What an entry needs; built from a stored Paper by the library services."""

    arxiv_id: str
    title: str
    authors: Sequence[str]
    year: int | None = None
    primary_category: str = ""
    journal_ref: str = ""
    doi: str = ""


@dataclass
class Reference:
    """One entry read from a BibTeX file: the identifiers we can match a stored paper by."""

    key: str
    line: int
    arxiv_id: str = ""
    doi: str = ""
    title: str = ""


@dataclass
class ParsedBib:
    references: list[Reference] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # one sentence per unreadable block


def escape(text: str) -> str:
    """LaTeX-safe text: special characters escaped, whitespace collapsed, non-ASCII braced."""
    return _escape_chars(" ".join((text or "").split()))


def _escape_chars(text: str) -> str:
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) > 127:
            out.append("{" + char + "}")
        else:
            out.append(char)
    return "".join(out)


# A math span kept as written: $...$ by the pages' rule (no space just inside the dollars), holding
# nothing that would break the .bib (unbalanced braces) or LaTeX outside verbatim (% # &).
_TITLE_MATH = re.compile(r"(?<!\\)\$(?=[^\s$])[^$\n]*?[^\s$\\]\$|(?<!\\)\$[^\s$\\]\$")
_WORD = re.compile(r"\S+")


def _keepable_math(span: str) -> bool:
    return not any(c in span for c in "%#&") and _balanced(span)


def _balanced(span: str) -> bool:
    depth = 0
    for index, char in enumerate(span):
        if char in "{}" and index and span[index - 1] == "\\":
            continue
        depth += 1 if char == "{" else -1 if char == "}" else 0
        if depth < 0:
            return False
    return depth == 0


def _protect_words(escaped: str) -> str:
    """Brace every word holding a capital letter (already-escaped text, no math in it)."""
    return _WORD.sub(lambda m: "{" + m.group(0) + "}" if any(c.isupper() for c in m.group(0)) else m.group(0), escaped)


def title_field(title: str) -> str:
    """A title for BibTeX: text escaped with capitals protected, math spans kept (braced, so a style's
    case change leaves them alone)."""
    text = " ".join((title or "").split())
    out, last = [], 0
    for match in _TITLE_MATH.finditer(text):
        if not _keepable_math(match.group(0)):
            continue
        out.append(_protect_words(_escape_chars(text[last : match.start()])))
        out.append("{" + match.group(0) + "}")
        last = match.end()
    out.append(_protect_words(_escape_chars(text[last:])))
    return "".join(out)


_AND = re.compile(r"(?<=\s)and(?=\s)", re.IGNORECASE)


def author_field(authors: Sequence[str]) -> str:
    """Names joined by " and "; an " and " inside one name braced so it stays one name."""
    return " and ".join(_AND.sub("{\\g<0>}", escape(a)) for a in authors if a.strip())


_DOI = re.compile(r"10\.\d{4,9}/\S+")
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)


def doi_fields(text: str) -> list[tuple[str, str]]:
    """``doi`` (verbatim, as biblatex and the doi package read it) and, when the stored text holds more
    than one DOI or something else, a ``note`` with all of it: nothing is altered or dropped silently."""
    pieces = [_DOI_PREFIX.sub("", p).replace("\\_", "_") for p in re.split(r"[\s,;]+", text or "") if p]
    dois = [p for p in pieces if _DOI.fullmatch(p) and "\\" not in p and _balanced(p)]
    fields = [("doi", dois[0])] if dois else []
    if pieces and pieces != dois[:1]:
        fields.append(("note", "DOI: " + escape(" ".join((text or "").split()))))
    return fields


def unescape(text: str) -> str:
    """The inverse of escape() and title_field(): escapes become characters, bare (protecting) braces go,
    math spans stay as written."""
    out, last = [], 0
    for match in re.finditer(r"\{(" + _TITLE_MATH.pattern + r")\}", text or ""):
        out.append(_unescape_text(text[last : match.start()]))
        out.append(match.group(1))
        last = match.end()
    out.append(_unescape_text((text or "")[last:]))
    return " ".join("".join(out).split())


def _unescape_text(text: str) -> str:
    out = []
    for token in _LATEX_TOKEN.findall(text or ""):
        if token in _UNESCAPES:
            out.append(_UNESCAPES[token])
        elif token not in "{}":
            out.append(token)
    return "".join(out)


def _ascii_word(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", folded.lower())


def _surname(author: str) -> str:
    name = author.strip()
    if "," in name:  # "Lovelace, Ada"
        return name.split(",")[0]
    parts = name.split()
    return parts[-1] if parts else ""


def year_of(arxiv_id: str, fallback: int | None = None) -> int | None:
    """The year an arXiv id was issued (new-style ids begin YYMM), else the fallback."""
    if fallback:
        return fallback
    match = _NEW_ID.match(arxiv_id)
    if match:
        return 2000 + int(match.group(1))
    old = re.match(r"^[a-z-]+(?:\.[A-Z]{2})?/(\d{2})\d{5}$", arxiv_id)
    if old:
        yy = int(old.group(1))
        return (1900 if yy > 90 else 2000) + yy
    return None


def base_key(paper: BibPaper) -> str:
    surname = _ascii_word(_surname(paper.authors[0])) if paper.authors else ""
    words = [_ascii_word(w) for w in re.split(r"[\s\-:/]+", latex.plain(paper.title))]
    first = next((w for w in words if w and w not in _STOPWORDS), "") or next((w for w in words if w), "")
    year = year_of(paper.arxiv_id, paper.year)
    return f"{surname or 'anon'}{year or ''}{first or 'untitled'}"


def unique_keys(papers: Sequence[BibPaper]) -> list[str]:
    """Keys in the papers' order; clashes get a, b, c... in arXiv-id order (stable across exports)."""
    groups: dict[str, list[int]] = {}
    for index, paper in enumerate(papers):
        groups.setdefault(base_key(paper), []).append(index)
    keys = [""] * len(papers)
    for key, members in groups.items():
        if len(members) == 1:
            keys[members[0]] = key
            continue
        for rank, index in enumerate(sorted(members, key=lambda i: papers[i].arxiv_id)):
            keys[index] = key + _suffix(rank)
    return keys


def _suffix(rank: int) -> str:
    letters = ""
    rank += 1
    while rank:
        rank, rest = divmod(rank - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


def entry(paper: BibPaper, key: str) -> str:
    kind = "article" if paper.journal_ref else "misc"
    fields: list[tuple[str, str]] = [
        ("title", title_field(paper.title)),
        ("author", author_field(paper.authors)),
    ]
    if paper.journal_ref:
        fields.append(("journal", escape(paper.journal_ref)))
    year = year_of(paper.arxiv_id, paper.year)
    if year:
        fields.append(("year", str(year)))
    fields += [("eprint", escape(paper.arxiv_id)), ("archivePrefix", "arXiv")]
    if paper.primary_category:
        fields.append(("primaryClass", escape(paper.primary_category)))
    fields += doi_fields(paper.doi)
    fields.append(("url", f"https://arxiv.org/abs/{paper.arxiv_id}"))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@{kind}{{{key},\n{body}\n}}\n"


def export(papers: Iterable[BibPaper]) -> str:
    """A whole .bib file: one entry per paper, keys unique within the file."""
    papers = list(papers)
    return "\n".join(entry(paper, key) for paper, key in zip(papers, unique_keys(papers)))


_ARXIV_IN_TEXT = re.compile(
    r"(?:arxiv(?:\.org)?[:/\s]*(?:abs/|pdf/)?\s*)(\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?", re.IGNORECASE
)
_BARE_NEW_ID = re.compile(r"^(\d{4}\.\d{4,5})(?:v\d+)?$")


def _arxiv_id(fields: dict[str, str]) -> str:
    eprint = fields.get("eprint", "").strip()
    if eprint and (_BARE_NEW_ID.match(eprint) or "/" in eprint):
        return re.sub(r"v\d+$", "", eprint.split("arXiv:")[-1].strip())
    for name in ("url", "journal", "note", "howpublished", "eprint"):
        match = _ARXIV_IN_TEXT.search(fields.get(name, ""))
        if match:
            return match.group(1)
    return ""


def parse(text: str) -> ParsedBib:
    """References from a BibTeX file; a block that cannot be read becomes one error sentence."""
    library = bibtexparser.parse_string(text)
    result = ParsedBib()
    for block in library.failed_blocks:
        line = (getattr(block, "start_line", 0) or 0) + 1
        result.errors.append(f"line {line}: this BibTeX entry could not be read ({_first_line(block.raw)}).")
    for item in library.entries:
        fields = {name.lower(): str(f.value) for name, f in item.fields_dict.items()}
        result.references.append(
            Reference(
                key=item.key,
                line=(item.start_line or 0) + 1,
                arxiv_id=_arxiv_id(fields),
                doi=fields.get("doi", "").strip(),
                title=unescape(fields.get("title", "")),
            )
        )
    return result


def _first_line(raw: str | None) -> str:
    first = (raw or "").strip().splitlines()[0] if (raw or "").strip() else ""
    return first[:60]


def parse_id_list(text: str) -> list[str]:
    """arXiv ids (or abs/pdf URLs) one per line or separated by spaces/commas; '#' starts a comment."""
    tokens = []
    for line in text.splitlines():
        line = line.split("#", 1)[0]
        tokens += [t for t in re.split(r"[\s,;]+", line) if t]
    return tokens


_ENTRY_START = re.compile(r"^\s*@\w+\s*[{(]", re.MULTILINE)


def count_entries(text: str) -> int:
    """How many BibTeX entries (or comments, strings, preambles) start in the text: a linear scan,
    so size caps can be checked before the costly parse."""
    return sum(1 for _ in _ENTRY_START.finditer(text))


def looks_like_bibtex(text: str) -> bool:
    return bool(re.search(r"^\s*@\w+\s*[{(]", text, re.MULTILINE))
