"""Submit a paper by arXiv id or URL: fetched through the ingest path, featured on today's community list.

When arXiv cannot be reached (connection refused, timeouts, 5xx, a body that is not a
feed), the submission is kept as a PendingSubmission instead of being lost, the submitter
is told so, and `dailypapers worker` fetches it later (fetch_pending) and puts the paper on
the list of the day it was submitted. An id arXiv answers for but does not know is the
submitter's mistake and is refused at once (or, when found later, ends 'failed').
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from dailypapers import ratelimit
from dailypapers.community.models import PaperModeration, PendingSubmission, Submission
from dailypapers.ingest.arxiv_lookup import ArxivUnreachable, NotOnArxiv, fetch_record
from dailypapers.ingest.records import DailyEntryRecord, PaperRecord, RecordError, split_arxiv_id
from dailypapers.store.models import DailyEntry, Paper
from dailypapers.store.upsert import write_batch

SOURCE = "community"
RETRY_BASE = 60.0  # seconds before the worker asks arXiv again; doubles per attempt
RETRY_MAX = 3600.0
MAX_ATTEMPTS = 48  # about two days of hourly tries, then the submission ends failed

log = logging.getLogger("dailypapers.submissions")


@dataclass(frozen=True)
class SubmitResult:
    paper: Paper | None  # None while pending
    created: bool  # False: it was already on today's list (the duplicate goes to the existing entry)
    pending: PendingSubmission | None = None  # set when arXiv could not be reached: fetched later
    featured_on: dt.date | None = None  # an earlier day's list already had it: not listed again

    RETRY_AFTER = int(RETRY_BASE)  # what the API tells a client to wait before asking again


def parse_reference(raw: str) -> str:
    """An arXiv id from '2401.01234', 'arXiv:2401.01234v2' or an arxiv.org abs/pdf URL."""
    text = (raw or "").strip().replace("://www.arxiv.org", "://arxiv.org")
    try:
        return split_arxiv_id(text)[0]
    except RecordError:
        raise ValidationError(f"{raw!r} is not an arXiv id or arXiv URL.") from None


def submit(user, raw: str, today: dt.date | None = None) -> SubmitResult:
    arxiv_id = parse_reference(raw)
    today = today or timezone.localdate()
    existing = Paper.objects.filter(arxiv_id=arxiv_id).first()
    if existing and PaperModeration.objects.filter(paper=existing, hidden=True).exists():
        # Checked before anything is written: no daily entry, no submission.
        raise ValidationError(f"{arxiv_id} was hidden by a moderator, so it cannot be submitted.")
    if existing and DailyEntry.objects.filter(paper=existing, date=today).exists():
        return SubmitResult(existing, created=False)
    # A paper is featured once: listed again today it would carry its old Hugging Face votes to
    # the top of today's list, under two "submitted by" lines.
    earlier = DailyEntry.objects.filter(paper=existing, date__lt=today).order_by("-date").first() if existing else None
    if earlier is not None:
        return SubmitResult(existing, created=False, featured_on=earlier.date)
    waiting = PendingSubmission.objects.filter(arxiv_id=arxiv_id, date=today, state=PendingSubmission.WAITING).first()
    if waiting is not None:  # asked again while arXiv is still away: the same request, no second fetch
        return SubmitResult(None, created=False, pending=waiting)
    ratelimit.limit_write(user)
    if existing is None:
        try:
            record = fetch_record(arxiv_id)
        except ArxivUnreachable as exc:
            return SubmitResult(None, created=True, pending=_keep_for_later(user, arxiv_id, today, str(exc)))
    else:
        record = PaperRecord(arxiv_id=arxiv_id, title=existing.title, source=SOURCE)
    return _feature(record, user, user.get_username(), today)


def _feature(record: PaperRecord, user, name: str, day: dt.date) -> SubmitResult:
    entry = DailyEntryRecord(paper=record, date=day, source=SOURCE, submitted_by=name, seen_at=timezone.now())
    try:
        with transaction.atomic():
            write_batch([entry], fetched_at=timezone.now())
            paper = Paper.objects.get(arxiv_id=record.arxiv_id)
            Submission.objects.create(paper=paper, user=user, date=day)
    except IntegrityError:  # someone submitted it a moment earlier
        return SubmitResult(Paper.objects.get(arxiv_id=record.arxiv_id), created=False)
    return SubmitResult(paper, created=True)


def _keep_for_later(user, arxiv_id: str, day: dt.date, error: str) -> PendingSubmission:
    log.warning("arXiv unreachable for submission %s (%s); kept for the worker", arxiv_id, error)
    try:
        with transaction.atomic():
            return PendingSubmission.objects.create(
                user=user,
                submitted_by=user.get_username(),
                arxiv_id=arxiv_id,
                date=day,
                last_error=error,
                attempts=1,
                next_attempt_at=timezone.now() + dt.timedelta(seconds=RETRY_BASE),
            )
    except IntegrityError:  # another request kept the same one a moment earlier
        return PendingSubmission.objects.get(arxiv_id=arxiv_id, date=day, state=PendingSubmission.WAITING)


@dataclass
class FetchReport:
    done: int = 0
    failed: int = 0
    waiting: int = 0


def fetch_pending(now: dt.datetime | None = None, limit: int = 20) -> FetchReport:
    """The worker's job: ask arXiv for the due pending submissions; stop at the first outage."""
    now = now or timezone.now()
    report = FetchReport()
    due = list(
        PendingSubmission.objects.filter(state=PendingSubmission.WAITING, next_attempt_at__lte=now)
        .select_related("user")
        .order_by("next_attempt_at", "id")[:limit]
    )
    for index, pending in enumerate(due):
        try:
            record = fetch_record(pending.arxiv_id, retries=1)
        except NotOnArxiv as exc:
            _close(pending, PendingSubmission.FAILED, last_error=" ".join(exc.messages))
            report.failed += 1
            continue
        except ArxivUnreachable as exc:
            for rest in due[index:]:  # arXiv is away: every one waits, each attempt counted
                _postpone(rest, str(exc), now)
            report.waiting += len(due) - index
            break
        result = _feature(record, pending.user, pending.submitted_by, pending.date)
        _close(pending, PendingSubmission.DONE, paper=result.paper, last_error="")
        report.done += 1
    return report


def _postpone(pending: PendingSubmission, error: str, now: dt.datetime) -> None:
    attempts = pending.attempts + 1
    if attempts >= MAX_ATTEMPTS:
        _close(
            pending,
            PendingSubmission.FAILED,
            attempts=attempts,
            last_error=f"arXiv could not be reached after {attempts} tries: {error}",
        )
        return
    delay = min(RETRY_BASE * 2 ** (attempts - 1), RETRY_MAX)
    PendingSubmission.objects.filter(pk=pending.pk, state=PendingSubmission.WAITING).update(
        attempts=attempts, last_error=error, next_attempt_at=now + dt.timedelta(seconds=delay)
    )


def _close(pending: PendingSubmission, state: str, **values) -> None:
    PendingSubmission.objects.filter(pk=pending.pk, state=PendingSubmission.WAITING).update(
        state=state, done_at=timezone.now(), **values
    )


def pending_message(pending: PendingSubmission) -> str:
    """What the submitter reads when arXiv was away."""
    return (
        f"arXiv cannot be reached right now, so {pending.arxiv_id} could not be fetched yet. Your submission is "
        f"saved: we fetch it automatically within minutes to hours and it then appears on the list of "
        f"{pending.date:%B} {pending.date.day}. You can follow it here on your account page."
    )


def of_user(user, limit: int = 20) -> list[PendingSubmission]:
    """The user's submissions that waited for arXiv, newest first (the account page lists them)."""
    return list(PendingSubmission.objects.filter(user=user).select_related("paper").order_by("-created_at")[:limit])
