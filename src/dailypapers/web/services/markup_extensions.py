"""Python-Markdown extensions for comments: TeX left for KaTeX as it was typed, bare URLs linked.

Math first: ``$a_b$`` must reach KaTeX intact, not as ``a<em>b``; a math span is kept as an
atomic text (escaped like any text) that no later pattern rewrites. Links last, over the
finished tree: bare ``https://`` URLs in plain text become links; text already inside a link,
code or math is left alone. The sanitizer (markup.render_comment) adds rel="nofollow ugc".
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree

from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import AtomicString

# $$...$$, \[...\], \(...\), and $...$ whose content neither starts nor ends with a space
# (so "costs $5 and $6" stays text, as in KaTeX's own heuristics).
MATH = r"(\$\$.+?\$\$|\\\[.+?\\\]|\\\(.+?\\\)|\$(?=\S)[^$\n]*?\S\$|\$[^\s$]\$)"
URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?*_'\""
_SKIP = {"a", "code", "pre"}


class MathProcessor(InlineProcessor):
    def handleMatch(self, m, data):
        element = etree.Element("span", {"class": "math"})  # what app.js renders with KaTeX
        element.text = AtomicString(m.group(1))
        return element, m.start(0), m.end(0)


def _split_url(match: re.Match) -> tuple[str, str]:
    """The URL without trailing punctuation (and an unmatched closing parenthesis), and that rest."""
    url = match.group(0)
    end = len(url)
    while end and (url[end - 1] in _TRAILING or (url[end - 1] == ")" and url.count("(", 0, end) < url.count(")", 0, end))):
        end -= 1
    return url[:end], url[end:]


class LinkifyProcessor(Treeprocessor):
    def run(self, root: etree.Element) -> None:
        self._walk(root)

    def _walk(self, parent: etree.Element) -> None:
        if parent.tag in _SKIP or parent.get("class") == "math":
            return
        for child in list(parent):
            self._walk(child)
        if parent.text and not isinstance(parent.text, AtomicString):
            parent.text = self._linkify(parent, parent.text, index=0)
        for child in list(parent):
            if child.tail and not isinstance(child.tail, AtomicString):
                child.tail = self._linkify(parent, child.tail, index=list(parent).index(child) + 1)

    @staticmethod
    def _linkify(parent: etree.Element, text: str, index: int) -> str:
        """Links for the URLs in ``text`` (inserted at ``index`` in ``parent``); the text before the first."""
        matches = list(URL.finditer(text))
        if not matches:
            return text
        head = text[:matches[0].start()]
        for number, match in enumerate(matches):
            url, rest = _split_url(match)
            following = matches[number + 1].start() if number + 1 < len(matches) else len(text)
            link = etree.Element("a", {"href": url})
            link.text = AtomicString(url)
            link.tail = rest + text[match.end():following]
            parent.insert(index + number, link)
        return head


class CommentExtension(Extension):
    def extendMarkdown(self, md):
        # After code spans (190), before backslash escapes (180) and emphasis: math stays as typed.
        md.inlinePatterns.register(MathProcessor(MATH, md), "math", 185)
        # After the inline patterns (20): the tree holds the final text.
        md.treeprocessors.register(LinkifyProcessor(md), "linkify", 5)
