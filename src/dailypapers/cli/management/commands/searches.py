"""`dailypapers searches send [--dry-run]`: mail saved searches' new matches (daily/weekly)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from dailypapers.library import alerts


class Command(BaseCommand):
    help = (
        "Saved searches: `searches send [--dry-run]` mails each due saved search (daily or weekly, as its owner "
        "chose) the papers stored since its last mail; run it from cron like `digest send`."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        send = sub.add_parser("send", help="mail the due saved searches")
        send.add_argument("--dry-run", action="store_true", help="count what would be sent, send nothing")

    def handle(self, *args, action, dry_run=False, **options):
        result = alerts.send_due(dry_run=dry_run)
        for line in result.failed:
            self.stderr.write(line)
        verb = "would send" if dry_run else "sent"
        self.stdout.write(f"{verb} {result.sent}, nothing new for {result.nothing_new}, failed {len(result.failed)}.")
        if result.failed:
            raise SystemExit(1)
