"""A group's shared collections as BibTeX (the library's writer: one entry per paper, unique keys)."""

from __future__ import annotations

from dailypapers.groups import shared
from dailypapers.groups.models import Group, SharedCollection
from dailypapers.library.transfer import export_papers


def group_bibtex(group: Group) -> str:
    """Every paper in any of the group's shared collections, once each."""
    return export_papers(shared.papers(group))


def collection_bibtex(collection: SharedCollection) -> str:
    return export_papers(item.paper for item in shared.items(collection))


def find_group(name: str) -> Group:
    """A group by its name (any case) or its slug; DoesNotExist otherwise."""
    name = " ".join((name or "").split())
    found = Group.objects.filter(name__iexact=name).first() or Group.objects.filter(slug=name).first()
    if found is None:
        raise Group.DoesNotExist
    return found
