"""A period's digest ranks that period's papers by that period's votes.

Digests ranked by the stored trending score, which decays from today: an old week's digest came
out in feature-date order (on the bundled data `digest send --period weekly:2026-W23` mailed
upvotes 3, 42, 33, 15, 1, ...), and papers announced in the week but featured weeks later came
along with their later votes.
"""

import datetime as dt
import re

import pytest

from dailypapers.community import votes
from dailypapers.digest import periods
from dailypapers.digest.candidates import load_candidates
from dailypapers.digest.sender import SendOptions, send_period
from dailypapers.ingest.records import DailyEntryRecord, PaperRecord
from dailypapers.store.models import Paper
from dailypapers.store.upsert import write_batch
from digest_data import make_subscriber

pytestmark = pytest.mark.django_db
FAST = SendOptions(rate=0, retry_base=0.05, retry_max_wait=10, max_attempts=4, bounce_limit=2)
MON = dt.date(2026, 6, 1)  # 2026-W23 runs Monday 1 to Sunday 7 June


def _feature(arxiv_id: str, title: str, entries: list[tuple[dt.date, int]], announced: dt.date | None = None):
    paper = PaperRecord(
        arxiv_id=arxiv_id,
        title=title,
        source="test",
        abstract=f"About {title.lower()}.",
        authors=["A. Author"],
        categories=["cs.CL"],
        announced=announced,
    )
    records = [paper] + [DailyEntryRecord(paper=paper, date=day, upvotes=n) for day, n in entries]
    write_batch(records, dt.datetime(2026, 6, 20, 12, tzinfo=dt.timezone.utc))
    from dailypapers.community.community_stats import refresh_papers

    refresh_papers([Paper.objects.get(arxiv_id=arxiv_id).pk])


def _week():
    _feature("2606.00001", "Friday paper with few votes", [(MON + dt.timedelta(days=4), 3)])
    _feature("2606.00002", "Monday paper with many votes", [(MON, 42)])
    _feature("2606.00003", "Wednesday paper with the most votes", [(MON + dt.timedelta(days=2), 60)])
    # Featured in W23 with 5 upvotes and again in W25 with 90: this week counts its 5.
    _feature("2606.00004", "Paper famous later", [(MON + dt.timedelta(days=3), 5), (dt.date(2026, 6, 15), 90)])
    # Announced in W23, featured only in W25: W25's paper, not W23's.
    _feature("2606.00005", "Announced now, featured later", [(dt.date(2026, 6, 16), 53)], announced=MON)
    # Announced in W23 and never featured anywhere: the week's paper, with no votes.
    _feature("2606.00006", "Announced now, never featured", [], announced=MON + dt.timedelta(days=1))


def test_weekly_digest_ranks_the_weeks_papers_by_the_weeks_votes(sink, make_user):
    _week()
    ranked = load_candidates(periods.parse("weekly:2026-W23"), 7)
    assert [c.arxiv_id for c in ranked] == ["2606.00003", "2606.00002", "2606.00004", "2606.00001", "2606.00006"]
    assert [c.hf_upvotes for c in ranked] == [60, 42, 5, 3, 0]
    # Our own votes count for the period they were cast in (today is not in 2026-W23: they count for none).
    votes.cast(make_user("voter"), Paper.objects.get(arxiv_id="2606.00001"))
    assert load_candidates(periods.parse("weekly:2026-W23"), 7)[3].arxiv_id == "2606.00001"
    make_subscriber("weekly@example.org", frequency="weekly", top_n=10)
    assert send_period(periods.parse("weekly:2026-W23"), FAST).sent == 1
    (mail,) = sink.mails_to("weekly@example.org")
    text = mail.get_body(("plain",)).get_content()
    shown = re.findall(r"(\d+) Hugging Face upvotes?", text)
    assert shown == ["60", "42", "5", "3"], text
    assert "featured later" not in text and "famous later" in text


def test_daily_digest_puts_the_days_list_first_by_that_days_votes():
    _week()
    wed = periods.parse("daily:2026-06-03")
    ranked = load_candidates(wed, 7)  # the window reaches back to Thursday 28 May
    assert [c.arxiv_id for c in ranked] == ["2606.00003", "2606.00002", "2606.00006"]
    assert [c.in_period for c in ranked] == [True, False, False]
    fri = load_candidates(periods.parse("daily:2026-06-05"), 7)
    assert [c.arxiv_id for c in fri][:2] == ["2606.00001", "2606.00003"]  # Friday's 3 before Wednesday's 60
