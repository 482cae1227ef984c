"""schemathesis against /api/openapi.json: every operation, read and write (with a valid API
token), answers with a status and a body its declared schema allows, and never a 5xx.

Runs in-process on the Django WSGI app against the test database holding recorded Hugging
Face days, with a fixed example budget per operation (SCHEMA_EXAMPLES) so it stays within
a minute or two on two cores.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from dailypapers.community import tokens
from dailypapers.groups import membership
from dailypapers.groups.models import Meeting, SharedCollection
from dailypapers.library import paper_collections
from dailypapers.library.models import Collection, SavedSearch
from dailypapers.store.models import Paper
from tests.hf_recorded import import_days

# The last test reads what the cases before it saw: under xdist (`--dist loadgroup`, as the
# Makefile runs it) the whole module runs in one worker, in this order.
pytestmark = pytest.mark.xdist_group("api_schema")
SEEN: dict[str, set[int]] = {}  # statuses each operation answered during the run
EXAMPLES = int(os.environ.get("SCHEMA_EXAMPLES", "40"))
# The personal layer's examples (library/api.py) name the fuzz reader's collection and saved search.
COLLECTION_ID, SEARCH_ID = 4242, 4343
# groups/api.py's examples name the fuzz reader's group, its shared collection and its meeting.
GROUP_SLUG, SHARED_ID, MEETING_ID = "fuzz-lab", 4545, 4646


def _schema():
    from dailypapers.web.views.api import api

    loaded = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/"))
    loaded.app = get_wsgi_application()  # in-process: the test database, no server
    return loaded


schema = _schema()


@pytest.fixture
def bearer(db, tmp_path, make_user, arxiv_api, settings):
    # The budget's requests are not abuse; the 429 paths are tested in test_hardening_ratelimit.py.
    settings.WRITE_RATE = settings.LIBRARY_RATE = settings.IMPORT_RATE = settings.API_READ_RATE = "1000000/60"
    settings.MAIL_RATE = "1000000/60"
    import_days(tmp_path / "days.jsonl", ("2026-08-21",))
    reader = make_user("schemathesis")
    Collection.objects.create(pk=COLLECTION_ID, user=reader, name="Fuzzed")
    paper_collections.add(reader, COLLECTION_ID, Paper.objects.get(arxiv_id="2608.13210"))  # its note can be set
    SavedSearch.objects.create(
        pk=SEARCH_ID, user=reader, name="Fuzzed", query="language models", feed_token=secrets.token_urlsafe(16)
    )
    group = membership.create(reader, "Fuzz lab")
    assert group.slug == GROUP_SLUG
    SharedCollection.objects.create(pk=SHARED_ID, group=group, name="Fuzzed")
    Meeting.objects.create(
        pk=MEETING_ID,
        group=group,
        paper=Paper.objects.get(arxiv_id="2608.13210"),
        starts_at=dt.datetime(2030, 1, 15, 16, tzinfo=dt.timezone.utc),
    )
    # As Django's test client does: the end of a request must not close the test's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield {"Authorization": f"Bearer {tokens.create(reader, 'schemathesis')[1]}"}
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case, bearer):
    # positive_data_acceptance is left out: some 400s follow rules OpenAPI cannot state (a future
    # date, date and week together, an id that is not arXiv's); those 400s are declared and checked.
    excluded = [positive_data_acceptance]
    # A negative case that drops the Authorization header is no negative case here: the fixture's
    # token is sent with every call, so that request is authenticated and rightly succeeds (seen
    # in a full run: GET /api/recommendations, header dropped and an unnamed query parameter, 200).
    secured = bool(case.operation.definition.raw.get("security"))
    if secured and not any(name.lower() == "authorization" for name in (case.headers or {})):
        excluded.append(negative_data_rejection)
    # identity: the in-process WSGI call does not undo the pages' gzip as an HTTP client would
    response = case.call_and_validate(headers={**bearer, "Accept-Encoding": "identity"}, excluded_checks=excluded)
    if case.method.upper() == case.operation.method.upper():  # not its probes with other methods
        SEEN.setdefault(f"{case.method.upper()} {case.operation.path}", set()).add(response.status_code)


def test_the_budget_reached_every_operation_successfully():
    """Not only 404s: the recorded paper in the examples makes each operation succeed at least once.
    Fails, rather than skips, when the cases did not run before it in this process."""
    operations = {f"{op.method.upper()} {op.path}" for op in (result.ok() for result in schema.get_all_operations())}
    unseen = sorted(operations - SEEN.keys())
    assert not unseen, (
        f"{len(unseen)} of {len(operations)} operations were never called by the schemathesis cases in this"
        f" process (run the whole module; under xdist with --dist loadgroup): {unseen}"
    )
    failing = {operation: statuses for operation, statuses in SEEN.items() if not any(200 <= s < 300 for s in statuses)}
    assert not failing, f"operations that never succeeded: {failing}"


def test_every_operation_declares_its_error_responses(db, client):  # API reads are counted in the database
    spec = client.get("/api/openapi.json").json()
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            statuses = set(operation["responses"])
            assert statuses & {"200", "201"} and {"400", "404"} <= statuses, (method, path, statuses)
            if "security" in operation:
                assert {"401", "429"} <= statuses, (method, path, statuses)
            for status, response in operation["responses"].items():
                assert "content" in response, (method, path, status)


def test_a_nul_in_a_submitter_is_a_400_not_a_database_error(db, client):
    # Found by this fuzz on PostgreSQL, which cannot hold NUL in a string literal.
    response = client.get("/api/daily_papers?submitter=K%00")
    assert response.status_code == 400 and "NUL" in response.json()["error"]
