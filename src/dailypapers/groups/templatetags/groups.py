"""Colleagues on cards and paper pages: ``{% colleague_marks cards as marks %}`` once per page (one
query), then ``marks|marks_for:card.arxiv_id`` per card; ``{% group_panel paper %}`` on a paper page."""

from __future__ import annotations

from django import template

from dailypapers.groups import activity, membership

register = template.Library()


@register.simple_tag(takes_context=True)
def colleague_marks(context, cards) -> dict:
    """{arxiv_id: Marks} for the cards' papers (anything with ``arxiv_id``); {} for a visitor, no query."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return activity.colleague_marks(user, [card.arxiv_id for card in cards])


@register.filter
def marks_for(marks: dict, arxiv_id: str):
    return marks.get(arxiv_id) if marks else None


@register.inclusion_tag("groups/_paper_groups.html", takes_context=True)
def group_panel(context, paper):
    """Which colleagues saved or upvoted the paper, and a form to save it to one of the reader's groups."""
    request = context["request"]
    user = request.user
    values = {"paper": paper, "csrf_token": context.get("csrf_token")}
    if user.is_authenticated:
        values["marks"] = activity.colleague_marks(user, [paper.arxiv_id]).get(paper.arxiv_id)
        values["groups"] = list(membership.member_of(user).order_by("name")[:20])
    return values
