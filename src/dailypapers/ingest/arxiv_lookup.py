"""One paper by arXiv id, from the arXiv API: what a reader's submission and a library import fetch.

The same HTTP client and Atom parser as sync, with a short timeout and no retries by default:
a person is waiting for the answer (the worker retries pending submissions itself).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError

from dailypapers.ingest.http import HttpStatusError, SourceError, client_from_config
from dailypapers.ingest.parsers.atom import parse_atom
from dailypapers.ingest.records import PaperRecord, Rejected

PAGE_TIMEOUT = 10.0  # a submitter waits at most this long for arXiv; the worker does the rest


class NotOnArxiv(ValidationError):
    """arXiv answered, and it has no such paper (the submitter's mistake: a 4xx)."""


class ArxivUnreachable(Exception):
    """arXiv did not answer usefully: our side's trouble, worth trying again later."""


def fetch_record(arxiv_id: str, **client_options) -> PaperRecord:
    """The paper as the arXiv API describes it (the same client and parser sync uses).

    Raises NotOnArxiv when arXiv does not know the id, ArxivUnreachable when arXiv did not
    give a usable answer.
    """
    options = {
        "retries": 0,
        "max_wait": 5.0,
        "timeout": min(float(settings.CONFIG["DAILYPAPERS_HTTP_TIMEOUT"]), PAGE_TIMEOUT),
        **client_options,
    }
    client = client_from_config(settings.CONFIG, **options)
    try:
        response = client.get(settings.CONFIG["DAILYPAPERS_ARXIV_API_URL"], {"id_list": arxiv_id, "max_results": "1"})
    except HttpStatusError as exc:
        if exc.status in (400, 404, 410):
            raise NotOnArxiv(f"arXiv has no paper {arxiv_id} (it answered HTTP {exc.status}).") from exc
        raise ArxivUnreachable(str(exc)) from exc
    except SourceError as exc:
        raise ArxivUnreachable(str(exc)) from exc
    for item in parse_atom(response.body):
        if isinstance(item, Rejected) and item.position == "document":
            raise ArxivUnreachable(f"arXiv's answer for {arxiv_id} was not a feed ({item.reason})")
        if isinstance(item, PaperRecord) and item.arxiv_id == arxiv_id:
            return item
    raise NotOnArxiv(f"arXiv has no paper {arxiv_id}.")
