"""Every group route, enumerated from the URL resolver, answers 404 to a non-member of a private
group (signed in or not, GET and POST), so a new route cannot forget the check."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from dailypapers.groups import meetings, membership, shared
from dailypapers.groups.models import Membership
from tests.web_fixtures import feature

pytestmark = pytest.mark.django_db
OPEN = {"index", "create"}  # no group named: the list of the reader's groups, and making one


def group_routes() -> list[tuple[str, list[str]]]:
    """(name, parameter names) of every route in the groups namespace."""
    found = []

    def walk(patterns, namespace=None):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, p.namespace or namespace)
            elif isinstance(p, URLPattern) and namespace == "groups":
                params = list(getattr(p.pattern, "converters", {}) or p.pattern.regex.groupindex)
                found.append((p.name, params))

    walk(get_resolver().url_patterns)
    return found


@pytest.fixture
def private_group(make_user):
    owner, member = make_user("ana"), make_user("ben")
    group = membership.create(owner, "Secret Lab")
    Membership.objects.create(group=group, user=member)
    paper = feature(dt.date(2025, 1, 6))[0]
    collection = shared.create(group, "Reading list")
    shared.add(collection, paper, owner, "private note")
    shared.add_note(group, paper, owner, "thread")
    meeting = meetings.schedule(group, owner, paper, timezone.now() + dt.timedelta(days=1))
    membership.invite_link(owner, group.slug)
    values = {
        "slug": group.slug,
        "pk": collection.pk,
        "user_id": member.pk,
        "arxiv_id": paper.arxiv_id,
        "token": "not-a-real-token",
    }
    return {"group": group, "values": values, "meeting": meeting}


def _path(name: str, params: list[str], values: dict) -> str:
    kwargs = {p: values[p] for p in params}
    if name.startswith("meeting") and "pk" in kwargs:
        kwargs["pk"] = values["meeting_pk"]
    return reverse(f"groups:{name}", kwargs=kwargs)


def test_the_walk_finds_every_group_route():
    names = {name for name, _ in group_routes()}
    assert len(names) >= 25 and {"group", "collection", "paper", "meeting", "calendar", "join"} <= names


@pytest.mark.parametrize("signed_in", [True, False])
def test_non_members_get_404_on_every_group_route(private_group, client, make_user, signed_in):
    if signed_in:
        client.force_login(make_user("mallory"))
    values = {**private_group["values"], "meeting_pk": private_group["meeting"].pk}
    checked = []
    for name, params in group_routes():
        if name in OPEN:
            continue
        path = _path(name, params, values)
        for method in ("get", "post"):
            status = getattr(client, method)(path).status_code
            assert status == 404, f"{method.upper()} {path} ({name}) -> {status}"
            checked.append(path)
    assert len(checked) >= 50
    # The same paths work for a member (GETs of pages), so the 404s above are about membership.
    client.force_login(private_group["group"].memberships.get(role="member").user)
    for name in ("group", "members", "meetings", "meeting_archive"):
        assert client.get(reverse(f"groups:{name}", args=[values["slug"]])).status_code == 200
    assert client.get(_path("meeting", ["slug", "pk"], values)).status_code == 200
    assert client.get(_path("paper", ["slug", "arxiv_id"], values)).status_code == 200
    assert client.get(_path("collection", ["slug", "pk"], values)).status_code == 200


def test_the_api_hides_private_groups_too(private_group, client, make_user):
    from dailypapers.community import tokens

    _, raw = tokens.create(make_user("mallory"), "t")
    headers = {"Authorization": f"Bearer {raw}"}
    slug = private_group["values"]["slug"]
    for path in (
        f"/api/groups/{slug}",
        f"/api/groups/{slug}/members",
        f"/api/groups/{slug}/feed",
        f"/api/groups/{slug}/collections",
        f"/api/groups/{slug}/meetings",
        f"/api/groups/{slug}/bibtex",
        f"/api/groups/{slug}/collections/{private_group['values']['pk']}/papers",
        f"/api/groups/{slug}/meetings/{private_group['meeting'].pk}",
    ):
        assert client.get(path, headers=headers).status_code == 404, path
    assert (
        client.post(
            f"/api/groups/{slug}/collections", {"name": "x"}, content_type="application/json", headers=headers
        ).status_code
        == 404
    )
