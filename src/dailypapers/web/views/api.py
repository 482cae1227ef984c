"""The JSON API (django-ninja): Hugging Face-compatible reads, token-authenticated writes.

OpenAPI docs at /api/docs. Write endpoints take ``Authorization: Bearer <token>`` (tokens
are made on the account page), so they need no CSRF token: no cookie authenticates them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import orjson
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI, Query, Schema, Status
from ninja import Path as PathEx
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.renderers import BaseRenderer
from pydantic import ConfigDict

from dailypapers import periods
from dailypapers.community import comments as comment_service
from dailypapers.community import submissions, votes
from dailypapers.community.tokens import TokenAuth
from dailypapers.groups.api import router as groups_router
from dailypapers.library.api import router as library_router
from dailypapers.library.models import Collection
from dailypapers.lists import hf_lists, hf_shape, listings, paging, search_requests
from dailypapers.ratelimit import RateLimited
from dailypapers.search.rules import QueryError
from dailypapers.store import listing_days
from dailypapers.store.visibility import shown_papers
from dailypapers.web.views.notify_api import router as notify_router


class OrjsonRenderer(BaseRenderer):
    """orjson instead of json with NinjaJSONEncoder: several times faster on a 50-item list.

    Every payload here is plain dicts, lists, strings and numbers (hf_shape formats dates itself).
    """

    media_type = "application/json"

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> bytes:
        return orjson.dumps(data)


class OrjsonParser(Parser):
    """orjson refuses what our database cannot store, a lone surrogate ("\\ud800") among it, so
    such a body is ninja's 400 "Cannot parse request body" instead of a 500 at the insert."""

    def parse_body(self, request: HttpRequest):
        return orjson.loads(request.body)


api = NinjaAPI(
    title="dailypapers API",
    version="1",
    urls_namespace="api",
    renderer=OrjsonRenderer(),
    parser=OrjsonParser(),
    description="Hugging Face-compatible daily papers API, plus votes, comments and submissions.",
)
MAX_LIMIT = 100
MAX_PAGE = 1000  # p * limit reaches the search engine as an offset: bounded


def _optional_reader(request: HttpRequest):
    """The token's user when a public read sends one (their "not interested" marks then apply), else None."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    user = TokenAuth().authenticate(request, token.strip())
    if user is None:
        raise AuthenticationError()
    return user


def error_response(request: HttpRequest, message: str, status: int) -> HttpResponse:
    """Hugging Face's error shape: ``{"error": ...}`` and the ``X-Error-Message`` header, which
    huggingface_hub shows after "Bad request:"; ``detail`` too, for clients of django-ninja."""
    response = api.create_response(request, {"error": message, "detail": message}, status=status)
    # A header holds latin-1 only: a message with other characters stays in the body alone.
    header = " ".join(message.split())
    if header.isascii() and header.isprintable():
        response["X-Error-Message"] = header
    return response


@api.exception_handler(RateLimited)
def _rate_limited(request, exc: RateLimited):
    response = error_response(request, str(exc), 429)
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(ValidationError)
def _invalid(request, exc: ValidationError):
    status = 404 if isinstance(exc, submissions.NotOnArxiv) else 400
    return error_response(request, " ".join(exc.messages), status)


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc: PermissionDenied):
    return error_response(request, str(exc) or "forbidden", 403)


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    return error_response(request, str(exc), exc.status_code)


@api.exception_handler(Http404)
def _not_found(request, exc: Http404):
    return error_response(request, str(exc) or "Not found", 404)


@api.exception_handler(Collection.DoesNotExist)
def _collection_gone(request, exc: Exception):
    # Deleted by a concurrent request after this one found it (the library's operations lock it).
    return error_response(request, "No such collection.", 404)


@api.exception_handler(NinjaValidationError)
def _bad_parameters(request, exc: NinjaValidationError):
    """A parameter of the wrong type: 400 naming it (django-ninja's default is a 422 list)."""
    reasons = []
    for error in exc.errors:
        loc = error.get("loc", ())
        where = ".".join(str(part) for part in loc[1:]) or "request"
        value = request.GET.get(str(loc[1])) if len(loc) == 2 and loc[0] == "query" else None
        given = f" (got {value!r})" if value is not None else ""
        reasons.append(f"{where}: {error.get('msg', 'invalid')}{given}")
    return error_response(request, "; ".join(reasons) or "invalid request", 400)


@api.exception_handler(AuthenticationError)
def _unauthorized(request, exc: AuthenticationError):
    return error_response(request, "a valid API token is required (Authorization: Bearer <token>)", 401)


class Error(Schema):
    error: str
    detail: str | None = None


ERRORS = {400: Error, 404: Error}
WRITE_ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 429: Error}


class PendingOut(Schema):
    """A submission waiting for arXiv (our side's trouble): 503 with Retry-After; ask again later."""

    error: str
    detail: str | None = None
    pending: bool
    arxiv_id: str


class _Open(Schema):
    model_config = ConfigDict(extra="allow")


class AuthorOut(_Open):
    name: str
    hidden: bool | None = None


class PaperOut(_Open):
    id: str
    authors: list[AuthorOut]
    publishedAt: str | None
    submittedOnDailyAt: str | None
    title: str
    submittedOnDailyBy: dict | None
    summary: str
    upvotes: int
    discussionId: str
    projectPage: str | None
    githubRepo: str | None
    githubRepoAddedBy: str | None
    ai_summary: str | None
    ai_keywords: list[str] | None
    ai_summary_model: str | None
    githubStars: int | None
    organization: dict | None
    numComments: int
    communityUpvotes: int
    hfUpvotes: int
    categories: list[str]
    categoriesPredicted: bool  # predicted from the text until arXiv's categories arrive


class DailyItemOut(_Open):
    paper: PaperOut
    publishedAt: str | None
    title: str
    summary: str
    thumbnail: str | None
    numComments: int
    submittedBy: dict | None
    isAuthorParticipating: bool
    organization: dict | None
    mediaUrls: list[str] | None
    submitterOrganization: dict | None
    submittedOnDailyAt: str | None
    ai_summary: str | None
    ai_keywords: list[str] | None
    githubRepo: str | None
    githubStars: int | None
    projectPage: str | None
    hfNumComments: int
    communityNumComments: int


def _page(p: int, limit: int) -> int:
    """``p`` by the site's one paging rule (web/services/paging.py); a 400 with its sentence otherwise."""
    try:
        return paging.page_number(p, limit)
    except paging.PageOutOfRange as exc:
        raise HttpError(400, str(exc)) from exc


def _json(data, status: int = 200) -> HttpResponse:
    """Items are built by hf_shape already: sent as they are, not re-validated per request."""
    return HttpResponse(orjson.dumps(data), content_type="application/json", status=status)


def _period(date: str | None, week: str | None, month: str | None) -> periods.Period | None:
    """The period asked for; None for "the last listing day"."""
    given = [name for name, value in (("date", date), ("week", week), ("month", month)) if value]
    if len(given) > 1:
        raise HttpError(400, f"give one of date, week and month, not {' and '.join(given)}")
    try:
        if week:
            period = periods.parse("week", week)
        elif month:
            period = periods.parse("month", month)
        elif date:
            period = periods.parse("day", date)
        else:
            return None
    except (ValueError, OverflowError) as exc:
        raise HttpError(400, f"{given[0]}: {exc}") from exc
    if period.start > timezone.localdate():
        raise HttpError(400, f"{given[0]} {week or month or date} is in the future")
    return period


@api.get(
    "/daily_papers",
    response={200: list[DailyItemOut], **ERRORS},
    summary="Papers featured on a day, ISO week or month (Hugging Face's shape and order)",
)
def daily_papers(
    request: HttpRequest,
    date: str | None = None,
    week: str | None = None,
    month: str | None = None,
    submitter: str | None = None,
    sort: Literal["publishedAt", "trending"] = "publishedAt",
    p: int = Query(0, ge=0, le=MAX_PAGE),
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
    category: str | None = None,
):
    """By upvotes (Hugging Face's + ours), highest first, as Hugging Face lists them (``sort=publishedAt``,
    the default, is its name for that order); ``sort=trending`` by our stored trending score.
    ``submitter`` keeps the entries submitted by that username."""
    p = _page(p, limit)
    if submitter and "\x00" in submitter:  # PostgreSQL cannot compare a string holding NUL: no username has one
        raise HttpError(400, "submitter: a username cannot contain a NUL character")
    period = _period(date, week, month)
    if period is None:
        last = listing_days.last_listing_day()
        if last is None:
            return _json([])
        period = periods.Period.containing("day", last)
    page = hf_lists.period_entries(
        period.start,
        period.end,
        sort=sort,
        submitter=submitter,
        category=listings.clean_category(category),
        page=p,
        limit=limit,
    )
    response = _json([hf_shape.daily_item(entry.paper, entry) for entry in page.entries])
    if page.has_next:
        params = {k: v for k, v in request.GET.items() if k != "p"}
        params["p"] = str(p + 1)
        # From DAILYPAPERS_BASE_URL: the request's Host (any port) is not echoed back.
        response["Link"] = f'<{settings.BASE_URL}{request.path}?{urlencode(params)}>; rel="next"'
    return response


@api.get(
    "/papers/search",
    response={200: list[DailyItemOut], **ERRORS},
    summary=(
        "Search papers (words, an arXiv id or URL, a DOI or a title; author=, category=, from=, to=, sort=, "
        "mode=auto|keyword|semantic|hybrid). 400 with a sentence for a parameter or query that cannot run. "
        "Headers: X-Search-Mode (what ran), X-Search-Coverage (papers embedded/papers), X-Total-Count, "
        "X-Search-Note (why the mode differs from the one asked for)"
    ),
)
def search(
    request: HttpRequest,
    q: str = "",
    limit: int = Query(20, ge=1, le=MAX_LIMIT),
    p: int = Query(0, ge=0, le=MAX_PAGE),
    category: str | None = None,
    author: str | None = None,
    date_from: str | None = Query(None, alias="from"),
    date_to: str | None = Query(None, alias="to"),
    sort: str | None = None,
    mode: str | None = None,
):
    # The filters are read by the one request parser the page uses too (search_requests.parse_request).
    p = _page(p, limit)
    wanted = search_requests.parse_request(request.GET)
    try:
        page = search_requests.run(wanted, limit, p * limit, highlight=False, reader=_optional_reader(request))
    except QueryError as exc:
        raise HttpError(400, str(exc)) from exc
    entries = hf_lists.latest_entries([paper.pk for paper in page.papers])
    response = _json([hf_shape.daily_item(paper, entries.get(paper.pk)) for paper in page.papers])
    if page.results is not None:
        cover = page.results.coverage
        response["X-Search-Mode"] = page.results.mode
        response["X-Search-Coverage"] = f"{cover.embedded}/{cover.papers}"
        response["X-Total-Count"] = str(page.total)
        if page.results.note and page.results.note.isascii():
            response["X-Search-Note"] = page.results.note
    return response


# An arXiv id, with or without a version; the example is a recorded paper (schemathesis calls it).
PaperId = Annotated[str, PathEx(..., examples=["2608.13210", "2608.13210v1"])]


def _paper(paper_id: str):
    paper = hf_lists.find_paper(paper_id)
    if paper is None:
        raise Http404(f"no paper {paper_id}")
    return paper


class VoteOut(Schema):
    voted: bool
    upvotes: int
    communityUpvotes: int
    hfUpvotes: int


class CommentIn(Schema):
    # strict: ``"parent": false`` is refused, not read as comment 0
    model_config = ConfigDict(
        strict=True, json_schema_extra={"examples": [{"body": "A clear result; is the code out?", "parent": None}]}
    )
    body: str
    parent: int | None = None


class CommentOut(Schema):
    id: int
    body: str
    html: str
    parent: int | None


class SubmitIn(Schema):
    model_config = ConfigDict(strict=True, json_schema_extra={"examples": [{"arxiv": "2608.13210"}]})
    arxiv: str  # an arXiv id or arXiv URL


def _vote(request: HttpRequest, paper_id: str, want: bool) -> VoteOut:
    result = votes.cast(request.auth, _paper(paper_id), want)
    return VoteOut(
        voted=result.voted, upvotes=result.total, communityUpvotes=result.community_votes, hfUpvotes=result.hf_votes
    )


@api.post(
    "/papers/{path:paper_id}/vote",
    auth=TokenAuth(),
    response={200: VoteOut, **WRITE_ERRORS},
    summary="Vote for a paper",
)
def vote(request: HttpRequest, paper_id: PaperId):
    return _vote(request, paper_id, True)


@api.delete(
    "/papers/{path:paper_id}/vote",
    auth=TokenAuth(),
    response={200: VoteOut, **WRITE_ERRORS},
    summary="Take your vote back",
)
def unvote(request: HttpRequest, paper_id: PaperId):
    return _vote(request, paper_id, False)


@api.post(
    "/papers/{path:paper_id}/comments",
    auth=TokenAuth(),
    response={201: CommentOut, **WRITE_ERRORS},
    summary="Comment on a paper (Markdown subset)",
)
def comment(request: HttpRequest, paper_id: PaperId, data: CommentIn):
    made = comment_service.add(request.auth, _paper(paper_id), data.body, data.parent)
    return Status(201, CommentOut(id=made.pk, body=made.body, html=made.body_html, parent=made.parent_id))


class SubmitOut(Schema):
    created: bool
    paper: PaperOut


@api.post(
    "/submit",
    auth=TokenAuth(),
    response={200: SubmitOut, 503: PendingOut, **WRITE_ERRORS},
    summary="Submit a paper to today's list by arXiv id or URL",
)
def submit(request: HttpRequest, data: SubmitIn):
    result = submissions.submit(request.auth, data.arxiv)
    if result.pending is not None:
        # Our side's trouble (arXiv is away), not the client's: 503, and asking again is safe (the
        # same waiting submission answers until the worker has fetched the paper).
        message = submissions.pending_message(result.pending)
        response = api.create_response(
            request,
            {"error": message, "detail": message, "pending": True, "arxiv_id": result.pending.arxiv_id},
            status=503,
        )
        response["Retry-After"] = str(result.RETRY_AFTER)
        return response
    paper = listings.with_stats(shown_papers()).filter(pk=result.paper.pk).first()
    if paper is None:
        raise Http404("paper hidden")
    return {"created": result.created, "paper": hf_shape.paper_item(paper)}


# The library's routes (collections, marks, For you, saved searches), the groups' and the
# notifications', before the greedy paper route below.
api.add_router("/", library_router)
api.add_router("/", groups_router)
api.add_router("/", notify_router)


# Last: its greedy {path:} would otherwise swallow .../vote and .../comments.
@api.get(
    "/papers/{path:paper_id}",
    response={200: PaperOut, **ERRORS},
    summary="One paper (also by a versioned id, 2608.19880v1)",
)
def paper(request: HttpRequest, paper_id: PaperId):
    found = _paper(paper_id)
    return _json(hf_shape.paper_item(found, hf_lists.latest_entries([found.pk]).get(found.pk)))


@csrf_exempt  # it writes nothing: a DELETE or POST to no route is a JSON 404, not CSRF's HTML 403
def not_found(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """Any other path under /api/ (one no route matches, say an id with a line break): JSON, not HTML."""
    return error_response(request, f"no API endpoint at {request.path}", 404)
