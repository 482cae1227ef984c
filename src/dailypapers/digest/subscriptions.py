"""Subscribing, confirming, changing preferences and leaving: the library the views call.

Double opt-in: a new (or returning) address is 'pending' until its confirmation link is
used; nothing but the confirmation mail reaches it before that. An address that is already
active gets a mail with its preferences link instead, so the subscribe form never reveals
or changes someone else's subscription.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from dailypapers.digest import outbox, render
from dailypapers.digest.models import Delivery, Subscriber

MAX_TOP_N = 50


@dataclass(frozen=True)
class Choices:
    frequency: str = Subscriber.DAILY
    categories: str = ""
    keywords: str = ""
    excluded_keywords: str = ""
    top_n: int = 10


def normalise_email(email: str) -> str:
    return email.strip().lower()


def subscribe(email: str, choices: Choices | None = None, user=None) -> tuple[Subscriber, str]:
    """Record the request with its confirmation mail (the outbox); (subscriber, "sent" or "queued")."""
    choices = choices or Choices()
    with transaction.atomic():
        subscriber, created = Subscriber.objects.select_for_update().get_or_create(
            email=normalise_email(email),
            defaults={"status": Subscriber.PENDING},
        )
        if subscriber.status != Subscriber.ACTIVE:
            # Not active yet (or any more): the requester may set the preferences the confirmation will enable.
            subscriber.status = Subscriber.PENDING
            _apply(subscriber, choices)
            if user is not None and user.is_authenticated:
                subscriber.user = user
            subscriber.save()
        mail = outbox.enqueue(
            render.build_confirmation(subscriber),
            kind="digest-confirm",
            user=user if user is not None and user.is_authenticated else None,
        )
    return subscriber, outbox.send_now(mail)


def of_user(user) -> Subscriber | None:
    """The subscription of a logged-in reader: linked to the account, else under its address."""
    return (
        Subscriber.objects.filter(user=user).order_by("-updated_at").first()
        or Subscriber.objects.filter(email=normalise_email(user.email)).first()
    )


def subscribe_account(user, choices: Choices) -> Subscriber:
    """Subscribe (or update) a logged-in reader at once: the account's address is already confirmed
    (sign-up and email changes confirm it), which is what the double opt-in asks for."""
    with transaction.atomic():
        subscriber = of_user(user)
        if subscriber is None or subscriber.email != normalise_email(user.email):
            subscriber, _ = Subscriber.objects.select_for_update().get_or_create(email=normalise_email(user.email))
        subscriber.user = user
        _apply(subscriber, choices)
        subscriber.save()
        confirm(subscriber)
    return subscriber


def confirm(subscriber: Subscriber) -> Subscriber:
    if subscriber.status != Subscriber.ACTIVE:
        subscriber.status = Subscriber.ACTIVE
        subscriber.confirmed_at = timezone.now()
        subscriber.unsubscribed_at = None
        subscriber.bounce_count = 0
        subscriber.save()
    return subscriber


def update_preferences(subscriber: Subscriber, choices: Choices) -> Subscriber:
    _apply(subscriber, choices)
    subscriber.save()
    return subscriber


def unsubscribe(subscriber: Subscriber) -> Subscriber:
    """Leave at once: no digest is sent from now on, including ones already planned."""
    with transaction.atomic():
        if subscriber.status != Subscriber.UNSUBSCRIBED:
            subscriber.status = Subscriber.UNSUBSCRIBED
            subscriber.unsubscribed_at = timezone.now()
            subscriber.save()
        Delivery.objects.filter(subscriber=subscriber, state__in=[Delivery.PENDING, Delivery.RETRY]).update(
            state=Delivery.CANCELLED
        )
    return subscriber


def _apply(subscriber: Subscriber, choices: Choices) -> None:
    subscriber.frequency = choices.frequency
    subscriber.categories = " ".join(choices.categories.split())
    subscriber.keywords = choices.keywords.strip()
    subscriber.excluded_keywords = choices.excluded_keywords.strip()
    subscriber.top_n = max(1, min(MAX_TOP_N, choices.top_n))
