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

# Longer input is refused rather than silently cut, so the user knows what was searched.
MAX_QUERY_CHARS = 20_000
# Distinct terms kept (in order of appearance); a pasted abstract still yields a fast query.
MAX_TERMS = 64
MAX_PHRASES = 8
# Lucene's English stop set (what the published BM25 baselines drop). They stay in the
# index, so quoted phrases match them exactly, but free-text queries leave them out
# unless nothing else is left: "for", "the", "of" are in nearly every abstract, add almost
# nothing to BM25 and made every query walk ~all postings (1M papers: p50 8.7 -> 3.3 ms).
STOPWORDS = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their then there these they this to was will with".split()
)

TEXT_ANALYZER = "dp_en"

_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"', "\uff02": '"'})
_PHRASE = re.compile(r'"([^"]*)"')
_SPACES = re.compile(r"\s+")


class QueryError(ValueError):
    """The query cannot be run; the message is meant for the user."""


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


def analyze(text: str) -> list[str]:
    """Index terms of ``text`` exactly as the text fields (title, abstract, authors) store them."""
    return _TEXT.analyze(text)


def normalize_name(name: str) -> str:
    """The exact-match key of an author name, for the author filter ("Lévy, J." -> "levy j")."""
    return " ".join(_NAME.analyze(name))


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

    @property
    def is_empty(self) -> bool:
        return not self.terms


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
    if len(raw) > MAX_QUERY_CHARS:
        raise QueryError(f"The query is too long ({len(raw):,} characters; the limit is {MAX_QUERY_CHARS:,}).")
    text = raw.translate(_QUOTES)
    phrases: list[Phrase] = []
    required: list[str] = []
    for span in _PHRASE.findall(text):
        words = _phrase(span)
        if len(words) == 1 and words[0][1] not in required:
            required.append(words[0][1])
        elif len(words) > 1 and len(phrases) < MAX_PHRASES:
            phrases.append(words)
    # Phrase words also count as ordinary terms so they contribute to ranking.
    words = analyze(text)
    content = [w for w in words if w not in _STOP_TERMS]
    terms = _capped(content or words)
    cleaned = _SPACES.sub(" ", text.replace('"', " ")).strip()
    return ParsedQuery(
        text=cleaned,
        terms=dict(terms),
        phrases=tuple(phrases),
        required=tuple(required),
    )
