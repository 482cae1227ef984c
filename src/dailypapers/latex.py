"""LaTeX in titles and abstracts, for places that show text, not typeset math (pure, a leaf module).

arXiv titles and abstracts are LaTeX-ish: ``\\emph{…}``, ``$\\mathtt{[M]}$``, ``\\%``, but also a
bare "50%" or "$5" meant literally. ``plain`` gives Unicode text for the browser tab, mails and
other text-only places; ``outside_math`` converts only the text around math spans, which pages
that load KaTeX (class="tex") typeset themselves. pylatexenc does the conversion; the literal
characters LaTeX would read as syntax (``%`` starts a comment, ``&`` is a column) are escaped first.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

from pylatexenc.latex2text import LatexNodes2Text

# The spans pages' KaTeX renders, by community/markup_extensions.MATH's rule: $...$ whose content neither
# starts nor ends with a space, so "costs $5 and $6" stays text.
_MATH = re.compile(r"\$\$.+?\$\$|\\\[.+?\\\]|\\\(.+?\\\)|\$(?=\S)[^$\n]*?\S\$|\$[^\s$]\$", re.DOTALL)
# Characters that are syntax to LaTeX but literal in most titles; an escaped one (\%) stays escaped.
_LITERAL = re.compile(r"(?<!\\)([%&#_$])|(?<!\\)~|(?<!\\)\^")
_LITERAL_AS = {"~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
# <b> and </b> in a highlighted snippet, kept out of the conversion's way as private-use characters.
_MARK_OPEN, _MARK_CLOSE = "\ue000", "\ue001"


@lru_cache(maxsize=1)
def _converter() -> LatexNodes2Text:
    return LatexNodes2Text(math_mode="text", strict_latex_spaces=True)


def _needs_work(text: str) -> bool:
    return "\\" in text or "$" in text or "{" in text


def _escape_literals(text: str) -> str:
    return _LITERAL.sub(lambda m: _LITERAL_AS.get(m.group(0)) or "\\" + m.group(0), text)


def _convert(text: str) -> str:
    try:
        return _converter().latex_to_text(text)
    except Exception:  # pylatexenc is tolerant; should it still give up, the text stays as written
        return text


def _text_part(text: str) -> str:
    """Text-mode LaTeX (no math in it) to plain text: ``\\emph{x}`` -> x, ``\\%`` -> %."""
    if "\\" not in text and "{" not in text:
        return text
    return _convert(_escape_literals(text))


def _math_part(span: str) -> str:
    return _convert(span)


def _squash(text: str) -> str:
    return " ".join(text.split())


def plain(text: str | None) -> str:
    """The text with its LaTeX rendered as Unicode, math included: ``Di$\\mathtt{[M]}$O`` -> ``Di[𝙼]O``."""
    text = text or ""
    if not _needs_work(text):
        return text
    out, last = [], 0
    for match in _MATH.finditer(text):
        out.append(_text_part(text[last : match.start()]))
        out.append(_math_part(match.group(0)))
        last = match.end()
    out.append(_text_part(text[last:]))
    return _squash("".join(out))


def outside_math(text: str | None) -> str:
    """The text with LaTeX converted outside math spans, which stay as written for KaTeX."""
    text = text or ""
    if "\\" not in text and "{" not in text:
        return text
    out, last = [], 0
    for match in _MATH.finditer(text):
        out.append(_text_part(text[last : match.start()]))
        out.append(match.group(0))
        last = match.end()
    out.append(_text_part(text[last:]))
    return _squash("".join(out))


def snippet_html(marked: str) -> str:
    """A search snippet (escaped text with the query's words in <b>) with outside_math applied to its text."""
    if "\\" not in marked and "{" not in marked:
        return marked
    text = html.unescape(marked.replace("<b>", _MARK_OPEN).replace("</b>", _MARK_CLOSE))
    converted = html.escape(outside_math(text), quote=False)
    return converted.replace(_MARK_OPEN, "<b>").replace(_MARK_CLOSE, "</b>")
