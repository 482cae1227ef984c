"""Signals the store sends so other parts can follow its writes without the store importing them."""

from django.dispatch import Signal

# Sent inside the writing transaction with ``paper_ids``: papers whose daily entries
# (and so their imported votes) were created or changed. The site's ranking listens.
daily_entries_changed = Signal()
