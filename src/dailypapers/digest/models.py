"""What the digest keeps: subscribers, the delivery ledger, and the papers already sent.

The ledger (Delivery) has one row per (subscriber, period) under a unique constraint, so a
digest can be planned any number of times and still exists once. Its state machine is in
ledger.py; SentPaper rows are written in the same transaction as a delivery's 'sent' mark,
so a paper never reaches the same subscriber twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Subscriber(models.Model):
    PENDING = "pending"  # waiting for the confirmation click (double opt-in)
    ACTIVE = "active"
    UNSUBSCRIBED = "unsubscribed"
    SUSPENDED = "suspended"  # too many bounces
    STATUSES = [(s, s) for s in (PENDING, ACTIVE, UNSUBSCRIBED, SUSPENDED)]

    DAILY = "daily"
    WEEKLY = "weekly"
    FREQUENCIES = [(DAILY, "Daily (arXiv announcement days)"), (WEEKLY, "Weekly")]

    email = models.EmailField(max_length=254, unique=True)  # stored lower case
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="digest_subscriptions"
    )
    status = models.CharField(max_length=16, choices=STATUSES, default=PENDING, db_index=True)
    frequency = models.CharField(max_length=8, choices=FREQUENCIES, default=DAILY)
    categories = models.CharField(max_length=512, blank=True, default="")  # space separated; empty: all
    keywords = models.TextField(blank=True, default="")  # comma separated phrases; empty: no keyword filter
    excluded_keywords = models.TextField(blank=True, default="")  # comma separated phrases
    top_n = models.PositiveSmallIntegerField(default=10)
    bounce_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "frequency"], name="digest_sub_status_freq")]

    def __str__(self) -> str:
        return f"{self.email} ({self.status}, {self.frequency})"


class Delivery(models.Model):
    """One digest for one subscriber and one period: the exactly-once ledger row."""

    PENDING = "pending"  # planned, nobody working on it
    CLAIMED = "claimed"  # a sender holds it (claimed_by, claimed_at = lease)
    RETRY = "retry"  # temporary failure; claimable again at next_attempt_at
    SENT = "sent"
    EMPTY = "empty"  # nothing new matched the subscriber's preferences: no mail
    FAILED = "failed"  # temporary failures until the attempts ran out
    BOUNCED = "bounced"  # permanent (5xx) refusal
    CANCELLED = "cancelled"  # the subscriber left before it was sent
    STATES = [(s, s) for s in (PENDING, CLAIMED, RETRY, SENT, EMPTY, FAILED, BOUNCED, CANCELLED)]

    # No index of its own: the unique (subscriber, period) constraint's index starts with it.
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="deliveries", db_index=False)
    period = models.CharField(max_length=32)  # "daily:2026-06-30" or "weekly:2026-W27"
    state = models.CharField(max_length=16, choices=STATES, default=PENDING)
    attempts = models.PositiveIntegerField(default=0)
    claimed_by = models.CharField(max_length=128, blank=True, default="")
    claimed_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=255, blank=True, default="")
    paper_count = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subscriber", "period"], name="digest_one_delivery_per_period")]
        indexes = [models.Index(fields=["period", "state"], name="digest_delivery_period_state")]
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"{self.period} -> {self.subscriber_id}: {self.state}"


class SentPaper(models.Model):
    """A paper a subscriber has received; never selected for them again."""

    # No index of its own: the unique (subscriber, paper) constraint's index starts with it, and one
    # index less to write is a tenth of a digest's commit.
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="sent_papers", db_index=False)
    paper = models.ForeignKey("store.Paper", on_delete=models.CASCADE, related_name="+")
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="papers")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subscriber", "paper"], name="digest_paper_once")]


class OutboxMail(models.Model):
    """A mail the site owes someone (confirmation, password reset, email change, subscription).

    Stored in the same transaction as what it is about (a new user, say), so an SMTP failure
    can never leave an account without its mail: it is sent right after the commit when the
    server answers, and retried by `dailypapers worker` with back-off when it does not (see
    digest/outbox.py). A row is claimed before it is sent, so it is sent once.
    """

    PENDING = "pending"  # waiting to be sent (next_attempt_at: not before)
    SENDING = "sending"  # claimed by a sender (claimed_at: lease)
    SENT = "sent"
    FAILED = "failed"  # refused for good, or out of attempts
    KEPT = "kept"  # no mail server configured: kept here (and printed) instead of sent
    STATES = [(s, s) for s in (PENDING, SENDING, SENT, FAILED, KEPT)]

    kind = models.CharField(max_length=32)  # confirm-account, password-reset, email-change, digest-confirm
    to = models.EmailField(max_length=254)
    subject = models.TextField()
    text = models.TextField()
    html = models.TextField(blank=True, default="")
    headers = models.JSONField(default=dict)  # Message-ID fixed at creation: a resend is the same message
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    state = models.CharField(max_length=16, choices=STATES, default=PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=128, blank=True, default="")
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="digest_outbox_due")]

    def __str__(self) -> str:
        return f"{self.kind} -> {self.to}: {self.state}"
