"""The per-reader ranking (dailypapers.rank.recommend) on small real-looking papers."""

from __future__ import annotations

import numpy as np
import pytest

from dailypapers.rank.recommend import (
    Papers,
    Profile,
    TextSpace,
    Weights,
    ndcg_at,
    paper_text,
    recall_at,
    recommend,
)

CORPUS = [
    (
        "a1",
        "Diffusion models for image synthesis",
        "We train denoising diffusion models on images.",
        ["cs.CV"],
        ["Ann Lee", "Bo Chen"],
    ),
    (
        "a2",
        "Faster diffusion sampling",
        "A sampler for denoising diffusion models with fewer steps.",
        ["cs.CV"],
        ["Ann Lee"],
    ),
    ("b1", "Tokenizer-free language models", "Byte-level language models without a tokenizer.", ["cs.CL"], ["Cy Park"]),
    (
        "b2",
        "Tokenizer transfer for language models",
        "Replacing the tokenizer of pretrained language models.",
        ["cs.CL"],
        ["Cy Park", "Di Wu"],
    ),
    (
        "c1",
        "Robot grasping with tactile sensing",
        "Tactile sensors guide a robot arm when grasping.",
        ["cs.RO"],
        ["Ed Ruiz"],
    ),
    ("c2", "Legged robot locomotion", "Reinforcement learning for legged robot locomotion.", ["cs.RO"], ["Fa Ng"]),
    (
        "d1",
        "Video diffusion with denoising transformers",
        "Denoising diffusion transformers generate video.",
        ["cs.CV"],
        ["Bo Chen", "Gu Li"],
    ),
    (
        "d2",
        "Byte-level language models scale",
        "Scaling byte-level language models past tokenizers.",
        ["cs.CL"],
        ["Hu Yi"],
    ),
    ("d3", "Tactile grasping benchmark", "A benchmark for tactile robot grasping.", ["cs.RO"], ["Ed Ruiz", "Ia Ko"]),
]


@pytest.fixture(scope="module")
def papers():
    space = TextSpace(min_df=1, max_df=1.0)
    vectors = space.fit(paper_text(t, a) for _, t, a, _, _ in CORPUS)
    return space, Papers(
        ids=[p[0] for p in CORPUS],
        vectors=vectors,
        categories=[p[3] for p in CORPUS],
        authors=[p[4] for p in CORPUS],
    )


def positions(papers, ids):
    return [papers.ids.index(i) for i in ids]


def test_liked_topic_ranks_first_and_the_reason_names_the_liked_paper(papers):
    space, everything = papers
    profile = Profile(
        liked=everything.rows(positions(everything, ["a1", "a2"])), titles={"a1": CORPUS[0][1], "a2": CORPUS[1][1]}
    )
    candidates = everything.rows(positions(everything, ["d1", "d2", "d3"]))
    result = recommend(profile, candidates, limit=3, space=space)
    assert [r.paper_id for r in result][0] == "d1"
    kinds = {reason.kind for reason in result[0].reasons}
    assert "paper" in kinds
    assert any(
        "Diffusion models for image synthesis" in r.text or "Faster diffusion sampling" in r.text
        for r in result[0].reasons
    )
    assert any(r.kind == "author" and "Bo Chen" in r.text for r in result[0].reasons)


def test_not_interested_pulls_its_neighbours_down(papers):
    _, everything = papers
    liked = everything.rows(positions(everything, ["a1", "b1"]))
    candidates = everything.rows(positions(everything, ["d1", "d2"]))
    plain = recommend(Profile(liked=liked), candidates, limit=2, weights=Weights(authors=0, categories=0))
    disliked = everything.rows(positions(everything, ["b2"]))
    negative = recommend(
        Profile(liked=liked, disliked=disliked),
        candidates,
        limit=2,
        weights=Weights(authors=0, categories=0, negative=2.0),
    )
    score = {r.paper_id: r.score for r in plain}
    score_neg = {r.paper_id: r.score for r in negative}
    assert score_neg["d2"] - score_neg["d1"] < score["d2"] - score["d1"]
    assert [r.paper_id for r in negative][0] == "d1"


def test_excluded_papers_are_never_shown(papers):
    _, everything = papers
    profile = Profile(liked=everything.rows(positions(everything, ["c1"])))
    result = recommend(profile, everything, limit=20, exclude={"d3", "c1"})
    shown = [r.paper_id for r in result]
    assert "d3" not in shown and "c1" not in shown
    assert len(shown) == len(CORPUS) - 2


def test_the_readers_own_name_is_never_the_reason(papers):
    _, everything = papers
    profile = Profile(liked=everything.rows(positions(everything, ["c1"])), reader_names=frozenset(["Ed Ruiz"]))
    result = recommend(profile, everything.rows(positions(everything, ["d3", "c2"])), limit=2)
    for rec in result:
        assert not any("Ed Ruiz" in reason.text for reason in rec.reasons)


def test_empty_candidates_and_metrics():
    assert recall_at(["x", "y", "z"], {"y", "q"}, 2) == 0.5
    assert ndcg_at(["y"], {"y"}, 20) == pytest.approx(1.0)
    assert ndcg_at(["a", "y"], {"y"}, 20) == pytest.approx(1 / np.log2(3))
    assert recall_at([], set(), 20) == 0.0
