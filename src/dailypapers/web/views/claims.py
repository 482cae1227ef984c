"""Authorship claims on the paper page, and a reader's profile of claimed papers."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from dailypapers.community import claims
from dailypapers.community.models import AuthorClaim
from dailypapers.store.visibility import shown_papers

PAGE_SIZE = 50


@login_required
@require_POST
def claim(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    paper = get_object_or_404(shown_papers(), arxiv_id=arxiv_id)
    try:
        made = claims.claim(request.user, paper, request.POST.get("author", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if made.status == AuthorClaim.CONFIRMED:
            messages.success(request, f"Claim confirmed: your confirmed email matched ({made.method}).")
        else:
            messages.success(request, "Claim sent: a moderator will confirm it.")
    return redirect("web:paper", arxiv_id=paper.arxiv_id)


def claimed(request: HttpRequest, username: str) -> HttpResponse:
    """A reader's confirmed papers: their author profile."""
    person = get_object_or_404(get_user_model(), username=username, is_active=True)
    raw = request.GET.get("p", "0")
    number = int(raw) if raw.isdigit() and len(raw) < 6 else 0
    rows = list(
        claims.confirmed_papers(person).only("arxiv_id", "title", "authors", "announced", "primary_category")[
            number * PAGE_SIZE : (number + 1) * PAGE_SIZE + 1
        ]
    )
    pending = list(claims.claims_of(person).exclude(status=AuthorClaim.CONFIRMED)) if request.user == person else []
    return render(
        request,
        "web/claimed.html",
        {
            "person": person,
            "papers": rows[:PAGE_SIZE],
            "has_next": len(rows) > PAGE_SIZE,
            "number": number,
            "pending": pending,
        },
    )
