"""Per-reader ranking of a day's (or week's) candidate papers, with the reason for each.

Pure code: feature matrices in, scores and reasons out; the store feeds it and caches the
candidates' features per period, so one reader's ranking costs a few sparse products.

The score of a candidate is a weighted sum of standardised signals (z-scores over the
candidates, so weights mean the same on a quiet and a busy day):
  * content: cosine of its tf-idf vector (title + abstract, 1-2 grams, sublinear tf) with the
    reader's profile, the mean of the papers they liked (upvoted or saved), minus
    ``negative_weight`` times the mean of those they marked "not interested";
  * categories: the largest share of liked papers in one of its categories;
  * authors: how often its authors (other than the reader) wrote papers the reader liked;
  * votes: log(1 + community and Hugging Face votes), a small prior for the crowd's view.
The weights were chosen on one set of authors in bench/recs_eval.py and evaluated on another.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

from dailypapers.rank import people

# arxiv-sanity-lite's token pattern: words start with a letter, so numbers alone never count.
TOKEN_PATTERN = r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b"


def paper_text(title: str, abstract: str) -> str:
    return f"{title} | {abstract}"


class TextSpace:
    """The tf-idf space papers are compared in; fitted once on the stored papers' texts."""

    def __init__(self, max_features: int = 300_000, min_df: int = 2, max_df: float = 0.2):
        self.vectorizer = TfidfVectorizer(
            strip_accents="unicode",
            lowercase=True,
            stop_words="english",
            token_pattern=TOKEN_PATTERN,
            ngram_range=(1, 2),
            max_features=max_features,
            sublinear_tf=True,
            min_df=min_df,
            max_df=max_df,
            dtype=np.float32,
        )
        self._terms: np.ndarray | None = None

    def fit(self, texts: Iterable[str]) -> sp.csr_matrix:
        matrix = self.vectorizer.fit_transform(texts).tocsr()
        self._terms = self.vectorizer.get_feature_names_out()
        return matrix

    def transform(self, texts: Iterable[str]) -> sp.csr_matrix:
        return self.vectorizer.transform(texts).tocsr()

    def term(self, column: int) -> str:
        if self._terms is None:
            self._terms = self.vectorizer.get_feature_names_out()
        return str(self._terms[column])


@dataclass(frozen=True)
class Weights:
    content: float = 1.0
    categories: float = 0.3
    authors: float = 1.0
    votes: float = 0.1
    negative: float = 0.5  # how much a "not interested" paper pulls its neighbours down


@dataclass
class Papers:
    """Features of a set of papers, row i for ids[i]."""

    ids: list[str]
    vectors: sp.csr_matrix  # tf-idf rows, l2-normalised
    categories: list[Sequence[str]]
    authors: list[Sequence[str]]
    votes: np.ndarray | None = None
    _incidence: dict = field(default_factory=dict, repr=False, compare=False)

    def incidence(self, kind: str) -> tuple[sp.csr_matrix, dict[str, int]]:
        """Paper x name 0/1 matrix of "categories" or "authors", built once per candidate set
        (the period cache keeps the Papers), so scoring is a sparse product, not a Python loop."""
        if kind not in self._incidence:
            lists = self.categories if kind == "categories" else self.authors
            vocabulary: dict[str, int] = {}
            indptr, indices = [0], []
            for names in lists:
                columns = {vocabulary.setdefault(name, len(vocabulary)) for name in names}
                indices.extend(sorted(columns))
                indptr.append(len(indices))
            matrix = sp.csr_matrix(
                (
                    np.ones(len(indices), dtype=np.float32),
                    np.array(indices, dtype=np.int32),
                    np.array(indptr, dtype=np.int64),
                ),
                shape=(len(lists), max(len(vocabulary), 1)),
            )
            self._incidence[kind] = (matrix, vocabulary)
        return self._incidence[kind]

    def rows(self, positions: Sequence[int]) -> Papers:
        index = list(positions)
        return Papers(
            ids=[self.ids[i] for i in index],
            vectors=self.vectors[index],
            categories=[self.categories[i] for i in index],
            authors=[self.authors[i] for i in index],
            votes=None if self.votes is None else self.votes[index],
        )


@dataclass
class Reason:
    """Why a paper ranks where it does, in words a reader understands."""

    kind: str  # "paper", "author", "terms", "category", "votes"
    text: str
    paper_id: str | None = None


@dataclass
class Recommendation:
    paper_id: str
    score: float
    reasons: list[Reason] = field(default_factory=list)


@dataclass
class Profile:
    """What one reader told us: papers liked (upvoted, saved) and marked not interested."""

    liked: Papers
    disliked: Papers | None = None
    titles: dict[str, str] = field(default_factory=dict)  # liked id -> title, for the reasons
    reader_names: frozenset[str] = frozenset()  # the reader's own author names, never a reason

    def centroid(self, weights: Weights) -> np.ndarray:
        vector = np.asarray(self.liked.vectors.mean(axis=0)).ravel()
        if self.disliked is not None and self.disliked.ids:
            vector = vector - weights.negative * np.asarray(self.disliked.vectors.mean(axis=0)).ravel()
        return vector.astype(np.float32)


def _standardised(values: np.ndarray) -> np.ndarray:
    spread = values.std()
    return (values - values.mean()) / spread if spread > 1e-12 else np.zeros_like(values)


def _name_weights(counts: Counter, vocabulary: dict[str, int], cap: float | None = None) -> np.ndarray:
    weights = np.zeros(max(len(vocabulary), 1), dtype=np.float64)
    for name, count in counts.items():
        column = vocabulary.get(name)
        if column is not None:
            weights[column] = min(count, cap) if cap is not None else count
    return weights


def _category_affinity(profile: Profile, candidates: Papers) -> np.ndarray:
    """The largest share of liked papers in any one of each candidate's categories."""
    counts = Counter(c for cats in profile.liked.categories for c in set(cats))
    total = max(len(profile.liked.ids), 1)
    matrix, vocabulary = candidates.incidence("categories")
    weighted = matrix.multiply(_name_weights(counts, vocabulary)[None, :] / total).tocsr()
    return np.asarray(weighted.max(axis=1).todense()).ravel()


def _author_affinity(profile: Profile, candidates: Papers) -> tuple[np.ndarray, dict[tuple[int, str], int]]:
    """Per candidate, how many liked papers its authors wrote (at most 3 per author), counting a
    liked paper only where the shared name is the same person (rank/people.py); and per
    (candidate, name) that count, for the reasons."""
    counts = Counter(a for names in profile.liked.authors for a in names if a not in profile.reader_names)
    matrix, vocabulary = candidates.incidence("authors")
    # One sparse product finds the candidates sharing any name; only those are checked person by person.
    values = matrix @ _name_weights(counts, vocabulary, cap=3)
    liked_by: dict[str, list[int]] = {}
    for j, names in enumerate(profile.liked.authors):
        for name in dict.fromkeys(names):
            if name not in profile.reader_names:
                liked_by.setdefault(name, []).append(j)
    per_name: dict[tuple[int, str], int] = {}
    rows = np.flatnonzero(values)
    if not len(rows):
        return values, per_name
    # The shared-name candidates' similarity to every liked paper: one sparse product.
    similarity = (candidates.vectors[rows] @ profile.liked.vectors.T).toarray()
    liked_evidence = [
        people.Evidence(authors, cats) for authors, cats in zip(profile.liked.authors, profile.liked.categories)
    ]
    for r, found in enumerate(rows):
        i = int(found)
        here = people.Evidence(candidates.authors[i], candidates.categories[i])
        total = 0
        for name in dict.fromkeys(candidates.authors[i]):
            liked = liked_by.get(name)
            if not liked:
                continue
            n = sum(1 for j in liked if people.same_person(name, here, liked_evidence[j], float(similarity[r, j])))
            if n:
                per_name[(i, name)] = n
                # Three liked papers by one author is already a strong signal; more should not swamp content.
                total += min(n, 3)
        values[i] = total
    return values, per_name


def recommend(
    profile: Profile,
    candidates: Papers,
    *,
    limit: int = 20,
    exclude: Iterable[str] = (),
    weights: Weights = Weights(),
    space: TextSpace | None = None,
) -> list[Recommendation]:
    """Rank ``candidates`` for the reader, best first, leaving out ``exclude`` (papers marked
    not interested, already saved or read). ``space`` names terms in the reasons."""
    if not candidates.ids:
        return []
    excluded = set(exclude)
    centroid = profile.centroid(weights)
    content = candidates.vectors @ centroid
    score = weights.content * _standardised(content)
    score += weights.categories * _standardised(_category_affinity(profile, candidates))
    author_values, author_counts = _author_affinity(profile, candidates)
    score += weights.authors * _standardised(author_values)
    if candidates.votes is not None and weights.votes:
        score += weights.votes * _standardised(np.log1p(np.maximum(candidates.votes, 0)))
    keep = np.ones(len(candidates.ids), dtype=bool)
    if excluded:
        keep[[i for i, pid in enumerate(candidates.ids) if pid in excluded]] = False
    score = np.where(keep, score, -np.inf)
    count = min(limit, int(keep.sum()))
    if count <= 0:
        return []
    top = np.argpartition(-score, count - 1)[:count]
    top = top[np.argsort(-score[top], kind="stable")]
    # One product for every shown paper's similarity to every liked paper (the "close to" reason).
    top_vectors = candidates.vectors[top]
    similarity = (top_vectors @ profile.liked.vectors.T).toarray()
    results = []
    for j, position in enumerate(top):
        results.append(
            Recommendation(
                paper_id=candidates.ids[position],
                score=float(score[position]),
                reasons=_reasons(
                    profile, candidates, int(position), top_vectors[j], similarity[j], centroid, author_counts, space
                ),
            )
        )
    return results


def _reasons(profile, candidates, position, row, similarities, centroid, author_counts, space) -> list[Reason]:
    reasons: list[Reason] = []
    if similarities.size and similarities.max() > 0.05:
        best = int(similarities.argmax())
        liked_id = profile.liked.ids[best]
        title = profile.titles.get(liked_id, liked_id)
        reasons.append(Reason("paper", f"close to “{title}”, which you liked", liked_id))
    shared = [a for a in candidates.authors[position] if author_counts.get((position, a), 0)]
    if shared:
        name = max(shared, key=lambda a: author_counts[(position, a)])
        n = author_counts[(position, name)]
        reasons.append(Reason("author", f"by {name}, who wrote {n} paper{'s' if n != 1 else ''} you liked"))
    if space is not None and len(reasons) < 2:
        contributions = row.multiply(centroid).tocsr()
        if contributions.nnz:
            order = np.argsort(-contributions.data)[:TERMS_LOOKED_AT]
            terms = [
                term
                for term in (space.term(int(contributions.indices[i])) for i in order if contributions.data[i] > 0)
                if citable(term)
            ][:2]
            if terms:
                reasons.append(Reason("terms", "mentions " + " and ".join(f"“{t}”" for t in terms)))
    if not reasons:
        reasons.append(Reason("category", "in a category you follow"))
    return reasons[:2]


# Words a reason never cites, beside the tf-idf space's English stop words: tokens that say nothing
# of a paper's subject ("mentions 'sd' and 'end'" was a reason once).
TERMS_LOOKED_AT = 12
_DULL = frozenset(
    "end based using use used new paper propose proposed approach method methods model models result results "
    "show shows work task tasks data performance existing different large significantly "
    "recent via improve improved improves achieve achieves state art framework study novel".split()
)


def citable(term: str) -> bool:
    """Whether a term may be named in a reason: every word at least 3 letters, none a stop word,
    none a dull one, and not a number."""
    words = term.split()
    return bool(words) and all(
        len(w) >= 3 and w.isalpha() and w not in ENGLISH_STOP_WORDS and w not in _DULL for w in words
    )


def recall_at(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    return sum(1 for pid in ranked[:k] if pid in relevant) / len(relevant) if relevant else 0.0


def ndcg_at(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, pid in enumerate(ranked[:k]) if pid in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    return dcg / ideal if ideal else 0.0
