"""Short-lived caching of whole pages for anonymous visitors.

Anonymous pages are identical for everyone (no CSRF token, no "you voted" state), so each
server process keeps them for DAILYPAPERS_PAGE_CACHE_SECONDS: a burst of visitors costs one
render per process and period. It is a layer on top, not what makes pages fast: logged-in
users, and anyone with a pending flash message, always get a fresh page, and an uncached
list page is a few milliseconds (see web.services.cards and `bench/web_bench.py`'s
"uncached" run).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse


def anonymous_cache(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        seconds = settings.PAGE_CACHE_SECONDS
        if seconds <= 0 or request.method != "GET" or request.user.is_authenticated or "messages" in request.COOKIES:
            return view(request, *args, **kwargs)
        key = "page:" + hashlib.sha256(request.get_full_path().encode()).hexdigest()
        pages = caches["pages"]
        response = pages.get(key)
        if response is None:
            response = view(request, *args, **kwargs)
            if response.status_code == 200 and not response.cookies:
                response = response.render() if hasattr(response, "render") else response
                pages.set(key, response, seconds)
        return response

    return wrapper
