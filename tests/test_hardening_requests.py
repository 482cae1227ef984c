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
