"""`dailypapers collection import USER NAME FILE`: add the papers a BibTeX file or id list names."""

from __future__ import annotations

import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from dailypapers.library import paper_collections, transfer
from dailypapers.library.models import Collection


class Command(BaseCommand):
    help = (
        "Collections: `collection import USER NAME FILE [--fetch]` adds the papers a BibTeX file or a list of "
        "arXiv ids names to USER's collection NAME (created if needed); `collection export USER NAME` prints it "
        "as BibTeX."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="import a .bib file or arXiv id list (- for standard input)")
        imp.add_argument("user")
        imp.add_argument("name")
        imp.add_argument("file")
        imp.add_argument(
            "--fetch", action="store_true", help="fetch papers we lack from arXiv (else listed as missing)"
        )
        exp = sub.add_parser("export", help="print a collection as BibTeX")
        exp.add_argument("user")
        exp.add_argument("name")

    def _user(self, name: str):
        try:
            return get_user_model().objects.get(username=name)
        except get_user_model().DoesNotExist:
            raise CommandError(f"There is no user {name!r}.") from None

    def handle(self, *args, action, user, name, **options):
        owner = self._user(user)
        if action == "export":
            try:
                found = paper_collections.owned(owner).get(name=name)
            except Collection.DoesNotExist:
                raise CommandError(f"{user} has no collection {name!r}.") from None
            self.stdout.write(transfer.export_collection(found), ending="")
            return
        path = options["file"]
        try:
            text = self.stdin_text() if path == "-" else Path(path).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {path}: {exc}.") from None
        target = paper_collections.owned(owner).filter(name=" ".join(name.split())).first()
        try:
            target = target or paper_collections.create(owner, name)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        result = transfer.import_text(
            owner, target.pk, text, fetch=transfer.fetch_from_arxiv if options["fetch"] else None
        )
        for line in result.lines():
            self.stderr.write(f"{path}: {line}")
        self.stdout.write(f"{target.name}: {result.summary()}")
        if result.errors or result.missing:
            raise SystemExit(1)

    def stdin_text(self) -> str:
        return sys.stdin.read()
