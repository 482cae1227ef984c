"""Author pages: the papers whose author list holds the same normalised name.

The rule (the search index's author key, dailypapers.search.text.normalize_name): accents folded,
case and punctuation dropped, the words kept in order. So "José Müller", "Jose Muller" and
"jose müller" are one page, while "J. Müller" and "José Müller" stay two: initials are never
expanded, because arXiv's metadata cannot tell which J. Müller an initial stands for, and merging
different people is worse than splitting one. "Müller, José" (surname first) is another page too.

A page then splits the papers into people who share the name, by the rule For you's author
reasons use (rank/people.py: co-authors, categories, text and time; docs/library.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from dailypapers.lists.listings import with_stats
from dailypapers.rank import people
from dailypapers.search import service
from dailypapers.search.keyword import Filters
from dailypapers.search.text import normalize_name
from dailypapers.store.models import Paper
from dailypapers.store.visibility import shown_papers


def key(name: str) -> str:
    return normalize_name(name)


def papers_by(name: str, limit: int = 50, offset: int = 0) -> tuple[list[Paper], int]:
    """Newest first, with how many there are in all (through the keyword index's author key)."""
    if not key(name):
        return [], 0
    results = service.search("", Filters(authors=(name,)), "newest", limit, offset)
    found = {p.arxiv_id: p for p in with_stats(shown_papers()).filter(arxiv_id__in=results.ids)}
    return [found[i] for i in results.ids if i in found], results.total


@dataclass
class Person:
    """Papers of one page that the rule joins into one person, with what tells them apart."""

    papers: list[Paper]
    coauthors: list[str]  # the most frequent, at most three
    categories: list[str]  # the most frequent, at most two


def people_of(name: str, papers: list[Paper]) -> list[Person]:
    """``papers`` (all listing ``name``) split into people, in the order of their first paper."""
    if len(papers) < 2:
        return [Person(papers, _top(name, papers, "authors", 3), _top(name, papers, "categories", 2))] if papers else []
    from dailypapers.library import textspace  # scikit-learn: only an author page with two papers needs it
    from dailypapers.rank.recommend import TextSpace, paper_text

    fitted = textspace.load()
    texts = [paper_text(p.title, p.abstract) for p in papers]
    if fitted is not None:
        vectors = fitted.space.transform(texts)
    else:  # no For you space yet: one fitted on these papers alone
        vectors = TextSpace(min_df=1, max_df=1.0).fit(texts)
    similarity = (vectors @ vectors.T).toarray()
    evidence = [people.Evidence(p.authors, p.category_list, p.announced) for p in papers]
    groups = people.group(name, evidence, lambda i, j: float(similarity[i, j]))
    found = []
    for indexes in groups:
        mine = [papers[i] for i in indexes]
        found.append(Person(mine, _top(name, mine, "authors", 3), _top(name, mine, "categories", 2)))
    return found


def _top(name: str, papers: list[Paper], what: str, count: int) -> list[str]:
    own = people.key(name)
    seen: dict[str, int] = {}
    for paper in papers:
        values = paper.authors if what == "authors" else paper.category_list
        for value in dict.fromkeys(values):
            if what != "authors" or people.key(value) != own:
                seen[value] = seen.get(value, 0) + 1
    return [v for v, _ in sorted(seen.items(), key=lambda item: -item[1])[:count]]
