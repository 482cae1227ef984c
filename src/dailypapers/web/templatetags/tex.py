"""``{{ paper.title|tex_plain }}`` where only text can go (the browser tab), ``|tex_text`` beside KaTeX."""

from __future__ import annotations

from django import template

from dailypapers import latex

register = template.Library()


@register.filter
def tex_plain(value: str) -> str:
    return latex.plain(value)


@register.filter
def tex_text(value: str) -> str:
    return latex.outside_math(value)
