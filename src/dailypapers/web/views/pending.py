"""Actions started while logged out, completed after the login: a comment's text rides through it.

(A vote needs nothing here: its own URL asks for the login and then shows the vote's POST
form, see views.community.vote.)
"""

from __future__ import annotations

from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import escape
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

COMMENT_DRAFT = "comment_draft"  # session key: a comment written before logging in, for its paper page
MAX_DRAFT = 10000  # the comment form's maxlength


def draft_context(request: HttpRequest) -> dict:
    """The draft a login form carries (after a wrong password too), for its template."""
    return {"draft": request.POST.get("draft", "")[:MAX_DRAFT], "draft_paper": request.POST.get("draft_paper", "")}


def keep_comment_draft(request: HttpRequest) -> None:
    """After a successful login: keep the carried draft for its paper page (login() keeps session data)."""
    carried = draft_context(request)
    if carried["draft"].strip() and carried["draft_paper"]:
        request.session[COMMENT_DRAFT] = {"paper": carried["draft_paper"], "body": carried["draft"]}


@csrf_exempt  # writes nothing: it only shows the login form carrying the text (the login POST has its token)
@require_POST
def login_to_comment(request: HttpRequest) -> HttpResponse:
    """Where a logged-out reader's comment form goes: the login page, the comment kept in it."""
    paper = request.POST.get("paper", "")
    target = reverse("web:paper", args=[paper]) + "#comments" if paper else reverse("web:home")
    if request.user.is_authenticated and paper:  # logged in meanwhile (another tab): post it from here, with CSRF
        text = request.POST.get("draft", "")[:MAX_DRAFT]
        return render(
            request,
            "web/confirm.html",
            {
                "title": "Post your comment?",
                "action": reverse("web:comment", args=[paper]),
                "fields": {"body": text},
                "button": "Post comment",
                "cancel": target,
                "quote": escape(text).replace("\n", "<br>"),
                "message": "You are logged in now; your comment is not posted until you press the button.",
            },
        )
    return render(
        request,
        "web/accounts/login.html",
        {
            "form": AuthenticationForm(request),
            "next": target,
            "draft": request.POST.get("draft", "")[:MAX_DRAFT],
            "draft_paper": paper,
        },
    )


def pop_comment_draft(request: HttpRequest, arxiv_id: str) -> str:
    """The comment this reader wrote on ``arxiv_id`` before logging in (taken once), or ''."""
    draft = request.session.get(COMMENT_DRAFT) if request.user.is_authenticated else None
    if not draft or draft.get("paper") != arxiv_id:
        return ""
    del request.session[COMMENT_DRAFT]
    return draft.get("body", "")
