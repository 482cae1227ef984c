"""SQL that differs between SQLite and PostgreSQL, for the parts that write raw SQL
(dialect differences live in store/ alone; settings.py's SQLite connection options are configuration)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection


def int_in(column: str, values: Sequence[int]) -> tuple[str, list]:
    """``column`` is one of ``values`` (integers), as a WHERE fragment and its parameters.

    PostgreSQL takes the list as one array parameter; SQLite has no arrays and limits the number
    of parameters, so the integers (checked here) are written inline: one statement however long
    the list."""
    values = [int(v) for v in values]
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [values]
    return f"{column} IN ({', '.join(map(str, values))})", []
