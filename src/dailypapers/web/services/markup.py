"""Comment text to safe HTML: a Markdown subset, raw HTML never passed through, then sanitized."""

from __future__ import annotations

import markdown
import nh3

_TAGS = {"p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "a"}


def render_comment(text: str) -> str:
    md = markdown.Markdown(output_format="html")
    # Raw HTML in a comment stays text: Markdown escapes it instead of passing it through.
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    html = md.convert(text)
    # Second line of defence, and it drops what the subset excludes (images, headings).
    return nh3.clean(html, tags=_TAGS, attributes={"a": {"href"}}, url_schemes={"http", "https"},
                     link_rel="nofollow noopener ugc")
