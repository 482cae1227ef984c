"""The delivery ledger's state machine: plan, claim, and record each outcome in its own commit.

    pending --claim--> claimed --mark_sent--> sent
                          |------mark_empty--> empty
                          |------mark_retry--> retry --(due)--> claimed ... --> failed
                          |------mark_bounced--> bounced
                          `------release--> pending   (server unavailable: not the message's fault)

Claiming is one short transaction that both databases serialise: on SQLite the IMMEDIATE
transaction takes the write lock at BEGIN; on PostgreSQL the rows are locked with
SELECT ... FOR UPDATE SKIP LOCKED, and the UPDATE re-checks the claimable condition, so two
senders never hold one row. A claim is a lease: a row whose sender died (its process is
gone on this host, or the lease ran out) is claimable again.

The one window no SMTP sender can close: the server accepted a message and the sender died
before mark_sent committed. The row is then still 'claimed' and is sent again once taken
over. mark_sent follows the server's reply immediately, so the window is one local commit
wide, and the resend carries the same Message-ID (render.message_id) for the receiving side
to deduplicate.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from collections.abc import Iterable, Sequence

from django.db import connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils import timezone

from dailypapers.digest.models import Delivery, SentPaper, Subscriber
from dailypapers.digest.periods import Period
from dailypapers.store import dialect

HOST = socket.gethostname()


def new_worker_id() -> str:
    """'host:pid:random' — the host and pid let a sender on the same host see a dead claimant."""
    return f"{HOST}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _dead_local_workers(period: Period) -> list[str]:
    dead = []
    claimants = (
        Delivery.objects.filter(period=period.key, state=Delivery.CLAIMED)
        .values_list("claimed_by", flat=True)
        .distinct()
    )
    for worker in claimants:
        host, _, rest = worker.partition(":")
        pid = rest.partition(":")[0]
        if host != HOST or not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            dead.append(worker)
        except PermissionError:
            pass  # alive, someone else's process
    return dead


def plan(period: Period) -> int:
    """Create a pending row for every active subscriber of this period's frequency that has none."""
    has_row = Delivery.objects.filter(subscriber=OuterRef("pk"), period=period.key)
    new_ids = list(
        Subscriber.objects.filter(status=Subscriber.ACTIVE, frequency=period.frequency)
        .exclude(Exists(has_row))
        .values_list("pk", flat=True)
    )
    for start in range(0, len(new_ids), 2000):
        with transaction.atomic():
            Delivery.objects.bulk_create(
                [Delivery(subscriber_id=pk, period=period.key) for pk in new_ids[start : start + 2000]],
                ignore_conflicts=True,  # another sender planned the same rows: fine
            )
    return len(new_ids)


def claim(period: Period, worker: str, limit: int, lease: dt.timedelta) -> list[Delivery]:
    """Take up to ``limit`` claimable rows of ``period`` for ``worker``; return them with their subscribers."""
    now = timezone.now()
    dead = _dead_local_workers(period)
    claimable = (
        Q(state=Delivery.PENDING)
        | Q(state=Delivery.RETRY, next_attempt_at__lte=now)
        | Q(state=Delivery.CLAIMED, claimed_at__lt=now - lease)
        | Q(state=Delivery.CLAIMED, claimed_by__in=dead)
    )
    while True:
        with transaction.atomic():
            rows = Delivery.objects.filter(claimable, period=period.key).order_by("id")
            if connection.features.has_select_for_update_skip_locked:
                rows = rows.select_for_update(skip_locked=True)
            ids = list(rows.values_list("id", flat=True)[:limit])
            if not ids:
                return []
            # Subscribers who left since planning never get this period's mail. Checked on the rows
            # taken (not the whole period), so a claim costs the same early and late in a big run.
            cancelled = (
                Delivery.objects.filter(claimable, id__in=ids)
                .exclude(subscriber__status=Subscriber.ACTIVE)
                .update(state=Delivery.CANCELLED, claimed_by="", claimed_at=None)
            )
            claimed = Delivery.objects.filter(claimable, id__in=ids).update(
                state=Delivery.CLAIMED,
                claimed_by=worker,
                claimed_at=now,
                attempts=F("attempts") + 1,
            )
        if claimed or not cancelled:
            break  # (all taken rows cancelled: take the next ones)
    return list(
        Delivery.objects.filter(id__in=ids, state=Delivery.CLAIMED, claimed_by=worker)
        .select_related("subscriber")
        .order_by("id")
    )


def _finish(delivery: Delivery, worker: str, **values) -> bool:
    """Move a row we hold out of 'claimed'; False if our claim was taken over meanwhile."""
    return bool(Delivery.objects.filter(id=delivery.id, state=Delivery.CLAIMED, claimed_by=worker).update(**values))


def mark_sent(delivery: Delivery, worker: str, paper_ids: Sequence[int], message_id: str) -> bool:
    """Record the server's acceptance in one commit (called right after its reply: see the module doc).

    Plain SQL: this runs once per mail, and the ORM's query building cost more
    than the commit itself.
    """
    delivery_table, paper_table = _tables()
    q = connection.ops.quote_name
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {delivery_table} SET {q('state')} = %s, {q('sent_at')} = %s, {q('message_id')} = %s, "
                f"{q('paper_count')} = %s, {q('last_error')} = '' "
                f"WHERE {q('id')} = %s AND {q('state')} = %s AND {q('claimed_by')} = %s",
                [
                    Delivery.SENT,
                    connection.ops.adapt_datetimefield_value(timezone.now()),
                    message_id,
                    len(paper_ids),
                    delivery.id,
                    Delivery.CLAIMED,
                    worker,
                ],
            )
            held = cursor.rowcount == 1
            # Recorded even if the claim was lost: the mail went out, its papers must not repeat.
            if paper_ids:
                cursor.executemany(
                    f"INSERT INTO {paper_table} ({q('subscriber_id')}, {q('paper_id')}, {q('delivery_id')}) "
                    f"VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                    [(delivery.subscriber_id, pk, delivery.id) for pk in paper_ids],
                )
    return held


def _tables() -> tuple[str, str]:
    q = connection.ops.quote_name
    return q(Delivery._meta.db_table), q(SentPaper._meta.db_table)


def mark_empty(delivery: Delivery, worker: str) -> bool:
    return _finish(delivery, worker, state=Delivery.EMPTY, paper_count=0)


def release(deliveries: Iterable[Delivery], worker: str) -> None:
    """Hand rows back untouched (the server, not the message, failed): the attempt does not count."""
    ids = [d.id for d in deliveries]
    Delivery.objects.filter(id__in=ids, state=Delivery.CLAIMED, claimed_by=worker).update(
        state=Delivery.PENDING,
        claimed_by="",
        claimed_at=None,
        attempts=F("attempts") - 1,
    )


def mark_retry(delivery: Delivery, worker: str, error: str, max_attempts: int, retry_base: float) -> str:
    """Schedule another try with exponential back-off, or give up after ``max_attempts``."""
    attempts = delivery.attempts  # already counts this one (claim adds it)
    if attempts >= max_attempts:
        _finish(delivery, worker, state=Delivery.FAILED, last_error=error)
        return Delivery.FAILED
    delay = dt.timedelta(seconds=retry_base * 2 ** (attempts - 1))
    _finish(
        delivery,
        worker,
        state=Delivery.RETRY,
        last_error=error,
        next_attempt_at=timezone.now() + delay,
        claimed_by="",
        claimed_at=None,
    )
    return Delivery.RETRY


def mark_bounced(delivery: Delivery, worker: str, error: str, bounce_limit: int) -> bool:
    """Record a permanent refusal; return True if the address is now suspended."""
    with transaction.atomic():
        _finish(delivery, worker, state=Delivery.BOUNCED, last_error=error)
        Subscriber.objects.filter(pk=delivery.subscriber_id).update(bounce_count=F("bounce_count") + 1)
        return bool(
            Subscriber.objects.filter(
                pk=delivery.subscriber_id,
                status=Subscriber.ACTIVE,
                bounce_count__gte=bounce_limit,
            ).update(status=Subscriber.SUSPENDED)
        )


def next_retry_at(period: Period) -> dt.datetime | None:
    """When the earliest waiting retry of ``period`` is due (None: nothing waits)."""
    return (
        Delivery.objects.filter(period=period.key, state=Delivery.RETRY)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )


def sent_papers(subscriber_ids: Iterable[int], paper_ids: Iterable[int]) -> dict[int, set[int]]:
    """For each subscriber, which of ``paper_ids`` they already received."""
    subscriber_ids = [int(pk) for pk in subscriber_ids]
    paper_ids = [int(pk) for pk in paper_ids]
    found: dict[int, set[int]] = {}
    if not subscriber_ids or not paper_ids:
        return found
    _, paper_table = _tables()
    q = connection.ops.quote_name
    sql = (
        f"SELECT {q('subscriber_id')}, {q('paper_id')} FROM {paper_table} "
        f"WHERE {q('subscriber_id')} IN ({', '.join(['%s'] * len(subscriber_ids))}) AND "
    )
    papers_clause, papers_params = dialect.int_in(q("paper_id"), paper_ids)
    sql += papers_clause
    params = [*subscriber_ids, *papers_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for subscriber_id, paper_id in cursor.fetchall():
            found.setdefault(subscriber_id, set()).add(paper_id)
    return found


def counts(period: Period) -> dict[str, int]:
    totals = {state: 0 for state, _ in Delivery.STATES}
    for row in Delivery.objects.filter(period=period.key).values("state").annotate(n=Count("id")):
        totals[row["state"]] = row["n"]
    return totals
