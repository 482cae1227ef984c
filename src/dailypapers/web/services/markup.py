"""Comment text to safe HTML: a Markdown subset, raw HTML never passed through, then sanitized."""

from __future__ import annotations

import re

import markdown
import nh3

from dailypapers.web.services.markup_extensions import MATH, CommentExtension

_TAGS = {"p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "a"}


def render_comment(text: str) -> str:
    md = markdown.Markdown(output_format="html", extensions=[CommentExtension()])  # math kept, URLs linked
    # Raw HTML in a comment stays text: Markdown escapes it instead of passing it through.
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    html = md.convert(text)
    # Second line of defence, and it drops what the subset excludes (images, headings).
    # <span class="math"> (markup_extensions) is the only span, and its only class: the TeX app.js renders.
    return nh3.clean(html, tags=_TAGS | {"span"}, attributes={"a": {"href"}}, url_schemes={"http", "https"},
                     set_tag_attribute_values={"span": {"class": "math"}}, link_rel="nofollow noopener ugc")


_TEX = re.compile(MATH, re.DOTALL)


def has_math(*texts: str) -> bool:
    """Whether any of these texts has TeX in it (a $...$, $$...$$, \\(...\\) or \\[...\\] span, as
    comments find it; "costs $5" is not): only then does a page load KaTeX."""
    return any(text and _TEX.search(text) for text in texts)
