"""arXiv categories predicted from a paper's title and abstract, for papers no source has
given categories yet (those known only from Hugging Face).

Pure code: texts and their categories in, a model out; texts in, categories out. The model
is a tf-idf space (words, sublinear tf) with a complement naive Bayes classifier, trained on
the store's own labelled papers with one row per (paper, category): a few seconds and a few
hundred MB for 20,000 papers, where a linear model per category took minutes and 1.5 GB for
one point more of top-1 accuracy. A prediction is the most probable category, then any other
whose probability reaches ``threshold``, at most ``limit`` in all. bench/category_eval.py
measures it on held-out bundled papers (docs/search.md has the figures).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.naive_bayes import ComplementNB

from dailypapers.rank.recommend import TOKEN_PATTERN, paper_text

MIN_EXAMPLES = 30  # a category with fewer labelled papers is never predicted
THRESHOLD = 0.2
LIMIT = 3


@dataclass
class CategoryModel:
    vectorizer: TfidfVectorizer
    classifier: ComplementNB

    @property
    def labels(self) -> np.ndarray:
        return self.classifier.classes_

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """Per text, each category's probability (columns as ``labels``)."""
        return self.classifier.predict_proba(self.vectorizer.transform(texts))

    def predict(self, texts: Sequence[str], threshold: float = THRESHOLD, limit: int = LIMIT) -> list[list[str]]:
        if not texts:
            return []
        found = []
        for row in self.scores(texts):
            order = np.argsort(-row)[:limit]
            found.append([str(self.labels[i]) for n, i in enumerate(order) if n == 0 or row[i] >= threshold])
        return found


def train(
    texts: Sequence[str], categories: Sequence[Sequence[str]], min_examples: int = MIN_EXAMPLES
) -> CategoryModel | None:
    """A model of the categories with at least ``min_examples`` texts; None when fewer than two
    categories have that many (nothing to tell apart)."""
    counts = Counter(c for cats in categories for c in set(cats))
    keep = {c for c, n in counts.items() if n >= min_examples}
    if len(keep) < 2:
        return None
    vectorizer = TfidfVectorizer(
        strip_accents="unicode",
        lowercase=True,
        stop_words="english",
        token_pattern=TOKEN_PATTERN,
        max_features=60_000,
        sublinear_tf=True,
        min_df=2,
        max_df=0.3,
        dtype=np.float32,
    )
    matrix = vectorizer.fit_transform(texts)
    rows, labels = [], []
    for i, cats in enumerate(categories):
        for cat in dict.fromkeys(cats):
            if cat in keep:
                rows.append(i)
                labels.append(cat)
    classifier = ComplementNB(alpha=0.3).fit(matrix[rows], labels)
    return CategoryModel(vectorizer, classifier)


__all__ = ["CategoryModel", "paper_text", "train"]
