"""Categories predicted from a paper's text, for papers no source gave categories yet.

They are stored in the paper's own ``categories`` (so every list, feed, digest, trend and search
filter finds them with the one category rule) and flagged ``categories_predicted``, so pages show
them as predicted and the first source that gives categories replaces them (store/upsert.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.db import transaction
from django.db.models import Q, QuerySet

from dailypapers.store import changes
from dailypapers.store.bulk import update_rows
from dailypapers.store.models import Paper, PaperChange


def lacking_categories() -> QuerySet[Paper]:
    """Papers whose categories no source has given: none at all, or only predicted ones."""
    return Paper.objects.filter(Q(categories="") | Q(categories_predicted=True), deleted=False)


def without_categories() -> QuerySet[Paper]:
    """Papers with no categories at all, not even predicted ones."""
    return Paper.objects.filter(categories="", deleted=False)


def write_predicted(predictions: Mapping[int, Sequence[str]]) -> int:
    """Store predicted categories (paper pk -> categories, best first) on papers that still lack
    a source's categories; return how many papers changed. One metadata change each reaches the
    feed, so the keyword index re-reads them (their text, and so their embedding, is unchanged)."""
    if not predictions:
        return 0
    with transaction.atomic():
        changes.begin_write()
        papers = list(lacking_categories().filter(pk__in=list(predictions)))
        changed = []
        for paper in papers:
            cats = " ".join(predictions[paper.pk])
            if not cats or (paper.categories == cats and paper.categories_predicted):
                continue
            paper.categories, paper.primary_category, paper.categories_predicted = cats, cats.split()[0], True
            changed.append(paper)
        update_rows(Paper, changed, ["categories", "primary_category", "categories_predicted"])
        changes.record(((p.pk, p.arxiv_id) for p in changed), PaperChange.METADATA)
    return len(changed)
