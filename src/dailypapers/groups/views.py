"""Group pages: thin adapters over membership, shared, activity, meetings and digests.

A private group answers 404 to everyone but its members, on every route (the same page a missing
group gives). Writes are POST forms with CSRF tokens; GET never writes.
"""

from __future__ import annotations

import datetime as dt
import functools
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from dailypapers import ratelimit
from dailypapers.digest import outbox
from dailypapers.groups import activity, digests, export, meetings, membership, shared
from dailypapers.groups.models import Group, Invitation, Meeting, Membership, SharedCollection, SharedItem
from dailypapers.lists.paging import page_number
from dailypapers.store.models import Paper
from dailypapers.store.visibility import shown_papers

FEED_PAGE = 30
COLLECTION_PAGE = 100


def _not_found(view):
    """Anything missing or not the reader's to see is the same 404."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except (
            Group.DoesNotExist,
            SharedCollection.DoesNotExist,
            SharedItem.DoesNotExist,
            Meeting.DoesNotExist,
            Membership.DoesNotExist,
            Invitation.DoesNotExist,
            Paper.DoesNotExist,
        ):
            raise Http404("No such group.") from None

    return wrapped


def _post_only(view):
    """A form's target: POST only, but a group the reader may not see is a 404 before a 405, so
    the method allowed says nothing about a private group's existence."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method != "POST":
            try:
                membership.find(request.user, kwargs["slug"])
            except Group.DoesNotExist:
                raise Http404("No such group.") from None
            return HttpResponseNotAllowed(["POST"])
        return view(request, *args, **kwargs)

    return _not_found(wrapped)


def _paper(arxiv_id: str) -> Paper:
    return shown_papers().get(arxiv_id=arxiv_id)


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


def _join_url(token: str) -> str:
    return settings.BASE_URL.rstrip("/") + reverse("groups:join", args=[token])


def index(request: HttpRequest) -> HttpResponse:
    mine = list(membership.member_of(request.user).order_by("name"))
    public = Group.objects.filter(private=False).exclude(pk__in=[g.pk for g in mine]).order_by("name")[:100]
    return render(request, "groups/index.html", {"mine": mine, "public": public})


@require_POST
@login_required
def create(request: HttpRequest) -> HttpResponse:
    ratelimit.limit_write(request.user)
    try:
        group = membership.create(
            request.user,
            request.POST.get("name", ""),
            request.POST.get("description", ""),
            private=request.POST.get("visibility", "private") != "public",
        )
    except ValidationError as exc:
        _errors(request, exc)
        return redirect("groups:index")
    messages.success(request, f"“{group.name}” is ready: invite the others from its Members page.")
    return redirect("groups:group", group.slug)


@_not_found
def group(request: HttpRequest, slug: str) -> HttpResponse:
    found, role = membership.find(request.user, slug)
    page = page_number(request.GET.get("p"), FEED_PAGE)
    items, total = activity.feed(found, offset=page * FEED_PAGE, limit=FEED_PAGE)
    return render(
        request,
        "groups/group.html",
        {
            "group": found,
            "role": role,
            "items": items,
            "total": total,
            "page": page,
            "has_next": (page + 1) * FEED_PAGE < total,
            "collections": list(shared.collections(found)),
            "upcoming": list(meetings.upcoming(found)[:5]),
            "member_count": Membership.objects.filter(group=found).count(),
        },
    )


@_not_found
def members(request: HttpRequest, slug: str) -> HttpResponse:
    found, role = membership.find(request.user, slug)
    context = {"group": found, "role": role, "members": list(membership.members(found))}
    if role == Membership.OWNER:
        link = Invitation.objects.filter(group=found, email="", revoked=False).first()
        context["invite_url"] = _join_url(link.token) if link else ""
        context["pending"] = list(
            Invitation.objects.filter(group=found, used_at__isnull=True, revoked=False).exclude(email="")
        )
    return render(request, "groups/members.html", context)


@_post_only
def invite(request: HttpRequest, slug: str) -> HttpResponse:
    membership.for_owner(request.user, slug)
    ratelimit.limit_mail(request)
    try:
        invitation, state = membership.invite_email(request.user, slug, request.POST.get("email", ""), _join_url)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        said = {"sent": "sent", "queued": "queued (the mail server did not answer; it is retried)"}
        messages.success(request, f"Invitation to {invitation.email} {said.get(state, state)}.")
    return redirect("groups:members", slug)


@_post_only
def invite_link(request: HttpRequest, slug: str) -> HttpResponse:
    if request.POST.get("revoke"):
        membership.revoke_link(request.user, slug)
        messages.success(request, "The invitation link no longer works.")
    else:
        membership.invite_link(request.user, slug)
        messages.success(request, "Anyone with the invitation link can join the group now.")
    return redirect("groups:members", slug)


@_not_found
def join(request: HttpRequest, token: str) -> HttpResponse:
    invitation = membership.invitation(token)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"{reverse('web:login')}?next={request.path}")
        joined = membership.join(request.user, token)
        messages.success(request, f"Welcome to “{joined.name}”.")
        return redirect("groups:group", joined.slug)
    return render(request, "groups/join.html", {"invitation": invitation, "group": invitation.group})


@_post_only
def set_role(request: HttpRequest, slug: str, user_id: int) -> HttpResponse:
    try:
        membership.set_role(request.user, slug, user_id, request.POST.get("role", ""))
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("groups:members", slug)


@_post_only
def remove_member(request: HttpRequest, slug: str, user_id: int) -> HttpResponse:
    try:
        membership.remove(request.user, slug, user_id)
    except ValidationError as exc:
        _errors(request, exc)
        return redirect("groups:members", slug)
    if user_id == request.user.pk:
        messages.success(request, "You left the group.")
        return redirect("groups:index")
    return redirect("groups:members", slug)


@_post_only
def update(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        membership.update(
            request.user,
            slug,
            description=request.POST.get("description", ""),
            private=request.POST.get("visibility", "private") != "public",
            digest=request.POST.get("digest", ""),
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, "Settings saved.")
    return redirect("groups:members", slug)


@_post_only
def delete(request: HttpRequest, slug: str) -> HttpResponse:
    name = membership.delete(request.user, slug)
    messages.success(request, f"“{name}” is deleted.")
    return redirect("groups:index")


@_post_only
def send_digest(request: HttpRequest, slug: str) -> HttpResponse:
    found = membership.for_owner(request.user, slug)
    ratelimit.limit_mail(request)
    result = digests.send_now(found)
    for mail in result.mails:
        outbox.send_now(mail)
    said = {
        "sent": f"The digest went to {len(result.mails)} member{'s' if len(result.mails) != 1 else ''}.",
        "already": "This period's digest was sent already.",
        "empty": "Nothing happened in the group in the last period: no digest was sent.",
    }
    messages.success(request, said[result.state])
    return redirect("groups:members", slug)


# Shared collections -----------------------------------------------------------------------------


@_post_only
def collection_create(request: HttpRequest, slug: str) -> HttpResponse:
    found, _ = membership.for_member(request.user, slug)
    try:
        made = shared.create(found, request.POST.get("name", ""))
    except ValidationError as exc:
        _errors(request, exc)
        return redirect("groups:group", slug)
    return redirect("groups:collection", slug, made.pk)


@_not_found
def collection(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    found, role = membership.find(request.user, slug)
    chosen = shared.get(found, pk)
    page = page_number(request.GET.get("p"), COLLECTION_PAGE)
    rows = shared.items(chosen)
    total = rows.count()
    items = list(rows[page * COLLECTION_PAGE : (page + 1) * COLLECTION_PAGE])
    return render(
        request,
        "groups/collection.html",
        {
            "group": found,
            "role": role,
            "collection": chosen,
            "items": items,
            "total": total,
            "page": page,
            "has_next": (page + 1) * COLLECTION_PAGE < total,
        },
    )


@_not_found
def collection_bib(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    found, _ = membership.find(request.user, slug)
    chosen = shared.get(found, pk)
    return _bib(export.collection_bibtex(chosen), f"{found.slug}-{chosen.name}.bib")


@_not_found
def group_bib(request: HttpRequest, slug: str) -> HttpResponse:
    found, _ = membership.find(request.user, slug)
    return _bib(export.group_bibtex(found), f"{found.slug}.bib")


def _bib(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(text, content_type="application/x-bibtex; charset=utf-8")
    ascii_name = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "-" for c in filename)
    response["Content-Disposition"] = f'attachment; filename="{ascii_name}"'
    return response


@_post_only
def collection_add(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    found, _ = membership.for_member(request.user, slug)
    chosen = shared.get(found, pk)
    arxiv_id = request.POST.get("arxiv", "").strip()
    try:
        paper = _paper(arxiv_id)
    except Paper.DoesNotExist:
        messages.error(request, f"There is no paper “{arxiv_id[:100]}” here.")
        return redirect("groups:collection", slug, pk)
    try:
        added = shared.add(chosen, paper, request.user, request.POST.get("note", ""))
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, f"Saved to “{chosen.name}”." if added else f"Already in “{chosen.name}”: note kept.")
    return redirect("groups:collection", slug, pk)


@_post_only
def item_note(request: HttpRequest, slug: str, pk: int, arxiv_id: str) -> HttpResponse:
    found, _ = membership.for_member(request.user, slug)
    chosen = shared.get(found, pk)
    try:
        shared.set_note(chosen, _paper(arxiv_id), request.POST.get("note", ""))
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, "Note saved.")
    return redirect("groups:collection", slug, pk)


@_post_only
def item_remove(request: HttpRequest, slug: str, pk: int, arxiv_id: str) -> HttpResponse:
    found, _ = membership.for_member(request.user, slug)
    chosen = shared.get(found, pk)
    shared.remove(chosen, _paper(arxiv_id))
    return redirect("groups:collection", slug, pk)


# A paper inside the group: its note thread -----------------------------------------------------


@_not_found
def paper(request: HttpRequest, slug: str, arxiv_id: str) -> HttpResponse:
    found, role = membership.for_member(request.user, slug)
    chosen = _paper(arxiv_id)
    marks = activity.colleague_marks(request.user, [chosen.arxiv_id]).get(chosen.arxiv_id)
    return render(
        request,
        "groups/paper.html",
        {
            "group": found,
            "role": role,
            "paper": chosen,
            "notes": list(shared.note_thread(found, chosen)),
            "marks": marks,
            "collections": list(shared.collections(found)),
            "in_collections": list(
                SharedItem.objects.filter(collection__group=found, paper=chosen).select_related("collection")
            ),
            "members": list(membership.members(found)),
        },
    )


@_post_only
def paper_note(request: HttpRequest, slug: str, arxiv_id: str) -> HttpResponse:
    found, _ = membership.for_member(request.user, slug)
    ratelimit.limit_write(request.user)
    try:
        shared.add_note(found, _paper(arxiv_id), request.user, request.POST.get("body", ""))
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("groups:paper", slug, arxiv_id)


# Meetings ---------------------------------------------------------------------------------------


@_not_found
def meeting_list(request: HttpRequest, slug: str) -> HttpResponse:
    found, role = membership.find(request.user, slug)
    return render(
        request,
        "groups/meetings.html",
        {
            "group": found,
            "role": role,
            "meetings": list(meetings.upcoming(found)[:100]),
            "members": list(membership.members(found)) if role else [],
            "calendar_url": reverse("groups:calendar", args=[found.calendar_token]) if role else "",
            "archive": False,
        },
    )


@_not_found
def meeting_archive(request: HttpRequest, slug: str) -> HttpResponse:
    found, role = membership.find(request.user, slug)
    page = page_number(request.GET.get("p"), 50)
    rows = list(meetings.archive(found)[page * 50 : (page + 1) * 50 + 1])
    return render(
        request,
        "groups/meetings.html",
        {
            "group": found,
            "role": role,
            "meetings": rows[:50],
            "archive": True,
            "page": page,
            "has_next": len(rows) > 50,
        },
    )


def _when(request: HttpRequest) -> dt.datetime:
    raw = request.POST.get("starts_at", "").strip()
    try:
        naive = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise ValidationError("Give the meeting's date and time, e.g. 2026-01-15T16:00.") from None
    if naive.tzinfo is not None:
        return naive
    try:
        zone = ZoneInfo(request.POST.get("timezone", "").strip() or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError("That time zone is unknown: use a name like Europe/Berlin.") from None
    return naive.replace(tzinfo=zone)


@_post_only
def meeting_create(request: HttpRequest, slug: str) -> HttpResponse:
    found, _ = membership.for_member(request.user, slug)
    ratelimit.limit_write(request.user)
    arxiv_id = request.POST.get("arxiv", "").strip()
    try:
        chosen = _paper(arxiv_id)
    except Paper.DoesNotExist:
        messages.error(request, f"There is no paper “{arxiv_id[:100]}” here.")
        return redirect("groups:meetings", slug)
    presenter = request.POST.get("presenter", "").strip()
    try:
        made = meetings.schedule(
            found,
            request.user,
            chosen,
            _when(request),
            presenter_id=int(presenter) if presenter.isdigit() and len(presenter) < 18 else None,
            minutes=_minutes(request.POST.get("minutes", "60")),
            location=request.POST.get("location", ""),
            notes_url=request.POST.get("notes_url", ""),
            slides_url=request.POST.get("slides_url", ""),
        )
    except ValidationError as exc:
        _errors(request, exc)
        return redirect("groups:meetings", slug)
    messages.success(request, "Meeting scheduled.")
    return redirect("groups:meeting", slug, made.pk)


def _minutes(raw: str) -> int:
    raw = (raw or "60").strip()
    if not raw.isdigit() or len(raw) > 5:
        raise ValidationError("A meeting's length is a number of minutes.")
    return int(raw)


@_not_found
def meeting(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    found, role = membership.find(request.user, slug)
    chosen = meetings.get(found, pk)
    return render(
        request,
        "groups/meeting.html",
        {"group": found, "role": role, "meeting": chosen, "comments": list(meetings.comments(chosen))},
    )


@_post_only
def meeting_comment(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    found, _ = membership.for_member(request.user, slug)
    ratelimit.limit_write(request.user)
    chosen = meetings.get(found, pk)
    try:
        meetings.comment(chosen, request.user, request.POST.get("body", ""))
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("groups:meeting", slug, pk)


@_post_only
def meeting_links(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    found, _ = membership.for_member(request.user, slug)
    chosen = meetings.get(found, pk)
    try:
        meetings.set_links(chosen, request.POST.get("notes_url", ""), request.POST.get("slides_url", ""))
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, "Links saved.")
    return redirect("groups:meeting", slug, pk)


@_not_found
def calendar(request: HttpRequest, token: str) -> HttpResponse:
    """The group's meetings for calendar programs, which cannot log in: the address is the key."""
    found = Group.objects.get(calendar_token=token)
    response = HttpResponse(meetings.calendar(found), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = (
        f'inline; filename="{found.slug.encode("ascii", "ignore").decode() or "group"}.ics"'
    )
    return response
