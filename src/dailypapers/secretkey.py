"""The data dir's signing key, made by the commands that sign (serve, digest, worker), never at import.

Cookies, confirmation links and the digests' unsubscribe links are signed with SECRET_KEY; a
digest mailed by `dailypapers digest send` must verify on the web server, so every process
uses the same key: DAILYPAPERS_SECRET_KEY when set, else the file DAILYPAPERS_HOME/secret_key,
created (mode 600) by the first command that needs it.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.conf import settings


def persist_secret_key(key_file: Path) -> str:
    """The key in ``key_file``, created when missing; two processes racing agree on one key."""
    try:
        return key_file.read_text().strip()
    except FileNotFoundError:
        pass
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return key_file.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def ensure_secret_key() -> str:
    """Make this process sign with the shared key (settings read the file if it existed at start)."""
    if settings.SECRET_KEY_FROM_ENV:
        return settings.SECRET_KEY
    key = persist_secret_key(settings.SECRET_KEY_FILE)
    settings.SECRET_KEY = key
    return key
