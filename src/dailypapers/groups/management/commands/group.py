"""`dailypapers group export NAME [-o FILE]`: a group's shared collections as BibTeX."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dailypapers.groups import digests, export
from dailypapers.groups.models import Group


class Command(BaseCommand):
    help = (
        "Groups: `group export NAME [-o FILE]` prints every paper in the group's shared collections as BibTeX; "
        "`group digest NAME` sends the group's digest for its last whole period (once per period)."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        exp = sub.add_parser("export", help="print a group's shared collections as BibTeX")
        exp.add_argument("name", help="the group's name or its short name in the address")
        exp.add_argument("-o", "--output", help="write to this file instead of the standard output")
        dig = sub.add_parser("digest", help="send a group's digest for its last whole period now")
        dig.add_argument("name")

    def handle(self, *args, action, name, **options):
        try:
            group = export.find_group(name)
        except Group.DoesNotExist:
            raise CommandError(f"There is no group {name!r}.") from None
        if action == "digest":
            result = digests.send_now(group)
            period = digests.period_for(group, frequency=group.digest or "weekly")
            words = {
                "sent": f"queued for {len(result.mails)} member(s); the worker's outbox sends it",
                "already": "was sent before: nothing sent",
                "empty": "has nothing to say: nothing sent",
            }
            self.stdout.write(f"{group.name}, {period.title() if period else ''}: the digest {words[result.state]}.")
            return
        text = export.group_bibtex(group)
        if options.get("output"):
            try:
                Path(options["output"]).write_text(text, encoding="utf-8")
            except OSError as exc:
                raise CommandError(f"Cannot write {options['output']}: {exc.strerror or exc}.") from None
            self.stdout.write(f"{group.name}: {text.count('@')} entries written to {options['output']}.")
            return
        self.stdout.write(text, ending="")
