"""The ASGI entry point `dailypapers serve` runs (gunicorn with uvicorn's worker).

The event loop reads each request in full before Django sees it, so a client that sends its
request slowly holds a socket, not a worker; Django runs each view in a thread of its own.
"""

import os
import warnings

import django
from django.conf import settings
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")
django.setup(set_prefix=False)
# Each request runs in a new thread, and connections belong to threads: a kept one would never be
# reused, only left open until garbage collection (Django's docs: no persistent connections under ASGI).
for database in settings.DATABASES.values():
    database["CONN_MAX_AGE"] = 0
# WhiteNoise answers static files with a file iterator, which Django reads in a thread under ASGI:
# correct, and said once per worker as a warning that only adds noise to the error log.
warnings.filterwarnings("ignore", message="StreamingHttpResponse must consume synchronous iterators")
application = get_asgi_application()
