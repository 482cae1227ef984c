"""Submit a paper by arXiv id or URL: fetched through the ingest path, featured on today's community list."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from dailypapers.ingest.http import SourceError, client_from_config
from dailypapers.ingest.parsers.atom import parse_atom
from dailypapers.ingest.records import DailyEntryRecord, PaperRecord, RecordError, split_arxiv_id
from dailypapers.store.models import DailyEntry, Paper
from dailypapers.store.upsert import write_batch
from dailypapers.web.models import PaperModeration, Submission
from dailypapers.web.services import ratelimit

SOURCE = "community"


@dataclass(frozen=True)
class SubmitResult:
    paper: Paper
    created: bool  # False: it was already on today's list (the duplicate goes to the existing entry)


def parse_reference(raw: str) -> str:
    """An arXiv id from '2401.01234', 'arXiv:2401.01234v2' or an arxiv.org abs/pdf URL."""
    text = (raw or "").strip().replace("://www.arxiv.org", "://arxiv.org")
    try:
        return split_arxiv_id(text)[0]
    except RecordError:
        raise ValidationError(f"{raw!r} is not an arXiv id or arXiv URL.") from None


def fetch_record(arxiv_id: str) -> PaperRecord:
    """The paper as the arXiv API describes it (the same client and parser sync uses)."""
    client = client_from_config(settings.CONFIG, retries=1, max_wait=5.0)
    try:
        response = client.get(settings.CONFIG["DAILYPAPERS_ARXIV_API_URL"], {"id_list": arxiv_id, "max_results": "1"})
    except SourceError as exc:
        raise ValidationError(f"arXiv could not be reached to fetch {arxiv_id}: {exc}") from exc
    for item in parse_atom(response.body):
        if isinstance(item, PaperRecord) and item.arxiv_id == arxiv_id:
            return item
    raise ValidationError(f"arXiv has no paper {arxiv_id}.")


def submit(user, raw: str, today: dt.date | None = None) -> SubmitResult:
    arxiv_id = parse_reference(raw)
    today = today or timezone.localdate()
    existing = Paper.objects.filter(arxiv_id=arxiv_id).first()
    if existing and PaperModeration.objects.filter(paper=existing, hidden=True).exists():
        # Checked before anything is written: no daily entry, no submission (issue 13, finding 8).
        raise ValidationError(f"{arxiv_id} was hidden by a moderator, so it cannot be submitted.")
    if existing and DailyEntry.objects.filter(paper=existing, date=today).exists():
        return SubmitResult(existing, created=False)
    ratelimit.limit_write(user)
    record = fetch_record(arxiv_id) if existing is None else PaperRecord(arxiv_id=arxiv_id, title=existing.title,
                                                                         source=SOURCE)
    entry = DailyEntryRecord(paper=record, date=today, source=SOURCE, submitted_by=user.get_username(),
                             seen_at=timezone.now())
    try:
        with transaction.atomic():
            write_batch([entry], fetched_at=timezone.now())
            paper = Paper.objects.get(arxiv_id=arxiv_id)
            Submission.objects.create(paper=paper, user=user, date=today)
    except IntegrityError:  # someone submitted it a moment earlier
        return SubmitResult(Paper.objects.get(arxiv_id=arxiv_id), created=False)
    return SubmitResult(paper, created=True)
