"""Which imported URLs may become links on our pages.

Imported Hugging Face fields (githubRepo, projectPage) arrived as ``javascript:`` and
``data:`` URLs and became real links, stopped only by the CSP. The importer refuses them
(ingest/urls.py, the one rule); rendering checks again for rows stored before it.
"""

from __future__ import annotations

from dailypapers.ingest.urls import safe_url


def safe_link(url: str | None) -> str:
    """``url`` if it is an absolute http(s) URL with a host, else "" (shown as no link)."""
    return safe_url(url) or ""
