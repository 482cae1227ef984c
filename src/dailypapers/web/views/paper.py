"""The paper page."""

from __future__ import annotations

import re

from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from dailypapers.community.markup import has_math
from dailypapers.community.models import AuthorClaim, Comment
from dailypapers.lists import listings, search_requests
from dailypapers.notify import follows
from dailypapers.notify import models as notify_models
from dailypapers.store.visibility import shown_papers
from dailypapers.web.services.cards import paper_cards
from dailypapers.web.services.links import safe_link
from dailypapers.web.views.common import voted_ids
from dailypapers.web.views.pagecache import anonymous_cache
from dailypapers.web.views.pending import pop_comment_draft


def page_has_math(paper, comments, similar) -> bool:
    """KaTeX only when the title, abstract, a comment's math or a similar paper's title needs it."""
    bodies = [c.body_html for c in comments] + [r.body_html for c in comments for r in c.replies.all()]
    return has_math(paper.title, paper.abstract, *(s.title for s in similar)) or any(
        'class="math"' in body for body in bodies
    )


_VERSIONED = re.compile(r"^(?P<id>.+)v(?P<v>\d+)$")


@anonymous_cache
def detail(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    papers = listings.with_stats(shown_papers()).prefetch_related("versions")
    version, number = None, None
    paper = papers.filter(arxiv_id=arxiv_id).first()
    if paper is None and (match := _VERSIONED.match(arxiv_id)):
        # /papers/2503.09573v2: the paper, with that version's date.
        paper = get_object_or_404(papers, arxiv_id=match["id"])
        number = int(match["v"])
        # A version we have no record of (many sources list none) still shows the paper, undated.
        version = next((v for v in paper.versions.all() if v.number == number), None)
    if paper is None:
        raise Http404(f"no paper {arxiv_id}")
    entries = list(paper.daily_entries.order_by("date"))
    replies = Comment.objects.select_related("user").order_by("created_at", "id")
    comments = list(
        Comment.objects.filter(paper=paper, parent=None)
        .select_related("user")
        .prefetch_related(Prefetch("replies", queryset=replies))
    )
    code = next((u for u in (safe_link(e.github_repo) for e in entries) if u), "")
    project = next((u for u in (safe_link(e.project_page) for e in entries) if u), "")
    similar = search_requests.similar_papers(paper, 5)
    return render(
        request,
        "web/paper.html",
        {
            "math": page_has_math(paper, comments, similar),
            "paper": paper,
            "version_number": number,
            "version_date": version.date if version else None,
            "entries": entries,
            "comments": comments,
            "code_url": code,
            "project_url": project,
            "draft": pop_comment_draft(request, paper.arxiv_id),  # a comment written before logging in
            "card": paper_cards([paper], voted_ids(request, [paper]))[0],
            "similar": similar,
            "mine": _mine(request, paper),
        },
    )


def _mine(request: HttpRequest, paper) -> dict:
    """The signed-in reader's own state on the paper: following its discussion, muted, their claim."""
    user = request.user
    if not user.is_authenticated:
        return {}
    return {
        "following": follows.is_following(user, notify_models.PAPER, paper.arxiv_id),
        "muted": follows.is_muted(user, paper),
        "claim": AuthorClaim.objects.filter(user=user, paper=paper).first(),
    }
