"""The one paging rule for every list, feed, search page and API list.

An unbounded ``?p=`` reached tantivy (which allocated offset-sized buffers: 64 GB at
p=214748364, aborting the worker) and SQL (an OFFSET past 2^63 is a database error).
Every page number goes through :func:`page_number`, so at most ``MAX_OFFSET`` results can
be paged through; beyond that the user narrows the search, period or category instead, as
on Elasticsearch (index.max_result_window, also 10,000).
"""

from __future__ import annotations

import re

MAX_OFFSET = 10_000
_WHOLE = re.compile(r"[0-9]{1,12}")


class PageOutOfRange(ValueError):
    """A page number that is not a whole number from 0 to the last page allowed; the message says so."""


def last_page(page_size: int) -> int:
    return max(0, (MAX_OFFSET - 1) // page_size)


def page_number(raw: str | int | None, page_size: int) -> int:
    """The 0-based page asked for by ``raw`` (absent or empty: 0), within the bound."""
    if raw is None or raw == "":
        return 0
    text = str(raw).strip()
    if not _WHOLE.fullmatch(text) or int(text) > last_page(page_size):
        raise PageOutOfRange(
            f"Page {text[:20]!r} is out of range: pages go from 0 to {last_page(page_size)} here "
            f"(at most {MAX_OFFSET:,} results can be paged through; narrow the search, period or category instead)."
        )
    return int(text)
