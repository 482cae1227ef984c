"""Categories for papers known only from Hugging Face: arXiv's own, fetched by id, and until
they come (or offline) ones predicted from the text by a classifier trained on the store's
labelled papers (rank/categorize.py), stored as predicted (store/predicted.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from dailypapers.ingest.http import HttpClient
from dailypapers.ingest.sync import SourceResult, fetch_arxiv_metadata
from dailypapers.rank.categorize import paper_text, train
from dailypapers.store.models import Paper
from dailypapers.store.predicted import without_categories, write_predicted

WRITE_BATCH = 1000  # predictions per transaction


@dataclass
class CategoriesResult:
    fetched: SourceResult | None
    trained_on: int
    predicted: int

    def summary(self) -> str:
        """What was done, one line per step that had anything to do ("" when nothing)."""
        lines = []
        if self.fetched and (self.fetched.pages or self.fetched.error):
            lines.append(f"categories: metadata by id: {self.fetched.summary()}")
        if self.predicted:
            lines.append(f"categories: predicted for {self.predicted} paper(s) (trained on {self.trained_on})")
        return "\n".join(lines)


def labelled_papers(limit: int) -> tuple[list[str], list[list[str]]]:
    """Texts and categories of the newest ``limit`` papers whose categories a source gave."""
    rows = (
        Paper.objects.filter(categories_predicted=False, deleted=False)
        .exclude(categories="")
        .order_by("-announced", "-arxiv_id")
        .values_list("title", "abstract", "categories")[:limit]
    )
    texts, cats = [], []
    for title, abstract, categories in rows:
        texts.append(paper_text(title, abstract))
        cats.append(categories.split())
    return texts, cats


def predict_missing(limit: int) -> tuple[int, int]:
    """Predict categories for the papers with none (predicted ones stay until a source's replace
    them, so a round with no new paper trains nothing); (papers trained on, papers changed)."""
    if limit <= 0 or not without_categories().exists():
        return 0, 0
    texts, cats = labelled_papers(limit)
    model = train(texts, cats)
    if model is None:
        return len(texts), 0
    changed = 0
    rows = list(without_categories().values_list("pk", "title", "abstract"))
    for start in range(0, len(rows), WRITE_BATCH):
        chunk = rows[start : start + WRITE_BATCH]
        predicted = model.predict([paper_text(title, abstract) for _, title, abstract in chunk])
        changed += write_predicted({pk: cats for (pk, _, _), cats in zip(chunk, predicted)})
    return len(texts), changed


def fill_categories(
    config: Mapping[str, Any],
    *,
    fetch: bool = True,
    client: HttpClient | None = None,
    limit: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> CategoriesResult:
    """Fetch arXiv's metadata for papers without categories (``fetch``), then predict categories
    for those still without. Offline the fetch fails (its result says why) and prediction runs."""
    fetched = fetch_arxiv_metadata(config, client=client, limit=limit, progress=progress) if fetch else None
    trained_on, predicted = predict_missing(int(config["DAILYPAPERS_CATEGORY_TRAIN_PAPERS"]))
    return CategoriesResult(fetched, trained_on, predicted)
