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
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse

# Every query parameter a cached page reads (paging, lists, search, trends). The key holds only
# these, so junk parameters (?x=1, ?x=2, ...) share one entry instead of each costing a render
# and a slot; a cached page that starts reading another parameter must be added here.
PAGE_PARAMS = frozenset({"p", "category", "sort", "q", "mode", "author", "from", "to", "by", "keyword"})


def cache_key(request: HttpRequest) -> str:
    """The path and the parameters the page reads, in a fixed order (each key's values in theirs)."""
    params = sorted((k, values) for k, values in request.GET.lists() if k in PAGE_PARAMS)
    query = urlencode([(k, v) for k, values in params for v in values])
    return "page:" + hashlib.sha256(f"{request.path}?{query}".encode()).hexdigest()


def anonymous_cache(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        seconds = settings.PAGE_CACHE_SECONDS
        if seconds <= 0 or request.method != "GET" or request.user.is_authenticated or "messages" in request.COOKIES:
            return view(request, *args, **kwargs)
        key = cache_key(request)
        pages = caches["pages"]
        response = pages.get(key)
        if response is None:
            response = view(request, *args, **kwargs)
            if response.status_code == 200 and not response.cookies:
                response = response.render() if hasattr(response, "render") else response
                pages.set(key, response, seconds)
        return response

    return wrapper
