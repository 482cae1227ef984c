"""Digest pages: thin adapters over subscriptions.py. GET never changes state."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from dailypapers import ratelimit
from dailypapers.digest import subscriptions, tokens
from dailypapers.digest.forms import PreferencesForm, SubscribeForm
from dailypapers.digest.models import Subscriber
from dailypapers.digest.render import manage_links

log = logging.getLogger("dailypapers.digest")


def _bad_link(request: HttpRequest, exc: tokens.BadToken) -> HttpResponse:
    return render(request, "digest/message.html", {"title": "Link not valid", "text": str(exc)}, status=400)


def _same_site(request: HttpRequest) -> bool:
    """Whether the POST passes Django's CSRF check (the subscribe view itself is exempt)."""
    return CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {}) is None


# The subscribe box is on every page, and anonymous pages are cached and shared, so it carries
# no CSRF token: the view is exempt. That is safe because a subscribe only records a pending
# request and mails a double opt-in link to the address given (rate-limited per client), which
# anyone can do directly; a forged post gains nothing. Only a post that passes the CSRF check
# links the subscription to the signed-in account.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    user = request.user if request.user.is_authenticated else None
    if request.method == "POST" and user is not None and not _same_site(request):
        user = None
    if request.method == "GET":
        form = SubscribeForm(initial={"email": getattr(user, "email", "")})
        return render(request, "digest/subscribe.html", {"form": form})
    form = SubscribeForm(request.POST)
    if not form.is_valid():
        return render(request, "digest/subscribe.html", {"form": form}, status=400)
    # The site's one limiter (per client address and per address mailed); over it: a 429 page.
    ratelimit.limit_mail(request, form.cleaned_data["email"], user=user)
    _, mailed = subscriptions.subscribe(form.cleaned_data["email"], form.choices(), user=user)
    if mailed == "kept":
        return render(
            request,
            "digest/message.html",
            {
                "title": "Your link is in the site's outbox",
                "text": f"This site has no mail server configured, so no mail went to {form.cleaned_data['email']}: "
                "the confirmation link is kept in the site's outbox (admin: Outbox mails) and printed in the "
                "terminal where the site runs (make run). Digests are mailed only once a mail server is configured.",
            },
        )
    if mailed != "sent":
        return render(
            request,
            "digest/message.html",
            {
                "title": "Check your inbox soon",
                "text": f"Our mail server did not take the mail to {form.cleaned_data['email']} just now; we keep trying "
                "and it will arrive within minutes. Follow its link to start receiving digests.",
            },
        )
    return render(
        request,
        "digest/message.html",
        {
            "title": "Check your inbox",
            "text": f"We sent a mail to {form.cleaned_data['email']}. Follow its link to start receiving digests.",
        },
    )


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscriber = tokens.read_token(token, tokens.CONFIRM)
    except tokens.BadToken as exc:
        return _bad_link(request, exc)
    if request.method == "GET":
        return render(request, "digest/confirm.html", {"subscriber": subscriber})
    subscriptions.confirm(subscriber)
    return render(
        request,
        "digest/message.html",
        {
            "title": "Subscribed",
            "text": f"{subscriber.email} will receive {subscriber.frequency} digests.",
            "links": manage_links(subscriber),
        },
    )


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
    return render(
        request,
        "digest/preferences.html",
        {
            "form": form,
            "subscriber": subscriber,
            "saved": saved,
            "links": manage_links(subscriber),
            "active": subscriber.status == Subscriber.ACTIVE,
        },
        status=200 if form.is_bound is False or form.is_valid() else 400,
    )


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
    return render(
        request,
        "digest/message.html",
        {
            "title": "Unsubscribed",
            "text": f"{subscriber.email} will receive no more digests.",
            "links": {"preferences": manage_links(subscriber)["preferences"]},
        },
    )
