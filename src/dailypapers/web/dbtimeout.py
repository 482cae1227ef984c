"""A PostgreSQL ``statement_timeout`` for web requests only.

A request's SQL must not outlive it: a statement left running after its client has gone holds a
backend (and its memory) until it ends by itself. PostgreSQL cancels a statement that runs past
``statement_timeout``, so each web request's connection gets DAILYPAPERS_WEB_STATEMENT_TIMEOUT_MS.
It is set here, per connection, and not in DATABASES' options, because the worker and the CLI
(imports, sync, rebuilds) share those options and may legitimately run long statements.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse


class StatementTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if connection.vendor == "postgresql" and settings.WEB_STATEMENT_TIMEOUT_MS > 0:
            connection.ensure_connection()
            raw = connection.connection
            # Once per database connection (they are kept between requests), before the request's
            # first statement and outside any transaction (a rollback would undo it), through the
            # raw cursor so query counts and logs see only the request's own statements.
            if getattr(connection, "_web_timeout_for", None) is not raw and not connection.in_atomic_block:
                # Wrapped as Django's own statements are, so a dropped connection is Django's
                # OperationalError (a 503 with Retry-After), not a bare driver error (a 500).
                with connection.wrap_database_errors, raw.cursor() as cursor:
                    cursor.execute(f"SET statement_timeout = {int(settings.WEB_STATEMENT_TIMEOUT_MS)}")
                connection._web_timeout_for = raw  # type: ignore[attr-defined]
        return self.get_response(request)
