"""The library's JSON API (token auth): collections, their BibTeX, saving papers, reader marks (under
/signals/, the API's published path); a paper's BibTeX."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Path, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.security import django_auth
from pydantic import ConfigDict, Field, model_validator

from dailypapers import periods, ratelimit
from dailypapers.community import marks
from dailypapers.community.tokens import TokenAuth
from dailypapers.library import imports, paper_collections, searches, transfer
from dailypapers.library.models import Collection, SavedSearch
from dailypapers.lists import hf_shape, listings
from dailypapers.store import listing_days
from dailypapers.store.visibility import shown_papers

router = Router(tags=["library"])


class LibraryError(Schema):
    """The API's error shape (web/views/api.py's handlers write it): ``error``, and ``detail`` too."""

    error: str
    detail: str | None = None


ERRORS = {400: LibraryError, 404: LibraryError}
AUTH_ERRORS = {400: LibraryError, 401: LibraryError, 403: LibraryError, 404: LibraryError, 429: LibraryError}


class LibraryAuth(TokenAuth):
    """The token check, and each write by its user counted against DAILYPAPERS_LIBRARY_RATE."""

    def authenticate(self, request: HttpRequest, token: str):
        user = super().authenticate(request, token)
        if user is not None and request.method not in ("GET", "HEAD", "OPTIONS"):
            ratelimit.limit_library(user)
        return user


def _auth():
    return LibraryAuth()


def _auth_or_session():
    """Reads a signed-in owner may open from the site's own pages (the saved-search page's JSON link):
    a bearer token, else the session. Only for GETs: a session write would need a CSRF token."""
    return [_auth(), django_auth]


# Examples name a recorded paper and the ids tests/test_api_schema.py gives the fuzz reader's
# collection and saved search, so schemathesis reaches each operation's success, not only its 404.
PaperId = Annotated[str, Path(..., examples=["2608.13210"])]
CollectionId = Annotated[int, Path(..., ge=1, le=2**31 - 1, examples=[4242])]
SearchId = Annotated[int, Path(..., ge=1, le=2**31 - 1, examples=[4343])]


class _Body(Schema):
    """A JSON object: with every field optional, ``[null, null]`` would otherwise read as no change."""

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, value):
        if not isinstance(getattr(value, "_obj", value), dict):  # ninja hands it over in a DjangoGetter
            raise ValueError("the body must be a JSON object")
        return value


# The BibTeX operations answer text, not JSON: declared so (openapi_extra merges into the 200).
BIBTEX = {
    "responses": {200: {"description": "BibTeX", "content": {"application/x-bibtex": {"schema": {"type": "string"}}}}}
}


class CollectionOut(Schema):
    id: int
    name: str
    papers: int
    shared: bool


class CollectionIn(Schema):
    model_config = ConfigDict(strict=True, json_schema_extra={"examples": [{"name": "To read"}]})
    name: str = Field(min_length=1, max_length=200)


class SaveIn(Schema):
    model_config = ConfigDict(strict=True, json_schema_extra={"examples": [{"arxiv_id": "2608.13210", "note": ""}]})
    arxiv_id: str = Field(max_length=64)
    note: str = Field("", max_length=10_000)


# strict bodies: wrong types (``"read": "no"``) are a 400, not coerced
class SignalIn(_Body):
    model_config = ConfigDict(strict=True, json_schema_extra={"examples": [{"not_interested": True, "read": True}]})
    not_interested: bool | None = None
    read: bool | None = None


class ImportIn(Schema):
    model_config = ConfigDict(strict=True, json_schema_extra={"examples": [{"text": "2608.13210"}]})
    text: str = Field(max_length=10_000_000)  # BibTeX, or arXiv ids / URLs; DAILYPAPERS_LIBRARY_IMPORT_MAX_KB caps it


def _mine(request: HttpRequest, pk: int) -> Collection:
    try:
        return paper_collections.get(request.auth, pk)
    except Collection.DoesNotExist:
        raise Http404("No such collection.") from None


def _bib(text: str) -> HttpResponse:
    return HttpResponse(text, content_type="application/x-bibtex; charset=utf-8")


def _paper(paper_id: str):
    return get_object_or_404(shown_papers(), arxiv_id=paper_id)


def _out(c: Collection, size: int) -> CollectionOut:
    return CollectionOut(id=c.pk, name=c.name, papers=size, shared=bool(c.share_token))


@router.get(
    "/collections", auth=_auth(), response={200: list[CollectionOut], **AUTH_ERRORS}, summary="Your collections"
)
def list_collections(request: HttpRequest):
    return [_out(c, c.size) for c in paper_collections.owned(request.auth)]


@router.post("/collections", auth=_auth(), response={201: CollectionOut, **AUTH_ERRORS}, summary="Create a collection")
def create_collection(request: HttpRequest, data: CollectionIn):
    return Status(201, _out(paper_collections.create(request.auth, data.name), 0))


@router.get(
    "/collections/{pk}",
    auth=_auth(),
    response={200: Any, **AUTH_ERRORS},
    summary="A collection's papers, in order, with notes",
)
def get_collection(request: HttpRequest, pk: CollectionId):
    found = _mine(request, pk)
    items = [
        {"id": i.paper.arxiv_id, "title": i.paper.title, "note": i.note, "added": i.added_at.isoformat()}
        for i in paper_collections.items(found)
    ]
    return {"id": found.pk, "name": found.name, "shared": bool(found.share_token), "papers": items}


class CollectionPatch(_Body):
    model_config = ConfigDict(strict=True, json_schema_extra={"examples": [{"name": "Reading list", "shared": True}]})
    name: str | None = None
    shared: bool | None = None
    share_notes: bool | None = None  # with shared: true, show the notes on the public page (default: private)


class NoteIn(Schema):
    model_config = ConfigDict(strict=True, json_schema_extra={"examples": [{"note": "Read section 3."}]})
    note: str = Field(max_length=10_000)


@router.patch(
    "/collections/{pk}",
    auth=_auth(),
    response={200: Any, **AUTH_ERRORS},
    summary="Rename a collection, or turn its public link on or off",
)
def patch_collection(request: HttpRequest, pk: CollectionId, data: CollectionPatch):
    found = _mine(request, pk)
    if data.name is not None:
        found = paper_collections.rename(request.auth, found.pk, data.name)
    if data.shared is not None:
        found = paper_collections.share(request.auth, found.pk, data.shared, notes=bool(data.share_notes))
    path = reverse("library:shared", args=[found.share_token]) if found.share_token else None
    return {
        "id": found.pk,
        "name": found.name,
        "shared": bool(found.share_token),
        "share_notes": found.share_notes,
        "url": settings.BASE_URL + path if path else None,
    }


@router.delete("/collections/{pk}", auth=_auth(), response={200: Any, **AUTH_ERRORS}, summary="Delete a collection")
def delete_collection(request: HttpRequest, pk: CollectionId):
    found = _mine(request, pk)
    return {"deleted": paper_collections.delete(request.auth, found.pk)}


@router.put(
    "/collections/{pk}/papers/{path:paper_id}/note",
    auth=_auth(),
    response={200: Any, **AUTH_ERRORS},
    summary="Set the note on a saved paper",
)
def put_note(request: HttpRequest, pk: CollectionId, paper_id: PaperId, data: NoteIn):
    found = _mine(request, pk)
    paper_collections.set_note(request.auth, found.pk, _paper(paper_id), data.note)
    return {"note": data.note.strip()}


@router.get(
    "/collections/{pk}/bibtex",
    auth=_auth(),
    response={200: Any, **AUTH_ERRORS},
    summary="A collection as BibTeX",
    openapi_extra=BIBTEX,
)
def collection_bibtex(request: HttpRequest, pk: CollectionId):
    return _bib(transfer.export_collection(_mine(request, pk)))


@router.post(
    "/collections/{pk}/papers",
    auth=_auth(),
    response={200: Any, **AUTH_ERRORS},
    summary="Save a paper into a collection",
)
def save_paper(request: HttpRequest, pk: CollectionId, data: SaveIn):
    found = _mine(request, pk)
    added = paper_collections.add(request.auth, found.pk, _paper(data.arxiv_id), data.note)
    return {"saved": True, "added": added}


@router.delete(
    "/collections/{pk}/papers/{path:paper_id}",
    auth=_auth(),
    response={200: Any, **AUTH_ERRORS},
    summary="Take a paper out of a collection",
)
def remove_paper(request: HttpRequest, pk: CollectionId, paper_id: PaperId):
    found = _mine(request, pk)
    return {"removed": paper_collections.remove(request.auth, found.pk, _paper(paper_id))}


@router.post(
    "/collections/{pk}/import",
    auth=_auth(),
    response={200: Any, 202: Any, **AUTH_ERRORS},
    summary="Import BibTeX or arXiv ids into a collection",
)
def import_papers(request: HttpRequest, pk: CollectionId, data: ImportIn, fetch: bool = False):
    """Small imports run at once (200); larger ones are queued for the worker (202, with the import's
    id; the collection page shows its progress). At most MAX_REPORTED sentences come back; the
    counts say how many there were."""
    found = _mine(request, pk)
    try:
        outcome = imports.start(request.auth, found.pk, data.text, fetch=fetch)
    except transfer.ImportRefused as exc:
        raise HttpError(400, str(exc)) from None
    if not isinstance(outcome, transfer.ImportResult):
        return Status(202, {"queued": True, "import": outcome.pk, "entries": outcome.total})
    return {
        "added": outcome.added,
        "already": outcome.already,
        "fetched": outcome.fetched,
        "missing": outcome.missing,
        "errors": outcome.errors,
        "missing_count": outcome.missing_count,
        "error_count": outcome.error_count,
        "stopped": outcome.stopped,
    }


@router.post(
    "/signals/{path:paper_id}",
    auth=_auth(),
    response={200: Any, **AUTH_ERRORS},
    summary="Mark a paper not interested and/or read",
)
def set_signal(request: HttpRequest, paper_id: PaperId, data: SignalIn):
    paper = _paper(paper_id)
    if data.not_interested is not None:
        marks.set_not_interested(request.auth, paper, data.not_interested)
    if data.read is not None:
        marks.mark_read(request.auth, paper, data.read)
    found = marks.mark_for(request.auth, paper)
    return {"not_interested": bool(found and found.not_interested), "read": bool(found and found.read_at)}


@router.get(
    "/bibtex/{path:paper_id}", response={200: Any, **ERRORS}, summary="One paper as BibTeX", openapi_extra=BIBTEX
)
def paper_bibtex(request: HttpRequest, paper_id: PaperId):
    return _bib(transfer.export_papers([_paper(paper_id)]))


@router.get(
    "/recommendations",
    auth=_auth(),
    response={200: Any, **AUTH_ERRORS},
    summary="For you: a ranking of a day's or week's papers, each with why",
)
def recommendations(
    request: HttpRequest,
    date: str | None = None,
    week: str | None = None,
    limit: int = Query(50, ge=1, le=100),
    hide_read: bool = False,
):
    from dailypapers.library import foryou  # scikit-learn and SciPy: kept out of every process's start-up

    period: periods.Period | None
    try:
        if week:
            period = periods.parse("week", week)
        else:
            day = listing_days.last_listing_day(dt.date.fromisoformat(date) if date else None)
            period = periods.Period.containing("day", day) if day else None
    except ValueError as exc:
        raise HttpError(400, f"{exc}.") from exc
    if period is None:
        return {"period": None, "personal": False, "note": "No papers have been featured yet.", "items": []}
    result = foryou.for_you(request.auth, period, limit=max(1, min(limit, 100)), hide_read=hide_read)
    papers = {
        p.arxiv_id: p
        for p in listings.with_stats(shown_papers()).filter(arxiv_id__in=[i.paper_id for i in result.items])
    }
    return {
        "period": period.slug,
        "personal": result.personal,
        "note": result.note,
        "items": [
            {"paper": hf_shape.paper_item(papers[i.paper_id]), "score": i.score, "why": i.why}
            for i in result.items
            if i.paper_id in papers
        ],
    }


@router.get("/searches", auth=_auth_or_session(), response={200: Any, **AUTH_ERRORS}, summary="Your saved searches")
def saved_searches(request: HttpRequest):
    return [{"id": s.pk, **_search_fields(s)} for s in SavedSearch.objects.filter(user=request.auth)]


def _search_fields(saved) -> dict:
    return {
        "name": saved.name,
        "query": saved.query,
        "category": saved.category,
        "author": saved.author,
        "from": saved.date_from.isoformat() if saved.date_from else None,
        "to": saved.date_to.isoformat() if saved.date_to else None,
        "sort": saved.sort,
        "mode": saved.mode,
    }


@router.get(
    "/searches/{pk}",
    auth=_auth_or_session(),
    response={200: Any, **AUTH_ERRORS},
    summary="A saved search's matches, newest marks included",
)
def saved_search(
    request: HttpRequest, pk: SearchId, limit: int = Query(50, ge=1, le=100), p: int = Query(0, ge=0, le=1000)
):
    saved = SavedSearch.objects.filter(user=request.auth, pk=pk).first()
    if saved is None:
        raise Http404("No such saved search.")
    limit = max(1, min(limit, 100))
    result = searches.run(saved, limit, max(0, p) * limit)
    if result.error:
        raise HttpError(400, result.error)
    return {
        "id": saved.pk,
        **_search_fields(saved),
        "total": result.total,
        "items": [{"paper": hf_shape.paper_item(paper), "new": paper.pk in result.new_ids} for paper in result.papers],
    }
