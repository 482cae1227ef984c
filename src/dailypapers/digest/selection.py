"""Which papers go into one digest. Pure: candidates in, papers out.

The sender ranks the period's candidates once, filters them once per distinct preference
set (many subscribers share one), and per subscriber only drops papers already sent and
cuts to their size. That keeps the work per mail small (see bench/digest_bench.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property


@dataclass(frozen=True)
class Candidate:
    paper_id: int
    arxiv_id: str
    title: str
    abstract: str
    categories: tuple[str, ...]
    trending_score: float = 0.0
    hf_upvotes: int = 0  # recorded on the period's daily lists
    community_votes: int = 0  # cast within the period
    in_period: bool = True  # featured (or announced) in the period itself, not only in its window

    @cached_property
    def text(self) -> str:
        return f"{self.title}\n{self.abstract}".casefold()

    @property
    def sort_key(self) -> tuple:
        # The period's own papers, by their votes (Hugging Face's and ours); the trending score breaks ties.
        return (not self.in_period, -(self.hf_upvotes + self.community_votes), -self.trending_score, self.arxiv_id)


def split_phrases(text: str) -> tuple[str, ...]:
    """'LLM agents, diffusion' -> ('llm agents', 'diffusion'); order kept, duplicates dropped."""
    seen: dict[str, None] = {}
    for part in re.split(r"[,\n;]", text or ""):
        phrase = " ".join(part.split()).casefold()
        if phrase:
            seen.setdefault(phrase)
    return tuple(seen)


@dataclass(frozen=True)
class Preferences:
    categories: tuple[str, ...] = ()  # any of these; empty: all
    keywords: tuple[str, ...] = ()  # any of these phrases in title or abstract; empty: no filter
    excluded: tuple[str, ...] = ()  # none of these phrases

    @classmethod
    def of(cls, categories: str, keywords: str, excluded: str) -> Preferences:
        return cls(tuple(sorted(set(categories.split()))), split_phrases(keywords), split_phrases(excluded))


def rank(candidates: Iterable[Candidate]) -> list[Candidate]:
    return sorted(candidates, key=lambda c: c.sort_key)


class CandidatePool:
    """A period's ranked candidates, with each phrase searched once for all preference sets."""

    def __init__(self, ranked: Sequence[Candidate]) -> None:
        self.ranked = list(ranked)
        self._hits: dict[str, frozenset[int]] = {}

    def hits(self, phrase: str) -> frozenset[int]:
        """Ids of the papers whose title or abstract holds ``phrase`` as whole words ("llm" not in "allmighty")."""
        if phrase not in self._hits:
            pattern = re.compile(r"(?<!\w)" + re.escape(phrase) + r"(?!\w)")
            # The substring test is cheap and rules out most papers before the regex runs.
            self._hits[phrase] = frozenset(
                c.paper_id for c in self.ranked if phrase in c.text and pattern.search(c.text)
            )
        return self._hits[phrase]

    def matching(self, preferences: Preferences) -> Matches:
        """The ranked candidates this preference set wants, best first, found only as far as asked."""
        wanted = set(preferences.categories)
        # Each phrase's own hit set, asked in turn: a union per preference set would be a copy
        # per distinct set, kept for the whole run (megabytes over a run of 10,000 readers).
        included = [self.hits(phrase) for phrase in preferences.keywords]
        excluded = [self.hits(phrase) for phrase in preferences.excluded]
        return Matches(
            c
            for c in self.ranked
            if (not wanted or not wanted.isdisjoint(c.categories))
            and (not included or any(c.paper_id in hits for hits in included))
            and not any(c.paper_id in hits for hits in excluded)
        )


class Matches:
    """A preference set's matches, drawn from the ranked candidates only as far as someone iterates.

    A digest wants its ten or so best, plus as many as the reader already received: filtering all
    of a period's candidates (thousands) for every preference set cost more than the mail itself.
    Each iteration replays what earlier ones found, then draws on from where they stopped.
    """

    _END = object()

    def __init__(self, matches: Iterable[Candidate]) -> None:
        self._source = iter(matches)
        self._found: list[Candidate] = []

    def __iter__(self) -> Iterator[Candidate]:
        index = 0
        while True:
            if index == len(self._found):
                candidate = next(self._source, self._END)
                if candidate is self._END:
                    return
                self._found.append(candidate)
            yield self._found[index]
            index += 1


def matching(ranked: Sequence[Candidate], preferences: Preferences) -> list[Candidate]:
    return list(CandidatePool(ranked).matching(preferences))


def pick(matched: Iterable[Candidate], already_sent: set[int], size: int) -> list[Candidate]:
    """The best ``size`` matched papers the subscriber has not received yet."""
    chosen: list[Candidate] = []
    for candidate in matched:
        if candidate.paper_id not in already_sent:
            chosen.append(candidate)
            if len(chosen) == size:
                break
    return chosen


def one_line(abstract: str, limit: int = 200) -> str:
    """The abstract's first sentence, cut at ``limit`` characters on a word boundary."""
    text = " ".join((abstract or "").split())
    match = re.search(r"(?<=[.!?])\s+(?=[A-Z])", text)
    sentence = text[: match.start()] if match else text
    if len(sentence) <= limit:
        return sentence
    return sentence[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"
