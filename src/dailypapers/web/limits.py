"""Where the one rate limiter and the one paging rule meet Django: every login through the
auth backend, and a RateLimited (429) or PageOutOfRange (400) raised in any page view
turned into the styled error page (JSON for scripts).

The backend is the one path every password login takes (our login page, /admin/login/, and
any future form using django.contrib.auth.authenticate), so none can be left unlimited.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from dailypapers import ratelimit
from dailypapers.lists import paging


class RateLimitedModelBackend(ModelBackend):
    """ModelBackend that counts each attempt (per client address and per account name) before checking it."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        ratelimit.limit_login(request, username)
        return super().authenticate(request, username=username, password=password, **kwargs)


def too_many_response(request: HttpRequest, exc: ratelimit.RateLimited) -> HttpResponse:
    """The 429 answer: JSON for scripts, the styled error page otherwise; Retry-After on both."""
    if request.headers.get("Accept", "").startswith("application/json"):
        response: HttpResponse = JsonResponse({"error": str(exc)}, status=429)
    else:
        response = render(request, "web/error.html", {"title": "Slow down", "message": str(exc)}, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


def bad_page_response(request: HttpRequest, exc: paging.PageOutOfRange) -> HttpResponse:
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({"error": str(exc)}, status=400)

    return render(request, "web/error.html", {"title": "No such page", "message": str(exc)}, status=400)


_SAFE = ("GET", "HEAD", "OPTIONS")


class LimitsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        """JSON API reads per client address; the library's page writes per user (its API writes
        are counted by the library router's token check, library/api.py)."""
        match = request.resolver_match
        try:
            if request.path_info.startswith("/api/"):
                if request.method in ("GET", "HEAD"):
                    ratelimit.limit_api_read(request)
            elif match is not None and match.namespace == "library" and request.method not in _SAFE:
                if request.user.is_authenticated:
                    ratelimit.limit_library(request.user)  # imports also count in library/imports.py
        except ratelimit.RateLimited as exc:
            if request.path_info.startswith("/api/"):
                response: HttpResponse = JsonResponse({"error": str(exc), "detail": str(exc)}, status=429)
                response["Retry-After"] = str(exc.retry_after)
                return response
            return too_many_response(request, exc)
        return None

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, ratelimit.RateLimited):
            return too_many_response(request, exception)
        if isinstance(exception, paging.PageOutOfRange):
            return bad_page_response(request, exception)
        return None
