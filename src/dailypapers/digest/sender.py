"""Send one period's digests exactly once per subscriber (see ledger.py for the guarantees).

The run: check the SMTP settings by connecting (nothing is claimed if that fails), plan
the period's ledger rows, load and rank the candidates once, then claim small batches and
send each mail (Django templates, Django's email backend) on one reused connection,
committing each outcome right after the server's reply. The next mail is built while the
server answers (one mail in flight on a helper thread, see _send_batch), which keeps the
exactly-once window of ledger.py at one mail. Temporary refusals are retried with back-off within the run while they are due
within ``retry_max_wait``; later ones are left for the next run.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.utils import timezone

from dailypapers.digest import ledger, mailer, personal, render
from dailypapers.digest.candidates import load_candidates
from dailypapers.digest.models import Delivery, Subscriber
from dailypapers.digest.periods import Period
from dailypapers.digest.selection import Candidate, CandidatePool, Matches, Preferences, pick

log = logging.getLogger("dailypapers.digest")


@dataclass(frozen=True)
class SendOptions:
    rate: float = 10.0
    max_attempts: int = 5
    retry_base: float = 60.0
    retry_max_wait: float = 900.0
    bounce_limit: int = 3
    lease: float = 600.0
    window_days: int = 7
    # Small enough that an unsubscribe lands between batches (a quarter second apart at 200 mails/s) and a
    # dead sender strands few rows; large enough that claiming (five statements) is a small part of a mail.
    claim_batch: int = 50
    # Mails built while one is in flight: the building goes on through the server's replies
    # instead of stopping at each one (bench/digest_bench.py). Not a wider exactly-once window:
    # a built mail stays in memory until the one before it is recorded.
    build_ahead: int = 50

    @classmethod
    def from_config(cls, **overrides) -> SendOptions:
        config = settings.CONFIG
        values = dict(
            rate=config["DAILYPAPERS_DIGEST_RATE"],
            max_attempts=config["DAILYPAPERS_DIGEST_MAX_ATTEMPTS"],
            retry_base=config["DAILYPAPERS_DIGEST_RETRY_BASE"],
            retry_max_wait=config["DAILYPAPERS_DIGEST_RETRY_MAX_WAIT"],
            bounce_limit=config["DAILYPAPERS_DIGEST_BOUNCE_LIMIT"],
            lease=config["DAILYPAPERS_DIGEST_LEASE"],
            window_days=config["DAILYPAPERS_DIGEST_WINDOW_DAYS"],
        )
        values.update(overrides)
        return cls(**values)


@dataclass
class SendReport:
    period: str
    planned: int = 0
    sent: int = 0
    empty: int = 0
    retried: int = 0
    failed: int = 0
    bounced: int = 0
    suspended: int = 0
    waiting: int = 0  # retries left for a later run
    ledger: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


class Composer:
    """Chooses each subscriber's papers: filtering runs once per distinct preference set."""

    def __init__(self, candidates: list[Candidate]) -> None:
        self.pool = CandidatePool(candidates)
        self.paper_ids = [c.paper_id for c in candidates]
        self._matched: dict[tuple, Matches] = {}
        self._raw: dict[tuple[str, str, str], Matches] = {}
        self.fragments = render.PaperFragments(render.load_authors(self.paper_ids))

    def papers_for(self, subscriber: Subscriber, already_sent: set[int]) -> list[Candidate]:
        raw = (subscriber.categories, subscriber.keywords, subscriber.excluded_keywords)
        matched = self._raw.get(raw)
        if matched is None:
            prefs = Preferences.of(*raw)
            # Phrase order does not change what matches: "a, b" and "b, a" share one list.
            key = (prefs.categories, frozenset(prefs.keywords), frozenset(prefs.excluded))
            if key not in self._matched:
                self._matched[key] = self.pool.matching(prefs)
            matched = self._raw[raw] = self._matched[key]
        return pick(matched, already_sent, subscriber.top_n)


def send_period(
    period: Period, options: SendOptions | None = None, progress: Callable[[SendReport], None] | None = None
) -> SendReport:
    """Send ``period``'s digests; raises mailer.MailConfigError (nothing claimed) if SMTP cannot work."""
    options = options or SendOptions.from_config()
    connection = mailer.open_checked()
    worker = ledger.new_worker_id()
    report = SendReport(period=period.key)
    postman = None
    try:
        report.planned = ledger.plan(period)
        composer = Composer(load_candidates(period, options.window_days))
        renderer = render.DigestRenderer(period, composer.fragments)
        pacer = mailer.Pacer(options.rate)
        postman = ThreadPoolExecutor(max_workers=1, thread_name_prefix="digest-smtp")
        outage_since: float | None = None
        outages = 0
        while True:
            batch = ledger.claim(period, worker, options.claim_batch, dt.timedelta(seconds=options.lease))
            if not batch:
                if not _wait_for_retries(period, options):
                    break
                continue
            try:
                _send_batch(batch, composer, renderer, connection, pacer, worker, options, report, postman)
                outage_since, outages = None, 0
            except mailer.ServerUnavailable as exc:
                # The claimed rows went back to pending untouched; wait for the server with back-off.
                outage_since = outage_since or time.monotonic()
                if time.monotonic() - outage_since > options.retry_max_wait:
                    raise mailer.MailConfigError(
                        f"The SMTP server stopped answering ({exc}) and did not come back within "
                        f"{options.retry_max_wait:.0f} s; the unsent digests stay pending for the next run."
                    ) from exc
                pause = min(options.retry_base * 2**outages, options.retry_max_wait)
                outages += 1
                log.warning("SMTP server unavailable (%s); trying again in %.1f s", exc, pause)
                time.sleep(pause)
            if progress:
                progress(report)
    finally:
        if postman is not None:
            postman.shutdown(wait=True)
        mailer.close_quietly(connection)
    report.ledger = ledger.counts(period)
    report.waiting = report.ledger[Delivery.RETRY]
    return report


def send_period_parallel(period: Period, options: SendOptions, workers: int) -> SendReport:
    """Send ``period`` with ``workers`` sender processes claiming from the same ledger.

    Each child is an ordinary `dailypapers digest send` for this one period (the ledger's
    claims keep them apart, exactly as for senders started by hand), with the rate split
    among them. The SMTP settings are checked here first, so wrong ones fail once, before
    anything is claimed.
    """
    mailer.close_quietly(mailer.open_checked())
    planned = ledger.plan(period)
    rate = options.rate / workers if options.rate > 0 else 0
    command = [
        sys.executable,
        "-m",
        "dailypapers.cli.main",
        "digest",
        "send",
        "--period",
        period.key,
        "--rate",
        repr(rate),
        "--json",
    ]
    children = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(workers)
    ]
    report = SendReport(period=period.key, planned=planned)
    errors = []
    for child in children:
        out, err = child.communicate()
        lines = out.strip().splitlines()
        if child.returncode != 0 or not lines:
            errors.append(err.strip().splitlines()[-1] if err.strip() else f"a sender exited with {child.returncode}")
            continue
        part = json.loads(lines[-1])
        for name in ("sent", "empty", "retried", "failed", "bounced", "suspended"):
            setattr(report, name, getattr(report, name) + part[name])
    report.ledger = ledger.counts(period)
    report.waiting = report.ledger[Delivery.RETRY]
    if errors:
        raise mailer.MailConfigError("; ".join(dict.fromkeys(e.removeprefix("CommandError: ") for e in errors)))
    return report


def _wait_for_retries(period: Period, options: SendOptions) -> bool:
    """Sleep until the next retry if it is due within retry_max_wait; False if nothing to wait for."""
    due = ledger.next_retry_at(period)
    if due is None:
        return False
    pause = (due - timezone.now()).total_seconds()
    if pause > options.retry_max_wait:
        return False
    time.sleep(max(pause, 0.0) + 0.01)
    return True


def _send_batch(
    batch: list[Delivery],
    composer: Composer,
    renderer: render.DigestRenderer,
    connection,
    pacer: mailer.Pacer,
    worker: str,
    options: SendOptions,
    report: SendReport,
    postman: ThreadPoolExecutor | None = None,
) -> None:
    """Send each claimed row's mail, building the next ones while the server answers the last.

    One mail is in flight at a time, on ``postman``'s single thread (the SMTP round trips wait on
    the socket, which frees the interpreter for rendering here). Its outcome is committed before
    the next mail goes out, so after a crash at most one mail — the one whose reply had arrived —
    can lack its mark_sent: the same one-mail window as a strictly serial sender (ledger.py).
    Mails built ahead (at most options.build_ahead) stay in memory until they are sent.
    """
    line = _Line(batch, connection, pacer, worker, options, report, postman or _Serial())
    already = ledger.sent_papers([d.subscriber_id for d in batch], composer.paper_ids)
    for index, delivery in enumerate(batch):
        subscriber = delivery.subscriber
        papers = composer.papers_for(subscriber, already.get(subscriber.pk, set()))
        try:
            # The reader's own picks ride along only in a mail that goes out anyway (digest.personal).
            picks = personal.picks(subscriber, renderer.period, [p.arxiv_id for p in papers]) if papers else []
            message = renderer.build(subscriber, papers, picks) if papers else None
        except BaseException:
            line.settle()  # the mail already sent keeps its record; the built ones stay claimed
            raise
        if message is None:
            ledger.mark_empty(delivery, worker)
            report.empty += 1
        else:
            line.built.append((index, delivery, papers, message))
        line.advance(wait=len(line.built) >= options.build_ahead)
    while line.in_flight is not None or line.built:
        line.advance(wait=True)


class _Line:
    """The mails of one batch between building and their recorded outcome: built, then one in flight."""

    def __init__(self, batch, connection, pacer, worker, options, report, postman) -> None:
        self.batch, self.connection, self.pacer, self.postman = batch, connection, pacer, postman
        self.worker, self.options, self.report = worker, options, report
        self.built: deque[tuple[int, Delivery, list[Candidate], render.DigestMessage]] = deque()
        self.in_flight: tuple | None = None

    def advance(self, wait: bool) -> None:
        """Once the mail in flight has its reply (waiting for it if ``wait``), record it and send the next."""
        if self.in_flight is not None:
            if not wait and not self.in_flight[-1].done():
                return
            self.settle()
        if self.built:
            index, delivery, papers, message = self.built.popleft()
            self.pacer.wait()
            self.in_flight = (index, delivery, papers, message, _hand_over(self.postman, self.connection, message))

    def settle(self) -> None:
        if self.in_flight is not None:
            in_flight, self.in_flight = self.in_flight, None
            _settle(*in_flight, self.batch, self.worker, self.options, self.report)


def _hand_over(postman, connection, message) -> Future:
    """Start sending ``message`` on ``postman`` and return once its thread runs.

    Waiting here hands the interpreter to the SMTP thread at once: otherwise it would wake only
    when this thread next blocks or at the interpreter's switch interval (5 ms), while the
    building here went on, and the mail would leave a millisecond or two late (bench/digest_bench.py).
    """
    started = threading.Event()

    def deliver() -> None:
        started.set()
        mailer.send(connection, message)

    sending = postman.submit(deliver)
    started.wait()
    return sending


def _settle(
    index: int,
    delivery: Delivery,
    papers: list[Candidate],
    message,
    sending: Future,
    batch: list[Delivery],
    worker: str,
    options: SendOptions,
    report: SendReport,
) -> None:
    """Wait for the server's reply to one mail and commit its outcome."""
    subscriber = delivery.subscriber
    try:
        sending.result()
    except mailer.ServerUnavailable:
        ledger.release(batch[index:], worker)
        raise
    except mailer.MailConfigError:
        ledger.release(batch[index:], worker)
        raise
    except mailer.TemporaryFailure as exc:
        state = ledger.mark_retry(delivery, worker, str(exc), options.max_attempts, options.retry_base)
        log.info("%s: temporary failure (%s): %s", subscriber.email, exc, state)
        if state == Delivery.FAILED:
            report.failed += 1
        else:
            report.retried += 1
        return
    except mailer.PermanentFailure as exc:
        suspended = ledger.mark_bounced(delivery, worker, str(exc), options.bounce_limit)
        log.warning("%s: bounced (%s)%s", subscriber.email, exc, "; address suspended" if suspended else "")
        report.bounced += 1
        report.suspended += int(suspended)
        return
    if not ledger.mark_sent(delivery, worker, [p.paper_id for p in papers], message.extra_headers["Message-ID"]):
        log.warning(
            "%s: sent, but another sender had taken the claim over (lease %.0f s too short?)",
            subscriber.email,
            options.lease,
        )
    report.sent += 1


class _Serial:
    """submit() that runs the call at once (for callers that pass no postman thread)."""

    def submit(self, call, *args) -> Future:
        future: Future = Future()
        try:
            future.set_result(call(*args))
        except BaseException as exc:  # handed to _settle, as a thread's future would
            future.set_exception(exc)
        return future


def preview(subscriber: Subscriber, period: Period, window_days: int):
    """The digest ``subscriber`` would get for ``period`` now (no ledger, no send); None if empty."""
    composer = Composer(load_candidates(period, window_days))
    already = ledger.sent_papers([subscriber.pk], composer.paper_ids).get(subscriber.pk, set())
    papers = composer.papers_for(subscriber, already)
    return render.build_digest(subscriber, period, papers, composer.fragments) if papers else None


def dry_run(period: Period, window_days: int) -> list[tuple[str, int]]:
    """(email, paper count) for each active subscriber not yet served for ``period``; writes nothing."""
    composer = Composer(load_candidates(period, window_days))
    done = Delivery.objects.filter(period=period.key).exclude(state__in=[Delivery.PENDING, Delivery.RETRY])
    subscribers = list(
        Subscriber.objects.filter(status=Subscriber.ACTIVE, frequency=period.frequency)
        .exclude(pk__in=done.values("subscriber_id"))
        .order_by("pk")
    )
    result = []
    for start in range(0, len(subscribers), 500):
        chunk = subscribers[start : start + 500]
        already = ledger.sent_papers([s.pk for s in chunk], composer.paper_ids)
        result += [(s.email, len(composer.papers_for(s, already.get(s.pk, set())))) for s in chunk]
    return result
