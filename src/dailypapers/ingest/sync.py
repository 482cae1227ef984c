"""`dailypapers sync`: pull the newest papers from arXiv and Hugging Face, resumably.

Each source keeps where it stopped in a SyncState row, written in the same transaction as the
records of the page that got it there, so a run killed at any point resumes without losing or
repeating a page:

- ``arxiv-oai:<set>``: {"from": next harvest's from-date, "token": resumption token of an
  unfinished list, "list": {"from", "until", "started"} of that list}. A completed list moves
  "from" to the day its first page was answered (the OAI responseDate).
- ``arxiv-api``: {"from": day of the newest submission seen}; the API is searched newest first,
  page by page, until papers older than that day.
- ``hf``: {"last_day": last daily list fetched}; the next run fetches it again, since its
  upvotes keep changing, then every later day through today.

``since`` (``--from``) starts from a given day instead; ``until`` (``--until``) harvests a
window and leaves the stored position where it was.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Max

from dailypapers.ingest.http import HttpClient, SourceError, SourceUnreachable, client_from_config
from dailypapers.ingest.importer import write_records
from dailypapers.ingest.parsers.atom import parse_atom
from dailypapers.ingest.parsers.hf import parse_hf_response
from dailypapers.ingest.parsers.oai import parse_oai_page
from dailypapers.ingest.records import DailyEntryRecord, PaperRecord, Record, Rejected
from dailypapers.store.models import DailyEntry, Paper, SyncState
from dailypapers.store.predicted import lacking_categories

SOURCES = ("arxiv", "hf")
METHODS = ("oai", "api")
API_PAGE_SIZE = 200  # arXiv allows up to 2000; smaller pages commit progress more often
_ONE_DAY = dt.timedelta(days=1)
_RESPONSE_DATE = re.compile(rb"<responseDate>\s*(\d{4}-\d{2}-\d{2})")


class SyncError(Exception):
    """The sync was asked something it cannot do (bad dates, unknown source)."""


class PageError(SourceError):
    """A page was fetched but cannot be used as a whole; the message names its URL."""


@dataclass
class SourceResult:
    source: str
    method: str | None = None  # how arXiv was harvested (oai / api)
    pages: int = 0
    read: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    skipped: int = 0  # outside the configured categories or the date window
    error: str | None = None
    unreachable: bool = False  # no connection could be made at all (the network is down, most likely)

    def as_dict(self) -> dict[str, Any]:
        keys = ("method", "pages", "read", "new", "updated", "unchanged", "rejected", "skipped", "error")
        return {k: getattr(self, k) for k in keys}

    def summary(self) -> str:
        name = f"{self.source} ({self.method})" if self.method else self.source
        line = (
            f"{name}: {self.pages} page(s), read {self.read}, new {self.new}, updated {self.updated}, "
            f"unchanged {self.unchanged}, rejected {self.rejected}, skipped {self.skipped}"
        )
        return f"{line}; FAILED: {self.error}" if self.error else line


@dataclass
class SyncRun:
    """What one sync works with: settings, the polite client, the window, and its listeners."""

    config: Mapping[str, Any]
    client: HttpClient
    today: dt.date
    since: dt.date | None = None
    until: dt.date | None = None
    api_page_size: int = API_PAGE_SIZE
    progress: Callable[[str], None] = lambda message: None
    on_reject: Callable[[Rejected], None] = lambda rejected: None  # told of each refused record
    on_note: Callable[[Rejected], None] = lambda note: None  # told of each field dropped from a kept record

    def first_day(self, source: str) -> dt.date:
        """Where a source's first sync starts: the newest day the database already holds for it
        (imported data is continued, not left with a gap), however old unless
        DAILYPAPERS_SYNC_MAX_BACKFILL_DAYS caps it; with nothing held, DAILYPAPERS_SYNC_FIRST_DAYS
        before today."""
        held = newest_day_held(source)
        if held is None:
            return self.today - dt.timedelta(days=int(self.config["DAILYPAPERS_SYNC_FIRST_DAYS"]))
        limit = int(self.config["DAILYPAPERS_SYNC_MAX_BACKFILL_DAYS"])
        earliest = self.today - dt.timedelta(days=limit)
        if limit > 0 and held < earliest:
            self.progress(
                f"{source}: the database holds papers up to {held}, more than {limit} days ago; "
                f"starting at {earliest} (DAILYPAPERS_SYNC_MAX_BACKFILL_DAYS; --from {held} fills the gap)"
            )
            return earliest
        start = min(held, self.today)
        self.progress(f"{source}: first sync; continuing from {start}, the newest day the database holds")
        return start


def sync(
    config: Mapping[str, Any],
    sources: Sequence[str] | None = None,
    *,
    method: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    today: dt.date | None = None,
    client: HttpClient | None = None,
    api_page_size: int = API_PAGE_SIZE,
    progress: Callable[[str], None] | None = None,
    on_reject: Callable[[Rejected], None] | None = None,
    on_note: Callable[[Rejected], None] | None = None,
) -> list[SourceResult]:
    """Sync ``sources`` (default: DAILYPAPERS_SYNC_SOURCES); one result per source, errors inside.

    A failing source does not stop the others; its result carries the error."""
    sources = list(sources or config["DAILYPAPERS_SYNC_SOURCES"])
    method = method or config["DAILYPAPERS_SYNC_METHOD"]
    unknown = [s for s in sources if s not in SOURCES]
    if unknown:
        raise SyncError(f"unknown source(s) {', '.join(unknown)}; choose from {', '.join(SOURCES)}")
    if method not in METHODS:
        raise SyncError(f"unknown arXiv method {method!r}; choose oai or api")
    if since and until and since > until:
        raise SyncError(f"--from {since} is after --until {until}")
    run = SyncRun(
        config=config,
        client=client or client_from_config(config, notify=progress),
        today=today or dt.datetime.now(dt.timezone.utc).date(),
        since=since,
        until=until,
        api_page_size=api_page_size,
    )
    run.progress = progress or run.progress
    run.on_reject = on_reject or run.on_reject
    run.on_note = on_note or run.on_note
    harvesters = {"arxiv": sync_arxiv_api if method == "api" else sync_arxiv_oai, "hf": sync_hf}
    return [harvesters[source](run) for source in sources]


def _guarded(result: SourceResult, harvest: Callable[[SyncRun, SourceResult], None], run: SyncRun) -> SourceResult:
    """Run ``harvest``; a source failure becomes the result's error instead of stopping the sync."""
    try:
        harvest(run, result)
    except (SourceError, SyncError) as exc:
        result.error = str(exc)
        result.unreachable = isinstance(exc, SourceUnreachable)
    return result


# -- shared ---------------------------------------------------------------------------------


def newest_day_held(source: str) -> dt.date | None:
    """The newest day of the data already held for ``source``: arXiv's newest announcement or
    submission day, or the newest Hugging Face daily list."""
    if source == "hf":
        return DailyEntry.objects.filter(source="hf").aggregate(day=Max("date"))["day"]
    found = Paper.objects.aggregate(announced=Max("announced"), submitted=Max("first_submitted"))
    days = [found["announced"], found["submitted"].date() if found["submitted"] else None]
    return max((day for day in days if day is not None), default=None)


def load_state(key: str) -> dict[str, Any]:
    row = SyncState.objects.filter(source=key).first()
    return dict(row.state) if row else {}


def _save_state(key: str, state: Mapping[str, Any]) -> None:
    SyncState.objects.update_or_create(source=key, defaults={"state": dict(state)})


def _day(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def in_categories(record: PaperRecord, wanted: Sequence[str]) -> bool:
    """Whether any category of ``record`` is wanted, as itself or by its archive ("cs" keeps "cs.LG").

    Records that name no category (oai_dc, deletions) cannot be judged and are kept: the
    harvested set already bounds them."""
    if not wanted or not record.categories:
        return True
    return any(cat == want or cat.startswith(want + ".") for cat in record.categories for want in wanted)


def _page_failure(items: Iterable[Record]) -> str | None:
    """Why a parsed page is unusable as a whole (unreadable body, API error entry), or None."""
    for item in items:
        if isinstance(item, Rejected) and (item.position == "document" or item.reason.startswith("arXiv API error")):
            return item.reason
    return None


def _commit(
    run: SyncRun,
    result: SourceResult,
    items: Iterable[Record],
    where: str,
    keep: Callable[[PaperRecord | DailyEntryRecord], bool] = lambda record: True,
    state_key: str | None = None,
    state: Mapping[str, Any] | None = None,
) -> None:
    """Write one page's records and, in the same transaction, the state it brings the source to."""
    records: list[PaperRecord | DailyEntryRecord] = []
    for item in items:
        result.read += 1
        if isinstance(item, Rejected):
            item.position = f"{where}: {item.position}"
            result.rejected += 1
            run.on_reject(item)
        elif keep(item):
            records.append(item)
            for note in item.notes:
                run.on_note(Rejected(f"{where}: {item.position}", note))
        else:
            result.skipped += 1
    with transaction.atomic():
        counts, refused = write_records(records, dt.datetime.now(dt.timezone.utc))
        if state_key is not None:
            _save_state(state_key, state or {})
    for item in refused:
        item.position = f"{where}: {item.position}"
        result.rejected += 1
        run.on_reject(item)
    result.pages += 1
    result.new += counts.new
    result.updated += counts.updated
    result.unchanged += counts.unchanged


# -- arXiv OAI-PMH --------------------------------------------------------------------------


def _oai(run: SyncRun, result: SourceResult) -> None:
    """Harvest each configured set with ListRecords, following resumption tokens."""
    for set_spec in run.config["DAILYPAPERS_SYNC_SETS"] or [None]:
        _oai_list(run, result, set_spec)


def _oai_list(run: SyncRun, result: SourceResult, set_spec: str | None) -> None:
    key = f"arxiv-oai:{set_spec}" if set_spec else "arxiv-oai"
    url = run.config["DAILYPAPERS_ARXIV_OAI_URL"]
    state = load_state(key)
    settled = {k: v for k, v in state.items() if k not in ("token", "list")}
    token: str | None = state.get("token")
    listing: dict[str, Any] = state.get("list") or {}
    if run.since is not None or not token:  # an explicit --from starts a new list
        token = None
        listing = {
            "from": (run.since or _day(state.get("from")) or run.first_day("arxiv")).isoformat(),
            "until": run.until.isoformat() if run.until else None,
            "started": None,
        }
    else:
        run.progress(f"arxiv: {key}: resuming an unfinished harvest at resumption token {token}")
    categories = run.config["DAILYPAPERS_SYNC_CATEGORIES"]
    restarted = False
    while True:
        if token:
            params = {"verb": "ListRecords", "resumptionToken": token}
        else:
            params = {
                "verb": "ListRecords",
                "metadataPrefix": run.config["DAILYPAPERS_SYNC_METADATA_PREFIX"],
                "from": listing["from"],
            }
            if set_spec:
                params["set"] = set_spec
            if listing["until"]:
                params["until"] = listing["until"]
        response = run.client.get(url, params)
        page = parse_oai_page(response.body)
        if token and not restarted and (page.error or "").startswith("OAI error badResumptionToken"):
            # Tokens expire: a harvest resumed too late lists again from its from-date.
            run.progress(f"arxiv: {key}: resumption token {token} expired; listing again from {listing['from']}")
            token, listing["started"], restarted = None, None, True
            continue
        if page.error:
            raise PageError(f"{response.url}: {page.error}")
        if listing["started"] is None:
            found = _RESPONSE_DATE.search(response.body)
            listing["started"] = found.group(1).decode() if found else run.today.isoformat()
        if page.resumption_token:
            new_state = {**settled, "token": page.resumption_token, "list": listing}
        else:
            new_state = dict(settled)
            if listing["until"] is None:  # an open-ended list brings us up to its start
                new_state["from"] = listing["started"]
        before = result.new, result.updated
        _commit(
            run,
            result,
            page.records,
            response.url,
            keep=lambda r: not isinstance(r, PaperRecord) or in_categories(r, categories),
            state_key=key,
            state=new_state,
        )
        size = f" of {page.complete_list_size}" if page.complete_list_size else ""
        run.progress(
            f"arxiv: {key}: page {result.pages}: {len(page.records)} record(s){size}, "
            f"new {result.new - before[0]}, updated {result.updated - before[1]}"
        )
        if not page.resumption_token:
            return
        token = page.resumption_token


def sync_arxiv_oai(run: SyncRun) -> SourceResult:
    return _guarded(SourceResult("arxiv", "oai"), _oai, run)


# -- arXiv API (Atom) -----------------------------------------------------------------------


def api_query(categories: Sequence[str]) -> str:
    """search_query for the categories; an archive ("cs") matches all its categories."""
    terms = [f"cat:{c}" if "." in c else f"cat:{c} OR cat:{c}.*" for c in categories]
    return " OR ".join(terms)


def _api(run: SyncRun, result: SourceResult) -> None:
    """Search by category, newest submissions first, until papers older than the last sync."""
    categories = run.config["DAILYPAPERS_SYNC_CATEGORIES"]
    if not categories:
        raise SyncError("--method api searches by category: set DAILYPAPERS_SYNC_CATEGORIES")
    key = "arxiv-api"
    state = load_state(key)
    since = run.since or _day(state.get("from")) or run.first_day("arxiv")
    newest: dt.date | None = None

    def keep(record: PaperRecord | DailyEntryRecord) -> bool:
        if not isinstance(record, PaperRecord):
            return True
        submitted = record.first_submitted.date() if record.first_submitted else None
        in_window = submitted is None or (submitted >= since and (run.until is None or submitted <= run.until))
        return in_window and in_categories(record, categories)

    start = 0
    while True:
        params = {
            "search_query": api_query(categories),
            "sortBy": "submittedDate",
            "sortOrder": "descending",
            "start": str(start),
            "max_results": str(run.api_page_size),
        }
        response = run.client.get(run.config["DAILYPAPERS_ARXIV_API_URL"], params)
        items = list(parse_atom(response.body))
        failure = _page_failure(items)
        if failure:
            raise PageError(f"{response.url}: {failure}")
        days = [item.first_submitted.date() for item in items if isinstance(item, PaperRecord) and item.first_submitted]
        recent = [d for d in days if d >= since] + ([newest] if newest else [])
        newest = max(recent, default=None)
        before = result.new, result.updated
        _commit(run, result, items, response.url, keep=keep)
        run.progress(
            f"arxiv: api page {result.pages} (start {start}): {len(items)} entries, "
            f"new {result.new - before[0]}, updated {result.updated - before[1]}"
        )
        # Results come newest first: once a page reaches past `since`, the rest is older still.
        if any(d < since for d in days) or len(items) < run.api_page_size:
            break
        start += len(items)
    if run.until is None and newest is not None:
        _save_state(key, {**state, "from": newest.isoformat()})


def sync_arxiv_api(run: SyncRun) -> SourceResult:
    return _guarded(SourceResult("arxiv", "api"), _api, run)


# -- arXiv metadata of papers known only from Hugging Face ----------------------------------

MISSING_KEY = "arxiv-ids"


def _by_id(run: SyncRun, result: SourceResult, limit: int | None) -> None:
    """Ask the arXiv API for the papers that lack a source's categories, by id_list, a batch per
    query. Each batch commits with the state, so an interrupted run resumes where it stopped:
    papers that got metadata no longer lack it, and ids arXiv did not answer for are remembered
    (state "missing") and not asked again."""
    batch = int(run.config["DAILYPAPERS_ARXIV_ID_BATCH"])
    if batch <= 0:
        return
    state = load_state(MISSING_KEY)
    missing = set(state.get("missing", []))
    wanted = [
        i
        for i in lacking_categories().order_by("-announced", "-arxiv_id").values_list("arxiv_id", flat=True)
        if i not in missing
    ]
    if limit is not None:
        wanted = wanted[:limit]
    for start in range(0, len(wanted), batch):
        ids = wanted[start : start + batch]
        params = {"id_list": ",".join(ids), "start": "0", "max_results": str(len(ids))}
        response = run.client.get(run.config["DAILYPAPERS_ARXIV_API_URL"], params)
        items = list(parse_atom(response.body))
        failure = _page_failure(items)
        if failure:
            raise PageError(f"{response.url}: {failure}")
        asked = set(ids)
        answered = {item.arxiv_id for item in items if isinstance(item, PaperRecord)}
        missing |= asked - answered
        _commit(
            run,
            result,
            items,
            response.url,
            keep=partial(_asked_for, frozenset(asked)),
            state_key=MISSING_KEY,
            state={**state, "missing": sorted(missing)},
        )
        run.progress(f"arxiv: metadata by id: {start + len(ids)} of {len(wanted)} asked, updated {result.updated}")


def _asked_for(asked: frozenset[str], record: PaperRecord | DailyEntryRecord) -> bool:
    return isinstance(record, PaperRecord) and record.arxiv_id in asked


def fetch_arxiv_metadata(
    config: Mapping[str, Any],
    *,
    client: HttpClient | None = None,
    limit: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> SourceResult:
    """Fetch arXiv's metadata for papers known only from Hugging Face (at most ``limit``);
    their predicted categories give way to arXiv's (store/upsert.py)."""
    run = SyncRun(
        config=config,
        client=client or client_from_config(config, notify=progress),
        today=dt.datetime.now(dt.timezone.utc).date(),
    )
    run.progress = progress or run.progress
    return _guarded(SourceResult("arxiv", "id_list"), lambda r, res: _by_id(r, res, limit), run)


# -- Hugging Face daily papers --------------------------------------------------------------


def _hf(run: SyncRun, result: SourceResult) -> None:
    """Fetch each day's list, from the last day done (its votes moved on) through today."""
    key = "hf"
    state = load_state(key)
    day = run.since or _day(state.get("last_day")) or run.first_day("hf")
    last = run.until or run.today
    while day <= last:
        response = run.client.get(run.config["DAILYPAPERS_HF_API_URL"], {"date": day.isoformat()})
        items = list(parse_hf_response(response.body, date=day, seen_at=dt.datetime.now(dt.timezone.utc)))
        failure = _page_failure(items)
        if failure:
            raise PageError(f"{response.url}: {failure}")
        before = result.new, result.updated
        # Weekends and holidays usually answer an empty list; we ask anyway rather than assume.
        _commit(
            run,
            result,
            items,
            response.url,
            state_key=key if run.until is None else None,
            state={**state, "last_day": day.isoformat()},
        )
        run.progress(
            f"hf: {day}: {len(items)} entries, new {result.new - before[0]}, updated {result.updated - before[1]}"
        )
        day += _ONE_DAY


def sync_hf(run: SyncRun) -> SourceResult:
    return _guarded(SourceResult("hf"), _hf, run)
