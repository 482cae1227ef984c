"""Which imported URLs may become links on our pages (issue 13, finding 4, render side).

Imported Hugging Face fields (githubRepo, projectPage) arrived as ``javascript:`` and
``data:`` URLs and became real links, stopped only by the CSP. The ingest side refuses them
at import too; this check stays for rows stored before it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

SCHEMES = ("http", "https")


def safe_link(url: str | None) -> str:
    """``url`` if it is an absolute http(s) URL with a host, else "" (shown as no link)."""
    text = (url or "").strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return ""
    if parts.scheme.lower() not in SCHEMES or not parts.hostname or any(c in text for c in "\x00\r\n\t"):
        return ""
    return text
