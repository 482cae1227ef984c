"""Notification pages: the list, the reader's choices, follow/unfollow/mute buttons, the private Atom feed,
and organisation pages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from dailypapers import ratelimit
from dailypapers.notify import follows, orgs, prefs, queries
from dailypapers.notify import models as m
from dailypapers.notify.models import NotifySettings, Organization
from dailypapers.store.models import Paper

FEED_SIZE = 50


def _page_number(request: HttpRequest) -> int:
    raw = request.GET.get("p", "0")
    return int(raw) if raw.isdigit() and len(raw) < 6 else 0


def _back(request: HttpRequest, fallback: str) -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(fallback)


@never_cache  # one reader's own page
@login_required
def index(request: HttpRequest) -> HttpResponse:
    number = _page_number(request)
    rows, has_next = queries.page(request.user, number)
    return render(
        request,
        "notify/index.html",
        {"notes": rows, "number": number, "has_next": has_next, "follows": list(queries.follows(request.user))},
    )


@login_required
@require_POST
def read(request: HttpRequest) -> HttpResponse:
    ids = [int(v) for v in request.POST.getlist("id") if v.isdigit() and len(v) < 19]
    queries.mark_read(request.user, ids or None)
    return _back(request, reverse("notify:index"))


@login_required
@require_POST
def open_note(request: HttpRequest, pk: int) -> HttpResponse:
    """Following a notification's link marks it read (a POST: GET never changes state)."""
    note = get_object_or_404(queries.notifications(request.user), pk=pk)
    queries.mark_read(request.user, [note.pk])
    return HttpResponseRedirect(note.url)


@never_cache
@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    pref = prefs.settings_for(request.user)
    if request.method == "POST":
        ratelimit.limit_write(request.user)
        if request.POST.get("action") == "new-token":
            prefs.new_feed_token(request.user)
            messages.success(request, "Your notifications feed has a new address; the old one no longer works.")
        else:
            mailed = set(request.POST.getlist("mail"))
            prefs.set_mail_off(request.user, [k for k, _ in m.NOTIFICATION_KINDS if k not in mailed])
            messages.success(request, "Your mail choices are saved.")
        return redirect("notify:settings")
    kinds = [{"kind": k, "label": label, "mailed": k not in pref.mail_off} for k, label in m.NOTIFICATION_KINDS]
    feed = request.build_absolute_uri(reverse("notify:feed", args=[pref.feed_token]))
    return render(request, "notify/settings.html", {"kinds": kinds, "feed_url": feed})


@login_required
@require_POST
def follow(request: HttpRequest) -> HttpResponse:
    kind, value = request.POST.get("kind", ""), request.POST.get("value", "")
    ratelimit.limit_write(request.user)
    try:
        if request.POST.get("action") == "unfollow":
            follows.unfollow(request.user, kind, value)
            messages.success(request, "Unfollowed.")
        else:
            made = follows.follow(request.user, kind, value)
            messages.success(request, f"You follow {made.label}.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return _back(request, reverse("notify:index"))


@login_required
@require_POST
def mute(request: HttpRequest) -> HttpResponse:
    paper = get_object_or_404(Paper, arxiv_id=request.POST.get("paper", ""))
    ratelimit.limit_write(request.user)
    muted = request.POST.get("action") != "unmute"
    follows.set_muted(request.user, paper, muted)
    messages.success(request, "Discussion muted." if muted else "Discussion unmuted.")
    return _back(request, reverse("web:paper", args=[paper.arxiv_id]))


def feed(request: HttpRequest, token: str) -> HttpResponse:
    """The reader's notifications as Atom, by the private token in the address (feed readers carry no session)."""
    pref = NotifySettings.objects.select_related("user").filter(feed_token=token).first()
    if pref is None or not token:
        raise Http404("No such feed.")
    atom = Atom1Feed(
        title=f"dailypapers notifications for {pref.user.get_username()}",
        link=request.build_absolute_uri(reverse("notify:index")),
        description="",
    )
    for note in queries.notifications(pref.user)[:FEED_SIZE]:
        atom.add_item(
            title=note.text,
            link=request.build_absolute_uri(note.url),
            description=note.text,
            unique_id=f"{request.build_absolute_uri(reverse('notify:index'))}#{note.pk}",
            pubdate=note.created_at,
            updateddate=note.created_at,
        )
    response = HttpResponse(content_type="application/atom+xml; charset=utf-8")
    atom.write(response, "utf-8")
    return response


def org_list(request: HttpRequest) -> HttpResponse:
    return render(request, "notify/orgs.html", {"orgs": orgs.listed()})


def org_page(request: HttpRequest, name: str) -> HttpResponse:
    org = get_object_or_404(Organization, name=name)
    number = _page_number(request)
    papers, has_next = orgs.papers(org, number)
    return render(
        request,
        "notify/org.html",
        {
            "org": org,
            "papers": papers,
            "members": orgs.members(org),
            "number": number,
            "has_next": has_next,
            "following": follows.is_following(request.user, m.ORG, org.name),
        },
    )
