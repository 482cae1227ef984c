"""A database migrated by the web app's last own migration (0004) moves its community models to the
community app with no data moved: votes, comments and the rest are read back through the new models,
and the moderators' "moderate" permission (a content type row renamed, not recreated) still holds."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)
T = dt.datetime(2025, 1, 2, 12, tzinfo=dt.timezone.utc)
BEFORE = [("web", "0004_pending_submission"), ("community", None)]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    # Every other app at its newest, web at the target (the state to write rows through).
    state = [n for n in executor.loader.graph.leaf_nodes() if n[0] not in {"web", "community"}]
    return executor.loader.project_state(state + [t for t in targets if t[1]]).apps


def test_rows_and_permissions_survive_the_move():
    old = migrate(BEFORE)
    try:
        # As main left it: content types and permissions for the models under "web".
        OldContentType = old.get_model("contenttypes", "ContentType")
        OldPermission = old.get_model("auth", "Permission")
        User = old.get_model("auth", "User")
        # (Going back renamed the test database's community content types to web, as main had them.)
        comment_type, _ = OldContentType.objects.get_or_create(app_label="web", model="comment")
        OldContentType.objects.get_or_create(app_label="web", model="vote")
        # (Models community gained later, e.g. AuthorClaim, keep their own community content types.)
        moved = ["comment", "vote", "submission", "apitoken", "profile", "pendingsubmission"]
        assert not OldContentType.objects.filter(app_label="community", model__in=moved).exists()
        moderate, _ = OldPermission.objects.get_or_create(
            content_type=comment_type,
            codename="moderate",
            defaults={"name": "Can hide papers and comments and ban users"},
        )
        Paper = old.get_model("store", "Paper")
        paper = Paper.objects.create(arxiv_id="2501.00001", title="T", created_at=T)
        alice = User.objects.create(username="alice")
        mod = User.objects.create(username="mod")
        mod.user_permissions.add(moderate)
        old.get_model("web", "Vote").objects.create(user=alice, paper=paper)
        top = old.get_model("web", "Comment").objects.create(paper=paper, user=alice, body="hi", body_html="<p>hi</p>")
        old.get_model("web", "Comment").objects.create(
            paper=paper, user=mod, parent=top, body="re", body_html="<p>re</p>"
        )
        old.get_model("web", "Submission").objects.create(paper=paper, user=alice, date=T.date())
        old.get_model("web", "ApiToken").objects.create(user=alice, name="laptop", digest="d" * 64, prefix="dp_abcde")
        old.get_model("web", "Profile").objects.create(user=alice, email_confirmed=True)
        old.get_model("web", "PendingSubmission").objects.create(
            user=alice, submitted_by="alice", arxiv_id="2501.00002", date=T.date()
        )
    finally:
        call_command("migrate", verbosity=0)

    from django.contrib.auth import get_user_model

    from dailypapers.community.models import ApiToken, Comment, PendingSubmission, Profile, Submission, Vote

    alice = get_user_model().objects.get(username="alice")
    assert list(Vote.objects.values_list("user__username", "paper__arxiv_id")) == [("alice", "2501.00001")]
    assert [(c.body, c.parent_id is not None) for c in Comment.objects.all()] == [("hi", False), ("re", True)]
    assert Submission.objects.get().user == alice
    assert ApiToken.objects.get().prefix == "dp_abcde"
    assert Profile.objects.get(user=alice).email_confirmed
    assert PendingSubmission.objects.get().arxiv_id == "2501.00002"
    # The content types moved (same rows), none is left under web, and the granted permission holds.
    assert ContentType.objects.get_for_model(Comment).pk == comment_type.pk
    assert not ContentType.objects.filter(app_label="web", model__in=["comment", "vote"]).exists()
    mod = get_user_model().objects.get(username="mod")
    assert mod.has_perm("community.moderate")
    assert not mod.has_perm("web.moderate")


def test_the_move_migrates_back():
    """Going back to web 0004 gives the content types back to web (the tables never moved)."""
    call_command("migrate", verbosity=0)
    assert ContentType.objects.filter(app_label="community", model="vote").exists()
    migrate(BEFORE)
    try:
        assert ContentType.objects.filter(app_label="web", model="vote").exists()
        assert not ContentType.objects.filter(app_label="community", model="vote").exists()
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM web_vote")
            assert cursor.fetchone() == (0,)
    finally:
        call_command("migrate", verbosity=0)
