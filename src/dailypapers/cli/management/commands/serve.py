"""`dailypapers serve`: the production server (gunicorn, DEBUG off, static files by WhiteNoise)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from dailypapers.cli.main import missing_database
from dailypapers.config import record_served_url, served_url
from dailypapers.secretkey import ensure_secret_key

_LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
# Keys copied from examples and templates: anyone can forge sessions signed with them.
_KNOWN_DEFAULTS = ("django-insecure", "changeme", "change-me", "secret", "dev", "test")


def secret_key_problem(key: str, from_env: bool, host: str) -> str | None:
    """Why this secret key must not sign a production site's cookies, or None.

    A key generated at random for this data directory is fine on this machine (loopback);
    a server other machines can reach must have its key set explicitly, and no key may be
    short or a well-known default.
    """
    if len(key) < 32 or key.lower().startswith(_KNOWN_DEFAULTS):
        return "the secret key is a default or too short (under 32 characters)"
    if not from_env and host not in _LOOPBACK:
        return f"binding to {host} (reachable from other machines) with the key generated for local use"
    return None


def access_log_args() -> list[str]:
    """gunicorn's access log: DAILYPAPERS_ACCESS_LOG (default a file in DAILYPAPERS_HOME/logs)."""
    target = settings.ACCESS_LOG
    if target is None:
        return []
    if target != "-":
        Path(target).expanduser().parent.mkdir(parents=True, exist_ok=True)
    return ["--access-logfile", target]


def worker_count() -> int:
    configured = settings.CONFIG["DAILYPAPERS_SERVE_WORKERS"]
    return configured if configured > 0 else 2 * (os.cpu_count() or 1) + 1


class Command(BaseCommand):
    help = "Run the web server (gunicorn) on 127.0.0.1:8000 unless told otherwise."

    def add_arguments(self, parser):
        parser.add_argument(
            "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)"
        )
        parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
        parser.add_argument(
            "--workers", type=int, default=0, help="worker processes (default: DAILYPAPERS_SERVE_WORKERS)"
        )

    def handle(self, *args, **options):
        key = ensure_secret_key()
        problem = secret_key_problem(key, settings.SECRET_KEY_FROM_ENV, options["host"])
        if problem and not settings.DEBUG:
            raise CommandError(
                f"refusing to serve: {problem}. Set DAILYPAPERS_SECRET_KEY to a long random value "
                "(python -c 'import secrets; print(secrets.token_urlsafe(50))')."
            )

        if missing := missing_database(settings.CONFIG):
            raise CommandError(missing)
        call_command("collectstatic", interactive=False, verbosity=0)
        workers = options["workers"] or worker_count()
        bind = f"{options['host']}:{options['port']}"
        if not str(settings.CONFIG["DAILYPAPERS_BASE_URL"] or "").strip():
            # Links follow the address really served on: the workers read it from the environment,
            # other commands on this data folder (worker, digest send) from the recorded file.
            url = served_url(options["host"], options["port"], settings.ALLOWED_HOSTS)
            record_served_url(settings.HOME, url)
            os.environ["DAILYPAPERS_BASE_URL"] = url
        self.stdout.write(
            f"dailypapers: serving on http://{bind} with {workers} workers (DEBUG {'on' if settings.DEBUG else 'off'})"
        )
        sys.stdout.flush()
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "dailypapers.asgi:application",
            # An event loop reads each request in full before a view runs: slow or half-sent
            # requests hold a socket, not a worker (sync workers were taken by three such clients).
            "--worker-class",
            "uvicorn_worker.UvicornWorker",
            "--bind",
            bind,
            "--workers",
            str(workers),
            *access_log_args(),
            "--error-logfile",
            "-",
            # Warnings and errors only: each worker's start-up lines (five per worker under uvicorn)
            # told a first-run user nothing; our own line above says where the site is.
            "--log-level",
            "warning",
            "--graceful-timeout",
            "10",
            "--keep-alive",
            "5",
            # Starts the search index refresher thread in each worker (never at import).
            "--config",
            "python:dailypapers.cli.gunicorn_hooks",
        ]
        os.execv(sys.executable, argv)  # gunicorn replaces us: signals reach it directly
