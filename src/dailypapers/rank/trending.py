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


def clock(at: dt.datetime, params: TrendingParams) -> float:
    """Half-lives elapsed between EPOCH and ``at``: the log2 weight of one vote cast at ``at``."""
    return (at - EPOCH).total_seconds() / 3600.0 / params.half_life_hours


def trending_score(vote_times: Iterable[dt.datetime], hf_votes: int, hf_featured_at: dt.datetime | None,
                   params: TrendingParams) -> float:
    """log2 of the summed, time-weighted votes; 0.0 when there are none."""
    terms = [clock(t, params) for t in vote_times]
    if hf_votes > 0 and hf_featured_at is not None and params.hf_weight > 0:
        terms.append(math.log2(params.hf_weight * hf_votes) + clock(hf_featured_at, params))
    if not terms:
        return 0.0
    top = max(terms)  # log-sum-exp: no overflow however far from EPOCH
    return top + math.log2(sum(2.0 ** (t - top) for t in terms))


def fresh_votes_worth(score: float, now: dt.datetime, params: TrendingParams) -> float:
    """How many votes cast at ``now`` the score is worth (for "why it ranks here")."""
    if score == 0.0:
        return 0.0
    return 2.0 ** (score - clock(now, params))


def combined_score(community_score: float, community_votes: int, hf_votes: int,
                   hf_featured_at: dt.datetime | None, params: TrendingParams) -> float:
    """``trending_score`` from its two parts: the score of our votes alone (``community_score``,
    meaningful when ``community_votes`` > 0) and the imported Hugging Face lump."""
    terms = [community_score] if community_votes > 0 else []
    if hf_votes > 0 and hf_featured_at is not None and params.hf_weight > 0:
        terms.append(math.log2(params.hf_weight * hf_votes) + clock(hf_featured_at, params))
    if not terms:
        return 0.0
    top = max(terms)
    return top + math.log2(sum(2.0 ** (t - top) for t in terms))
