"""dailypapers digest send|preview — send or look at email digests."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dailypapers.digest import periods, schedule, sender
from dailypapers.digest.mailer import MailConfigError
from dailypapers.digest.models import Subscriber
from dailypapers.digest.subscriptions import normalise_email
from dailypapers.secretkey import ensure_secret_key


def _periods(values: list[str] | None) -> list[periods.Period]:
    plan = schedule.Schedule.from_config(settings.CONFIG)
    now = timezone.now()
    if not values:
        return schedule.due_periods(now, plan)
    chosen = []
    for value in values:
        if value in ("daily", "weekly"):
            chosen.append(schedule.latest_due(now, plan, value)[1])
        else:
            try:
                chosen.append(periods.parse(value))
            except periods.PeriodError as exc:
                raise CommandError(str(exc)) from exc
    return chosen


class Command(BaseCommand):
    help = "Send email digests (exactly once per subscriber and period) or preview one subscriber's digest."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="send|preview")
        send = sub.add_parser("send", help="Send the due digests (default: the latest due daily and weekly periods).")
        send.add_argument(
            "--period", action="append", help="daily, weekly, daily:YYYY-MM-DD or weekly:YYYY-Www (repeatable)."
        )
        send.add_argument(
            "--dry-run", action="store_true", help="Show who would get how many papers; send and record nothing."
        )
        send.add_argument("--rate", type=float, help="Mails per second (default DAILYPAPERS_DIGEST_RATE; 0: no limit).")
        send.add_argument("--json", action="store_true", help="Print each period's report as JSON.")
        send.add_argument(
            "--workers",
            type=int,
            default=1,
            metavar="N",
            help="Sender processes claiming from the same ledger (default 1); the rate is split among them.",
        )
        preview = sub.add_parser("preview", help="Render the digest one subscriber would get now.")
        preview.add_argument("email")
        preview.add_argument(
            "--period",
            help="daily, weekly, daily:YYYY-MM-DD or weekly:YYYY-Www (default: the subscriber's latest due period).",
        )
        preview.add_argument(
            "--html", metavar="FILE", help="Write the HTML part to FILE instead of printing the text part."
        )

    def handle(self, *args, **options):
        ensure_secret_key()  # the links mailed must verify on the web server
        if options["action"] == "send":
            if options["workers"] < 1:
                raise CommandError("--workers must be at least 1.")
            self._send(options)
        else:
            self._preview(options)

    def _send(self, options):
        window = settings.CONFIG["DAILYPAPERS_DIGEST_WINDOW_DAYS"]
        for period in _periods(options["period"]):
            if options["dry_run"]:
                rows = sender.dry_run(period, window)
                mails = sum(1 for _, n in rows if n)
                self.stdout.write(
                    f"{period.key}: {mails} mail(s) would be sent, {len(rows) - mails} subscriber(s) with nothing new"
                )
                for email, count in rows[:20]:
                    self.stdout.write(f"  {email}: {count} paper(s)")
                if len(rows) > 20:
                    self.stdout.write(f"  ... and {len(rows) - 20} more")
                continue
            overrides = {"rate": options["rate"]} if options["rate"] is not None else {}
            send_options = sender.SendOptions.from_config(**overrides)
            try:
                if options["workers"] > 1:
                    report = sender.send_period_parallel(period, send_options, options["workers"])
                else:
                    report = sender.send_period(period, send_options)
            except MailConfigError as exc:
                raise CommandError(str(exc)) from exc
            if options["json"]:
                self.stdout.write(json.dumps(report.as_dict()))
            else:
                self.stdout.write(
                    f"{period.key}: sent {report.sent}, nothing new {report.empty}, bounced {report.bounced} "
                    f"(suspended {report.suspended}), failed {report.failed}, waiting to retry {report.waiting}"
                )

    def _preview(self, options):
        subscriber = Subscriber.objects.filter(email=normalise_email(options["email"])).first()
        if subscriber is None:
            raise CommandError(f"No subscriber with the address {options['email']}.")
        (period,) = _periods([options["period"] or subscriber.frequency])
        message = sender.preview(subscriber, period, settings.CONFIG["DAILYPAPERS_DIGEST_WINDOW_DAYS"])
        if message is None:
            raise CommandError(f"Nothing new for {subscriber.email} in {period.key}: no mail would be sent.")
        if options["html"]:
            html = message.alternatives[0][0]
            Path(options["html"]).write_text(html, encoding="utf-8")
            self.stdout.write(f"{period.key}: wrote {options['html']} ({message.subject})")
        else:
            self.stdout.write(f"Subject: {message.subject}\nTo: {subscriber.email}\n\n{message.body}")
