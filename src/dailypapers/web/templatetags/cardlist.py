"""``{% for card, body in cards|with_bodies %}``: web/_cards.html's loop, each card with its cached body;
``{% cards_for rows as cards %}``: the same cards for a library page's papers."""

from __future__ import annotations

from django import template
from django.db.models import prefetch_related_objects

from dailypapers import latex
from dailypapers.web.services.cards import PaperCard, card_bodies, paper_cards
from dailypapers.web.views.common import saved_ids, voted_ids

register = template.Library()


@register.filter
def with_bodies(cards):
    """Pairs (card, body): the bodies come from one cache read for the whole page (cards.card_bodies)."""
    cards = list(cards)
    return list(zip(cards, card_bodies(cards)))


@register.simple_tag(takes_context=True)
def cards_for(context, rows, abstracts: bool = True) -> list[PaperCard]:
    """Cards for the Papers of an author, collection, saved-search or For you page, so they look like the
    lists'. ``rows`` holds Papers, or (Paper, item) pairs whose item the page's own controls read
    (``card.item``). A constant number of queries: the papers' stats, their Hugging Face entries, the
    viewer's votes and saves."""
    pairs = [
        tuple(row) if isinstance(row, tuple | list) else (row.paper, row) if hasattr(row, "paper") else (row, None)
        for row in rows
    ]
    papers = [paper for paper, _ in pairs]
    prefetch_related_objects(papers, "stats")
    request = context.get("request")
    cards = paper_cards(papers, voted_ids(request, papers), saved=saved_ids(request, papers))
    for card, paper, (_, item) in zip(cards, papers, pairs):
        # No KaTeX for text macros (\emph): only math is left for it, as on the paper page.
        card.title = latex.outside_math(card.title)
        card.abstract = latex.outside_math(paper.abstract) if abstracts else ""
        card.item = item
    return cards
