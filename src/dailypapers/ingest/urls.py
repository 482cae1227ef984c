"""The one rule for which links we store and render: http(s) URLs with a host, nothing else.

Imported data is untrusted: a ``javascript:`` or ``data:`` value in a GitHub or project-page
field must never become a clickable link. The importer calls ``check_url`` (a bad value drops
that field with a reason); templates call ``safe_url`` at render time, so rows stored before
this rule existed are covered too.
"""

from __future__ import annotations

from urllib.parse import urlsplit

ALLOWED_SCHEMES = frozenset({"http", "https"})
MAX_URL_LENGTH = 512  # the DailyEntry URL columns' max_length


class UnsafeURL(ValueError):
    """The value is not a link we store or render; the message says why in a few words."""


def url_problem(value: object) -> str | None:
    """Why ``value`` is not an allowed link, or None when it is one."""
    if not isinstance(value, str):
        return f"expected text, got {type(value).__name__}"
    text = value.strip()
    if not text:
        return "empty"
    # Browsers drop tabs and newlines inside a URL ("java\tscript:"), so any control or
    # space character hides what the link really is.
    if any(char <= " " or char == "\x7f" for char in text):
        return "contains spaces or control characters"
    try:
        parts = urlsplit(text)
    except ValueError as exc:
        return f"not a URL ({exc})"
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        shown = f"{parts.scheme}:" if parts.scheme else "no scheme"
        return f"scheme {shown} is not allowed (only http and https)"
    if not parts.hostname or "\\" in text:
        return "no host name"
    return None


def safe_url(value: object) -> str | None:
    """``value`` stripped if it is an http(s) link with a host, else None (render it as text or not at all)."""
    if url_problem(value) is not None or not isinstance(value, str):
        return None
    return value.strip()


def check_url(value: object, max_length: int = MAX_URL_LENGTH) -> str | None:
    """Import-side check: None for a missing value, the clean URL, or UnsafeURL with the reason."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    problem = url_problem(value)
    if problem is None and isinstance(value, str) and len(value.strip()) > max_length:
        problem = f"longer than {max_length} characters"
    if problem is not None or not isinstance(value, str):
        raise UnsafeURL(problem or "not a text value")
    return value.strip()
