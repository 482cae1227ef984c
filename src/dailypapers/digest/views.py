"""Digest pages: thin adapters over subscriptions.py. GET never changes state."""

from __future__ import annotations

import logging
import smtplib

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from dailypapers.digest import subscriptions, tokens
from dailypapers.digest.forms import PreferencesForm, SubscribeForm
from dailypapers.digest.models import Subscriber
from dailypapers.digest.render import manage_links
from dailypapers.web.services import ratelimit

log = logging.getLogger("dailypapers.digest")


def _bad_link(request: HttpRequest, exc: tokens.BadToken) -> HttpResponse:
    return render(request, "digest/message.html", {"title": "Link not valid", "text": str(exc)}, status=400)


@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    user = request.user if request.user.is_authenticated else None
    if request.method == "GET":
        form = SubscribeForm(initial={"email": getattr(user, "email", "")})
        return render(request, "digest/subscribe.html", {"form": form})
    form = SubscribeForm(request.POST)
    if not form.is_valid():
        return render(request, "digest/subscribe.html", {"form": form}, status=400)
    # The site's one limiter (per client address and per address mailed); over it: a 429 page.
    ratelimit.limit_mail(request, form.cleaned_data["email"], user=user)
    try:
        subscriptions.subscribe(form.cleaned_data["email"], form.choices(), user=user)
    except (OSError, smtplib.SMTPException) as exc:
        log.error("confirmation mail to %s failed: %s", form.cleaned_data["email"], exc)
        return render(request, "digest/message.html", {
            "title": "Mail not sent", "text": "We could not send the confirmation mail just now; please try again later.",
        }, status=503)
    return render(request, "digest/message.html", {
        "title": "Check your inbox",
        "text": f"We sent a mail to {form.cleaned_data['email']}. Follow its link to start receiving digests.",
    })


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscriber = tokens.read_token(token, tokens.CONFIRM)
    except tokens.BadToken as exc:
        return _bad_link(request, exc)
    if request.method == "GET":
        return render(request, "digest/confirm.html", {"subscriber": subscriber})
    subscriptions.confirm(subscriber)
    return render(request, "digest/message.html", {
        "title": "Subscribed", "text": f"{subscriber.email} will receive {subscriber.frequency} digests.",
        "links": manage_links(subscriber),
    })


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscriber = tokens.read_token(token, tokens.MANAGE)
    except tokens.BadToken as exc:
        return _bad_link(request, exc)
    saved = False
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            subscriptions.update_preferences(subscriber, form.choices())
            saved = True
    else:
        form = PreferencesForm.for_subscriber(subscriber)
    return render(request, "digest/preferences.html", {
        "form": form, "subscriber": subscriber, "saved": saved, "links": manage_links(subscriber),
        "active": subscriber.status == Subscriber.ACTIVE,
    }, status=200 if form.is_bound is False or form.is_valid() else 400)


# RFC 8058: mail clients POST "List-Unsubscribe=One-Click" here without cookies or a CSRF
# token; the signed token in the URL is the only authority, and GET only shows a button.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscriber = tokens.read_token(token, tokens.MANAGE)
    except tokens.BadToken as exc:
        return _bad_link(request, exc)
    if request.method == "GET":
        return render(request, "digest/unsubscribe.html", {"subscriber": subscriber})
    subscriptions.unsubscribe(subscriber)
    return render(request, "digest/message.html", {
        "title": "Unsubscribed", "text": f"{subscriber.email} will receive no more digests.",
        "links": {"preferences": manage_links(subscriber)["preferences"]},
    })
