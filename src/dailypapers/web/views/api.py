"""The JSON API (django-ninja): Hugging Face-compatible reads, token-authenticated writes.

OpenAPI docs at /api/docs. Write endpoints take ``Authorization: Bearer <token>`` (tokens
are made on the account page), so they need no CSRF token: no cookie authenticates them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

import orjson
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import NinjaAPI, Schema, Status
from ninja.errors import HttpError
from ninja.renderers import BaseRenderer
from ninja.security import HttpBearer

from dailypapers.web import search_adapter
from dailypapers.web.services import comments as comment_service
from dailypapers.web.services import hf_shape, listings, submissions, tokens, votes
from dailypapers.web.services.ratelimit import RateLimited



class OrjsonRenderer(BaseRenderer):
    """orjson instead of json with NinjaJSONEncoder: several times faster on a 50-item list.

    Every payload here is plain dicts, lists, strings and numbers (hf_shape formats dates itself).
    """

    media_type = "application/json"

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> bytes:
        return orjson.dumps(data)


api = NinjaAPI(title="dailypapers API", version="1", urls_namespace="api", renderer=OrjsonRenderer(),
               description="Hugging Face-compatible daily papers API, plus votes, comments and submissions.")
MAX_LIMIT = 100


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        return tokens.user_for(token)


@api.exception_handler(RateLimited)
def _rate_limited(request, exc: RateLimited):
    response = api.create_response(request, {"detail": str(exc)}, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(ValidationError)
def _invalid(request, exc: ValidationError):
    return api.create_response(request, {"detail": " ".join(exc.messages)}, status=400)


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc: PermissionDenied):
    return api.create_response(request, {"detail": str(exc) or "forbidden"}, status=403)


def _period(date: str | None, week: str | None, month: str | None) -> tuple[str, dt.date | None]:
    try:
        if week:
            return "week", listings.parse_period("week", week).start
        if month:
            return "month", listings.parse_period("month", month).start
        return "day", dt.date.fromisoformat(date) if date else None
    except ValueError as exc:
        raise HttpError(400, str(exc)) from exc


@api.get("/daily_papers", summary="Papers featured on a day, ISO week or month (Hugging Face's shape)")
def daily_papers(request: HttpRequest, response: HttpResponse, date: str | None = None, week: str | None = None,
                 month: str | None = None, sort: str = "publishedAt", p: int = 0, limit: int = 50,
                 category: str | None = None):
    kind, anchor = _period(date, week, month)
    limit = max(1, min(limit, MAX_LIMIT))
    p = max(0, p)
    order = "trending" if sort == "trending" else "newest"
    if kind == "day":
        anchor = listings.last_listing_day(anchor) or anchor
    if anchor is None:
        return []
    period = listings.Period.containing(kind, anchor)
    page = listings.period_papers(period, listings.clean_category(category), order, p, limit, count=False)
    if page.has_next:
        params = {k: v for k, v in request.GET.items() if k != "p"}
        params["p"] = str(p + 1)
        response["Link"] = f'<{request.build_absolute_uri(request.path)}?{urlencode(params)}>; rel="next"'
    return [hf_shape.daily_item(paper, hf_shape.first_entry(paper)) for paper in page.papers]


@api.get("/papers/search", summary="Search papers (hybrid keyword + semantic ranking; 400 with a message for a query that cannot run)")
def search(request: HttpRequest, q: str = "", limit: int = 20, p: int = 0, category: str | None = None):
    limit = max(1, min(limit, MAX_LIMIT))
    cat = listings.clean_category(category)
    filters = search_adapter.SearchFilters(categories=(cat,) if cat else ())
    try:
        papers, _ = search_adapter.search_papers(q, filters, "relevance", limit, max(0, p) * limit)
    except search_adapter.SearchError as exc:
        raise HttpError(400, str(exc)) from exc
    return [hf_shape.daily_item(paper) for paper in papers]


def _paper(paper_id: str):
    return get_object_or_404(listings.with_stats(listings.visible_papers()), arxiv_id=paper_id)


class VoteOut(Schema):
    voted: bool
    upvotes: int
    communityUpvotes: int
    hfUpvotes: int


class CommentIn(Schema):
    body: str
    parent: int | None = None


class CommentOut(Schema):
    id: int
    body: str
    html: str
    parent: int | None


class SubmitIn(Schema):
    arxiv: str  # an arXiv id or arXiv URL


def _vote(request: HttpRequest, paper_id: str, want: bool) -> VoteOut:
    result = votes.cast(request.auth, _paper(paper_id), want)
    return VoteOut(voted=result.voted, upvotes=result.total, communityUpvotes=result.community_votes,
                   hfUpvotes=result.hf_votes)


@api.post("/papers/{path:paper_id}/vote", auth=TokenAuth(), response=VoteOut, summary="Vote for a paper")
def vote(request: HttpRequest, paper_id: str):
    return _vote(request, paper_id, True)


@api.delete("/papers/{path:paper_id}/vote", auth=TokenAuth(), response=VoteOut, summary="Take your vote back")
def unvote(request: HttpRequest, paper_id: str):
    return _vote(request, paper_id, False)


@api.post("/papers/{path:paper_id}/comments", auth=TokenAuth(), response={201: CommentOut},
          summary="Comment on a paper (Markdown subset)")
def comment(request: HttpRequest, paper_id: str, data: CommentIn):
    made = comment_service.add(request.auth, _paper(paper_id), data.body, data.parent)
    return Status(201, CommentOut(id=made.pk, body=made.body, html=made.body_html, parent=made.parent_id))


@api.post("/submit", auth=TokenAuth(), summary="Submit a paper to today's list by arXiv id or URL")
def submit(request: HttpRequest, data: SubmitIn):
    result = submissions.submit(request.auth, data.arxiv)
    paper = listings.with_stats(listings.visible_papers()).filter(pk=result.paper.pk).first()
    if paper is None:
        raise Http404("paper hidden")
    return {"created": result.created, "paper": hf_shape.paper_item(paper)}


from dailypapers.library.api import router as library_router  # noqa: E402 (it needs TokenAuth above)

api.add_router("/", library_router)


# Last: its greedy {path:} would otherwise swallow .../vote and .../comments.
@api.get("/papers/{path:paper_id}", summary="One paper")
def paper(request: HttpRequest, paper_id: str):
    return hf_shape.paper_item(_paper(paper_id))
