"""An author's papers as RSS or Atom (?format=atom)."""

from __future__ import annotations

from django.urls import reverse

from dailypapers.library import authors
from dailypapers.web.views.feeds import FEED_SIZE, _PaperFeed


class AuthorFeed(_PaperFeed):
    def get_object(self, request, name: str) -> dict:
        papers, _ = authors.papers_by(name, FEED_SIZE)
        return {"title": f"papers by {name}", "category": "", "papers": papers,
                "link": reverse("library:author", args=[name])}
