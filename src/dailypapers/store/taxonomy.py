"""arXiv's category taxonomy, and the MSC and ACM classes that sources mix into category lists.

Pure: no database. Every category a paper keeps is one of ``CATEGORIES`` in its canonical
spelling, so a filter matches it whatever case a reader types ("cs.cv" is cs.CV). Sources put
other things where categories go: arXiv's Atom feed lists MSC and ACM classes as
``<category>`` terms ("68T50", "I.2.7"), and listing crawlers keep whole strings such as
"cs.CV, cs.MM" or "I.2.7; I.2.6" as one category. ``classify`` splits such values and sorts
each piece into an arXiv category, an MSC class, an ACM class or an unknown value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

# https://arxiv.org/category_taxonomy, archive by archive (subject classes as arXiv spells them).
_GROUPS = {
    "cs": "AI AR CC CE CG CL CR CV CY DB DC DL DM DS ET FL GL GR GT HC IR IT LG LO MA MM MS NA NE NI OH OS PF PL "
    "RO SC SD SE SI SY",
    "econ": "EM GN TH",
    "eess": "AS IV SP SY",
    "math": "AC AG AP AT CA CO CT CV DG DS FA GM GN GR GT HO IT KT LO MG MP NA NT OA OC PR QA RA RT SG SP ST",
    "astro-ph": "CO EP GA HE IM SR",
    "cond-mat": "dis-nn mes-hall mtrl-sci other quant-gas soft stat-mech str-el supr-con",
    "nlin": "AO CD CG PS SI",
    "physics": "acc-ph ao-ph app-ph atm-clus atom-ph bio-ph chem-ph class-ph comp-ph data-an ed-ph flu-dyn gen-ph "
    "geo-ph hist-ph ins-det med-ph optics plasm-ph pop-ph soc-ph space-ph",
    "q-bio": "BM CB GN MN NC OT PE QM SC TO",
    "q-fin": "CP EC GN MF PM PR RM ST TR",
    "stat": "AP CO ME ML OT TH",
}
# Archives that are categories themselves, and the old archives (before subject classes, or
# since merged) that papers of their time still carry.
_WHOLE_ARCHIVES = (
    "gr-qc hep-ex hep-lat hep-ph hep-th math-ph nucl-ex nucl-th quant-ph astro-ph cond-mat "
    "acc-phys adap-org alg-geom ao-sci atom-ph bayes-an chao-dyn chem-ph cmp-lg comp-gas dg-ga funct-an "
    "mtrl-th patt-sol plasm-ph q-alg solv-int supr-con"
)

CATEGORIES: frozenset[str] = frozenset(
    [f"{archive}.{subject}" for archive, subjects in _GROUPS.items() for subject in subjects.split()]
    + _WHOLE_ARCHIVES.split()
)
_CANONICAL = {name.lower(): name for name in CATEGORIES}

# MSC 2020 ("68T50", "68Txx", "68-02", "68U10", "68") and ACM CCS 1998 ("I.2.7", "I.2", "F.2.m").
_MSC = re.compile(r"^\d\d(?:[A-Z](?:\d\d|xx|XX)|-(?:\d\d|xx|XX))?$")
_ACM = re.compile(r"^[A-K]\.(?:\d{1,2}|m)(?:\.(?:\d{1,2}|m))?$")
# What separates several values kept as one ("cs.CV, cs.MM", "I.2.7; I.2.6"), and punctuation
# left around a value ("94A29,", "(I.4.2)").
_SEPARATORS = re.compile(r"[\s,;()]+")
_PUNCTUATION = ".,;:[]{}'\""
# MSC lists mark and name their classes: "68T07 (Primary), 68T50 (Natural language processing)".
_ASIDE = re.compile(r"\([^()]*\)")
_MARKERS = frozenset({"primary", "secondary"})


def canonical(value: str) -> str | None:
    """The taxonomy's spelling of ``value`` (any case: "cs.cv" is cs.CV), or None if it is none."""
    return _CANONICAL.get(value.strip().lower())


@dataclass
class Classified:
    categories: list[str] = field(default_factory=list)  # canonical, in the source's order, once each
    msc: list[str] = field(default_factory=list)
    acm: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # whole values with a piece that is none of these


def classify(values: Iterable[str]) -> Classified:
    """Sort ``values`` (as a source listed them) into arXiv categories, MSC classes, ACM classes
    and values that are none of these."""
    out = Classified()
    for value in values:
        for piece in _SEPARATORS.split(_ASIDE.sub(" ", value)):
            piece = piece.strip(_PUNCTUATION)
            if not piece or piece.lower() in _MARKERS:
                continue
            if (name := _CANONICAL.get(piece.lower())) is not None:
                target, piece = out.categories, name
            elif _MSC.match(piece):
                target = out.msc
            elif _ACM.match(piece):
                target = out.acm
            else:
                target, piece = out.unknown, " ".join(value.split())
            if piece not in target:
                target.append(piece)
    return out


def all_canonical(values: Iterable[str]) -> bool:
    """Whether every value is already a category in its canonical spelling (the common case)."""
    return all(value in CATEGORIES for value in values)
