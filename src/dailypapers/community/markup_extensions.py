"""What comment rendering (markup.py) recognises beyond CommonMark: TeX spans and bare URLs.

Math spans are bounded in length so a comment full of unmatched ``$`` stays linear-ish in
time (each attempt scans at most 2,000 characters).
"""

from __future__ import annotations

import re

# $$...$$, \[...\], \(...\), and $...$ whose content neither starts nor ends with a space
# (so "costs $5 and $6" stays text, as in KaTeX's own heuristics); never across a backtick,
# so a code span keeps its dollars (CommonMark parses code spans where they start, later).
MATH = r"(\$\$[^`]{1,2000}?\$\$|\\\[[^`]{1,2000}?\\\]|\\\([^`]{1,2000}?\\\)|\$(?=[^\s`])[^$\n`]{0,2000}?[^\s`]\$|\$[^\s$`]\$)"
URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?*_'\""


def split_url(match: re.Match) -> tuple[str, str]:
    """The URL without trailing punctuation (and an unmatched closing parenthesis), and that rest."""
    url = match.group(0)
    end = len(url)
    while end and (
        url[end - 1] in _TRAILING or (url[end - 1] == ")" and url.count("(", 0, end) < url.count(")", 0, end))
    ):
        end -= 1
    return url[:end], url[end:]
