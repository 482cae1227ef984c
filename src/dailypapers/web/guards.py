"""Requests the database cannot take, answered before they reach it, and a database that is not
answering, told as such.

- A control character in the path or the query string (a NUL PostgreSQL refuses in any text,
  ESC, DEL...) is 400 from one middleware, first in the chain, before sessions or any view; a
  tab or line break in a query value stays allowed (a pasted search).
- While the database refuses connections or drops them (a restart, an admin shutdown), the
  500 handler answers 503 with Retry-After instead, in JSON under /api/.
Both answers are built without the database and without a request context.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader

from dailypapers.web.context import links

_IN_PATH = re.compile(r"[\x00-\x1f\x7f]")
_IN_QUERY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
DATABASE_RETRY_AFTER = 10  # seconds: about what a PostgreSQL restart takes


def wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or request.headers.get("Accept", "").startswith("application/json")


def error_page(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    """The error answer, JSON for the API and scripts, else the styled page rendered without the database."""
    if wants_json(request):
        response: HttpResponse = JsonResponse({"error": message, "detail": message}, status=status)
        response["X-Error-Message"] = message
        return response
    try:
        nav, assets = links()  # reverse() and static(): neither touches the database
        body = loader.get_template("web/error.html").render(
            {"nav": nav, "assets": assets, "title": title, "message": message}
        )
    except Exception:
        body = f"<h1>{title}</h1><p>{message}</p>"
    return HttpResponse(body, status=status)


def control_character(request: HttpRequest) -> str | None:
    """Why the request is refused ('The address contains a control character (NUL)...'), or None."""
    found = _IN_PATH.search(request.path_info)
    where = "The address"
    if not found:
        where = "The query string"
        found = _IN_QUERY.search(request.META.get("QUERY_STRING", ""))
        for key, values in request.GET.lists():  # %00 and friends, decoded
            for text in (key, *values):
                found = found or _IN_QUERY.search(text)
    if not found:
        return None
    char = found.group()
    name = "NUL" if char == "\x00" else f"U+{ord(char):04X}"
    return f"{where} contains a control character ({name}); remove it and try again."


class ControlCharactersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if why := control_character(request):
            return error_page(request, 400, "Bad request", why)
        return self.get_response(request)


def database_unavailable(exc: BaseException | None) -> bool:
    """The database refused or dropped the connection (or it was closed under us): worth retrying soon."""
    return isinstance(exc, (OperationalError, InterfaceError))


def unavailable_page(request: HttpRequest) -> HttpResponse:
    response = error_page(
        request,
        503,
        "Back in a moment",
        "The database is not answering right now (it may be restarting); try again in a few seconds.",
    )
    response["Retry-After"] = str(DATABASE_RETRY_AFTER)
    return response
