"""Comment text to safe HTML: a Markdown subset, raw HTML never passed through, then sanitized.

markdown-it-py (CommonMark) rather than Python-Markdown: its link and emphasis parsing is
linear in the input, where Python-Markdown took 38 s on 10,000 "[".
With comments capped at comments.MAX_LENGTH, the worst input renders in about 0.1 s, and
it is rendered before the comment's transaction opens, never under the write lock.

Two additions to CommonMark: TeX spans are kept as typed in <span class="math"> for KaTeX
(``$a_b$`` must not become ``a<em>b``), and bare http(s) URLs in plain text become links
(text inside a link, code or math is left alone). nh3 adds rel="nofollow noopener ugc".
"""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token

from dailypapers.community.markup_extensions import MATH, URL, split_url

_TAGS = {"p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "a", "span"}
_TEX = re.compile(MATH, re.DOTALL)
_MATH_START = {"$", "\\"}


def _math_rule(state, silent: bool) -> bool:
    if state.src[state.pos] not in _MATH_START:
        return False
    match = _TEX.match(state.src, state.pos)
    if not match:
        return False
    if not silent:
        token = state.push("math_inline", "span", 0)
        token.content = match.group(1)
    state.pos = match.end()
    return True


def _render_math(self, tokens, idx, options, env) -> str:
    return f'<span class="math">{escapeHtml(tokens[idx].content)}</span>'


def _linkify(state) -> None:
    """Bare URLs in text tokens (outside links) become links, after inline parsing."""
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        inside_link = 0
        for token in block.children:
            if token.type == "link_open":
                inside_link += 1
            elif token.type == "link_close":
                inside_link -= 1
            if token.type != "text" or inside_link or not URL.search(token.content):
                children.append(token)
                continue
            text, position = token.content, 0
            for match in URL.finditer(text):
                url, _rest = split_url(match)
                if match.start() > position:
                    children.append(_text(text[position : match.start()]))
                link = Token("link_open", "a", 1)
                link.attrs = {"href": url}
                children += [link, _text(url), Token("link_close", "a", -1)]
                position = match.start() + len(url)
            if position < len(text):
                children.append(_text(text[position:]))
        block.children = children


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


# "html": False turns raw HTML in a comment into text; headings and images are not part of
# the subset (nh3 below would drop their tags anyway).
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).disable(["image", "heading", "lheading"])
_MARKDOWN.inline.ruler.before("escape", "math", _math_rule)
_MARKDOWN.add_render_rule("math_inline", _render_math)
_MARKDOWN.core.ruler.after("inline", "linkify_bare_urls", _linkify)


def render_comment(text: str) -> str:
    html = _MARKDOWN.render(text)
    # Second line of defence, and it drops what the subset excludes.
    # <span class="math"> is the only span, and its only class: the TeX app.js renders.
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes={"a": {"href"}},
        url_schemes={"http", "https"},
        set_tag_attribute_values={"span": {"class": "math"}},
        link_rel="nofollow noopener ugc",
    ).strip()


def has_math(*texts: str) -> bool:
    """Whether any of these texts has TeX in it (a $...$, $$...$$, \\(...\\) or \\[...\\] span, as
    comments find it; "costs $5" is not): only then does a page load KaTeX."""
    return any(text and _TEX.search(text) for text in texts)
