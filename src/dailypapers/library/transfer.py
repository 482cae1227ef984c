"""BibTeX export of stored papers, and import of a BibTeX file or an arXiv id list into a collection."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Q

from dailypapers.ingest.records import RecordError, split_arxiv_id
from dailypapers.library import bibtex, collections
from dailypapers.store.models import Paper


def bib_paper(paper: Paper) -> bibtex.BibPaper:
    year = paper.first_submitted.year if paper.first_submitted else paper.announced.year if paper.announced else None
    return bibtex.BibPaper(
        arxiv_id=paper.arxiv_id,
        title=paper.title,
        authors=list(paper.authors or []),
        year=year,
        primary_category=paper.primary_category,
        journal_ref=paper.journal_ref,
        doi=paper.doi,
    )


def export_papers(papers: Iterable[Paper]) -> str:
    return bibtex.export(bib_paper(p) for p in papers)


def export_collection(collection) -> str:
    return export_papers(item.paper for item in collections.items(collection))


@dataclass
class ImportResult:
    added: list[str] = field(default_factory=list)  # arXiv ids saved now
    already: list[str] = field(default_factory=list)  # were in the collection
    fetched: list[str] = field(default_factory=list)  # we lacked them; fetched through the ingest path
    missing: list[str] = field(default_factory=list)  # one sentence each: what we could not find, and why
    errors: list[str] = field(default_factory=list)  # unreadable input, one sentence each

    def summary(self) -> str:
        parts = [f"{len(self.added)} added", f"{len(self.already)} already there"]
        if self.fetched:
            parts.append(f"{len(self.fetched)} fetched from arXiv")
        parts += [f"{len(self.missing)} not found", f"{len(self.errors)} unreadable"]
        return ", ".join(parts) + "."


Fetcher = Callable[[str], Paper]


def import_text(user, collection_pk: int, text: str, fetch: Fetcher | None = None) -> ImportResult:
    """Save every paper the text names (BibTeX, or arXiv ids/URLs) into the collection.

    Papers we lack are fetched with ``fetch`` (an arXiv id -> stored Paper) when given, else
    listed as missing; nothing already saved is touched.
    """
    collection = collections.get(user, collection_pk)
    result = ImportResult()
    wanted: list[tuple[str, str, str, str]] = []  # (label, arxiv_id, doi, title)
    if bibtex.looks_like_bibtex(text):
        parsed = bibtex.parse(text)
        result.errors += parsed.errors
        for ref in parsed.references:
            wanted.append((f"line {ref.line} ({ref.key})", ref.arxiv_id, ref.doi, ref.title))
    else:
        for token in bibtex.parse_id_list(text):
            try:
                wanted.append((token, split_arxiv_id(token)[0], "", ""))
            except RecordError:
                result.errors.append(f"“{token}” is not an arXiv id or arXiv URL.")
    found = _lookup(wanted)
    for label, arxiv_id, doi, title in wanted:
        paper = found.get(("id", arxiv_id)) or found.get(("doi", doi.lower())) or found.get(("title", title.lower()))
        if paper is None and arxiv_id and fetch is not None:
            try:
                paper = fetch(arxiv_id)
                result.fetched.append(arxiv_id)
            except ValidationError as exc:
                result.missing.append(f"{label}: {' '.join(exc.messages)}")
                continue
        if paper is None:
            why = (
                f"we have no paper {arxiv_id}" if arxiv_id else "no arXiv id, and no stored paper has its DOI or title"
            )
            result.missing.append(f"{label}: {why}.")
            continue
        (result.added if collections.add(user, collection.pk, paper) else result.already).append(paper.arxiv_id)
    return result


def _lookup(wanted) -> dict[tuple[str, str], Paper]:
    """Stored papers for the wanted ids, DOIs and titles, in one query."""
    ids = {w[1] for w in wanted if w[1]}
    dois = {w[2] for w in wanted if w[2] and not w[1]}
    titles = {w[3] for w in wanted if w[3] and not w[1] and not w[2]}
    if not (ids or dois or titles):
        return {}
    query = Q(arxiv_id__in=ids)
    if dois:
        query |= Q(doi__in=dois)
    for title in titles:  # few: only entries without any identifier
        query |= Q(title__iexact=title)
    found: dict[tuple[str, str], Paper] = {}
    for paper in Paper.objects.filter(query, deleted=False):
        found[("id", paper.arxiv_id)] = paper
        if paper.doi:
            found[("doi", paper.doi.lower())] = paper
        found[("title", " ".join(paper.title.split()).lower())] = paper
    return found


def fetch_from_arxiv(arxiv_id: str) -> Paper:
    """The ingest path's fetch (the same client and parser submissions use), stored through the upsert."""
    from django.utils import timezone

    from dailypapers.community.submissions import fetch_record
    from dailypapers.store.upsert import write_batch

    write_batch([fetch_record(arxiv_id)], fetched_at=timezone.now())
    return Paper.objects.get(arxiv_id=arxiv_id)
