"""Group events reach the notifications page: an email invitation tells the reader it names, a
scheduled meeting tells the other members, each once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from dailypapers.groups import meetings, membership, notices
from dailypapers.groups.models import Membership
from dailypapers.notify.models import GROUP, MEETING, Notification
from tests.web_fixtures import feature

pytestmark = pytest.mark.django_db


def test_an_email_invitation_and_a_meeting_are_notified_once(make_user, django_capture_on_commit_callbacks):
    ana, ben, cleo = make_user("ana"), make_user("ben"), make_user("cleo")
    group = membership.create(ana, "Reading Group")
    Membership.objects.create(group=group, user=ben)
    with django_capture_on_commit_callbacks(execute=True):
        invitation, _ = membership.invite_email(ana, group.slug, "Cleo@Example.org", lambda token: f"/j/{token}")
    notice = Notification.objects.get(recipient=cleo)
    assert notice.kind == GROUP and "ana invited you to the group Reading Group" in notice.text
    assert notice.url == f"/groups/join/{invitation.token}"

    paper = feature(dt.date(2025, 1, 6), title="Attention, again")[0]
    with django_capture_on_commit_callbacks(execute=True):
        meeting = meetings.schedule(group, ana, paper, timezone.now() + dt.timedelta(days=2))
    told = Notification.objects.filter(kind=MEETING)
    assert list(told.values_list("recipient__username", flat=True)) == ["ben"]  # not the scheduler, not cleo
    assert told.get().url == f"/groups/{group.slug}/meetings/{meeting.pk}"
    notices.meeting_scheduled(meeting)  # the same event again: its key holds it to one notice
    assert told.count() == 1
