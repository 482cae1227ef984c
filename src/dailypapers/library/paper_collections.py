"""Collections: create, rename, delete, reorder, save and remove papers, notes, sharing.

Every function takes the owner and refuses (Collection.DoesNotExist) anything that is not theirs,
so the views and the API need no checks of their own.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, QuerySet
from django.utils import timezone

from dailypapers.library.models import DEFAULT_COLLECTION, Collection, CollectionItem
from dailypapers.store.models import Paper

MAX_NAME = 200
MAX_NOTE = 10_000


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError("A collection needs a name.")
    if len(name) > MAX_NAME:
        raise ValidationError(f"A collection name can have at most {MAX_NAME} characters.")
    return name


def owned(user) -> QuerySet[Collection]:
    """The user's collections, each with its paper count. Reading never creates one (GET never
    writes): the default "Reading list" is made by the first save (ensure_default)."""
    return Collection.objects.filter(user=user).annotate(size=Count("items"))


def ensure_default(user) -> Collection:
    found = Collection.objects.filter(user=user).order_by("position", "id").first()
    if found is not None:
        return found
    collection, _ = Collection.objects.get_or_create(user=user, name=DEFAULT_COLLECTION)
    return collection


def get(user, pk: int) -> Collection:
    return Collection.objects.get(user=user, pk=pk)


def create(user, name: str) -> Collection:
    name = _clean_name(name)
    ensure_default(user)
    last = Collection.objects.filter(user=user).aggregate(m=Max("position"))["m"] or 0
    try:
        with transaction.atomic():
            return Collection.objects.create(user=user, name=name, position=last + 1)
    except IntegrityError:
        raise ValidationError(f"You already have a collection named “{name}”.") from None


def rename(user, pk: int, name: str) -> Collection:
    collection = get(user, pk)
    name = _clean_name(name)
    if Collection.objects.filter(user=user, name=name).exclude(pk=pk).exists():
        raise ValidationError(f"You already have a collection named “{name}”.")
    collection.name = name
    collection.save(update_fields=["name", "updated_at"])
    return collection


def _locked(user, pk: int) -> Collection:
    """The collection, its row locked to the end of the transaction: a concurrent delete waits for
    an item operation to finish (or the operation finds it gone: DoesNotExist, a 404), so a paper
    is never saved into a collection being deleted."""
    return Collection.objects.select_for_update().get(user=user, pk=pk)


def max_papers() -> int:
    return settings.CONFIG["DAILYPAPERS_COLLECTION_MAX_PAPERS"]


def full_message(collection: Collection) -> str:
    return f"“{collection.name}” is full: a collection can hold at most {max_papers():,} papers."


def delete(user, pk: int) -> str:
    with transaction.atomic():
        collection = _locked(user, pk)
        name = collection.name
        collection.delete()
    return name


def _move(rows: Sequence, index: int, offset: int) -> list:
    rows = list(rows)
    target = index + offset
    if 0 <= target < len(rows):
        rows[index], rows[target] = rows[target], rows[index]
    return rows


def move(user, pk: int, offset: int) -> None:
    """Move a collection up (-1) or down (+1) among the user's collections."""
    with transaction.atomic():
        rows = list(Collection.objects.select_for_update().filter(user=user))
        index = next((i for i, c in enumerate(rows) if c.pk == pk), None)
        if index is None:
            raise Collection.DoesNotExist
        for position, collection in enumerate(_move(rows, index, offset)):
            if collection.position != position:
                Collection.objects.filter(pk=collection.pk).update(position=position)


def items(collection: Collection) -> QuerySet[CollectionItem]:
    return (
        CollectionItem.objects.filter(collection=collection, paper__deleted=False)
        .select_related("paper")
        .order_by("position", "id")
    )


def add(user, pk: int, paper: Paper, note: str = "") -> bool:
    """Save a paper into a collection (at the end). False when it was there already; a
    ValidationError when the collection is full."""
    added, _, refused = add_many(user, pk, [paper], note)
    if refused:
        raise ValidationError(full_message(get(user, pk)))
    return bool(added)


def add_many(user, pk: int, papers: Sequence[Paper], note: str = "") -> tuple[list[Paper], list[Paper], list[Paper]]:
    """Save papers at the end, in order, in one transaction: (added, already there, refused because
    the collection is full). A paper named twice counts once."""
    with transaction.atomic():
        collection = _locked(user, pk)
        present = set(
            CollectionItem.objects.filter(collection=collection, paper_id__in=[p.pk for p in papers]).values_list(
                "paper_id", flat=True
            )
        )
        counts = CollectionItem.objects.filter(collection=collection).aggregate(n=Count("id"), m=Max("position"))
        room = max(0, max_papers() - counts["n"])
        added: list[Paper] = []
        already: list[Paper] = []
        refused: list[Paper] = []
        seen: set[int] = set()
        for paper in papers:
            if paper.pk in present or paper.pk in seen:
                already.append(paper)
            elif len(added) < room:
                added.append(paper)
            else:
                refused.append(paper)
            seen.add(paper.pk)
        start = (counts["m"] if counts["m"] is not None else -1) + 1
        CollectionItem.objects.bulk_create(
            CollectionItem(collection=collection, paper=paper, note=(note or "")[:MAX_NOTE], position=start + i)
            for i, paper in enumerate(added)
        )
        if added:
            Collection.objects.filter(pk=collection.pk).update(updated_at=timezone.now())
    return added, already, refused


def _touch(collection: Collection) -> None:
    # A shared page is cached by the collection's updated_at: every change of what it shows moves it.
    Collection.objects.filter(pk=collection.pk).update(updated_at=timezone.now())


def remove(user, pk: int, paper: Paper) -> bool:
    with transaction.atomic():
        collection = _locked(user, pk)
        removed = CollectionItem.objects.filter(collection=collection, paper=paper).delete()[0] > 0
        if removed:
            _touch(collection)
    return removed


def set_note(user, pk: int, paper: Paper, note: str) -> None:
    if len(note or "") > MAX_NOTE:
        raise ValidationError(f"A note can have at most {MAX_NOTE} characters.")
    with transaction.atomic():
        collection = _locked(user, pk)
        if not CollectionItem.objects.filter(collection=collection, paper=paper).update(note=(note or "").strip()):
            raise ValidationError(f"{paper.arxiv_id} is not in “{collection.name}”.")
        _touch(collection)


def move_item(user, pk: int, paper: Paper, offset: int) -> None:
    with transaction.atomic():
        collection = _locked(user, pk)
        _touch(collection)
        rows = list(CollectionItem.objects.select_for_update().filter(collection=collection))
        index = next((i for i, item in enumerate(rows) if item.paper_id == paper.pk), None)
        if index is None:
            raise ValidationError(f"{paper.arxiv_id} is not in “{collection.name}”.")
        for position, item in enumerate(_move(rows, index, offset)):
            if item.position != position:
                CollectionItem.objects.filter(pk=item.pk).update(position=position)


def share(user, pk: int, on: bool, notes: bool = False) -> Collection:
    """Turn the public link on (a new unguessable token each time) or off (the old link stops working).
    Notes are shown on the shared page only when ``notes`` says so."""
    collection = get(user, pk)
    collection.share_token = secrets.token_urlsafe(24) if on else ""
    collection.share_notes = bool(on and notes)
    collection.save(update_fields=["share_token", "share_notes", "updated_at"])
    return collection


def shared(token: str) -> Collection:
    if not token:
        raise Collection.DoesNotExist
    return Collection.objects.select_related("user").get(share_token=token)


def saved_paper_ids(user, paper_ids: Sequence[int]) -> dict[int, set[int]]:
    """For each of these papers, the ids of the user's collections holding it: one query."""
    result: dict[int, set[int]] = {}
    rows = CollectionItem.objects.filter(collection__user=user, paper_id__in=list(paper_ids))
    for paper_id, collection_id in rows.values_list("paper_id", "collection_id"):
        result.setdefault(paper_id, set()).add(collection_id)
    return result


def in_default(user, paper_ids: Sequence[int]) -> set[int]:
    """Which of these papers are in the user's default collection (the list cards' save button): one query."""
    return set(
        CollectionItem.objects.filter(
            collection__user=user, collection__name=DEFAULT_COLLECTION, paper_id__in=list(paper_ids)
        ).values_list("paper_id", flat=True)
    )
