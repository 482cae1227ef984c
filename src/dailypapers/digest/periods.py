"""Digest periods: what a ledger key means. The definitions live in dailypapers/periods.py
(shared with the web lists and the API); this module keeps the digest's names for them.

A daily period is named by an arXiv listing date ("daily:2026-06-30"); a weekly period by
an ISO week ("weekly:2026-W27"). ``period.frequency`` is "daily" or "weekly".
"""

from __future__ import annotations

from dailypapers.periods import Period, PeriodError, daily, weekly
from dailypapers.periods import parse_key as parse

__all__ = ["Period", "PeriodError", "daily", "parse", "weekly"]
