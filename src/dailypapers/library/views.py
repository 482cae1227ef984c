"""Library pages: collections (private, or public by link), saving papers, BibTeX, reader marks (not interested, read), interests.

Writes are POST forms with CSRF tokens and work without JavaScript; GET never writes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from dailypapers import periods
from dailypapers.community import marks
from dailypapers.community.markup import has_math
from dailypapers.library import alerts, authors, imports, paper_collections, searches, transfer
from dailypapers.library.interests import interests_of, set_interests
from dailypapers.library.models import Collection, SavedSearch
from dailypapers.lists import listings, paging
from dailypapers.notify import follows
from dailypapers.notify import models as notify_models
from dailypapers.redirects import safe_next
from dailypapers.store import listing_days
from dailypapers.store.models import Paper
from dailypapers.store.visibility import shown_papers

COLLECTION_PAGE_SIZE = 100  # papers per page of a collection, the owner's and the shared one


def _paper(arxiv_id: str) -> Paper:
    return get_object_or_404(shown_papers(), arxiv_id=arxiv_id)


def _mine(request: HttpRequest, pk: int) -> Collection:
    try:
        return paper_collections.get(request.user, pk)
    except Collection.DoesNotExist:
        raise Http404("No such collection.") from None


def _page(pk: int) -> str:
    return reverse("library:collection", args=[pk])


def _bib_response(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(text, content_type="application/x-bibtex; charset=utf-8")
    # RFC 6266: an ASCII fallback for old clients, the real name (any script) in filename*.
    ascii_name = "".join(c if c.isascii() else "-" for c in filename)
    ascii_name = "-".join(part for part in ascii_name.split("-") if part) or "collection.bib"
    if ascii_name.startswith("."):
        ascii_name = "collection" + ascii_name
    response["Content-Disposition"] = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    return response


def _math(papers) -> bool:
    """Whether a page listing these papers needs KaTeX (base.html loads it only then)."""
    return has_math(*(p.title for p in papers))


def _filename(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in name).strip("-").lower() or "collection"


def _paged(request: HttpRequest, found: Collection) -> dict:
    """One page of a collection's papers (?p=, the lists' paging rule) and the links around it."""
    number = paging.page_number(request.GET.get("p"), COLLECTION_PAGE_SIZE)
    start = number * COLLECTION_PAGE_SIZE
    rows = list(paper_collections.items(found)[start : start + COLLECTION_PAGE_SIZE + 1])
    return {
        "items": rows[:COLLECTION_PAGE_SIZE],
        "number": number,
        "has_next": len(rows) > COLLECTION_PAGE_SIZE,
        "first_index": start,
    }


@never_cache  # one reader's own page: no browser or shared cache may keep it
@login_required
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "library/index.html", {"collections": list(paper_collections.owned(request.user))})


@login_required
@require_POST
def create(request: HttpRequest) -> HttpResponse:
    try:
        made = paper_collections.create(request.user, request.POST.get("name", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("library:index")
    messages.success(request, f"Collection “{made.name}” created.")
    return HttpResponseRedirect(safe_next(request, _page(made.pk)))


@never_cache  # one reader's own page: no browser or shared cache may keep it
@login_required
def collection(request: HttpRequest, pk: int) -> HttpResponse:
    found = _mine(request, pk)
    page = _paged(request, found)
    return render(
        request,
        "library/collection.html",
        {
            "collection": found,
            **page,
            "math": _math(item.paper for item in page["items"]),
            "owner": True,
            "imports": [imports.describe(job) for job in imports.recent(found)],
            "max_papers": paper_collections.max_papers(),
            "share_url": settings.BASE_URL + reverse("library:shared", args=[found.share_token])
            if found.share_token
            else "",
        },
    )


def _shared_cached(request: HttpRequest, token: str, kind: str, build) -> HttpResponse:
    """A shared collection's page or .bib; for visitors who are not logged in, kept in the page cache
    by (token, the collection's last change, page) for DAILYPAPERS_PAGE_CACHE_SECONDS, so a link
    passed around costs one indexed lookup per view, and a link turned off stops at once."""
    try:
        found = paper_collections.shared(token)
    except Collection.DoesNotExist:
        raise Http404("This link does not lead to a shared collection (the owner may have turned it off).") from None
    seconds = settings.PAGE_CACHE_SECONDS
    if seconds <= 0 or request.user.is_authenticated or "messages" in request.COOKIES:
        return build(found)
    key = (
        "shared:"
        + hashlib.sha256(
            f"{kind}:{token}:{found.updated_at.isoformat()}:{found.share_notes}:{request.GET.get('p', '')}".encode()
        ).hexdigest()
    )
    pages = caches["pages"]
    response = pages.get(key)
    if response is None:
        response = build(found)
        if response.status_code == 200 and not response.cookies:
            response = response.render() if hasattr(response, "render") else response
            pages.set(key, response, seconds)
    return response


def shared(request: HttpRequest, token: str) -> HttpResponse:
    return _shared_cached(
        request,
        token,
        "page",
        lambda found: render(
            request,
            "library/collection.html",
            {
                "collection": found,
                **(page := _paged(request, found)),
                "math": _math(i.paper for i in page["items"]),
                "owner": False,
                "token": token,
            },
        ),
    )


def shared_bib(request: HttpRequest, token: str) -> HttpResponse:
    return _shared_cached(
        request,
        token,
        "bib",
        lambda found: _bib_response(transfer.export_collection(found), f"{_filename(found.name)}.bib"),
    )


@never_cache  # one reader's own page: no browser or shared cache may keep it
@login_required
def collection_bib(request: HttpRequest, pk: int) -> HttpResponse:
    found = _mine(request, pk)
    return _bib_response(transfer.export_collection(found), f"{_filename(found.name)}.bib")


def paper_bib(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    paper = _paper(arxiv_id)
    return _bib_response(transfer.export_papers([paper]), f"{_filename(paper.arxiv_id)}.bib")


def _act(request: HttpRequest, fallback: str, action, done: str = "") -> HttpResponse:
    """Run a write, turning refusals into a message on the page the reader came from."""
    try:
        message = action()
    except Collection.DoesNotExist:
        raise Http404("No such collection.") from None
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if message or done:
            messages.success(request, message or done)
    return HttpResponseRedirect(safe_next(request, fallback))


def _offset(request: HttpRequest) -> int:
    return -1 if request.POST.get("direction") == "up" else 1


@login_required
@require_POST
def rename(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        _page(pk),
        lambda: paper_collections.rename(request.user, pk, request.POST.get("name", "")) and "",
        "Collection renamed.",
    )


@login_required
@require_POST
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request, reverse("library:index"), lambda: f"Collection “{paper_collections.delete(request.user, pk)}” deleted."
    )


@login_required
@require_POST
def move(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, reverse("library:index"), lambda: paper_collections.move(request.user, pk, _offset(request)))


@login_required
@require_POST
def share(request: HttpRequest, pk: int) -> HttpResponse:
    on = request.POST.get("share") == "1"
    notes = request.POST.get("notes") == "1"
    done = "The public link no longer works."
    if on:
        done = "Anyone with the link can now read this collection" + (
            ", your notes included." if notes else "; your notes stay private."
        )
    return _act(request, _page(pk), lambda: paper_collections.share(request.user, pk, on, notes=notes) and "", done)


@never_cache  # one reader's own page: no browser or shared cache may keep it
@login_required
def save_confirm(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    """Where a save started while logged out (a list card's link) lands after the login: a page with the
    save's POST form into the default collection, which app.js submits at once (as the vote link's does).
    GET only, and it writes nothing."""
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])

    paper = _paper(arxiv_id)
    fallback = reverse("web:paper", args=[paper.arxiv_id])
    return render(
        request,
        "web/confirm.html",
        {
            "title": "Save this paper",
            "paper": paper,
            "math": has_math(paper.title),
            "action": reverse("library:save", args=[paper.arxiv_id]),
            "fields": {"next": safe_next(request, fallback)},
            "button": "Save to Reading list",
            "autosubmit": True,
            "cancel": safe_next(request, fallback),
            "message": "You asked to save this paper before logging in; it is being saved to your Reading list.",
        },
    )


@login_required
@require_POST
def save(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    """Save a paper into a chosen collection, or a new one named in the form; ``remove=1`` takes it out."""
    paper = _paper(arxiv_id)
    fallback = reverse("web:paper", args=[paper.arxiv_id])

    def action() -> str:
        new_name = request.POST.get("new_name", "").strip()
        if new_name:
            target = paper_collections.create(request.user, new_name)
        else:
            raw = request.POST.get("collection", "")
            target = (
                paper_collections.get(request.user, int(raw))
                if raw.isdigit()
                else paper_collections.ensure_default(request.user)
            )
        if request.POST.get("remove") == "1":
            paper_collections.remove(request.user, target.pk, paper)
            return f"Removed from “{target.name}”."
        added = paper_collections.add(request.user, target.pk, paper, request.POST.get("note", ""))
        return f"Saved to “{target.name}”." if added else f"Already in “{target.name}”."

    return _act(request, fallback, action)


@login_required
@require_POST
def note(request: HttpRequest, pk: int, arxiv_id: str) -> HttpResponse:
    paper = _paper(arxiv_id)
    return _act(
        request,
        _page(pk),
        lambda: paper_collections.set_note(request.user, pk, paper, request.POST.get("note", "")),
        "Note saved.",
    )


@login_required
@require_POST
def move_item(request: HttpRequest, pk: int, arxiv_id: str) -> HttpResponse:
    paper = _paper(arxiv_id)
    return _act(request, _page(pk), lambda: paper_collections.move_item(request.user, pk, paper, _offset(request)))


@login_required
@require_POST
def import_into(request: HttpRequest, pk: int) -> HttpResponse:
    """A .bib file or pasted BibTeX / arXiv ids; papers we lack are fetched from arXiv when asked.
    Small imports run now; larger ones go to the worker, and this page shows their progress."""
    _mine(request, pk)
    limit_kb = settings.CONFIG["DAILYPAPERS_LIBRARY_IMPORT_MAX_KB"]
    upload = request.FILES.get("file")
    if upload is not None and upload.size > limit_kb * 1024:
        messages.error(request, f"{upload.name[:100]} is larger than {limit_kb:,} KiB; split it into smaller files.")
        return redirect(_page(pk))
    try:
        text = upload.read().decode("utf-8-sig") if upload is not None else request.POST.get("text", "")
    except UnicodeDecodeError:
        messages.error(request, f"{upload.name[:100]} is not UTF-8 text.")
        return redirect(_page(pk))
    try:
        outcome = imports.start(request.user, pk, text, fetch=request.POST.get("fetch") == "1")
    except Collection.DoesNotExist:
        raise Http404("No such collection.") from None
    except transfer.ImportRefused as exc:
        messages.error(request, str(exc))
        return redirect(_page(pk))
    if isinstance(outcome, transfer.ImportResult):
        (messages.warning if outcome.stopped else messages.success)(request, f"Import: {outcome.summary()}")
        for line in outcome.lines():  # bounded: the first MAX_REPORTED, then how many more
            messages.warning(request, line)
    else:
        messages.success(
            request,
            f"Import of {outcome.total:,} entries queued: the worker saves them in batches; this page shows how far it got.",
        )
    return redirect(_page(pk))


@login_required
@require_POST
def signal(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    """``not_interested`` = 1/0 and/or ``read`` = 1/0."""
    paper = _paper(arxiv_id)
    if "not_interested" in request.POST:
        value = request.POST["not_interested"] == "1"
        marks.set_not_interested(request.user, paper, value)
        messages.success(request, "We will not show you this paper again." if value else "Shown again.")
    if "read" in request.POST:
        marks.mark_read(request.user, paper, request.POST["read"] == "1")
    if request.headers.get("Accept", "").startswith("application/json"):  # read.js, on opening the page
        found = marks.mark_for(request.user, paper)
        return JsonResponse(
            {"not_interested": bool(found and found.not_interested), "read": bool(found and found.read_at)}
        )
    return HttpResponseRedirect(safe_next(request, reverse("web:paper", args=[paper.arxiv_id])))


@never_cache  # one reader's own page: no browser or shared cache may keep it
@login_required
def interests(request: HttpRequest) -> HttpResponse:
    current = interests_of(request.user)
    if request.method == "POST":
        try:
            set_interests(request.user, request.POST.get("categories", ""), request.POST.get("keywords", ""))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Interests saved.")
            return HttpResponseRedirect(safe_next(request, reverse("library:interests")))
    return render(request, "library/interests.html", {"interests": current})


def _period_from(request: HttpRequest):
    """?week=YYYY-Www or ?date=YYYY-MM-DD (default: the last listing day); ValueError for bad input."""
    week = request.GET.get("week", "")
    if week:
        return periods.parse("week", week)
    date = request.GET.get("date", "")
    day = dt.date.fromisoformat(date) if date else None
    shown = listing_days.last_listing_day(day) or day
    if shown is None:
        return None
    return periods.Period.containing("week" if request.GET.get("period") == "week" else "day", shown)


def for_you_items(result):
    """The papers of a ForYou result, in its order, with their reasons: one query."""
    found = {p.arxiv_id: p for p in shown_papers().filter(arxiv_id__in=[i.paper_id for i in result.items])}
    return [(found[i.paper_id], i) for i in result.items if i.paper_id in found]


@never_cache  # one reader's own page: no browser or shared cache may keep it
@login_required
def for_you(request: HttpRequest) -> HttpResponse:
    from dailypapers.library import foryou  # scikit-learn and SciPy: kept out of every process's start-up

    try:
        period = _period_from(request)
    except ValueError as exc:
        return render(request, "web/error.html", {"title": "Bad period", "message": f"{exc}."}, status=400)
    if period is None:
        return render(request, "library/for_you.html", {"period": None, "rows": []})
    hide_read = request.GET.get("hide_read") == "1"
    result = foryou.for_you(request.user, period, hide_read=hide_read)
    newest, skipped = period, 0
    if not (request.GET.get("date") or request.GET.get("week")):
        # Opened without a period: the newest one with papers for this reader, not an empty
        # newest day (a lone submission made today, or papers all marked not interested).
        while not result.items and skipped < FOR_YOU_LOOKBACK:
            before = listing_days.around_period(period.start, period.end).before
            if before is None:
                break
            period, skipped = periods.Period.containing(period.kind, before), skipped + 1
            result = foryou.for_you(request.user, period, hide_read=hide_read)
        if not result.items:
            period, result = newest, foryou.for_you(request.user, newest, hide_read=hide_read)
    rows = for_you_items(result)
    context = {"period": period, "result": result, "rows": rows, "math": _math(paper for paper, _ in rows)}
    if period != newest:
        context["skipped_note"] = f"Nothing here for you in {newest.label}; this is the newest period that has papers."
    return render(request, "library/for_you.html", context)


# How many earlier periods /for-you looks back through for one with papers, when opened plain.
FOR_YOU_LOOKBACK = 14


AUTHOR_PAGE_SIZE = 50


def author(request: HttpRequest, name: str) -> HttpResponse:
    number = paging.page_number(request.GET.get("p"), AUTHOR_PAGE_SIZE)
    papers, total = authors.papers_by(name, AUTHOR_PAGE_SIZE, number * AUTHOR_PAGE_SIZE)
    if not papers and number == 0:
        raise Http404(f"We have no papers by {name}.")
    papers = listings.without_hidden(request.user, papers)  # the lists' one "not interested" rule
    return render(
        request,
        "library/author.html",
        {
            "name": name,
            "papers": papers,
            "people": authors.people_of(name, papers),
            "math": _math(papers),
            "total": total,
            "number": number,
            "has_next": (number + 1) * AUTHOR_PAGE_SIZE < total,
            "following": follows.is_following(request.user, notify_models.AUTHOR, authors.key(name)),
        },
    )


def _my_search(request: HttpRequest, pk: int):
    try:
        return SavedSearch.objects.get(user=request.user, pk=pk)
    except SavedSearch.DoesNotExist:
        raise Http404("No such saved search.") from None


@login_required
@require_POST
def search_save(request: HttpRequest) -> HttpResponse:
    try:
        saved = searches.save(request.user, request.POST.get("name", ""), request.POST)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(safe_next(request, reverse("library:searches")))
    messages.success(request, f"Search saved as “{saved.name}”.")
    return redirect("library:search", saved.pk)


@never_cache  # one reader's own page: no browser or shared cache may keep it
@login_required
def search_list(request: HttpRequest) -> HttpResponse:
    return render(request, "library/searches.html", {"searches": list(SavedSearch.objects.filter(user=request.user))})


@never_cache  # one reader's own page: no browser or shared cache may keep it
@login_required
def search_page(request: HttpRequest, pk: int) -> HttpResponse:
    saved = _my_search(request, pk)
    result = searches.run(saved, new=True)
    # New matches ranked below this page: listed too, or the reader never sees them.
    more_new = [p for p in result.new_papers if p.pk not in {q.pk for q in result.papers}]
    return render(
        request,
        "library/saved_search.html",
        {
            "saved": saved,
            "result": result,
            "rows": [(p, p.pk in result.new_ids) for p in result.papers],
            "more_new": more_new,
            "math": _math(result.papers + more_new),
            "search_url": reverse("web:search") + "?" + urlencode(searches.search_url_params(saved)),
            "feed_url": settings.BASE_URL + reverse("library:search_feed", args=[saved.feed_token]),
        },
    )


@login_required
@require_POST
def search_seen(request: HttpRequest, pk: int) -> HttpResponse:
    searches.mark_seen(_my_search(request, pk))
    return redirect("library:search", pk)


@login_required
@require_POST
def search_delete(request: HttpRequest, pk: int) -> HttpResponse:
    saved = _my_search(request, pk)
    saved.delete()
    messages.success(request, f"Saved search “{saved.name}” deleted.")
    return redirect("library:searches")


@login_required
@require_POST
def search_mail(request: HttpRequest, pk: int) -> HttpResponse:
    saved = _my_search(request, pk)
    frequency = request.POST.get("mail", "")
    return _act(
        request,
        reverse("library:search", args=[pk]),
        lambda: alerts.set_mail(saved, frequency),
        f"We will mail you new matches {frequency}." if frequency else "No more mails for this search.",
    )


# RFC 8058, as the digests' unsubscribe: mail clients POST "List-Unsubscribe=One-Click" here without
# cookies or a CSRF token; the signed token in the URL is the only authority, and GET only shows a button.
@csrf_exempt
def search_stop(request: HttpRequest, token: str) -> HttpResponse:
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    saved = alerts.read_stop_token(token)
    if saved is None:
        return render(
            request,
            "web/error.html",
            {"title": "Link not valid", "message": "This link is not valid (the saved search may be deleted)."},
            status=404,
        )
    if request.method == "POST":
        alerts.set_mail(saved, "")
    return render(request, "library/search_stop.html", {"saved": saved, "stopped": request.method == "POST"})
