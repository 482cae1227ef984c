"""Single-paper writes outside the importer (the admin's edit form)."""

from __future__ import annotations

from django.db import transaction

from dailypapers.store import changes
from dailypapers.store.models import Paper, PaperChange


def save_paper(paper: Paper) -> Paper:
    """Save an edited (or new) paper and append its change to the feed, in one transaction."""
    with transaction.atomic():
        paper.change_seq = changes.begin_write()
        with changes.paper_writes():
            paper.save()
        kind = PaperChange.DELETED if paper.deleted else PaperChange.METADATA
        changes.record([(paper.pk, paper.arxiv_id)], kind)
    return paper
