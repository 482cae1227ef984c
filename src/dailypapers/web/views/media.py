"""/media/KIND/KEY: a thumbnail or avatar we fetched, from our own origin, or a clean placeholder.

No database query: KEY names the file (see dailypapers.store.media). An image not fetched yet
(or refused) answers with a neutral placeholder, cached briefly so a later fetch shows soon.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from dailypapers.ingest.media import sniff_image
from dailypapers.store import media as store

# A stored SVG is shown in <img> only; opened on its own it must not run script on our origin.
_IMAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
_PLACEHOLDERS = {
    "thumbnail": (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 160 90" width="160" height="90">'
        '<rect width="160" height="90" fill="#8882"/>'
        '<g fill="none" stroke="#8888" stroke-width="3"><rect x="64" y="22" width="32" height="44" rx="3"/>'
        '<path d="M71 34h18M71 42h18M71 50h12"/></g></svg>'
    ),
    "avatar": (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32" width="32" height="32">'
        '<circle cx="16" cy="16" r="16" fill="#8883"/><circle cx="16" cy="12.5" r="5.5" fill="#8889"/>'
        '<path d="M6 27c2-6 6-8 10-8s8 2 10 8" fill="#8889"/></svg>'
    ),
}
STORED_MAX_AGE = 7 * 24 * 3600
PLACEHOLDER_MAX_AGE = 600


@require_safe
def image(request: HttpRequest, kind: str, key: str) -> HttpResponse:
    if kind not in _PLACEHOLDERS or not store.is_key(key):
        raise Http404("no such image")
    body = store.read_file(key)
    content_type = sniff_image(body) if body is not None else None
    if content_type is None:
        response = HttpResponse(_PLACEHOLDERS[kind], content_type="image/svg+xml")
        response["Cache-Control"] = f"public, max-age={PLACEHOLDER_MAX_AGE}"
    else:
        response = HttpResponse(body, content_type=content_type)
        # The key is a hash of the source URL; a changed image upstream comes with a new URL.
        response["Cache-Control"] = f"public, max-age={STORED_MAX_AGE}"
    response["Content-Security-Policy"] = _IMAGE_POLICY
    response["X-Content-Type-Options"] = "nosniff"
    return response
