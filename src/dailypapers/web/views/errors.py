"""Styled error pages: the site's navigation and a search box, and for an unknown paper, search and submission."""

from __future__ import annotations

import re
import sys

from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader

from dailypapers.web import guards
from dailypapers.web.context import links

# /papers/<id> that is not a list route: the id a reader (or a link) asked for.
_PAPER_PATH = re.compile(r"^/papers/(?!date/|week/|month/)(?P<arxiv_id>[^?#]+?)/?$")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    match = _PAPER_PATH.match(request.path)
    return render(
        request,
        "web/404.html",
        {"missing_paper": match["arxiv_id"] if match else "", "query": match["arxiv_id"] if match else ""},
        status=404,
    )


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this inside its except block: the exception that got here is sys.exc_info()'s.
    if guards.database_unavailable(sys.exc_info()[1]):
        return guards.unavailable_page(request)
    if guards.wants_json(request):
        return guards.error_page(request, 500, "Server error", "something went wrong on our side")
    # No request context: whatever failed (the database, a context processor) must not fail this page too.
    try:
        nav, assets = links()  # reverse() and static(): neither touches the database
        return HttpResponseServerError(loader.get_template("web/500.html").render({"nav": nav, "assets": assets}))
    except Exception:
        return HttpResponseServerError("<h1>Server error</h1><p>Something went wrong on our side.</p>")
