"""Turn any user string into a safe, structured query.

User input never reaches tantivy's query language: words are extracted with the same
analyzer the index uses, so operators (AND, OR, NOT, ``-``, ``*``, ``:``, parentheses)
are plain words or dropped punctuation. Double-quoted spans become phrase queries.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import tantivy

from .rules import MAX_QUERY_CHARS, QueryError, check_query_length

__all__ = ["MAX_QUERY_CHARS", "ParsedQuery", "QueryError", "parse_query"]
# Distinct terms kept (in order of appearance); a pasted abstract still yields a fast query.
MAX_TERMS = 64
MAX_PHRASES = 8
# Queries up to this many content words get a phrase/proximity boost (longer ones are pasted text).
MAX_PROXIMITY_WORDS = 8
# Lucene's English stop set (what the published BM25 baselines drop). They stay in the
# index, so quoted phrases match them exactly, but free-text queries leave them out
# unless nothing else is left: "for", "the", "of" are in nearly every abstract, add almost
# nothing to BM25 and made every query walk ~all postings (1M papers: p50 8.7 -> 3.3 ms).
STOPWORDS = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their then there these they this to was will with".split()
)

TEXT_ANALYZER = "dp_en"
# Unstemmed twin of TEXT_ANALYZER: "tokenizer" stays "tokenizer", so an exact-form match can
# score above a stem-only one ("token").
EXACT_ANALYZER = "dp_exact"

_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"', "\uff02": '"'})
_PHRASE = re.compile(r'"([^"]*)"')
# author:Name or author:"Full Name" (the operator itself is case-insensitive).
_AUTHOR_OP = re.compile(r'\bauthor:(?:"([^"]*)"|(\S+))', re.IGNORECASE)
# A query "recognisably a name": 2-4 tokens, each capitalised (Percy Liang, Yann LeCun,
# J. R. R. Tolkien, Jean-Baptiste Mouret, O'Neil); whether it IS a name is decided by the index
# (an author with exactly this normalised name must exist), see KeywordIndex.is_author_name.
_NAME_TOKEN = re.compile(r"^(?:[A-Z][\w'\-]*\.?|[A-Z]\.)$")
_SPACES = re.compile(r"\s+")


def text_analyzer() -> tantivy.TextAnalyzer:
    """tantivy's ``en_stem`` pipeline plus ASCII folding (so "naïve" finds "naive")."""
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


_TEXT = text_analyzer()
# Author filter keys: the simple tokenizer's words, lowercased and folded, never stemmed.
_NAME = (
    tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
    .filter(tantivy.Filter.lowercase())
    .filter(tantivy.Filter.ascii_fold())
    .build()
)


def exact_analyzer() -> tantivy.TextAnalyzer:
    """Like :func:`text_analyzer` without the stemmer."""
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .build()
    )


_EXACT = exact_analyzer()


def analyze(text: str) -> list[str]:
    """Index terms of ``text`` exactly as the text fields (title, abstract, authors) store them."""
    return _TEXT.analyze(text)


def normalize_name(name: str) -> str:
    """The exact-match key of an author name, for the author filter ("Lévy, J." -> "levy j")."""
    return " ".join(_NAME.analyze(name))


def normalize_title(title: str) -> str:
    """The exact-title key: words lowercased and folded, punctuation, LaTeX dollars and spacing
    ignored ("BERT: Pre-training of Deep..." == "bert pre training of deep ...")."""
    return " ".join(_EXACT.analyze(title.replace("$", " ")))


def looks_like_name(text: str) -> bool:
    """2-4 capitalised tokens, nothing else (see _NAME_TOKEN)."""
    tokens = text.split()
    return 2 <= len(tokens) <= 4 and all(_NAME_TOKEN.match(t) for t in tokens) and '"' not in text


# The stop words as the analyzer leaves them ("this" -> "thi", "was" -> "wa").
_STOP_TERMS = frozenset(t for word in STOPWORDS for t in analyze(word))

# A phrase: analysed words with their positions (gaps where a token was dropped).
Phrase = tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class ParsedQuery:
    text: str  # cleaned text for the sentence embedder
    terms: dict[str, int] = field(default_factory=dict)  # stemmed term -> occurrences
    phrases: tuple[Phrase, ...] = ()
    required: tuple[str, ...] = ()  # single-word quoted spans: the term must occur
    exact: dict[str, int] = field(default_factory=dict)  # unstemmed content words -> occurrences
    authors: tuple[str, ...] = ()  # author: operators, as typed
    sequence: Phrase = ()  # the content words in order with positions (proximity boost)
    raw: str = ""  # the input as typed (known-item lookups: ids, DOIs, titles)

    @property
    def is_empty(self) -> bool:
        """No word to rank by and no author to list."""
        return not self.terms and not self.authors


def _phrase(text: str) -> Phrase:
    tokens = _TEXT.pre_tokenize(text).tokens
    if not tokens:
        return ()
    first = tokens[0].position
    return tuple((t.position - first, t.text) for t in tokens)


def _capped(words: list[str]) -> Counter[str]:
    seen: Counter[str] = Counter()
    for word in words:
        if word in seen or len(seen) < MAX_TERMS:
            seen[word] += 1
    return seen


def parse_query(raw: str) -> ParsedQuery:
    """Parse user input into terms and phrases; raises QueryError only for over-long input.

    An input with no searchable word (empty, only punctuation or emoji) gives an empty
    query; callers decide whether that means "browse" or an error.
    """
    if not isinstance(raw, str):
        raise QueryError("The query must be text.")
    check_query_length(raw)
    text = raw.translate(_QUOTES)
    authors: list[str] = []

    def take_author(match: re.Match) -> str:
        name = (match.group(1) if match.group(1) is not None else match.group(2)).strip()
        if name:
            authors.append(name)
        return " "

    text = _AUTHOR_OP.sub(take_author, text)
    phrases: list[Phrase] = []
    required: list[str] = []
    for span in _PHRASE.findall(text):
        spanned = _phrase(span)
        if len(spanned) == 1 and spanned[0][1] not in required:
            required.append(spanned[0][1])
        elif len(spanned) > 1 and len(phrases) < MAX_PHRASES:
            phrases.append(spanned)
    # Phrase words also count as ordinary terms so they contribute to ranking.
    words = analyze(text)
    content = [w for w in words if w not in _STOP_TERMS]
    terms = _capped(content or words)
    exact_words = _EXACT.analyze(text)
    exact = _capped([w for w in exact_words if w not in STOPWORDS] or exact_words)
    sequence = tuple(pair for pair in _phrase(text) if pair[1] not in _STOP_TERMS)
    cleaned = _SPACES.sub(" ", text.replace('"', " ")).strip()
    return ParsedQuery(
        text=cleaned,
        terms=dict(terms),
        phrases=tuple(phrases),
        required=tuple(required),
        exact=dict(exact),
        authors=tuple(authors),
        sequence=sequence if 2 <= len(sequence) <= MAX_PROXIMITY_WORDS else (),
        raw=raw.strip(),
    )
