"""The trending score: votes whose weight halves every ``half_life_hours``.

Every vote counts ``2 ** ((t_vote - EPOCH) / half_life)``: a vote cast one half-life later
weighs twice as much. Imported Hugging Face votes enter as one lump of
``hf_weight * hf_votes`` votes cast when the paper was featured there. The stored score is
the base-2 logarithm of the sum, so it stays a small float and, because every paper's
weight decays at the same rate, scores computed at different times remain comparable:
a paper's score changes only when one of its votes arrives or leaves (Lobsters' "hotness"
idea), and the trending page is a plain ORDER BY on an indexed column.

At time ``now`` a paper's score is worth ``2 ** (score - clock(now))`` fresh votes.
A paper with no votes at all scores 0 and is left off the trending page.

A vote or listing day later than the moment of scoring counts as cast at that moment (``now``
below): an imported date in the future would otherwise weigh 2 ** (half-lives ahead) and pin
its paper at the top, or overflow a float. Worths are capped below float overflow for the same
reason (a score stored before that rule).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass

EPOCH = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)


@dataclass(frozen=True)
class TrendingParams:
    half_life_hours: float = 24.0
    hf_weight: float = 0.5


# log2 of the largest worth ever computed: 2 ** 1000 is finite (a float overflows past 2 ** 1023).
_MAX_EXPONENT = 1000.0


def clock(at: dt.datetime, params: TrendingParams) -> float:
    """Half-lives elapsed between EPOCH and ``at``: the log2 weight of one vote cast at ``at``."""
    return (at - EPOCH).total_seconds() / 3600.0 / params.half_life_hours


def _pow2(exponent: float) -> float:
    return 2.0 ** min(exponent, _MAX_EXPONENT)


def _not_after(at: dt.datetime, now: dt.datetime | None) -> dt.datetime:
    return min(at, now) if now is not None else at


def trending_score(
    vote_times: Iterable[dt.datetime],
    hf_votes: int,
    hf_featured_at: dt.datetime | None,
    params: TrendingParams,
    now: dt.datetime | None = None,
) -> float:
    """log2 of the summed, time-weighted votes; 0.0 when there are none. Times after ``now`` count as ``now``."""
    terms = [clock(_not_after(t, now), params) for t in vote_times]
    if hf_votes > 0 and hf_featured_at is not None and params.hf_weight > 0:
        terms.append(math.log2(params.hf_weight * hf_votes) + clock(_not_after(hf_featured_at, now), params))
    if not terms:
        return 0.0
    top = max(terms)  # log-sum-exp: no overflow however far from EPOCH
    return top + math.log2(sum(2.0 ** (t - top) for t in terms))


def fresh_votes_worth(score: float, now: dt.datetime, params: TrendingParams) -> float:
    """How many votes cast at ``now`` the score is worth (for "why it ranks here")."""
    if score == 0.0:
        return 0.0
    return _pow2(score - clock(now, params))


def _worth(value: float) -> str:
    """A vote worth as the why line prints it: two decimals, and never a misleading 0.00."""
    return f"{value:.2f}" if value >= 0.005 or value == 0 else "under 0.01"


def _age(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min ago"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min ago"
    return f"{hours // 24} days ago"


def explain(
    community_votes: int,
    newest_vote_at: dt.datetime | None,
    hf_votes: int,
    hf_featured_at: dt.datetime | None,
    score: float,
    now: dt.datetime,
    params: TrendingParams,
) -> str:
    """The numbers a paper's score is made of, in words: what each part is worth in fresh votes now.

    Our votes' part is the score's worth minus the Hugging Face lump (both exact: the lump is
    one term of the score's sum), so the sentence adds up to the stored score. The newest
    vote's time is what orders two papers with the same counts: it is always said.
    """
    total = fresh_votes_worth(score, now, params)
    hf_part = 0.0
    if hf_votes > 0 and hf_featured_at is not None and params.hf_weight > 0:
        hf_part = min(
            params.hf_weight * hf_votes * _pow2(clock(_not_after(hf_featured_at, now), params) - clock(now, params)),
            total,
        )
    parts = []
    if community_votes:
        ours = max(total - hf_part, 0.0)
        when = f", the newest {_age((now - newest_vote_at).total_seconds())}" if newest_vote_at else ""
        parts.append(f"{community_votes} vote{'' if community_votes == 1 else 's'} here{when}, worth {_worth(ours)}")
    if hf_featured_at is not None and (hf_part or hf_votes):
        day = hf_featured_at.date()
        parts.append(
            f"{hf_votes} Hugging Face vote{'' if hf_votes == 1 else 's'} × {params.hf_weight:g} "
            f"from {day:%b} {day.day}, {day.year}, worth {_worth(hf_part)}"
        )
    if not parts:
        return ""
    return f"Score now: {' + '.join(parts)} = {_worth(total)} fresh votes."


def combined_score(
    community_score: float,
    community_votes: int,
    hf_votes: int,
    hf_featured_at: dt.datetime | None,
    params: TrendingParams,
    now: dt.datetime | None = None,
) -> float:
    """``trending_score`` from its two parts: the score of our votes alone (``community_score``,
    meaningful when ``community_votes`` > 0) and the imported Hugging Face lump (a listing day
    after ``now`` counts as ``now``)."""
    terms = [community_score] if community_votes > 0 else []
    if hf_votes > 0 and hf_featured_at is not None and params.hf_weight > 0:
        terms.append(math.log2(params.hf_weight * hf_votes) + clock(_not_after(hf_featured_at, now), params))
    if not terms:
        return 0.0
    top = max(terms)
    return top + math.log2(sum(2.0 ** (t - top) for t in terms))
