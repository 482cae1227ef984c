"""Votes, comments, submissions and in-page moderation: POST only, CSRF-protected, logged in."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from dailypapers.community import comments as comment_service
from dailypapers.community import moderation, submissions, votes
from dailypapers.community.markup import has_math
from dailypapers.community.models import Comment
from dailypapers.ratelimit import RateLimited
from dailypapers.redirects import safe_next
from dailypapers.store.models import Paper, PaperStats
from dailypapers.store.visibility import shown_papers
from dailypapers.web.views.common import too_many, wants_json


def _paper(arxiv_id: str) -> Paper:
    return get_object_or_404(shown_papers(), arxiv_id=arxiv_id)


def _paper_url(paper: Paper) -> str:
    return reverse("web:paper", args=[paper.arxiv_id])


@login_required
@require_http_methods(["GET", "POST"])
def vote(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    """POST votes. GET is where a vote started while logged out lands after the login: a page with
    the vote's POST form (CSRF token included), which app.js submits at once; GET writes nothing."""
    paper = _paper(arxiv_id)
    if request.method == "GET":
        return render(
            request,
            "web/confirm.html",
            {
                "title": "Vote for this paper",
                "paper": paper,
                "math": has_math(paper.title),
                "action": reverse("web:vote", args=[paper.arxiv_id]),
                "fields": {"vote": "1", "next": safe_next(request, _paper_url(paper))},
                "button": "Vote",
                "autosubmit": True,
                "cancel": safe_next(request, _paper_url(paper)),
                "message": "You asked to vote for this paper before logging in; your vote is being cast.",
            },
        )
    want = {"1": True, "0": False}.get(request.POST.get("vote", ""))  # absent: toggle
    try:
        result = votes.cast(request.user, paper, want)
    except RateLimited as exc:
        return too_many(request, exc)
    if wants_json(request):
        return JsonResponse(
            {
                "voted": result.voted,
                "upvotes": result.total,
                "communityUpvotes": result.community_votes,
                "hfUpvotes": result.hf_votes,
            }
        )
    return HttpResponseRedirect(safe_next(request, _paper_url(paper)))


@login_required
@require_POST
def comment(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    """Post a comment. With ``Accept: application/json`` (app.js) the answer is the new comment's
    markup, rendered by the same template as the page, for the script to insert."""
    paper = _paper(arxiv_id)
    parent = request.POST.get("parent")
    as_json = wants_json(request)
    try:
        made = comment_service.add(
            request.user, paper, request.POST.get("body", ""), int(parent) if parent and parent.isdigit() else None
        )
    except RateLimited as exc:
        if as_json:
            return JsonResponse({"error": str(exc)}, status=429, headers={"Retry-After": str(exc.retry_after)})
        return too_many(request, exc)
    except ValidationError as exc:
        if as_json:
            return JsonResponse({"error": " ".join(exc.messages)}, status=400)
        messages.error(request, " ".join(exc.messages))
        return redirect(_paper_url(paper) + "#comments")
    if as_json:
        html = render_to_string(
            "web/_comment.html", {"c": made, "paper": paper, "reply": made.parent_id is not None}, request=request
        )
        return JsonResponse(
            {
                "id": made.pk,
                "parent": made.parent_id,
                "html": html,
                "comments": PaperStats.objects.filter(paper=paper).values_list("comments", flat=True).first() or 0,
            },
            status=201,
        )
    return redirect(f"{_paper_url(paper)}#comment-{made.pk}")


@login_required
@require_http_methods(["GET", "POST"])
def comment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    made = get_object_or_404(Comment.objects.select_related("paper"), pk=pk, user=request.user, deleted=False)
    if request.method == "POST":
        try:
            comment_service.edit(request.user, made, request.POST.get("body", ""))
            return redirect(f"{_paper_url(made.paper)}#comment-{made.pk}")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    return render(request, "web/comment_edit.html", {"comment": made})


@login_required
@require_http_methods(["GET", "POST"])
def comment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation (the Delete link); only the POST of that page deletes."""
    made = get_object_or_404(Comment.objects.select_related("paper"), pk=pk)
    if request.method == "GET":
        if made.user_id != request.user.pk or made.deleted:
            raise PermissionDenied("You can delete only your own comments.")
        return render(
            request,
            "web/confirm.html",
            {
                "title": "Delete this comment?",
                "paper": made.paper,
                "math": has_math(made.paper.title) or 'class="math"' in made.body_html,
                "action": reverse("web:comment_delete", args=[pk]),
                "fields": {},
                "button": "Delete",
                "danger": True,
                "quote": made.body_html,
                "cancel": f"{_paper_url(made.paper)}#comment-{made.pk}",
                "message": "It shows as [deleted] afterwards, so replies keep their place. This cannot be undone.",
            },
        )
    comment_service.delete(request.user, made)
    return redirect(_paper_url(made.paper) + "#comments")


@login_required
@require_POST
def comment_hide(request: HttpRequest, pk: int) -> HttpResponse:
    made = get_object_or_404(Comment.objects.select_related("paper"), pk=pk)
    comment_service.set_hidden(request.user, made, request.POST.get("hidden", "1") == "1")
    return redirect(f"{_paper_url(made.paper)}#comment-{made.pk}")


@login_required
@require_POST
def paper_hide(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    paper = get_object_or_404(Paper, arxiv_id=arxiv_id)
    hidden = request.POST.get("hidden", "1") == "1"
    try:
        moderation.set_paper_hidden(request.user, paper, hidden, request.POST.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("web:paper", paper.arxiv_id)
    messages.info(request, f"{paper.arxiv_id} is now {'hidden' if hidden else 'visible'}.")
    return redirect("web:home" if hidden else "web:paper", *([] if hidden else [paper.arxiv_id]))


@login_required
@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest) -> HttpResponse:
    error = ""
    if request.method == "POST":
        try:
            result = submissions.submit(request.user, request.POST.get("arxiv", ""))
        except RateLimited as exc:
            return too_many(request, exc)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            if result.pending is not None:
                messages.warning(request, submissions.pending_message(result.pending))
                return redirect("web:account")
            if result.created:
                messages.success(request, f"{result.paper.arxiv_id} is on today's list. Thank you!")
            elif result.featured_on is not None:
                messages.info(
                    request,
                    f"{result.paper.arxiv_id} was already featured on {result.featured_on:%b} "
                    f"{result.featured_on.day}, {result.featured_on.year}, so it is not listed again.",
                )
            else:
                messages.info(request, f"{result.paper.arxiv_id} is already on today's list.")
            return redirect(_paper_url(result.paper))
    value = request.POST.get("arxiv", "") or request.GET.get("arxiv", "") or request.GET.get("id", "")
    return render(request, "web/submit.html", {"error": error, "value": value}, status=400 if error else 200)
