"""The paper page."""

from __future__ import annotations

import re

from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from dailypapers.web import search_adapter
from dailypapers.web.models import Comment
from dailypapers.web.services import listings
from dailypapers.web.services.cards import paper_cards
from dailypapers.web.views.common import voted_ids
from dailypapers.web.views.pagecache import anonymous_cache

_VERSIONED = re.compile(r"^(?P<id>.+)v(?P<v>\d+)$")


@anonymous_cache
def detail(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    papers = listings.with_stats(listings.visible_papers()).prefetch_related("versions")
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
    comments = list(Comment.objects.filter(paper=paper, parent=None).select_related("user")
                    .prefetch_related(Prefetch("replies", queryset=replies)))
    code = next((e.github_repo for e in entries if e.github_repo), "")
    project = next((e.project_page for e in entries if e.project_page), "")
    return render(request, "web/paper.html", {
        "paper": paper, "version_number": number, "version_date": version.date if version else None, "entries": entries, "comments": comments, "code_url": code, "project_url": project,
        "card": paper_cards([paper], voted_ids(request, [paper]))[0], "similar": search_adapter.similar_papers(paper, 5),
    })
