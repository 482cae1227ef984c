"""HEAD answers wherever GET does: the request runs as a GET and goes out without its body.

django-ninja routes a path by method, so a GET-only API route answered HEAD with 405 (and
monitors and link checkers send HEAD); some page views allow only GET as well. GET changes no
state here, so running it for a HEAD is safe; the headers (Content-Length, ETag, caching) are
the GET's, as RFC 9110 asks.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase


class HeadAsGetMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.method != "HEAD":
            return self.get_response(request)
        request.method = "GET"
        try:
            response = self.get_response(request)
        finally:
            request.method = "HEAD"
        if response.streaming:
            response.close()  # the body is never read: let its source go now
            response.streaming_content = []  # type: ignore[attr-defined]
        else:
            response.content = b""  # type: ignore[attr-defined]
        return response
