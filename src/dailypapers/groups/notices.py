"""Group events as notifications: an invitation by email tells the reader it names (when they have
an account with that address), and a scheduled meeting tells every member but its scheduler.

Registered on ``groups.hooks`` by the app's ready(); each notice has one key, so a repeated event
is never notified twice."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.urls import reverse

from dailypapers.groups.models import Invitation, Meeting
from dailypapers.notify import events
from dailypapers.notify.models import GROUP, MEETING


def member_invited(invitation: Invitation) -> None:
    if not invitation.email:  # a link invitation names nobody
        return
    inviter = invitation.invited_by.username if invitation.invited_by else "Someone"
    for reader in get_user_model().objects.filter(email__iexact=invitation.email, is_active=True):
        events.notify(
            reader,
            GROUP,
            text=f"{inviter} invited you to the group {invitation.group.name}",
            url=reverse("groups:join", args=[invitation.token]),
            key=f"group-invitation:{invitation.pk}",
        )


def meeting_scheduled(meeting: Meeting) -> None:
    members = get_user_model().objects.filter(group_memberships__group=meeting.group)
    if meeting.created_by_id:
        members = members.exclude(pk=meeting.created_by_id)
    when = meeting.starts_at.strftime("%b %-d, %H:%M UTC")
    events.notify_many(
        members,
        MEETING,
        text=f"{meeting.group.name} meets on {when} about {meeting.paper.title}",
        url=reverse("groups:meeting", args=[meeting.group.slug, meeting.pk]),
        key=f"meeting:{meeting.pk}",
    )
