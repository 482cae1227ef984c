"""Which web requests may read from the standby, and read-your-writes for the browser that wrote.

A safe request (GET, HEAD, OPTIONS) reads from the standby, unless its browser wrote in the
last DAILYPAPERS_REPLICA_PIN_SECONDS: every unsafe request sets a short-lived cookie that pins
that browser's reads to the primary, so a reader who just voted, commented, saved or signed up
sees it on the next page whatever the standby's lag. Installed only when DATABASE_REPLICA_URL
is set.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from dailypapers.store.routing import replica_reads

PIN_COOKIE = "dp_primary"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def pinned(request: HttpRequest) -> bool:
    try:
        return float(request.COOKIES.get(PIN_COOKIE, "0")) > time.time()
    except ValueError:
        return False


class ReplicaReadsMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in SAFE_METHODS and not pinned(request):
            with replica_reads():
                return self.get_response(request)
        response = self.get_response(request)
        if request.method not in SAFE_METHODS:
            seconds = settings.REPLICA_PIN_SECONDS
            response.set_cookie(
                PIN_COOKIE,
                f"{time.time() + seconds:.3f}",
                max_age=max(1, int(seconds + 0.999)),
                httponly=True,
                secure=settings.SESSION_COOKIE_SECURE,
                samesite="Lax",
            )
        return response
