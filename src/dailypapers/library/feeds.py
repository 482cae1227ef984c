"""An author's papers as RSS or Atom (?format=atom)."""

from __future__ import annotations

from django.http import Http404
from django.urls import reverse

from dailypapers.library import authors, searches
from dailypapers.library.models import SavedSearch
from dailypapers.web.views.feeds import FEED_SIZE, _PaperFeed


class AuthorFeed(_PaperFeed):
    def get_object(self, request, name: str) -> dict:
        papers, _ = authors.papers_by(name, FEED_SIZE)
        return {
            "title": f"papers by {name}",
            "category": "",
            "papers": papers,
            "link": reverse("library:author", args=[name]),
        }


class SavedSearchFeed(_PaperFeed):
    """By the search's private token: feed readers carry no session."""

    def get_object(self, request, token: str) -> dict:
        saved = SavedSearch.objects.filter(feed_token=token).first()
        if saved is None:
            raise Http404("No such saved search.")
        return {
            "title": f"saved search “{saved.name}”",
            "category": "",
            "papers": searches.run(saved, FEED_SIZE).papers,
            "link": reverse("library:searches"),
        }
