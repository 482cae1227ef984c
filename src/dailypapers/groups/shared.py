"""A group's shared collections (every member adds and annotates) and its per-paper note threads.

Callers pass a Group already checked with membership.for_member(): these functions do not look
at who asks beyond recording who wrote what.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet

from dailypapers.groups.models import Group, GroupNote, SharedCollection, SharedItem
from dailypapers.store.models import Paper

MAX_NAME = 200
MAX_NOTE = 10_000
DEFAULT_SHARED = "Reading list"


def collections(group: Group) -> QuerySet[SharedCollection]:
    return SharedCollection.objects.filter(group=group).annotate(size=Count("items"))


def create(group: Group, name: str) -> SharedCollection:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError("A collection needs a name.")
    if len(name) > MAX_NAME:
        raise ValidationError(f"A collection name can have at most {MAX_NAME} characters.")
    try:
        with transaction.atomic():
            return SharedCollection.objects.create(group=group, name=name)
    except IntegrityError:
        raise ValidationError(f"“{group.name}” has a collection named “{name}” already.") from None


def get(group: Group, pk: int) -> SharedCollection:
    return SharedCollection.objects.get(group=group, pk=pk)


def default(group: Group) -> SharedCollection:
    """The group's first collection; a "Reading list" made on the first save if it has none."""
    found = SharedCollection.objects.filter(group=group).order_by("id").first()
    if found is not None:
        return found
    collection, _ = SharedCollection.objects.get_or_create(group=group, name=DEFAULT_SHARED)
    return collection


def _note(text: str) -> str:
    text = (text or "").strip()
    if len(text) > MAX_NOTE:
        raise ValidationError(f"A note can have at most {MAX_NOTE:,} characters.")
    return text


def add(collection: SharedCollection, paper: Paper, user, note: str = "") -> bool:
    """Save ``paper`` to the shared collection (True if it was not there); a note given replaces its note."""
    note = _note(note)
    item, created = SharedItem.objects.get_or_create(
        collection=collection, paper=paper, defaults={"added_by": user, "note": note}
    )
    if not created and note:
        item.note = note
        item.save(update_fields=["note"])
    return created


def set_note(collection: SharedCollection, paper: Paper, note: str) -> None:
    updated = SharedItem.objects.filter(collection=collection, paper=paper).update(note=_note(note))
    if not updated:
        raise SharedItem.DoesNotExist


def remove(collection: SharedCollection, paper: Paper) -> bool:
    return bool(SharedItem.objects.filter(collection=collection, paper=paper).delete()[0])


def items(collection: SharedCollection) -> QuerySet[SharedItem]:
    return (
        SharedItem.objects.filter(collection=collection, paper__deleted=False, paper__hidden=False)
        .select_related("paper", "added_by")
        .order_by("-added_at", "-id")
    )


def papers(group: Group) -> QuerySet[Paper]:
    """Every shown paper in any of the group's shared collections (for BibTeX export)."""
    return (
        Paper.objects.filter(
            id__in=SharedItem.objects.filter(collection__group=group).values("paper_id"),
            deleted=False,
            hidden=False,
        )
        .order_by("arxiv_id")
        .distinct()
    )


def note_thread(group: Group, paper: Paper) -> QuerySet[GroupNote]:
    return GroupNote.objects.filter(group=group, paper=paper).select_related("author").order_by("created_at", "id")


def add_note(group: Group, paper: Paper, user, body: str) -> GroupNote:
    body = _note(body)
    if not body:
        raise ValidationError("A note needs some text.")
    return GroupNote.objects.create(group=group, paper=paper, author=user, body=body)
