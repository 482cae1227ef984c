"""Known-item queries: is the whole query an arXiv id, an arXiv URL or a DOI? (pure)

Forms: new-style ids with or without version (2503.09573, 2503.09573v2), old-style ids
(hep-th/9901001, math.AG/0601001v3), an ``arXiv:`` prefix, abs/pdf/html URLs on arxiv.org
(export. and www. too, .pdf suffix), DOIs bare or as ``doi:``/doi.org URLs; arXiv's own DOIs
(10.48550/arXiv.2503.09573) are read as the id they name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ID = r"(?P<id>\d{4}\.\d{4,5}|[a-z][a-z\-]*(?:\.[a-z]{2})?/\d{7})(?:v(?P<v>\d+))?"
_ARXIV = re.compile(rf"^(?:arxiv:\s*)?{_ID}$", re.IGNORECASE)
_URL = re.compile(
    rf"^(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/{_ID}(?:\.pdf)?/?(?:[?#].*)?$", re.IGNORECASE
)
_DOI = re.compile(r"^(?:doi:\s*|https?://(?:dx\.)?doi\.org/)?(?P<doi>10\.\d{4,9}/\S+)$", re.IGNORECASE)
_ARXIV_DOI = re.compile(rf"^10\.48550/arxiv\.{_ID}$", re.IGNORECASE)


@dataclass(frozen=True)
class Identifier:
    arxiv_id: str = ""  # without version, as stored (old style: archive lower case, class upper)
    version: int | None = None
    doi: str = ""  # a DOI that is not arXiv's own, lower case

    def __str__(self) -> str:
        if self.arxiv_id:
            return self.arxiv_id + (f"v{self.version}" if self.version else "")
        return self.doi


def _arxiv(match: re.Match) -> Identifier:
    arxiv_id = match.group("id")
    if "/" in arxiv_id:
        archive, number = arxiv_id.split("/")
        head, _, subject = archive.partition(".")
        arxiv_id = f"{head.lower()}{'.' + subject.upper() if subject else ''}/{number}"
    return Identifier(arxiv_id=arxiv_id, version=int(match.group("v")) if match.group("v") else None)


def identify(text: str) -> Identifier | None:
    """The paper identifier ``text`` is (whole, spaces around it aside), or None."""
    text = text.strip().strip("<>")
    if not text or " " in text:
        return None
    for pattern in (_ARXIV, _URL):
        if match := pattern.match(text):
            return _arxiv(match)
    if match := _DOI.match(text):
        doi = match.group("doi").rstrip(".")
        if arxiv := _ARXIV_DOI.match(doi):
            return _arxiv(arxiv)
        return Identifier(doi=doi.lower())
    return None
