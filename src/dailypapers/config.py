"""Every setting dailypapers reads, declared once with its default and help text.

Settings come from the environment, then from an optional TOML config file
(``$DAILYPAPERS_HOME/config.toml`` or ``DAILYPAPERS_CONFIG``), then from the default.
Nothing here runs at import time: call :func:`load` once.
docs/configuration.md must list every name here (a test checks it; regenerate it with
``python -m dailypapers.config --write-docs``).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    parse: Callable[[str], Any] = str


def _bool(value: str) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def _list(value: str) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    return [part.strip() for part in str(value).replace(",", " ").split() if part.strip()]


@dataclass(frozen=True)
class Rate:
    """COUNT requests allowed per SECONDS seconds (a rate-limit setting, parsed once at start-up)."""

    count: int
    seconds: int

    def __str__(self) -> str:
        return f"{self.count}/{self.seconds}"


def parse_rate(value: Any) -> Rate:
    """'10/300' -> Rate(10, 300); anything else is a ValueError that says how to write it."""
    if isinstance(value, Rate):
        return value
    match = re.fullmatch(r"\s*([0-9]{1,9})\s*/\s*([0-9]{1,9})\s*", str(value))
    if not match or int(match[2]) == 0:
        raise ValueError("write it as COUNT/SECONDS, e.g. 10/300 (10 requests per 300 seconds)")
    return Rate(int(match[1]), int(match[2]))


def parse_proxy_header(value: Any) -> tuple[str, str] | None:
    """'X-Forwarded-Proto: https' -> ('HTTP_X_FORWARDED_PROTO', 'https'), Django's SECURE_PROXY_SSL_HEADER."""
    text = str(value or "").strip()
    if not text:
        return None
    name, _, expected = text.partition(":")
    name, expected = name.strip(), expected.strip() or "https"
    if not re.fullmatch(r"[A-Za-z0-9-]+", name) or not re.fullmatch(r"[!-~]+", expected):
        raise ValueError("write it as a header name, optionally with its value, e.g. X-Forwarded-Proto: https")
    return "HTTP_" + name.upper().replace("-", "_"), expected


SETTINGS: list[Setting] = [
    Setting(
        "DAILYPAPERS_HOME",
        None,
        "Data directory: the SQLite database, search indexes, import checkpoints. Default: the user data dir (e.g. ~/.local/share/dailypapers).",
    ),
    Setting(
        "DATABASE_URL",
        None,
        "Database URL. Unset: SQLite at $DAILYPAPERS_HOME/dailypapers.sqlite3. postgres://user@host:port/name for PostgreSQL.",
    ),
    Setting(
        "DATABASE_REPLICA_URL",
        None,
        "PostgreSQL hot standby (postgres://...) for reads that tolerate a little lag: anonymous and signed-in GETs of pages, feeds and the API. Writes, everything inside a transaction, and a browser's requests for DAILYPAPERS_REPLICA_PIN_SECONDS after its last write go to DATABASE_URL. Unset: every read goes to DATABASE_URL.",
    ),
    Setting(
        "DAILYPAPERS_REPLICA_PIN_SECONDS",
        5.0,
        "After a browser's write (any POST, PUT, PATCH or DELETE), its reads stay on the primary this many seconds, so the reader sees their own vote, comment or save even while the standby lags.",
        float,
    ),
    Setting(
        "DAILYPAPERS_CACHE_URL",
        "",
        "Redis (redis://host:port/db) for Django's cache: the anonymous page cache shared by every web host, and sessions cached in front of the database. Redis being down costs speed, never an error page. Empty: a database table and per-process memory (one machine).",
    ),
    Setting(
        "DAILYPAPERS_CONFIG",
        None,
        "Path of an optional TOML file whose keys are these setting names (environment wins). Default: $DAILYPAPERS_HOME/config.toml if it exists.",
    ),
    Setting(
        "DAILYPAPERS_SECRET_KEY",
        None,
        "Django secret key. Required when DAILYPAPERS_DEBUG is off and the server is started; for local use `dailypapers serve` keeps a random key in $DAILYPAPERS_HOME/secret_key (other commands read it, never create it).",
    ),
    Setting("DAILYPAPERS_DEBUG", False, "Django debug mode (never in production).", _bool),
    Setting(
        "DAILYPAPERS_ALLOWED_HOSTS",
        ["127.0.0.1", "localhost"],
        "Host names the web server answers to (comma or space separated).",
        _list,
    ),
    Setting(
        "DAILYPAPERS_LOG_LEVEL", "WARNING", "Log level for dailypapers' own loggers (DEBUG, INFO, WARNING, ERROR)."
    ),
    Setting(
        "DAILYPAPERS_LOG_FILE",
        "",
        "Rotating log file (10 MB x 5) for errors: every 500 with its traceback, and dailypapers' own warnings; they also go to stderr. Empty: $DAILYPAPERS_HOME/logs/dailypapers.log; `off`: stderr only.",
    ),
    Setting(
        "DAILYPAPERS_ACCESS_LOG",
        "",
        "Where `dailypapers serve` writes gunicorn's access log (one line per request). Empty: $DAILYPAPERS_HOME/logs/access.log; `-`: stdout; `off`: none.",
    ),
    Setting(
        "DAILYPAPERS_HSTS_SECONDS",
        31536000,
        "Strict-Transport-Security max-age sent on HTTPS responses whenever cookies are Secure (see DAILYPAPERS_SECURE_COOKIES); 0: no HSTS header.",
        int,
    ),
    Setting(
        "DAILYPAPERS_PROXY_SSL_HEADER",
        "",
        "Behind a TLS-terminating proxy: the header it sets on HTTPS requests, as NAME or NAME: VALUE (e.g. `X-Forwarded-Proto: https`), so the site knows a request came over HTTPS. Set it only if the proxy always sets or strips that header. Empty: trust no header.",
        parse_proxy_header,
    ),
    Setting(
        "DAILYPAPERS_IMPORT_BATCH",
        2000,
        "Records written per transaction by the importer; also the checkpoint interval.",
        int,
    ),
    Setting(
        "DAILYPAPERS_IMPORT_MAX_GZIP_RATIO",
        100.0,
        "Largest decompressed/compressed size ratio `import` accepts in a .gz file (judged past 32 MiB of output); more is refused as a decompression bomb.",
        float,
    ),
    Setting(
        "DAILYPAPERS_IMPORT_MAX_LINE_MB",
        16,
        "Longest line (MiB) of a JSONL file `import` reads; a longer line is reported and skipped.",
        int,
    ),
    Setting(
        "DAILYPAPERS_IMPORT_MAX_DOCUMENT_MB",
        256,
        "Largest decompressed XML or JSON document (MiB) `import` reads as a whole; larger files are refused with a sentence.",
        int,
    ),
    Setting(
        "DAILYPAPERS_ARXIV_OAI_URL",
        "https://oaipmh.arxiv.org/oai",
        "arXiv OAI-PMH endpoint used by `dailypapers sync`.",
    ),
    Setting(
        "DAILYPAPERS_ARXIV_API_URL",
        "https://export.arxiv.org/api/query",
        "arXiv API (Atom) endpoint used by `dailypapers sync --method api` and paper submissions.",
    ),
    Setting(
        "DAILYPAPERS_HF_API_URL",
        "https://huggingface.co/api/daily_papers",
        "Hugging Face daily papers endpoint used by `dailypapers sync`.",
    ),
    Setting(
        "DAILYPAPERS_SYNC_METHOD",
        "oai",
        "How `sync` harvests arXiv: oai (OAI-PMH ListRecords, complete) or api (Atom search, newest first).",
        str,
    ),
    Setting("DAILYPAPERS_SYNC_SETS", ["cs"], "OAI-PMH sets to harvest (e.g. cs, math, physics:hep-th).", _list),
    Setting(
        "DAILYPAPERS_SYNC_CATEGORIES",
        ["cs.AI", "cs.CL", "cs.CV", "cs.LG"],
        "Categories kept by sync (and queried with --method api). Empty keeps everything in the sets.",
        _list,
    ),
    Setting("DAILYPAPERS_SYNC_METADATA_PREFIX", "arXiv", "OAI-PMH metadata format: arXiv, arXivRaw or oai_dc.", str),
    Setting(
        "DAILYPAPERS_SYNC_FIRST_DAYS",
        3,
        "How many days back the first sync starts on an empty database; later syncs continue where the last stopped.",
        int,
    ),
    Setting(
        "DAILYPAPERS_SYNC_MAX_BACKFILL_DAYS",
        0,
        "A source's first sync continues from the newest day the database already holds (imported data), so no day is left out; a positive number caps how many days back it may start (the days before are then skipped, and said). 0: no cap.",
        int,
    ),
    Setting("DAILYPAPERS_SYNC_SOURCES", ["arxiv", "hf"], "Which live sources `sync` pulls by default.", _list),
    Setting(
        "DAILYPAPERS_ARXIV_DELAY",
        3.0,
        "Seconds between two requests to arXiv (arXiv asks for one request every 3 s).",
        float,
    ),
    Setting(
        "DAILYPAPERS_ARXIV_ID_BATCH",
        100,
        "Papers known only from Hugging Face whose arXiv metadata (categories first) one arXiv API query asks for by id_list; the worker asks after each sync, DAILYPAPERS_ARXIV_DELAY apart. 0: never ask (their categories stay predicted).",
        int,
    ),
    Setting(
        "DAILYPAPERS_CATEGORY_TRAIN_PAPERS",
        20000,
        "How many of the newest papers with arXiv categories train the classifier that predicts categories for papers without them (about 10 s and 150 MB for 20,000). 0: predict nothing.",
        int,
    ),
    Setting("DAILYPAPERS_HTTP_TIMEOUT", 30.0, "Seconds before an HTTP request to a source times out.", float),
    Setting(
        "DAILYPAPERS_HTTP_RETRIES",
        5,
        "Retries after a timeout, 5xx or 429, with exponential back-off (Retry-After honoured).",
        int,
    ),
    Setting(
        "DAILYPAPERS_HTTP_MAX_WAIT",
        600.0,
        "Longest wait in seconds a source's Retry-After may impose before sync gives up on this run.",
        float,
    ),
    Setting(
        "DAILYPAPERS_BASE_URL",
        "",
        "Public address of the site (e.g. https://papers.example.org), used for every absolute link: feeds, the API's Link header, share and feed links, mails. Empty: the address `dailypapers serve`/`run` is serving on (recorded in $DAILYPAPERS_HOME/site_address for the other commands), else http://127.0.0.1:8000.",
    ),
    Setting(
        "DAILYPAPERS_EMAIL_HOST",
        "",
        "SMTP server host for outgoing mail (confirmations, password resets, digests); setting it switches mail on. Empty: no mail server: the site keeps each mail in its outbox (admin: Outbox mails), prints it on the terminal of the process that made it (`dailypapers run`), says so on the page, and sends no digests or saved-search mail.",
    ),
    Setting("DAILYPAPERS_EMAIL_PORT", 25, "SMTP server port.", int),
    Setting("DAILYPAPERS_EMAIL_USER", "", "SMTP user name (empty: no authentication)."),
    Setting("DAILYPAPERS_EMAIL_PASSWORD", "", "SMTP password (used with DAILYPAPERS_EMAIL_USER)."),
    Setting("DAILYPAPERS_EMAIL_STARTTLS", False, "Use STARTTLS on the SMTP connection.", _bool),
    Setting("DAILYPAPERS_EMAIL_SSL", False, "Use implicit TLS (SMTPS) on the SMTP connection.", _bool),
    Setting("DAILYPAPERS_EMAIL_TIMEOUT", 30.0, "Seconds before an SMTP operation times out.", float),
    Setting("DAILYPAPERS_EMAIL_FROM", "dailypapers <noreply@localhost>", "From address of the mail the site sends."),
    Setting(
        "DAILYPAPERS_EMAIL_BACKEND",
        "django.core.mail.backends.smtp.EmailBackend",
        "Django email backend (console backend: django.core.mail.backends.console.EmailBackend).",
    ),
    Setting(
        "DAILYPAPERS_SECURE_COOKIES",
        None,
        "Send session and CSRF cookies with the Secure flag (HTTPS only). Unset: on whenever DAILYPAPERS_DEBUG is off; set it off only to serve plain HTTP on a trusted network.",
        _bool,
    ),
    Setting(
        "DAILYPAPERS_TRENDING_HALF_LIFE_HOURS",
        24.0,
        "Trending: hours after which a vote counts half as much (see the trending formula in docs/site.md). Run `dailypapers rank --rebuild` after changing it.",
        float,
    ),
    Setting(
        "DAILYPAPERS_TRENDING_HF_WEIGHT",
        0.5,
        "Trending: weight of one imported Hugging Face upvote relative to one of our community's votes. Run `dailypapers rank --rebuild` after changing it.",
        float,
    ),
    Setting(
        "DAILYPAPERS_LOGIN_RATE",
        Rate(10, 300),
        "Login attempts (site, /admin/, failed API tokens) and sign-ups allowed per client address and per account name, as COUNT/SECONDS.",
        parse_rate,
    ),
    Setting(
        "DAILYPAPERS_MAIL_RATE",
        Rate(5, 3600),
        "Requests that send mail (sign-up and resent confirmations, password resets, email changes, digest subscriptions) allowed per client address, per account and per address mailed (one count across all of them), as COUNT/SECONDS.",
        parse_rate,
    ),
    Setting(
        "DAILYPAPERS_WRITE_RATE",
        Rate(30, 60),
        "Votes, comments, comment edits and submissions allowed per user (web and API), as COUNT/SECONDS.",
        parse_rate,
    ),
    Setting(
        "DAILYPAPERS_LIBRARY_RATE",
        Rate(120, 60),
        "Library writes (collections, saving and removing papers, notes, moves, sharing, saved searches and their mail, not-interested and read marks, interests) allowed per user (web and API), as COUNT/SECONDS.",
        parse_rate,
    ),
    Setting(
        "DAILYPAPERS_NOTIFY_SUMMARY_MINUTES",
        60,
        "Notifications mail summary: the worker mails each reader the notifications they have not been mailed, at most once per this many minutes (0: every worker round).",
        int,
    ),
    Setting(
        "DAILYPAPERS_IMPORT_RATE",
        Rate(20, 3600),
        "Collection imports (a BibTeX file, pasted BibTeX or arXiv ids; web and API) allowed per user, as COUNT/SECONDS; each also counts as a library write.",
        parse_rate,
    ),
    Setting(
        "DAILYPAPERS_API_READ_RATE",
        Rate(600, 60),
        "JSON API reads (GET and HEAD under /api/) allowed per client address, as COUNT/SECONDS.",
        parse_rate,
    ),
    Setting(
        "DAILYPAPERS_RECS_FIT_PAPERS",
        20000,
        "For you: the tf-idf space is fitted on at most this many of the newest stored papers (in the background, kept in $DAILYPAPERS_HOME/recs/), and refitted once the stored papers grew by a fifth.",
        int,
    ),
    Setting(
        "DAILYPAPERS_RECS_FIT_IN_WEB",
        True,
        "For you: when the tf-idf space is missing or stale, the first web request that needs it starts fitting it in a background thread (one process at a time, by a lock file). Off: only `dailypapers recommend --fit` (cron, the worker) fits it.",
        _bool,
    ),
    Setting(
        "DAILYPAPERS_RECS_CACHE_SECONDS",
        86400,
        "For you: seconds a reader's ranking for a period is kept; any new vote, save or signal of theirs starts a new one at once.",
        int,
    ),
    Setting(
        "DAILYPAPERS_RECS_PROFILE_PAPERS",
        500,
        "For you: a reader's profile is built from at most this many of their most recently saved papers and as many of their latest upvotes, so a huge library costs no more than this.",
        int,
    ),
    Setting(
        "DAILYPAPERS_COLLECTION_MAX_PAPERS",
        5000,
        "Most papers one collection may hold; saves and imports past it are refused with a message saying what was saved.",
        int,
    ),
    Setting(
        "DAILYPAPERS_GROUP_MEETING_REMINDER_HOURS",
        24.0,
        "How many hours before a reading-group meeting its reminder mail goes to the group's members (once, by the worker).",
        float,
    ),
    Setting(
        "DAILYPAPERS_GROUP_DIGEST_PAPERS",
        10,
        "Most papers a group digest lists under the group's combined interests (its members' categories and keywords).",
        int,
    ),
    Setting(
        "DAILYPAPERS_LIBRARY_IMPORT_MAX_KB",
        2048,
        "Largest BibTeX file or pasted text (in KiB) a collection import accepts, web or API.",
        int,
    ),
    Setting(
        "DAILYPAPERS_LIBRARY_IMPORT_MAX_ENTRIES",
        5000,
        "Most entries (BibTeX entries or arXiv ids) one collection import accepts; a larger one is refused before any work.",
        int,
    ),
    Setting(
        "DAILYPAPERS_LIBRARY_IMPORT_INLINE_ENTRIES",
        200,
        "Collection imports with more entries than this (more than 10 when papers we lack are fetched from arXiv) are handed to `dailypapers worker`, and the collection page shows their progress; smaller ones run in the request.",
        int,
    ),
    Setting(
        "DAILYPAPERS_WEB_STATEMENT_TIMEOUT_MS",
        20000,
        "PostgreSQL only: most milliseconds one SQL statement of a web request may run before the server cancels it (statement_timeout, set on web requests only; the worker and the CLI keep no limit). 0: no limit.",
        int,
    ),
    Setting(
        "DAILYPAPERS_PAGE_CACHE_SECONDS",
        10,
        "Seconds each server process keeps a rendered list or paper page for visitors who are not logged in (0: off). Logged-in users always get a fresh page.",
        int,
    ),
    Setting(
        "DAILYPAPERS_SERVE_WORKERS",
        0,
        "Gunicorn worker processes for `dailypapers serve`; 0 picks 2 x CPU cores + 1.",
        int,
    ),
    Setting("DAILYPAPERS_DIGEST_RATE", 10.0, "Most digest mails sent per second (0: no limit).", float),
    Setting(
        "DAILYPAPERS_DIGEST_MAX_ATTEMPTS",
        5,
        "Sends of one digest before a temporary (4xx) failure counts as failed.",
        int,
    ),
    Setting(
        "DAILYPAPERS_DIGEST_RETRY_BASE",
        60.0,
        "Seconds before the first retry of a temporarily refused digest; doubles with each attempt.",
        float,
    ),
    Setting(
        "DAILYPAPERS_DIGEST_RETRY_MAX_WAIT",
        900.0,
        "Longest a `digest send` run waits for due retries (or for the SMTP server to come back) before leaving them to the next run.",
        float,
    ),
    Setting("DAILYPAPERS_DIGEST_BOUNCE_LIMIT", 3, "Permanent (5xx) refusals after which an address is suspended.", int),
    Setting(
        "DAILYPAPERS_WORK_LEASE",
        900.0,
        "Seconds a worker's claim on a chunk of `embed` or `media fetch` work lasts; a chunk held longer "
        "(its worker died on another machine) is taken over by another worker.",
        float,
    ),
    Setting(
        "DAILYPAPERS_DIGEST_LEASE",
        600.0,
        "Seconds a sender's claim on a digest lasts; a claim held longer (its sender died) is taken over.",
        float,
    ),
    Setting(
        "DAILYPAPERS_DIGEST_WINDOW_DAYS",
        7,
        "Papers announced (or featured on Hugging Face) within this many days up to a digest's date are candidates.",
        int,
    ),
    Setting(
        "DAILYPAPERS_DIGEST_DAILY_DELAY",
        60,
        "Minutes after arXiv's 20:00 US/Eastern announcement (Sunday-Thursday) that the daily digest goes out.",
        int,
    ),
    Setting(
        "DAILYPAPERS_DIGEST_WEEKLY_DAY",
        "sat",
        "Weekday the weekly digest goes out (mon ... sun), covering that ISO week's listings.",
        str,
    ),
    Setting(
        "DAILYPAPERS_DIGEST_WEEKLY_TIME", "09:00", "US/Eastern time of day (HH:MM) the weekly digest goes out.", str
    ),
    Setting(
        "DAILYPAPERS_OUTBOX_RETRY_BASE",
        60.0,
        "Seconds before the worker retries a site mail (confirmation, reset, email change) the SMTP server did not take; doubles with each attempt, at most 6 h.",
        float,
    ),
    Setting(
        "DAILYPAPERS_OUTBOX_MAX_ATTEMPTS",
        10,
        "Sends of one site mail before it is given up (the user can ask for a confirmation link again).",
        int,
    ),
    Setting(
        "DAILYPAPERS_MODEL_DIR",
        None,
        "Folder holding the re-quantized embedding model built by `make install` (all-MiniLM-L6-v2.int8-per-channel.onnx). Default: share/dailypapers/models inside the Python environment; without the file the packaged model is used.",
    ),
    Setting(
        "DAILYPAPERS_SEARCH_REFRESH_SECONDS",
        1.0,
        "How often each web server process checks the change feed and brings this machine's search index up to date (searches never write it); 0: never (run `dailypapers index` from cron instead).",
        float,
    ),
    Setting(
        "DAILYPAPERS_SEARCH_SHARDS",
        2,
        "Parts the keyword index is split into, searched in parallel threads (one per core is plenty); read when an index is created, so it takes effect at the next `dailypapers index --rebuild`.",
        int,
    ),
    Setting(
        "DAILYPAPERS_HF_SITE_URL",
        "https://huggingface.co",
        "Hugging Face site: links to a paper's page and discussion there, and the base of site-relative avatar paths.",
    ),
    Setting(
        "DAILYPAPERS_HF_THUMBNAIL_URL",
        "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/{id}.png",
        "Where a featured paper's thumbnail is when an entry names none ({id}: the arXiv id; every recorded thumbnail follows this pattern).",
    ),
    Setting(
        "DAILYPAPERS_MEDIA_MAX_BYTES",
        2_000_000,
        "Largest thumbnail or avatar `dailypapers media fetch` accepts, in bytes; larger ones are refused and show a placeholder.",
        int,
    ),
    Setting(
        "DAILYPAPERS_MEDIA_DELAY",
        0.5,
        "Seconds between two image requests to the same host by `dailypapers media fetch`.",
        float,
    ),
    Setting(
        "DAILYPAPERS_MEDIA_MAX_ATTEMPTS",
        3,
        "Runs of `dailypapers media fetch` that may try one image (each with the HTTP retries) before it is given up.",
        int,
    ),
    Setting(
        "DAILYPAPERS_MEDIA_ALLOWED_HOSTS",
        [],
        "Image hosts media fetching may reach although they are not public (a lab's own server): host names, "
        "IP addresses or networks (10.0.0.0/8), comma-separated. Every other image address must resolve to public "
        "addresses only, redirects included.",
        _list,
    ),
    Setting(
        "DAILYPAPERS_MEDIA_FETCH_DEADLINE",
        30.0,
        "Seconds one image may take in all (connection, redirects, retries and their waits, the body); then it is "
        "left for a later run.",
        float,
    ),
    Setting(
        "DAILYPAPERS_MEDIA_ROUND_DEADLINE",
        120.0,
        "Seconds one `dailypapers media fetch` run (and each round of the worker's media thread) may take; images "
        "not reached stay queued.",
        float,
    ),
    Setting(
        "DAILYPAPERS_USER_AGENT",
        "dailypapers/0.1 (self-hosted paper feed; set DAILYPAPERS_USER_AGENT to add a contact address)",
        "User-Agent sent to arXiv and Hugging Face.",
    ),
]

_BY_NAME = {s.name: s for s in SETTINGS}

# Where `serve` records the address it serves on, so the worker's mails link to the real port.
SITE_ADDRESS_FILE = "site_address"
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
_WILDCARDS = {"", "0.0.0.0", "::", "[::]"}


def served_url(host: str, port: int, allowed_hosts: list[str]) -> str:
    """The address links use for a server bound to ``host``:``port``.

    A wildcard bind (0.0.0.0) names no host a browser can use: the first concrete name in
    DAILYPAPERS_ALLOWED_HOSTS stands in (a public site sets DAILYPAPERS_BASE_URL anyway)."""
    if host in _WILDCARDS:
        host = next((h for h in allowed_hosts if h and h != "*" and not h.startswith(".")), "localhost")
    if ":" in host and not host.startswith("["):  # an IPv6 literal
        host = f"[{host}]"
    return f"http://{host}:{port}"


def base_url(values: dict[str, Any]) -> str:
    """DAILYPAPERS_BASE_URL, else the address the last `serve` on this data folder recorded, else the default."""
    configured = str(values.get("DAILYPAPERS_BASE_URL") or "").strip()
    if configured:
        return configured.rstrip("/")
    try:
        recorded = (Path(values["DAILYPAPERS_HOME"]) / SITE_ADDRESS_FILE).read_text().strip()
    except OSError:
        recorded = ""
    return recorded.rstrip("/") or DEFAULT_BASE_URL


def record_served_url(home: Path, url: str) -> None:
    """Keep ``url`` as this data folder's site address (temp file + rename: readers never see half)."""
    home.mkdir(parents=True, exist_ok=True)
    temp = home / f".{SITE_ADDRESS_FILE}.{os.getpid()}"
    temp.write_text(url + "\n")
    temp.replace(home / SITE_ADDRESS_FILE)


def default_home() -> Path:
    return Path(platformdirs.user_data_dir("dailypapers", appauthor=False))


def load(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Resolve every setting: environment, then config file, then default."""
    env = dict(os.environ if environ is None else environ)
    home = Path(env.get("DAILYPAPERS_HOME") or default_home()).expanduser()
    config_path = (
        Path(env["DAILYPAPERS_CONFIG"]).expanduser() if env.get("DAILYPAPERS_CONFIG") else home / "config.toml"
    )
    file_values: dict[str, Any] = {}
    if config_path.is_file():
        try:
            file_values = {k.upper(): v for k, v in tomllib.loads(config_path.read_text()).items()}
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{config_path}: not valid TOML ({exc})") from exc
        unknown = sorted(set(file_values) - set(_BY_NAME))
        if unknown:
            raise ConfigError(f"{config_path}: unknown setting(s) {', '.join(unknown)}")
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = env.get(setting.name)
        if raw is None or raw == "":
            raw = file_values.get(setting.name)
        if raw is None:
            values[setting.name] = setting.default
            continue
        try:
            values[setting.name] = (
                setting.parse(raw) if isinstance(raw, str) or setting.parse in (_list, parse_rate) else raw
            )
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{setting.name}={raw!r} is not valid: {exc}") from exc
    values["DAILYPAPERS_HOME"] = home
    values["DAILYPAPERS_CONFIG"] = config_path
    return values


class ConfigError(Exception):
    """A setting has a value we cannot use; the message names it."""


def markdown_table() -> str:
    """The settings table of docs/configuration.md."""
    rows = ["| setting | default | what it does |", "|---|---|---|"]
    for s in SETTINGS:
        default = ", ".join(s.default) if isinstance(s.default, list) else s.default
        rows.append(f"| `{s.name}` | {'' if default is None else f'`{default}`'} | {s.help} |")
    return "\n".join(rows)


def write_docs_table(doc: Path) -> None:
    """Replace the table between the document's settings markers with the current one."""
    text = doc.read_text()
    table = f"<!-- settings:start -->\n{markdown_table()}\n<!-- settings:end -->"
    doc.write_text(re.sub(r"<!-- settings:start -->.*<!-- settings:end -->", lambda _: table, text, flags=re.S))


if __name__ == "__main__":
    import sys

    if sys.argv[1:2] == ["--write-docs"]:
        write_docs_table(Path(sys.argv[2] if len(sys.argv) > 2 else "docs/configuration.md"))
    else:
        print(markdown_table())
