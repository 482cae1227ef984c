"""Digest selection: pure functions tested with plain data."""

from dailypapers.digest.selection import (
    Candidate,
    CandidatePool,
    Matches,
    Preferences,
    matching,
    one_line,
    pick,
    rank,
    split_phrases,
)


def paper(pk, title, categories=("cs.CL",), score=0.0, hf=0, votes=0, abstract=""):
    return Candidate(pk, f"2601.{pk:05d}", title, abstract, tuple(categories), score, hf, votes)


def test_rank_by_the_periods_votes_then_trending_score():
    ranked = rank(
        [paper(1, "a", hf=5), paper(2, "b", score=1.0), paper(3, "c", hf=9), paper(4, "d", votes=3, hf=2)]
        + [paper(5, "e", score=2.0, hf=5)]
    )
    assert [c.paper_id for c in ranked] == [3, 5, 1, 4, 2]


def test_preferences_filter_categories_keywords_and_exclusions():
    ranked = [
        paper(1, "LLM agents for tools", ("cs.CL",)),
        paper(2, "Diffusion for video", ("cs.CV",)),
        paper(3, "Allmighty parsers", ("cs.CL",)),
        paper(4, "Agents in robotics", ("cs.RO",), abstract="We use an LLM planner."),
    ]
    assert [c.paper_id for c in matching(ranked, Preferences.of("cs.CL cs.RO", "", ""))] == [1, 3, 4]
    assert [c.paper_id for c in matching(ranked, Preferences.of("", "llm", ""))] == [1, 4]  # whole words only
    assert [c.paper_id for c in matching(ranked, Preferences.of("", "LLM, video", "robotics"))] == [1, 2]
    assert Preferences.of("cs.CV cs.CL", "a, b", "") == Preferences.of("cs.CL cs.CV", "a,b", "")


def test_pick_skips_already_sent_and_cuts_to_size():
    ranked = [paper(i, str(i)) for i in range(1, 8)]
    assert [c.paper_id for c in pick(ranked, {1, 3}, 3)] == [2, 4, 5]
    assert pick(ranked, set(range(1, 8)), 3) == []


def test_matches_are_drawn_only_as_far_as_a_digest_reads_and_replayed_after():
    drawn = []

    def source():
        for i in range(1, 101):
            drawn.append(i)
            yield paper(i, str(i))

    matches = Matches(source())
    assert [c.paper_id for c in pick(matches, {2}, 3)] == [1, 3, 4]
    assert drawn == [1, 2, 3, 4]  # not the other 96
    assert [c.paper_id for c in pick(matches, {1, 3, 4, 5}, 2)] == [2, 6]  # replays 1-4, draws on
    assert drawn == [1, 2, 3, 4, 5, 6]
    first, second = iter(matches), iter(matches)  # two readers in turn see one order
    assert [next(first).paper_id, next(first).paper_id, next(second).paper_id] == [1, 2, 1]
    assert [c.paper_id for c in matches] == list(range(1, 101)) and len(drawn) == 100


def test_a_pool_filters_lazily_with_the_same_result():
    ranked = [paper(i, "LLM agents" if i % 3 else "video", ("cs.CL",) if i % 2 else ("cs.CV",)) for i in range(60)]
    pool = CandidatePool(ranked)
    prefs = Preferences.of("cs.CL", "llm", "")
    expected = [c for c in ranked if "cs.CL" in c.categories and c.paper_id % 3]
    assert list(pool.matching(prefs)) == expected == matching(ranked, prefs)
    assert pick(pool.matching(prefs), set(), 4) == expected[:4]


def test_split_phrases_and_one_line():
    assert split_phrases(" LLM  agents, diffusion;LLM agents\n") == ("llm agents", "diffusion")
    assert one_line("First sentence here. Second one.") == "First sentence here."
    long = "word " * 100
    cut = one_line(long, limit=40)
    assert len(cut) <= 40 and cut.endswith("…")
