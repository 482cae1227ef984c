"""The paper page."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from dailypapers.web import search_adapter
from dailypapers.web.models import Comment
from dailypapers.web.services import listings
from dailypapers.web.services.cards import paper_cards
from dailypapers.web.services.links import safe_link
from dailypapers.web.views.common import voted_ids
from dailypapers.web.views.pagecache import anonymous_cache


@anonymous_cache
def detail(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    paper = get_object_or_404(listings.with_stats(listings.visible_papers()).prefetch_related("versions"),
                              arxiv_id=arxiv_id)
    entries = list(paper.daily_entries.order_by("date"))
    replies = Comment.objects.select_related("user").order_by("created_at", "id")
    comments = list(Comment.objects.filter(paper=paper, parent=None).select_related("user")
                    .prefetch_related(Prefetch("replies", queryset=replies)))
    code = next((u for u in (safe_link(e.github_repo) for e in entries) if u), "")
    project = next((u for u in (safe_link(e.project_page) for e in entries) if u), "")
    return render(request, "web/paper.html", {
        "paper": paper, "entries": entries, "comments": comments, "code_url": code, "project_url": project,
        "card": paper_cards([paper], voted_ids(request, [paper]))[0], "similar": search_adapter.similar_papers(paper, 5),
    })
