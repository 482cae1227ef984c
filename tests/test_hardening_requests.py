"""Requests the database cannot take: a control character (a NUL PostgreSQL refuses in any text)
answers 400 from one middleware before any view runs (every route: tests/test_http_fuzz.py)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_a_nul_gets_400_before_any_view(client):
    response = client.get("/search", {"q": "attention\x00"})
    assert response.status_code == 400 and b"control character" in response.content
    assert client.get("/trends", {"\x00": "1"}).status_code == 400
    assert client.get("/media/thumbnail/%00").status_code == 400
    api = client.get("/api/papers/%00")
    assert api.status_code == 400 and api["Content-Type"].startswith("application/json")
    assert "control character" in api.json()["error"]


def test_tabs_and_line_breaks_in_a_query_value_stay_allowed(client):
    assert client.get("/search", {"q": "tab\tand newline\nstay"}).status_code == 200
    assert client.get("/search/%0A").status_code == 400  # but never in the address itself


@pytest.mark.django_db(transaction=True)
def test_a_dropped_database_connection_gives_503_then_recovers():
    """pg_terminate_backend, as a PostgreSQL restart or an admin shutdown does to every backend."""
    import psycopg
    from django.db import close_old_connections, connection
    from django.test import Client

    if connection.vendor != "postgresql":
        pytest.skip("terminating a backend is PostgreSQL's")
    params = {k: v for k, v in connection.get_connection_params().items() if k in ("dbname", "user", "host", "port")}

    def terminate_our_backend() -> None:
        connection.ensure_connection()
        with psycopg.connect(**params, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", [connection.connection.info.backend_pid])

    client = Client(raise_request_exception=False)
    assert client.get("/trending").status_code == 200
    terminate_our_backend()
    page = client.get("/trending")
    assert page.status_code == 503 and page["Retry-After"].isdigit()
    assert b"try again in a few seconds" in page.content
    close_old_connections()
    terminate_our_backend()
    api = client.get("/api/daily_papers", {"limit": 1})
    assert api.status_code == 503 and api["Retry-After"].isdigit()
    assert api["Content-Type"].startswith("application/json") and "try again" in api.json()["error"]
    # Django's request_finished handler drops the broken connection; the test client skips that handler.
    close_old_connections()
    assert client.get("/trending").status_code == 200  # the next request connects again
