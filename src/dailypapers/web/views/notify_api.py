"""The JSON API for follows, notifications and authorship claims (token auth, like every write)."""

from __future__ import annotations

from typing import Literal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field, model_validator

from dailypapers import ratelimit
from dailypapers.community import claims
from dailypapers.community.models import AuthorClaim
from dailypapers.community.tokens import TokenAuth
from dailypapers.lists import paging
from dailypapers.notify import follows, queries
from dailypapers.notify.models import Follow, Notification
from dailypapers.store.visibility import shown_papers

router = Router(tags=["notifications"])

FollowKind = Literal["author", "org", "category", "paper"]


class NotifyError(Schema):
    error: str
    detail: str | None = None


AUTH_ERRORS = {400: NotifyError, 401: NotifyError, 403: NotifyError, 404: NotifyError, 429: NotifyError}


def _auth():
    return TokenAuth()


class NotificationOut(Schema):
    id: int
    kind: str
    text: str
    url: str
    created_at: str
    read: bool


class NotificationsOut(Schema):
    unread: int
    items: list[NotificationOut]


class ReadIn(Schema):
    """A JSON object: ``[null, null]`` would otherwise read as "mark all read"."""

    model_config = ConfigDict(strict=True, json_schema_extra={"examples": [{"ids": []}]})
    ids: list[int] = Field(default_factory=list, max_length=1000)  # empty: all

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, value):
        if not isinstance(getattr(value, "_obj", value), dict):  # ninja hands it over in a DjangoGetter
            raise ValueError("the body must be a JSON object")
        return value


class ReadOut(Schema):
    marked: int


class FollowIn(Schema):
    model_config = ConfigDict(strict=True, json_schema_extra={"examples": [{"kind": "category", "value": "cs.CL"}]})
    kind: FollowKind
    value: str = Field(min_length=1, max_length=300)


class FollowOut(Schema):
    kind: str
    target: str
    label: str


class ClaimIn(Schema):
    model_config = ConfigDict(
        strict=True, json_schema_extra={"examples": [{"arxiv_id": "2608.13210", "author": "Yuheng Huang"}]}
    )
    arxiv_id: str = Field(min_length=1, max_length=64)
    author: str = Field(min_length=1, max_length=300)


class ClaimOut(Schema):
    id: int
    arxiv_id: str
    author: str
    status: str
    method: str


def _note(n: Notification) -> NotificationOut:
    return NotificationOut(
        id=n.pk, kind=n.kind, text=n.text, url=n.url, created_at=n.created_at.isoformat(), read=n.read_at is not None
    )


def _follow(f: Follow) -> FollowOut:
    return FollowOut(kind=f.kind, target=f.target, label=f.label)


def _claim(c: AuthorClaim) -> ClaimOut:
    return ClaimOut(id=c.pk, arxiv_id=c.paper.arxiv_id, author=c.author_name, status=c.status, method=c.method)


@router.get(
    "/notifications", auth=_auth(), response={200: NotificationsOut, **AUTH_ERRORS}, summary="Your notifications"
)
def list_notifications(request: HttpRequest, p: int = Query(0, ge=0, le=paging.MAX_OFFSET // queries.PAGE_SIZE)):
    rows, _ = queries.page(request.auth, p)
    return NotificationsOut(unread=queries.unread_count(request.auth), items=[_note(n) for n in rows])


@router.post(
    "/notifications/read",
    auth=_auth(),
    response={200: ReadOut, **AUTH_ERRORS},
    summary="Mark notifications read (all, or these ids)",
)
def read_notifications(request: HttpRequest, data: ReadIn):
    ratelimit.limit_write(request.auth)
    return ReadOut(marked=queries.mark_read(request.auth, data.ids or None))


@router.get("/follows", auth=_auth(), response={200: list[FollowOut], **AUTH_ERRORS}, summary="What you follow")
def list_follows(request: HttpRequest):
    return [_follow(f) for f in queries.follows(request.auth)]


@router.post("/follows", auth=_auth(), response={201: FollowOut, **AUTH_ERRORS}, summary="Follow something")
def add_follow(request: HttpRequest, data: FollowIn):
    ratelimit.limit_write(request.auth)
    return Status(201, _follow(follows.follow(request.auth, data.kind, data.value)))


class UnfollowOut(Schema):
    deleted: bool


@router.delete(
    "/follows/{kind}", auth=_auth(), response={200: UnfollowOut, **AUTH_ERRORS}, summary="Stop following something"
)
def remove_follow(request: HttpRequest, kind: FollowKind, value: str = Query(..., min_length=1, max_length=300)):
    ratelimit.limit_write(request.auth)
    return UnfollowOut(deleted=follows.unfollow(request.auth, kind, value))


@router.get("/claims", auth=_auth(), response={200: list[ClaimOut], **AUTH_ERRORS}, summary="Your authorship claims")
def list_claims(request: HttpRequest):
    return [_claim(c) for c in claims.claims_of(request.auth)]


@router.post("/claims", auth=_auth(), response={201: ClaimOut, **AUTH_ERRORS}, summary="Claim authorship of a paper")
def add_claim(request: HttpRequest, data: ClaimIn):
    paper = get_object_or_404(shown_papers(), arxiv_id=data.arxiv_id)
    return Status(201, _claim(claims.claim(request.auth, paper, data.author)))
