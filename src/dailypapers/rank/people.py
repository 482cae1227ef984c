"""Telling apart people who share a name: the rule For you's author reasons and the author pages use.

Pure code: two papers that list the same name, as plain values, in; whether that name is one
person on both, out. A name string alone merges everyone called "Xi Wang"; arXiv gives no
author identifiers, so the rule reads the evidence the papers carry:

1. a shared co-author (any other name on both papers, as ``key`` normalises it): the same person;
2. else both papers' categories, when both are known, must overlap, and their texts must be
   close (cosine of tf-idf vectors at least ``TEXT_SAME``), and they must be at most
   ``MAX_YEARS`` apart: the same person;
3. else: different people.

Measured on the pairs of bundled Hugging Face papers whose authors are linked to a Hugging Face
account (the account tells whether it is one person): bench/author_pairs.py, docs/library.md.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

TEXT_SAME = 0.01
MAX_YEARS = 4


def key(name: str) -> str:
    """Accents folded, case and punctuation dropped, words kept in order."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return " ".join("".join(ch if ch.isalnum() else " " for ch in folded).split())


@dataclass(frozen=True)
class Evidence:
    """One paper, as evidence about one of its authors."""

    authors: Sequence[str]
    categories: Sequence[str] = ()
    day: dt.date | None = None
    keys: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Normalised once per paper: a ranking compares one paper with many.
        object.__setattr__(self, "keys", frozenset(k for k in map(key, self.authors) if k))


def same_person(name: str, a: Evidence, b: Evidence, text_similarity: float) -> bool:
    """Whether ``name`` on ``a`` and on ``b`` is one person, by the rule above."""
    if (a.keys & b.keys) - {key(name)}:
        return True
    if a.categories and b.categories and not set(a.categories) & set(b.categories):
        return False
    if a.day and b.day and abs((a.day - b.day).days) > 365 * MAX_YEARS:
        return False
    return text_similarity >= TEXT_SAME


def group(name: str, papers: Sequence[Evidence], similarity: Callable[[int, int], float]) -> list[list[int]]:
    """The papers split into people (indexes into ``papers``, each group in the given order, the
    groups in order of their first paper): linked when the rule says same person, transitively."""
    parent = list(range(len(papers)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(papers)):
        for j in range(i + 1, len(papers)):
            if root(i) != root(j) and same_person(name, papers[i], papers[j], similarity(i, j)):
                parent[root(j)] = root(i)
    groups: dict[int, list[int]] = {}
    for i in range(len(papers)):
        groups.setdefault(root(i), []).append(i)
    return list(groups.values())
