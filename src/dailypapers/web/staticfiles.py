"""Static files from the web workers: WhiteNoise, hashed and compressed once collected, served without it too."""

from __future__ import annotations

import os

from whitenoise.middleware import WhiteNoiseMiddleware
from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    """Serve STATIC_ROOT once it has been collected, and the apps' static folders always.

    Only `dailypapers serve` runs collectstatic (it adds the compressed copies). Tests, the
    test client and `runserver` never do, and there the apps' folders (WHITENOISE_USE_FINDERS)
    serve every file; stock WhiteNoise still registers the absent STATIC_ROOT and warns
    "No directory at ..." on every start. An absent STATIC_ROOT is simply not registered.
    """

    def add_files(self, root, prefix=None) -> None:
        if root is self.static_root and not os.path.isdir(root):
            return
        super().add_files(root, prefix)


class HashedStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Hashed names (cached for a year by WhiteNoise) and gzip copies, made by collectstatic.

    Before collectstatic has run (tests, `runserver`, a checkout), ``{% static %}`` falls back to
    the plain name, which the apps' folders serve (WHITENOISE_USE_FINDERS): a page never fails
    for want of a manifest. `dailypapers serve`, `make run` and the browser tests collect first.
    """

    manifest_strict = False

    def stored_name(self, name: str) -> str:
        try:
            return super().stored_name(name)
        except ValueError:  # not collected: the file is not in STATIC_ROOT to be hashed
            return name
