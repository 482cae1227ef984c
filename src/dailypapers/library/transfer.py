"""BibTeX export of stored papers, and import of a BibTeX file or an arXiv id list into a collection."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models.functions import Lower
from django.utils import timezone

from dailypapers.ingest.arxiv_lookup import fetch_record
from dailypapers.ingest.records import RecordError, split_arxiv_id
from dailypapers.library import bibtex, paper_collections
from dailypapers.store.models import Paper
from dailypapers.store.upsert import write_batch


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
    return export_papers(item.paper for item in paper_collections.items(collection))


MAX_REPORTED = 50  # sentences kept per import (missing papers, unreadable input); the rest are counted
BATCH = 300  # entries looked up and saved per round: bounded statements, progress after each


class ImportRefused(ValueError):
    """The whole import was refused before any work (too large, too many entries); one sentence."""


@dataclass
class Wanted:
    label: str
    arxiv_id: str
    doi: str
    title: str


@dataclass
class ImportResult:
    added: list[str] = field(default_factory=list)  # arXiv ids saved now
    already: list[str] = field(default_factory=list)  # were in the collection
    fetched: list[str] = field(default_factory=list)  # we lacked them; fetched through the ingest path
    missing: list[str] = field(default_factory=list)  # the first MAX_REPORTED: what we could not find, and why
    errors: list[str] = field(default_factory=list)  # the first MAX_REPORTED unreadable inputs, one sentence each
    missing_count: int = 0
    error_count: int = 0
    stopped: str = ""  # why the import ended before its last entry, and where

    def miss(self, line: str) -> None:
        self.missing_count += 1
        if len(self.missing) < MAX_REPORTED:
            self.missing.append(line)

    def error(self, line: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED:
            self.errors.append(line)

    def lines(self) -> list[str]:
        """The reported sentences (at most MAX_REPORTED), then how many more there were."""
        shown = (self.missing + self.errors)[:MAX_REPORTED]
        more = self.missing_count + self.error_count - len(shown)
        return shown + ([f"… and {more:,} more not listed."] if more > 0 else [])

    def summary(self) -> str:
        parts = [f"{len(self.added)} added", f"{len(self.already)} already there"]
        if self.fetched:
            parts.append(f"{len(self.fetched)} fetched from arXiv")
        parts += [f"{self.missing_count} not found", f"{self.error_count} unreadable"]
        text = ", ".join(parts) + "."
        return f"{text} {self.stopped}" if self.stopped else text


Fetcher = Callable[[str], Paper]


def check_size(text: str) -> None:
    """Refuse text over DAILYPAPERS_LIBRARY_IMPORT_MAX_KB or with more entries than
    DAILYPAPERS_LIBRARY_IMPORT_MAX_ENTRIES, before it is parsed (parsing is the costly part)."""
    limit_kb = settings.CONFIG["DAILYPAPERS_LIBRARY_IMPORT_MAX_KB"]
    if len(text.encode()) > limit_kb * 1024:
        raise ImportRefused(f"The import is larger than {limit_kb:,} KiB; split it into smaller files.")
    most = settings.CONFIG["DAILYPAPERS_LIBRARY_IMPORT_MAX_ENTRIES"]
    if count_entries(text) > most:
        raise ImportRefused(f"The import has more than {most:,} entries; split it into smaller files.")


def count_entries(text: str) -> int:
    """How many entries the text holds, without parsing it (a linear scan)."""
    if bibtex.looks_like_bibtex(text):
        return bibtex.count_entries(text)
    return len(bibtex.parse_id_list(text))


def read_entries(text: str, result: ImportResult) -> list[Wanted]:
    """The entries of BibTeX or an id list, in order; unreadable ones go to ``result``'s errors."""
    wanted: list[Wanted] = []
    if bibtex.looks_like_bibtex(text):
        parsed = bibtex.parse(text)
        for line in parsed.errors:
            result.error(line)
        for ref in parsed.references:
            wanted.append(Wanted(f"line {ref.line} ({ref.key})", ref.arxiv_id, ref.doi, ref.title))
    else:
        for token in bibtex.parse_id_list(text):
            try:
                wanted.append(Wanted(token, split_arxiv_id(token)[0], "", ""))
            except RecordError:
                result.error(f"“{token[:80]}” is not an arXiv id or arXiv URL.")
    return wanted


def import_text(user, collection_pk: int, text: str, fetch: Fetcher | None = None) -> ImportResult:
    """Save every paper the text names (BibTeX, or arXiv ids/URLs) into the collection, in batches.

    Papers we lack are fetched with ``fetch`` (an arXiv id -> stored Paper) when given, else
    listed as missing; nothing already saved is touched. The size caps are the caller's
    (check_size): the CLI may import more than a web request.
    """
    paper_collections.get(user, collection_pk)
    result = ImportResult()
    wanted = read_entries(text, result)
    import_entries(user, collection_pk, wanted, result, fetch)
    return result


def import_entries(
    user,
    collection_pk: int,
    wanted: list[Wanted],
    result: ImportResult,
    fetch: Fetcher | None = None,
    start: int = 0,
    after_batch: Callable[[int], None] | None = None,
) -> None:
    """Import ``wanted[start:]`` batch by batch; ``after_batch(entries done)`` runs after each
    committed batch. Stops (``result.stopped`` says where) when the collection is full."""
    for begin in range(start, len(wanted), BATCH):
        batch = wanted[begin : begin + BATCH]
        found = _lookup(batch)
        papers: list[Paper] = []
        entry_of: dict[int, int] = {}  # paper pk -> its first entry's index, to say where a stop fell
        for index, entry in enumerate(batch, start=begin):
            paper = (
                found.get(("id", entry.arxiv_id))
                or found.get(("doi", entry.doi.lower()))
                or found.get(("title", _norm(entry.title)))
            )
            if paper is None and entry.arxiv_id and fetch is not None:
                try:
                    paper = fetch(entry.arxiv_id)
                    result.fetched.append(entry.arxiv_id)
                except ValidationError as exc:
                    result.miss(f"{entry.label}: {' '.join(exc.messages)}")
                    continue
            if paper is None:
                why = (
                    f"we have no paper {entry.arxiv_id}"
                    if entry.arxiv_id
                    else "no arXiv id, and no stored paper has its DOI or title"
                )
                result.miss(f"{entry.label}: {why}.")
                continue
            papers.append(paper)
            entry_of.setdefault(paper.pk, index)
        added, already, refused = paper_collections.add_many(user, collection_pk, papers)
        result.added += [p.arxiv_id for p in added]
        result.already += [p.arxiv_id for p in already]
        if refused:
            collection = paper_collections.get(user, collection_pk)
            first = entry_of[refused[0].pk] + 1
            result.stopped = (
                f"Stopped at entry {first:,} of {len(wanted):,}: {paper_collections.full_message(collection)} "
                f"{len(result.added):,} papers were saved by this import; entry {first:,} and the entries after it "
                "were not imported."
            )
            return
        if after_batch is not None:
            after_batch(begin + len(batch))


def _norm(title: str) -> str:
    return " ".join(title.split()).lower()


def _ascii_lower(title: str) -> str:
    # SQLite's lower() changes ASCII letters only.
    return "".join(c.lower() if c.isascii() else c for c in " ".join(title.split()))


def _lookup(wanted: list[Wanted]) -> dict[tuple[str, str], Paper]:
    """Stored papers for one batch's ids, DOIs and titles: at most three statements, each with at
    most BATCH (twice that for titles) values, titles matched on the indexed lower(title)."""
    ids = {w.arxiv_id for w in wanted if w.arxiv_id}
    dois = {w.doi for w in wanted if w.doi and not w.arxiv_id}
    titles = {w.title for w in wanted if w.title and not w.arxiv_id and not w.doi}
    found: dict[tuple[str, str], Paper] = {}
    queries = []
    if ids:
        queries.append(Paper.objects.filter(arxiv_id__in=ids))
    if dois:
        queries.append(Paper.objects.filter(doi__in=dois))
    if titles:
        lowered = {_norm(t) for t in titles} | {_ascii_lower(t) for t in titles}
        queries.append(Paper.objects.annotate(title_lower=Lower("title")).filter(title_lower__in=lowered))
    for query in queries:
        for paper in query.filter(deleted=False):
            found[("id", paper.arxiv_id)] = paper
            if paper.doi:
                found[("doi", paper.doi.lower())] = paper
            found[("title", _norm(paper.title))] = paper
    return found


def fetch_from_arxiv(arxiv_id: str) -> Paper:
    """The ingest path's fetch (the same client and parser submissions use), stored through the upsert."""
    write_batch([fetch_record(arxiv_id)], fetched_at=timezone.now())
    return Paper.objects.get(arxiv_id=arxiv_id)
