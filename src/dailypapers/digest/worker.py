"""`dailypapers worker`: sync, then send the digests that are due, on the schedule in schedule.py.

Sending is idempotent (the ledger), so the worker keeps no state of its own: each tick it
sends the latest due period of each kind, and a restarted worker simply sends whatever a
dead one left. ``--once`` does one tick and exits, for cron.

Between digests it wakes every JOBS_INTERVAL seconds for the small jobs: the site's mails
waiting in the outbox (outbox.send_due) and submissions waiting for arXiv
(submissions.fetch_pending). Each is safe to run from several workers at once. Images are
fetched in a thread beside all this (cli/jobs.MediaThread), never in the way.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable

from django.core.management import call_command, get_commands

from dailypapers.digest import mailer, outbox, schedule
from dailypapers.digest.mailer import MailConfigError
from dailypapers.digest.sender import SendOptions, SendReport, send_period

log = logging.getLogger("dailypapers.worker")

MAX_SLEEP = 300.0  # wake up at least this often, so a changed clock or a suspended host cannot make us oversleep
JOBS_INTERVAL = 30.0  # how often waiting mails and submissions are tried


def send_site_mail() -> dict[str, object]:
    """The digest part's own small job: mails waiting in the outbox. The worker command adds the
    other parts' jobs (cli/jobs.py), since digest may not import them."""
    return run_jobs((("outbox", outbox.send_due),))


def run_jobs(jobs) -> dict[str, object]:
    """Run each (name, job); a failing job is logged and never stops the others."""
    results: dict[str, object] = {}
    for name, job in jobs:
        try:
            results[name] = job()
        except Exception:
            log.exception("worker job %s failed; it runs again at the next wake-up", name)
    return results


def sync() -> None:
    """Pull new papers before digests go out; without a sync command, send from what is stored."""
    if "sync" not in get_commands():
        log.warning("no `sync` command is installed: digests use the papers already stored")
        return
    call_command("sync")
    # Images are not fetched here: the worker command runs them in a thread of their own (cli/jobs.py),
    # so no image host, however slow, delays sync, the digests or the mails.


def tick(
    now: dt.datetime,
    plan: schedule.Schedule,
    options: SendOptions | None = None,
    do_sync: Callable[[], None] = sync,
    jobs: Callable[[], object] = send_site_mail,
) -> list[SendReport]:
    """One round: the small jobs, sync, then send every due period (idempotent)."""
    jobs()
    try:
        do_sync()
    except Exception:  # a failed sync must not stop the digests: they go out with what we have
        log.exception("sync failed; sending digests from the papers already stored")
    reports: list[SendReport] = []
    if not mailer.has_mail_server():
        return reports  # nothing can be mailed (the worker said so once); nothing is recorded as sent
    for period in schedule.due_periods(now, plan):
        report = send_period(period, options)
        log.info("%s: %s", period.key, report.as_dict())
        reports.append(report)
    return reports


def seconds_until_next(now: dt.datetime, plan: schedule.Schedule) -> float:
    upcoming = min(schedule.next_due(now, plan, kind)[0] for kind in ("daily", "weekly"))
    return min(max((upcoming - now).total_seconds(), 1.0), MAX_SLEEP)


def run_forever(
    plan: schedule.Schedule,
    clock: Callable[[], dt.datetime],
    do_sync: Callable[[], None] = sync,
    jobs: Callable[[], object] = send_site_mail,
) -> None:
    done: set[tuple[str, ...]] = set()
    while True:
        now = clock()
        due = tuple(p.key for p in schedule.due_periods(now, plan))
        if due not in done:  # a new period became due since the last round
            try:
                tick(now, plan, do_sync=do_sync, jobs=jobs)
                done.add(due)
            except MailConfigError as exc:  # try again at the next wake-up; nothing was lost
                log.error("digests not sent: %s", exc)
        else:
            jobs()
        time.sleep(min(seconds_until_next(clock(), plan), JOBS_INTERVAL))


def describe(now: dt.datetime, plan: schedule.Schedule) -> list[str]:
    lines = []
    for kind in ("daily", "weekly"):
        due_at, period = schedule.latest_due(now, plan, kind)
        next_at, next_period = schedule.next_due(now, plan, kind)
        lines.append(f"{kind}: last due {period.key} at {_local(due_at)}; next {next_period.key} at {_local(next_at)}")
    return lines


def _local(moment: dt.datetime) -> str:
    return moment.astimezone(schedule.EASTERN).strftime("%a %Y-%m-%d %H:%M %Z")
