"""dailypapers run — the whole service in the foreground: web server, worker and embedder."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from dailypapers.cli.supervise import Child, Supervisor
from dailypapers.config import record_served_url, served_url
from dailypapers.digest.mailer import has_mail_server

EMBED_AGAIN = 3600.0  # the embedder ends once every paper is embedded; new papers arrive at most daily
WORKER_AGAIN = 60.0
# The embedder runs at the lowest priority: on a 2-core machine the web server takes what it needs
# and the embedder the rest (bench/first_run_bench.py measures pages while it runs).
EMBEDDER_NICE = 19


def _command_name() -> str:
    """How the user calls us: .venv/bin/dailypapers from the repository, else dailypapers."""
    script = Path(sys.executable).parent / "dailypapers"
    if not script.exists():
        return "dailypapers"
    try:
        relative = script.relative_to(Path.cwd())
    except ValueError:
        return str(script)
    return str(relative)


class Command(BaseCommand):
    help = (
        "Run the whole service in the foreground until Ctrl-C: the web server (serve), the worker "
        "(sync, images, digests, saved-search mail, site mail) and the embedder (semantic search, "
        "at low priority). Ctrl-C stops all of them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
        parser.add_argument(
            "--workers", type=int, default=0, help="web worker processes (default: DAILYPAPERS_SERVE_WORKERS)"
        )
        parser.add_argument("--no-worker", action="store_true", help="do not run the worker")
        parser.add_argument("--no-embed", action="store_true", help="do not run the embedder")
        parser.add_argument("--embed-threads", type=int, default=2, help="CPU threads for the embedder (default 2)")
        parser.add_argument(
            "--embed-log",
            default=None,
            help="file for the embedder's progress (default: $DAILYPAPERS_HOME/logs/embed.log)",
        )

    def handle(self, *args, **options):
        if not 0 < options["port"] < 65536:
            raise CommandError(f"--port {options['port']} is not a port number (1-65535)")
        base = [sys.executable, "-m", "dailypapers.cli.main"]
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        url = settings.BASE_URL
        if not str(settings.CONFIG["DAILYPAPERS_BASE_URL"] or "").strip():
            # The worker's mails must link to this server, not to the default port.
            url = served_url(options["host"], options["port"], settings.ALLOWED_HOSTS)
            env["DAILYPAPERS_BASE_URL"] = url
            record_served_url(settings.HOME, url)  # for commands started beside us (`digest send`)
        serve = [*base, "serve", "--host", options["host"], "--port", str(options["port"])]
        if options["workers"]:
            serve += ["--workers", str(options["workers"])]
        children = [Child("web server", serve, essential=True)]
        if not options["no_worker"]:
            children.append(
                Child(
                    "worker",
                    [*base, "worker"],
                    restart_after_ok=WORKER_AGAIN,
                    restart_after_error=WORKER_AGAIN,
                )
            )
        embed_log = Path(options["embed_log"] or settings.HOME / "logs" / "embed.log").expanduser()
        if not options["no_embed"]:
            children.append(
                Child(
                    "embedder",
                    [*base, "embed", "--threads", str(options["embed_threads"])],
                    log=embed_log,
                    nice=EMBEDDER_NICE,
                    restart_after_ok=EMBED_AGAIN,
                    restart_after_error=EMBED_AGAIN,
                )
            )
        for line in self._banner(url, options, embed_log):
            self.stdout.write(line)
        sys.stdout.flush()
        status = Supervisor(children, env, say=self._say).run()
        if status:
            sys.exit(status)

    def _say(self, line: str) -> None:
        self.stdout.write(line)
        sys.stdout.flush()

    def _banner(self, url: str, options: dict, embed_log: Path) -> list[str]:
        me = _command_name()
        lines = [
            f"dailypapers: running the whole service on {url}; press Ctrl-C to stop all of it.",
            f"  data:     {settings.HOME} (DAILYPAPERS_HOME; logs in {settings.HOME / 'logs'})",
        ]
        if not options["no_worker"]:
            lines.append("  worker:   sync, images, digests, saved-search mail and site mail, on schedule")
        if not options["no_embed"]:
            lines.append(f"  embedder: semantic search in the background, at low priority (progress: {embed_log})")
        if has_mail_server():
            lines.append(f"  mail:     sent through {settings.EMAIL_HOST}:{settings.EMAIL_PORT}")
        else:
            lines.append(
                "  mail:     no mail server is configured: the site's mails stay in its outbox (admin: Outbox mails) "
                "and their links are printed here; set DAILYPAPERS_EMAIL_HOST to send them"
            )
        if not get_user_model().objects.filter(is_superuser=True).exists():
            lines.append(
                f"  first administrator: run `{me} createsuperuser` in another terminal, then log in at {url}/admin/"
            )
        return lines
