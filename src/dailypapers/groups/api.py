"""Groups and meetings in the JSON API (token auth). A private group is a 404 to anyone not in it."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Path, Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from dailypapers import ratelimit
from dailypapers.community.tokens import TokenAuth
from dailypapers.groups import activity, export, meetings, membership, shared
from dailypapers.groups.models import Group, Meeting, SharedCollection

# A new collection and a paper with its note are the same bodies as the library's own.
from dailypapers.library.api import CollectionIn, SaveIn
from dailypapers.store.models import Paper
from dailypapers.store.visibility import shown_papers

router = Router(tags=["groups"])


class GroupError(Schema):
    error: str
    detail: str | None = None


AUTH_ERRORS = {400: GroupError, 401: GroupError, 403: GroupError, 404: GroupError, 429: GroupError}
BIBTEX = {
    "responses": {200: {"description": "BibTeX", "content": {"application/x-bibtex": {"schema": {"type": "string"}}}}}
}
# Examples name the group, collection and meeting tests/test_api_schema.py makes for the fuzz reader.
Slug = Annotated[str, Path(..., max_length=120, examples=["fuzz-lab"])]
CollectionId = Annotated[int, Path(..., ge=1, le=2**31 - 1, examples=[4545])]
MeetingId = Annotated[int, Path(..., ge=1, le=2**31 - 1, examples=[4646])]


class GroupAuth(TokenAuth):
    """The token check, and each write counted against the user's write rate."""

    def authenticate(self, request: HttpRequest, token: str):
        user = super().authenticate(request, token)
        if user is not None and request.method not in ("GET", "HEAD", "OPTIONS"):
            ratelimit.limit_write(user)
        return user


def _auth():
    return GroupAuth()


class GroupOut(Schema):
    slug: str
    name: str
    description: str
    private: bool
    digest: str
    role: str | None
    members: int


class GroupIn(Schema):
    model_config = ConfigDict(strict=True, json_schema_extra={"examples": [{"name": "Vision lab", "private": True}]})
    name: str = Field(min_length=1, max_length=100)
    description: str = Field("", max_length=5000)
    private: bool = True


class MemberOut(Schema):
    username: str
    role: str
    joined_at: dt.datetime


class InviteIn(Schema):
    model_config = ConfigDict(strict=True, json_schema_extra={"examples": [{"email": "ben@example.org"}]})
    email: str = Field(max_length=254)


class InviteOut(Schema):
    token: str
    email: str
    mail: str  # what the mail did: sent, queued, kept or failed ("" for a link)


class CollectionOut(Schema):
    id: int
    name: str
    papers: int


class ItemOut(Schema):
    arxiv_id: str
    title: str
    note: str
    added_by: str | None
    added_at: dt.datetime


class FeedOut(Schema):
    arxiv_id: str
    title: str
    score: float
    saved_by: list[str]
    upvoted_by: list[str]
    discussed_by: list[str]


class MeetingIn(Schema):
    model_config = ConfigDict(
        strict=True,
        json_schema_extra={"examples": [{"arxiv_id": "2608.13210", "starts_at": "2030-01-15T16:00:00Z"}]},
    )
    arxiv_id: str = Field(max_length=64)
    # A string read by _starts_at (strict: a number is no time), with its zone: "2030-01-15T16:00:00Z".
    starts_at: str = Field(max_length=40, json_schema_extra={"format": "date-time"})
    presenter: str | None = Field(None, max_length=150)  # a member's username
    minutes: int = Field(60, ge=1, le=meetings.MAX_MINUTES)
    location: str = Field("", max_length=200)
    notes_url: str = Field("", max_length=500)
    slides_url: str = Field("", max_length=500)


def _starts_at(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(
            "starts_at is an ISO 8601 date and time with its zone, e.g. 2030-01-15T16:00:00Z."
        ) from None
    if value.tzinfo is None:
        raise ValidationError("starts_at needs its time zone, e.g. 2030-01-15T16:00:00Z or +01:00.")
    return value


class MeetingOut(Schema):
    id: int
    arxiv_id: str
    title: str
    starts_at: dt.datetime
    minutes: int
    presenter: str | None
    location: str
    notes_url: str
    slides_url: str


def _group(request: HttpRequest, slug: str) -> tuple[Group, str | None]:
    try:
        return membership.find(request.auth, slug)
    except Group.DoesNotExist:
        raise Http404("No such group.") from None


def _member(request: HttpRequest, slug: str) -> Group:
    try:
        return membership.for_member(request.auth, slug)[0]
    except Group.DoesNotExist:
        raise Http404("No such group.") from None


def _paper(arxiv_id: str) -> Paper:
    found = shown_papers().filter(arxiv_id=arxiv_id).first()
    if found is None:
        raise Http404("No such paper.")
    return found


def _collection(group: Group, pk: int) -> SharedCollection:
    try:
        return shared.get(group, pk)
    except SharedCollection.DoesNotExist:
        raise Http404("No such collection.") from None


def _meeting_out(m: Meeting) -> MeetingOut:
    return MeetingOut(
        id=m.pk,
        arxiv_id=m.paper.arxiv_id,
        title=m.paper.title,
        starts_at=m.starts_at,
        minutes=m.minutes,
        presenter=m.presenter.username if m.presenter else None,
        location=m.location,
        notes_url=m.notes_url,
        slides_url=m.slides_url,
    )


@router.get("/groups", auth=_auth(), response={200: list[GroupOut], **AUTH_ERRORS}, summary="Your groups")
def list_groups(request: HttpRequest):
    return [
        GroupOut(
            slug=g.slug,
            name=g.name,
            description=g.description,
            private=g.private,
            digest=g.digest,
            role=membership.role_of(request.auth, g),
            members=g.size,
        )
        for g in membership.member_of(request.auth).order_by("name")
    ]


@router.post("/groups", auth=_auth(), response={201: GroupOut, **AUTH_ERRORS}, summary="Create a group")
def create_group(request: HttpRequest, data: GroupIn):
    g = membership.create(request.auth, data.name, data.description, data.private)
    return Status(
        201,
        GroupOut(
            slug=g.slug,
            name=g.name,
            description=g.description,
            private=g.private,
            digest=g.digest,
            role="owner",
            members=1,
        ),
    )


@router.get("/groups/{slug}", auth=_auth(), response={200: GroupOut, **AUTH_ERRORS}, summary="One group")
def get_group(request: HttpRequest, slug: Slug):
    g, role = _group(request, slug)
    count = membership.members(g).count()
    return GroupOut(
        slug=g.slug,
        name=g.name,
        description=g.description,
        private=g.private,
        digest=g.digest,
        role=role,
        members=count,
    )


@router.get(
    "/groups/{slug}/members", auth=_auth(), response={200: list[MemberOut], **AUTH_ERRORS}, summary="A group's members"
)
def list_members(request: HttpRequest, slug: Slug):
    g, _ = _group(request, slug)
    return [
        MemberOut(username=m.user.username, role=m.role, joined_at=m.joined_at) for m in membership.members(g)[:1000]
    ]


@router.post(
    "/groups/{slug}/invitations",
    auth=_auth(),
    response={201: InviteOut, **AUTH_ERRORS},
    summary="Invite someone by email (owners)",
)
def invite(request: HttpRequest, slug: Slug, data: InviteIn):
    _member(request, slug)
    ratelimit.limit_mail(request)
    made, state = membership.invite_email(
        request.auth,
        slug,
        data.email,
        lambda token: settings.BASE_URL.rstrip("/") + reverse("groups:join", args=[token]),
    )
    return Status(201, InviteOut(token=made.token, email=made.email, mail=state))


@router.get("/groups/{slug}/feed", auth=_auth(), response={200: list[FeedOut], **AUTH_ERRORS}, summary="A group's feed")
def feed(request: HttpRequest, slug: Slug, limit: Annotated[int, Query(ge=1, le=100)] = 30):
    g, _ = _group(request, slug)
    items, _ = activity.feed(g, limit=limit)
    return [
        FeedOut(
            arxiv_id=i.paper.arxiv_id,
            title=i.paper.title,
            score=i.score,
            saved_by=i.saved_by,
            upvoted_by=i.upvoted_by,
            discussed_by=i.discussed_by,
        )
        for i in items
    ]


@router.get(
    "/groups/{slug}/collections",
    auth=_auth(),
    response={200: list[CollectionOut], **AUTH_ERRORS},
    summary="Shared collections",
)
def list_collections(request: HttpRequest, slug: Slug):
    g, _ = _group(request, slug)
    return [CollectionOut(id=c.pk, name=c.name, papers=c.size) for c in shared.collections(g)]


@router.post(
    "/groups/{slug}/collections",
    auth=_auth(),
    response={201: CollectionOut, **AUTH_ERRORS},
    summary="Create a shared collection",
)
def create_collection(request: HttpRequest, slug: Slug, data: CollectionIn):
    made = shared.create(_member(request, slug), data.name)
    return Status(201, CollectionOut(id=made.pk, name=made.name, papers=0))


@router.get(
    "/groups/{slug}/collections/{pk}/papers",
    auth=_auth(),
    response={200: list[ItemOut], **AUTH_ERRORS},
    summary="The papers of a shared collection",
)
def collection_papers(request: HttpRequest, slug: Slug, pk: CollectionId):
    g, _ = _group(request, slug)
    return [
        ItemOut(
            arxiv_id=i.paper.arxiv_id,
            title=i.paper.title,
            note=i.note,
            added_by=i.added_by.username if i.added_by else None,
            added_at=i.added_at,
        )
        for i in shared.items(_collection(g, pk))[:1000]
    ]


@router.post(
    "/groups/{slug}/collections/{pk}/papers",
    auth=_auth(),
    response={201: ItemOut, **AUTH_ERRORS},
    summary="Save a paper to a shared collection, with a note",
)
def collection_add(request: HttpRequest, slug: Slug, pk: CollectionId, data: SaveIn):
    g = _member(request, slug)
    chosen = _collection(g, pk)
    paper = _paper(data.arxiv_id)
    shared.add(chosen, paper, request.auth, data.note)
    item = shared.items(chosen).get(paper=paper)
    return Status(
        201,
        ItemOut(
            arxiv_id=paper.arxiv_id,
            title=paper.title,
            note=item.note,
            added_by=item.added_by.username if item.added_by else None,
            added_at=item.added_at,
        ),
    )


@router.get(
    "/groups/{slug}/bibtex",
    auth=_auth(),
    response={200: str, **AUTH_ERRORS},
    openapi_extra=BIBTEX,
    summary="A group's shared papers as BibTeX",
)
def bibtex(request: HttpRequest, slug: Slug):
    g, _ = _group(request, slug)
    return HttpResponse(export.group_bibtex(g), content_type="application/x-bibtex; charset=utf-8")


@router.get(
    "/groups/{slug}/meetings",
    auth=_auth(),
    response={200: list[MeetingOut], **AUTH_ERRORS},
    summary="Upcoming meetings",
)
def list_meetings(request: HttpRequest, slug: Slug, archive: bool = False):
    g, _ = _group(request, slug)
    rows = meetings.archive(g) if archive else meetings.upcoming(g)
    return [_meeting_out(m) for m in rows[:200]]


@router.post(
    "/groups/{slug}/meetings", auth=_auth(), response={201: MeetingOut, **AUTH_ERRORS}, summary="Schedule a meeting"
)
def schedule(request: HttpRequest, slug: Slug, data: MeetingIn):
    g = _member(request, slug)
    presenter_id = None
    if data.presenter:
        presenter_id = (
            membership.members(g).filter(user__username=data.presenter).values_list("user_id", flat=True).first()
        )
        if presenter_id is None:
            raise Http404("No such member.")
    made = meetings.schedule(
        g,
        request.auth,
        _paper(data.arxiv_id),
        _starts_at(data.starts_at),
        presenter_id=presenter_id,
        minutes=data.minutes,
        location=data.location,
        notes_url=data.notes_url,
        slides_url=data.slides_url,
    )
    return Status(201, _meeting_out(meetings.get(g, made.pk)))


@router.get(
    "/groups/{slug}/meetings/{pk}", auth=_auth(), response={200: MeetingOut, **AUTH_ERRORS}, summary="One meeting"
)
def get_meeting(request: HttpRequest, slug: Slug, pk: MeetingId):
    g, _ = _group(request, slug)
    try:
        return _meeting_out(meetings.get(g, pk))
    except Meeting.DoesNotExist:
        raise Http404("No such meeting.") from None
