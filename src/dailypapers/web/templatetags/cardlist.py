"""``{% for card, body in cards|with_bodies %}``: web/_cards.html's loop, each card with its cached body."""

from __future__ import annotations

from django import template

from dailypapers.web.services.cards import card_bodies

register = template.Library()


@register.filter
def with_bodies(cards):
    """Pairs (card, body): the bodies come from one cache read for the whole page (cards.card_bodies)."""
    cards = list(cards)
    return list(zip(cards, card_bodies(cards)))
