"""The HTTP sweep kept in CI: hypothesis-driven query parameters, and form fields on
POST routes, against EVERY route the URL resolver knows (pages, feeds, the JSON API, digest
pages, the admin), as anonymous and as a logged-in moderator. The assertion: no 5xx, ever.

Routes are enumerated from the resolver, so a new route is fuzzed without anyone adding it
here. The budget is fixed (examples per route, derandomized: the same inputs on every run),
so the sweep takes about a minute; DAILYPAPERS_FUZZ_EXAMPLES raises it for a longer hunt.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from urllib.parse import quote

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dailypapers import ratelimit
from dailypapers.community import comments, tokens
from dailypapers.groups import meetings, membership, shared
from tests.web_fixtures import feature

pytestmark = pytest.mark.django_db
EXAMPLES = int(os.environ.get("DAILYPAPERS_FUZZ_EXAMPLES", "12"))
ADMIN_EXAMPLES = max(2, EXAMPLES // 4)
DAY = dt.date(2025, 1, 6)

# Values that broke something once or sit on a boundary, mixed with random text.
NASTY = [
    "214748364",
    str(2**63),
    str(2**64),
    "9" * 40,
    "-1",
    "0",
    "1e309",
    "nan",
    "²",
    "٣",
    "",
    " ",
    "9999-12",
    "9999-W52",
    "9999-12-31",
    "0001-01-01",
    "0000-00",
    "2025-W00",
    "2025-13",
    "2025-02-30",
    "a\x01",
    "\x00",
    "\x08\x0b",
    "\ufffe",
    "'; DROP TABLE papers; --",
    '"quoted phrase"',
    "AND OR NOT",
    "title:x^2 OR (",
    "*",
    "?",
    "[" * 300,
    "<script>alert(1)</script>",
    "javascript:alert(1)",
    "//evil.example",
    "https://evil.example/",
    "../../etc/passwd",
    "%00",
    "%FF%FE",
    "🦀" * 30,
    "x" * 600,
    "cs.LG",
    "cs.LG cs.AI",
    "atom",
    "rss",
    "trending",
    "publishedAt",
    "votes",
    "newest",
    "relevance",
    "1",
    "100",
    "101",
    "true",
    "on",
]
KNOWN_KEYS = [
    "p",
    "limit",
    "q",
    "sort",
    "category",
    "from",
    "to",
    "format",
    "date",
    "week",
    "month",
    "next",
    "parent",
    "vote",
    "hidden",
    "reason",
    "body",
    "arxiv",
    "email",
    "username",
    "password",
    "o",
    "e",
    "all",
    "_changelist_filters",
    "page",
    "mode",
    "author",
    "id",
    "token",
    "frequency",
    "top_n",
    "keywords",
    "categories",
    "arxiv",
    "note",
    "starts_at",
    "timezone",
    "presenter",
    "minutes",
    "notes_url",
    "slides_url",
    "role",
    "visibility",
    "digest",
    "description",
]
_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
_embedded = st.tuples(_text, st.sampled_from(NASTY), _text).map("".join)  # e.g. a NUL inside a comment
values = st.one_of(st.sampled_from(NASTY), _embedded, _text, st.integers(-(2**70), 2**70).map(str))
keys = st.one_of(st.sampled_from(KNOWN_KEYS), _text.filter(bool))
query = st.lists(st.tuples(keys, values), max_size=5)


def routes() -> list[tuple[str, str]]:
    """(route template, name) for every URL pattern, prefixes joined."""
    found = []

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                found.append((prefix + str(p.pattern), p.name or ""))

    walk(get_resolver().url_patterns)
    return found


_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


def fill(route: str, samples: dict[str, list[str]], draw) -> str:
    """A concrete path for ``route``: each parameter a sample value or fuzz, regex anchors dropped."""

    def value(match: re.Match) -> str:
        converter, name = match[1] or "str", match[2] or match[3]
        if converter == "int":
            return str(draw(st.one_of(st.sampled_from(samples.get(name, ["1"])), st.integers(0, 2**63).map(str))))
        options = samples.get(name, ["x"])
        raw = draw(st.one_of(st.sampled_from(options), st.sampled_from(NASTY).filter(bool), _text.filter(bool)))
        return quote(raw, safe="/" if converter == "path" else "")

    path = _PARAM.sub(value, route.strip("^").rstrip("$"))
    return "/" + path.replace("\\", "")


@pytest.fixture
def world(django_user_model):
    """A little of everything for routes to find: papers with votes and comments, a moderator, a token."""
    papers = feature(DAY, 3, upvotes=2) + feature(DAY + dt.timedelta(days=1), 1, arxiv_id="hep-th/9901001")
    mod = django_user_model.objects.create_user(
        "mod", "mod@example.org", "correct horse battery", is_staff=True, is_superuser=True
    )
    mod.user_permissions.add(*Permission.objects.filter(codename="moderate"))
    made = comments.add(mod, papers[0], "a *comment*")
    _, raw = tokens.create(mod, "fuzz")
    group = membership.create(mod, "Fuzz Lab")
    shared_collection = shared.create(group, "Shared")
    shared.add(shared_collection, papers[0], mod, "a note")
    meeting = meetings.schedule(group, mod, papers[0], dt.datetime(2030, 1, 15, 16, tzinfo=dt.timezone.utc))
    samples = {
        "arxiv_id": [p.arxiv_id for p in papers] + ["9999.99999"],
        "paper_id": [p.arxiv_id for p in papers],
        "date": ["2025-01-06", "2025-01-04", "9999-12-31"],
        "week": ["2025-W02", "9999-W52"],
        "month": ["2025-01"],
        "pk": [str(made.pk), str(shared_collection.pk), str(meeting.pk), "999999"],
        "slug": [group.slug],
        "user_id": [str(mod.pk)],
        "object_id": [str(made.pk), papers[0].arxiv_id, "1"],
        "token": ["bad-token", "x" * 80, group.calendar_token],
        "uidb64": ["MQ", "Kg"],
        "app_label": ["web", "store", "auth", "digest"],
        "content_type_id": ["1"],
        "url": ["community/comment/", "x"],
    }
    return {"mod": mod, "samples": samples, "bearer": f"Bearer {raw}"}


def _check(client: Client, method: str, path: str, pairs: list[tuple[str, str]], headers: dict) -> None:
    if method == "GET":
        response = client.get(path, pairs and {k: v for k, v in pairs}, headers=headers)
    else:
        response = client.post(path, {k: v for k, v in pairs}, headers=headers)
    assert response.status_code < 500, f"{method} {path} {pairs!r} -> {response.status_code}"


@pytest.mark.parametrize("part", ["site", "api", "admin"])
def test_no_route_answers_5xx(world, part):
    chosen = [
        (r, n)
        for r, n in routes()
        if (part == "admin") == r.startswith("admin/") and (part == "api") == r.startswith("api/")
    ]
    assert chosen, part
    anonymous, member = Client(), Client()
    budget = ADMIN_EXAMPLES if part == "admin" else EXAMPLES

    for route, _name in chosen:

        @settings(
            max_examples=budget, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        @given(
            data=st.data(),
            pairs=query,
            as_member=st.booleans(),
            method=st.sampled_from(["GET", "GET", "POST"]),
            json_accept=st.booleans(),
        )
        def one(data, pairs, as_member, method, json_accept):
            # Each example in a savepoint rolled back after it: a fuzzed POST (an admin deletion,
            # a logout) must not change the world the next example sees.
            with transaction.atomic():
                cache.clear()
                ratelimit.reset()  # a 429 would hide the code behind it
                client = member if as_member else anonymous
                if as_member:
                    client.force_login(world["mod"])
                path = fill(route, world["samples"], data.draw)  # noqa: B023 (run at once, inside its own iteration)
                headers = {"accept": "application/json"} if json_accept else {}
                if part == "api" and as_member:
                    headers["authorization"] = world["bearer"]
                _check(client, method, path, pairs, headers)
                transaction.set_rollback(True)

        one()


CONTROL = ["\x00", "\x01", "\x08", "\x1b", "\x7f"]  # NUL: PostgreSQL refuses it in any text value


def test_the_sweep_covers_the_library_trends_and_media():
    found = {route for route, _name in routes()}
    for expected in ("library", "library/<int:pk>", "trends", "trends.json", "media/<str:kind>/<str:key>", "for-you"):
        assert expected in found, expected


def concrete(route: str, samples: dict[str, list[str]], char: str = "") -> str:
    """``route`` with each parameter's first sample, ``char`` appended to every string parameter."""

    def value(match: re.Match) -> str:
        converter, name = match[1] or "str", match[2] or match[3]
        sample = samples.get(name, ["1" if converter == "int" else "x"])[0]
        return quote(sample if converter == "int" else sample + char, safe="/" if converter == "path" else "")

    return "/" + _PARAM.sub(value, route.strip("^").rstrip("$")).replace("\\", "")


@pytest.mark.parametrize("as_member", [False, True])
def test_control_characters_in_any_route_never_reach_the_database(world, as_member):
    """Every route, a control character in each path parameter, a query value, a query key and a form
    field: the path and query ones are refused (400) before any view, form fields never give a 5xx."""
    client = Client()
    if as_member:
        client.force_login(world["mod"])
    failures = []
    for route, _name in routes():
        for char in CONTROL:
            with_param = concrete(route, world["samples"], char)
            plain = concrete(route, world["samples"])
            tries = [("GET", plain, {"q": f"a{char}b"}), ("GET", plain, {f"k{char}": "1"}), ("POST", plain, {})]
            if with_param != plain:
                tries.append(("GET", with_param, {}))
            for method, path, data in tries:
                with transaction.atomic():
                    cache.clear()
                    if method == "POST":
                        form = {key: f"x{char}" for key in ("body", "q", "name", "email", "username", "reason", "note")}
                        response = client.post(path, form)
                    else:
                        response = client.get(path, data)
                    transaction.set_rollback(True)
                if response.status_code >= 500 or (method == "GET" and response.status_code != 400):
                    failures.append(f"{method} {path} {data!r} -> {response.status_code}")
    assert failures == []
