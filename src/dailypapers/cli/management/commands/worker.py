"""dailypapers worker — sync and send digests on schedule (US/Eastern arXiv announcement days)."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dailypapers.cli import jobs
from dailypapers.digest import schedule, worker
from dailypapers.digest.mailer import NO_MAIL_SERVER, MailConfigError, has_mail_server
from dailypapers.secretkey import ensure_secret_key

log = logging.getLogger("dailypapers.worker")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Command(BaseCommand):
    help = (
        "Run sync and email digests on schedule: daily digests after arXiv's 20:00 US/Eastern announcement "
        "(Sunday-Thursday), weekly ones on DAILYPAPERS_DIGEST_WEEKLY_DAY. --once runs what is due and exits (cron)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Sync and send what is due now, then exit.")
        parser.add_argument("--no-sync", action="store_true", help="Do not sync before sending.")
        parser.add_argument(
            "--show-schedule", action="store_true", help="Print the last and next due digests and exit."
        )

    def handle(self, *args, **options):
        ensure_secret_key()  # the links mailed must verify on the web server
        try:
            plan = schedule.Schedule.from_config(settings.CONFIG)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if options["show_schedule"]:
            for line in worker.describe(_now(), plan):
                self.stdout.write(line)
            return
        rounds = jobs.SyncRound(self._say)
        do_sync = (lambda: None) if options["no_sync"] else rounds
        if not has_mail_server():
            self._say(
                f"worker: {NO_MAIL_SERVER}. Digests and saved-search mail are not sent (each reader's digest "
                "can be previewed on their account page); the site's own mails are kept in the outbox and printed here."
            )
        if options["once"]:
            done: dict = {}
            media = jobs.MediaThread(rounds=1)
            if jobs.media_pending():
                media.start()  # beside the rest, which never waits on it
            try:
                for report in worker.tick(_now(), plan, do_sync=do_sync, jobs=lambda: done.update(jobs.run_jobs())):
                    self.stdout.write(
                        f"{report.period}: sent {report.sent}, nothing new {report.empty}, "
                        f"bounced {report.bounced}, failed {report.failed}, waiting {report.waiting}"
                    )
            except MailConfigError as exc:
                media.stop()
                raise CommandError(str(exc)) from exc
            if "outbox" in done:
                mails = done["outbox"]
                kept = f", kept in the outbox {mails.kept}" if mails.kept else ""
                self.stdout.write(f"site mails: sent {mails.sent}, waiting {mails.retry}, failed {mails.failed}{kept}")
            if "searches" in done:
                searched = done["searches"]
                self.stdout.write(
                    f"saved searches: sent {searched.sent}, nothing new {searched.nothing_new}, "
                    f"failed {len(searched.failed)}"
                )
            if "imports" in done:
                self.stdout.write(f"collection imports: {done['imports']} ended")
            if "submissions" in done:
                waiting = done["submissions"]
                self.stdout.write(
                    f"submissions: fetched {waiting.done}, still waiting {waiting.waiting}, "
                    f"not on arXiv {waiting.failed}"
                )
            if media.is_alive() or media.summaries:
                media.join(media.longest_round())
                for summary in media.summaries:
                    self.stdout.write(summary.line())
            return
        self._say("worker started; " + "; ".join(worker.describe(_now(), plan)))
        jobs.MediaThread(skip=lambda: rounds.network_down).start()

        def small_jobs() -> dict:
            done = jobs.run_jobs()
            if not options["no_sync"] and rounds.retry_due():  # offline: try the network again now and then
                try:
                    rounds()
                except Exception:
                    log.exception("sync failed")
            return done

        worker.run_forever(plan, _now, do_sync=do_sync, jobs=small_jobs)

    def _say(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()
