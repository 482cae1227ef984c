"""The limiter's counters: one row per (scope, client) window, in a table of their own.

Not in Django's cache: a cache evicts entries when it fills up, and anyone could fill it with
throw-away keys (resets for random addresses, logins with random names) to wipe the counters.
Rows here leave only when their window is over (stores.DatabaseStore prunes them).
"""

from django.db import models


class RateCounter(models.Model):
    slot = models.CharField(max_length=64, primary_key=True, help_text="Hash of scope and client.")
    started = models.FloatField(help_text="Unix time of the window's first request.")
    expires = models.FloatField(db_index=True, help_text="Unix time the window ends.")
    count = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "ratelimit_counter"
