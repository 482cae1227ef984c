"""Reading-group meetings: schedule, the discussion, upcoming and archive, the iCalendar feed,
and the reminder mail the worker sends once before each meeting."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from dailypapers.digest import outbox
from dailypapers.groups import hooks
from dailypapers.groups.models import Group, Meeting, MeetingComment, Membership
from dailypapers.latex import plain
from dailypapers.store.models import Paper

log = logging.getLogger("dailypapers.groups")

MAX_COMMENT = 10_000
MAX_MINUTES = 24 * 60
ICAL_UPCOMING = 200  # events in the feed at most
ICAL_PAST_DAYS = 30  # the feed keeps meetings this recent, so a calendar does not drop them at once


def _url(value: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError:
        raise ValidationError(f"“{value[:200]}” is not an http(s) link.") from None
    if len(value) > 500:
        raise ValidationError("A link can have at most 500 characters.")
    return value


def schedule(
    group: Group,
    user,
    paper: Paper,
    starts_at: dt.datetime,
    presenter_id: int | None = None,
    minutes: int = 60,
    location: str = "",
    notes_url: str = "",
    slides_url: str = "",
) -> Meeting:
    """A meeting on ``paper`` at ``starts_at``; the presenter, if named, must be a member."""
    if timezone.is_naive(starts_at):
        raise ValidationError("A meeting's time needs a time zone.")
    if not 2000 <= starts_at.astimezone(dt.timezone.utc).year <= 2200:
        raise ValidationError("A meeting's date must fall between the years 2000 and 2200.")
    if not 1 <= int(minutes) <= MAX_MINUTES:
        raise ValidationError(f"A meeting lasts between 1 and {MAX_MINUTES} minutes.")
    if presenter_id is not None and not Membership.objects.filter(group=group, user_id=presenter_id).exists():
        raise ValidationError("The presenter must be a member of the group.")
    with transaction.atomic():
        meeting = Meeting.objects.create(
            group=group,
            paper=paper,
            presenter_id=presenter_id,
            starts_at=starts_at,
            minutes=int(minutes),
            location=(location or "").strip()[:200],
            notes_url=_url(notes_url),
            slides_url=_url(slides_url),
            created_by=user,
        )
        hooks.fire(hooks.meeting_scheduled, meeting)
    return meeting


def set_links(meeting: Meeting, notes_url: str, slides_url: str) -> Meeting:
    meeting.notes_url, meeting.slides_url = _url(notes_url), _url(slides_url)
    meeting.save(update_fields=["notes_url", "slides_url"])
    return meeting


def get(group: Group, pk: int) -> Meeting:
    return Meeting.objects.select_related("paper", "presenter").get(group=group, pk=pk)


def upcoming(group: Group, now: dt.datetime | None = None) -> QuerySet[Meeting]:
    now = now or timezone.now()
    return (
        Meeting.objects.filter(group=group, starts_at__gte=now - dt.timedelta(hours=3))
        .select_related("paper", "presenter")
        .order_by("starts_at", "id")
    )


def archive(group: Group, now: dt.datetime | None = None) -> QuerySet[Meeting]:
    now = now or timezone.now()
    return (
        Meeting.objects.filter(group=group, starts_at__lt=now - dt.timedelta(hours=3))
        .select_related("paper", "presenter")
        .order_by("-starts_at", "-id")
    )


def comments(meeting: Meeting) -> QuerySet[MeetingComment]:
    return MeetingComment.objects.filter(meeting=meeting).select_related("author").order_by("created_at", "id")


def comment(meeting: Meeting, user, body: str) -> MeetingComment:
    body = (body or "").strip()
    if not body:
        raise ValidationError("A comment needs some text.")
    if len(body) > MAX_COMMENT:
        raise ValidationError(f"A comment can have at most {MAX_COMMENT:,} characters.")
    return MeetingComment.objects.create(meeting=meeting, author=user, body=body)


# iCalendar (RFC 5545) ---------------------------------------------------------------------------


def _escape(text: str) -> str:
    """TEXT values: backslash, semicolon, comma escaped; newlines as \\n (section 3.3.11)."""
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def _fold(line: str) -> str:
    """Lines longer than 75 octets folded (section 3.1), never inside a UTF-8 sequence."""
    out: list[str] = []
    current = b""
    for char in line:
        encoded = char.encode("utf-8")
        if len(current) + len(encoded) > (75 if not out else 74):
            out.append(current.decode("utf-8"))
            current = b""
        current += encoded
    out.append(current.decode("utf-8"))
    return "\r\n ".join(out)


def _stamp(value: dt.datetime) -> str:
    return value.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def calendar(group: Group, now: dt.datetime | None = None) -> str:
    """The group's meetings from ICAL_PAST_DAYS ago on, as an iCalendar document (UTC times)."""
    now = now or timezone.now()
    meetings = (
        Meeting.objects.filter(group=group, starts_at__gte=now - dt.timedelta(days=ICAL_PAST_DAYS))
        .select_related("paper", "presenter")
        .order_by("starts_at", "id")[:ICAL_UPCOMING]
    )
    domain = urlsplit(settings.BASE_URL).hostname or "localhost"
    base = settings.BASE_URL.rstrip("/")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//dailypapers//reading groups//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_escape(group.name)}",
    ]
    for meeting in meetings:
        url = base + reverse("groups:meeting", args=[group.slug, meeting.pk])
        who = meeting.presenter.username if meeting.presenter else "to be decided"
        description = f"{plain(meeting.paper.title)} (arXiv:{meeting.paper.arxiv_id})\nPresenter: {who}\n{url}"
        for label, link in (("Notes", meeting.notes_url), ("Slides", meeting.slides_url)):
            if link:
                description += f"\n{label}: {link}"
        lines += [
            "BEGIN:VEVENT",
            f"UID:meeting-{meeting.pk}@{domain}",
            f"DTSTAMP:{_stamp(meeting.created_at)}",
            f"DTSTART:{_stamp(meeting.starts_at)}",
            f"DTEND:{_stamp(meeting.starts_at + dt.timedelta(minutes=meeting.minutes))}",
            f"SUMMARY:{_escape(f'{group.name}: {plain(meeting.paper.title)}')}",
            f"DESCRIPTION:{_escape(description)}",
            f"URL:{url}",
        ]
        if meeting.location:
            lines.append(f"LOCATION:{_escape(meeting.location)}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)


# Reminders --------------------------------------------------------------------------------------


@dataclass
class ReminderResult:
    meetings: int = 0
    mails: int = 0


def _lead() -> dt.timedelta:
    return dt.timedelta(hours=float(settings.CONFIG["DAILYPAPERS_GROUP_MEETING_REMINDER_HOURS"]))


def due_reminders(now: dt.datetime | None = None) -> QuerySet[Meeting]:
    now = now or timezone.now()
    return Meeting.objects.filter(reminded_at__isnull=True, starts_at__gt=now, starts_at__lte=now + _lead())


def send_reminders(now: dt.datetime | None = None) -> ReminderResult:
    """Queue each due meeting's reminder to every member with an address, exactly once: the
    meeting's ``reminded_at`` moves (a conditional UPDATE only one sender wins) in the same
    transaction that puts the mails in the outbox, which then delivers them (with retries)."""
    now = now or timezone.now()
    result = ReminderResult()
    for meeting_id in list(due_reminders(now).values_list("id", flat=True)):
        mails = []
        with transaction.atomic():
            if not Meeting.objects.filter(pk=meeting_id, reminded_at__isnull=True).update(reminded_at=now):
                continue  # another worker has it
            meeting = Meeting.objects.select_related("group", "paper", "presenter").get(pk=meeting_id)
            url = settings.BASE_URL.rstrip("/") + reverse("groups:meeting", args=[meeting.group.slug, meeting.pk])
            context = {
                "meeting": meeting,
                "group": meeting.group,
                "title": plain(meeting.paper.title),
                "presenter": meeting.presenter.username if meeting.presenter else "",
                "url": url,
            }
            when = meeting.starts_at.astimezone(dt.timezone.utc)
            subject = f"Reminder: “{meeting.group.name}” meets {when:%a %d %b, %H:%M} UTC"
            for membership in Membership.objects.filter(group=meeting.group).select_related("user"):
                if membership.user.email:
                    mails.append(
                        outbox.enqueue(
                            outbox.compose(membership.user.email, subject, "groups/email/reminder", context),
                            kind="group-meeting-reminder",
                            user=membership.user,
                        )
                    )
        result.meetings += 1
        result.mails += len(mails)
        log.info("meeting %s: reminder queued for %d member(s)", meeting_id, len(mails))
    return result
