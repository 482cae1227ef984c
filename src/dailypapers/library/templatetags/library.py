"""``{% library_actions paper %}``: the save / not interested / read / BibTeX controls of a paper page."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from dailypapers.community import marks
from dailypapers.library import paper_collections

register = template.Library()


@register.inclusion_tag("library/_paper_actions.html", takes_context=True)
def library_actions(context, paper):
    request = context["request"]
    user = request.user
    values = {"paper": paper, "user": user, "request": request, "csrf_token": context.get("csrf_token")}
    if user.is_authenticated:
        values["collections"] = list(paper_collections.owned(user).order_by("position", "id"))
        values["saved_in"] = paper_collections.saved_paper_ids(user, [paper.pk]).get(paper.pk, set())
        values["signal"] = marks.mark_for(user, paper)
    return values


@register.simple_tag
def author_links(names):
    """Each author name as a link to its author page, comma separated, every value escaped."""
    return format_html_join(
        ", ",
        '<a class="author" href="{}">{}</a>',
        ((reverse("library:author", args=[n]), n) for n in names if n and n.strip()),
    ) or format_html("")
