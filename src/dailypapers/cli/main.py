"""The `dailypapers` console entry point.

Django management commands do the work underneath; users never type manage.py.
Errors reach the user as one sentence, not a traceback.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dailypapers import __version__, config
from dailypapers.cluster.cli import main as cluster_main
from dailypapers.config import ConfigError

# The commands a user sees in `dailypapers --help`; every Django command still works.
COMMANDS = {
    "import": "Import papers from files (arXiv API Atom, OAI-PMH XML, snapshot JSONL, Hugging Face JSON/JSONL, flat JSONL).",
    "sync": "Pull the latest papers from arXiv and Hugging Face, continuing where the last sync stopped.",
    "stats": "Print counts of papers, versions and daily entries (--json for machines).",
    "digest": "Email digests: `digest send [--dry-run] [--period ...]`, `digest preview EMAIL [--html FILE]`.",
    "worker": "Run sync and digests on schedule (arXiv announcement days, US/Eastern); --once for cron.",
    "list": "Print a list as the site shows it: `list today|week|month|trending|2026-W20 [--category C] [--sort newest] [--page N] [--json]`.",
    "search": 'Search papers: `search "QUERY" [--json] [--limit N] [--mode hybrid|keyword|semantic] [--category C] [--from D] [--until D] [--sort relevance|newest|votes]`.',
    "index": "Bring this machine's search indexes up to date with the database (--rebuild from scratch).",
    "embed": "Compute paper embeddings for semantic search (resumable; --device cuda with the [gpu] extra).",
    "bibtex": "Print BibTeX for papers: `bibtex ID... [-o FILE]`.",
    "collection": "Collections: `collection import USER NAME FILE [--fetch]`, `collection export USER NAME`.",
    "group": "Groups: `group export NAME [-o FILE]` prints a group's shared collections as BibTeX; `group digest NAME` sends its digest now.",
    "searches": "Saved searches: `searches send [--dry-run]` mails new matches to those who asked (daily/weekly).",
    "recommend": "For you: `recommend --fit` fits the text model; `recommend USER [--date D|--week W] [--json]` prints a ranking with reasons.",
    "migrate": "Create or upgrade the database tables.",
    "run": "Run the whole service in the foreground: web server, worker and embedder (Ctrl-C stops all).",
    "serve": "Run the web server (production WSGI server).",
    "media": "Fetch the queued paper thumbnails and avatars the site serves itself (`media fetch [--limit N]`, `media status`).",
    "categories": "Fetch arXiv categories for papers known only from Hugging Face; predict them meanwhile (--offline: only predict).",
    "rank": "Recompute vote counts and trending scores for every paper (--rebuild).",
    "createsuperuser": "Create an administrator account.",
    "cluster": "A whole lab deployment on this machine: `cluster up|down|status [--json]` (make cluster).",
}


# Commands that work on an existing database. Only `migrate` creates one, so a mistyped
# DAILYPAPERS_HOME is reported instead of quietly starting an empty site (`serve` checks after
# its own refusals; Django's developer commands are left alone).
NEEDS_DATABASE = frozenset(
    {
        "import",
        "sync",
        "stats",
        "digest",
        "worker",
        "list",
        "search",
        "index",
        "embed",
        "rank",
        "categories",
        "createsuperuser",
        "run",
    }
)


def missing_database(values: Mapping[str, Any]) -> str | None:
    """A sentence when the configured SQLite database file does not exist yet, else None.

    PostgreSQL (DATABASE_URL) is left to the server, which says so itself."""
    url = values.get("DATABASE_URL") or ""
    if url and not url.startswith("sqlite:///"):
        return None
    # The same file settings.py opens when DATABASE_URL is not set.
    path = Path(url[len("sqlite:///") :]) if url else Path(values["DAILYPAPERS_HOME"]) / "dailypapers.sqlite3"
    if path.exists():
        return None
    return (
        f"no database at {path}; run `dailypapers migrate` to create one "
        "(or set DAILYPAPERS_HOME to the folder that holds yours)"
    )


def _usage() -> str:
    width = max(len(name) for name in COMMANDS)
    lines = ["usage: dailypapers COMMAND [options]   (dailypapers COMMAND --help for details)", "", "commands:"]
    lines += [f"  {name.ljust(width)}  {text}" for name, text in COMMANDS.items()]
    lines += [
        "",
        "Settings come from the environment (DAILYPAPERS_HOME, DATABASE_URL, ...); see docs/configuration.md.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(_usage())
        return 0
    if argv[0] in {"--version", "version"}:
        print(__version__)
        return 0
    if argv[0] == "cluster":  # starts servers; needs no settings or database of its own
        return cluster_main(argv[1:])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")
    try:
        values = config.load()
    except ConfigError as exc:
        print(f"dailypapers: configuration error: {exc}", file=sys.stderr)
        return 2
    asks_help = any(arg in ("-h", "--help") for arg in argv[1:])
    if argv[0] in NEEDS_DATABASE and not asks_help and (problem := missing_database(values)):
        print(f"dailypapers: {problem}", file=sys.stderr)
        return 2
    try:
        import django  # here, not at the top: --help, --version and cluster start without Django (~80 ms)

        django.setup()
    except ConfigError as exc:
        print(f"dailypapers: configuration error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # settings create the data folder: a path nobody may write, or a file in the way
        where = exc.filename or values["DAILYPAPERS_HOME"]
        print(
            f"dailypapers: cannot use the data folder {values['DAILYPAPERS_HOME']} ({where}: "
            f"{exc.strerror or exc}); set DAILYPAPERS_HOME to a folder you can write",
            file=sys.stderr,
        )
        return 2
    from django.db.utils import OperationalError

    try:
        return _run_command(argv)
    except OperationalError as exc:
        print(
            f"dailypapers: database error: {exc} (is the database reachable, and did you run `dailypapers migrate`?)",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        print("dailypapers: interrupted; run the same command again to resume.", file=sys.stderr)
        return 130


# Django's own options, which every command accepts: still accepted, but left out of
# `dailypapers COMMAND --help`, which lists only what the command itself offers. `import` shows
# --verbosity, which says whether dropped fields are listed.
DJANGO_OPTIONS = frozenset(
    {"--version", "--settings", "--pythonpath", "--traceback", "--no-color", "--force-color", "--skip-checks"}
)
SHOWS_VERBOSITY = frozenset({"import"})


def _run_command(argv: list[str]) -> int:
    """Run one management command as Django's command line would, with a help that lists only
    the command's own options and a CommandError told as one sentence (Django prefixes the class
    name). Django re-raises a CommandError under --traceback, so we ask for that and say it here;
    a user who typed --traceback gets the traceback."""
    from django.core.management import ManagementUtility
    from django.core.management.base import CommandError

    command = ManagementUtility(["dailypapers", *argv]).fetch_command(argv[0])
    shown = {"-v", "--verbosity"} if argv[0] in SHOWS_VERBOSITY else set()
    command.suppressed_base_arguments = set(DJANGO_OPTIONS | {"-v", "--verbosity"}) - shown
    wants_traceback = "--traceback" in argv[1:]
    try:
        # Right after the command name: before any subcommand or `--`, so it stays an option.
        command.run_from_argv(["dailypapers", argv[0], *([] if wants_traceback else ["--traceback"]), *argv[1:]])
    except CommandError as exc:
        if wants_traceback:
            raise
        print(f"dailypapers: {exc}", file=sys.stderr)
        return exc.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
