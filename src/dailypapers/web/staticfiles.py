"""Static files from the web workers: WhiteNoise, without assuming collectstatic has run."""

from __future__ import annotations

import os

from whitenoise.middleware import WhiteNoiseMiddleware


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
