"""Collections: create, rename, delete, reorder, save and remove papers, notes, sharing.

Every function takes the owner and refuses (Collection.DoesNotExist) anything that is not theirs,
so the views and the API need no checks of their own.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

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


def delete(user, pk: int) -> str:
    collection = get(user, pk)
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
    """Save a paper into a collection (at the end). False when it was there already."""
    collection = get(user, pk)
    last = CollectionItem.objects.filter(collection=collection).aggregate(m=Max("position"))["m"]
    try:
        with transaction.atomic():
            CollectionItem.objects.create(
                collection=collection,
                paper=paper,
                note=(note or "")[:MAX_NOTE],
                position=(last if last is not None else -1) + 1,
            )
    except IntegrityError:
        return False
    Collection.objects.filter(pk=collection.pk).update(updated_at=timezone.now())
    return True


def remove(user, pk: int, paper: Paper) -> bool:
    collection = get(user, pk)
    return CollectionItem.objects.filter(collection=collection, paper=paper).delete()[0] > 0


def set_note(user, pk: int, paper: Paper, note: str) -> None:
    collection = get(user, pk)
    if len(note or "") > MAX_NOTE:
        raise ValidationError(f"A note can have at most {MAX_NOTE} characters.")
    if not CollectionItem.objects.filter(collection=collection, paper=paper).update(note=(note or "").strip()):
        raise ValidationError(f"{paper.arxiv_id} is not in “{collection.name}”.")


def move_item(user, pk: int, paper: Paper, offset: int) -> None:
    collection = get(user, pk)
    with transaction.atomic():
        rows = list(CollectionItem.objects.select_for_update().filter(collection=collection))
        index = next((i for i, item in enumerate(rows) if item.paper_id == paper.pk), None)
        if index is None:
            raise ValidationError(f"{paper.arxiv_id} is not in “{collection.name}”.")
        for position, item in enumerate(_move(rows, index, offset)):
            if item.position != position:
                CollectionItem.objects.filter(pk=item.pk).update(position=position)


def share(user, pk: int, on: bool) -> Collection:
    """Turn the public link on (a new unguessable token each time) or off (the old link stops working)."""
    collection = get(user, pk)
    collection.share_token = secrets.token_urlsafe(24) if on else ""
    collection.save(update_fields=["share_token", "updated_at"])
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


def all_saved_ids(user) -> set[int]:
    return set(CollectionItem.objects.filter(collection__user=user).values_list("paper_id", flat=True))
