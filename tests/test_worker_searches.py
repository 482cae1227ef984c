"""The worker mails due saved searches: one mail per due search and period, never two."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.db.models import F
from django.utils import timezone

from dailypapers.library import alerts, searches
from dailypapers.library.models import SavedSearch
from dailypapers.search.indexer import catch_up
from dailypapers.store.guard import paper_writes
from dailypapers.store.models import Paper
from tests.search_fixtures import write_paper

pytestmark = pytest.mark.django_db


def _saved(user, query: str, mail: str) -> SavedSearch:
    saved = searches.save(user, query.title(), {"q": query})
    alerts.set_mail(saved, mail)
    return saved


def _time_passes(days: int) -> None:
    with paper_writes():  # time travel on a column no index reads: the test alone may do it
        Paper.objects.update(created_at=F("created_at") - dt.timedelta(days=days))
    SavedSearch.objects.update(mailed_at=F("mailed_at") - dt.timedelta(days=days))


def test_worker_mails_each_due_saved_search_once_per_period(sink, make_user, search_index, capsys):
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    _saved(alice, "quantum error correction", "daily")
    _saved(bob, "protein folding", "weekly")
    _saved(carol, "graph coloring", "daily")  # nothing new for carol: no mail
    write_paper(title="Quantum error correction with surface codes")
    write_paper(title="Protein folding by diffusion")
    catch_up()
    _time_passes(1)  # alice's daily search is due; bob's weekly one is not yet

    call_command("worker", "--once", "--no-sync")
    call_command("worker", "--once", "--no-sync")  # a second worker in the same period sends nothing
    out = capsys.readouterr().out
    assert "saved searches: sent 1, nothing new 1, failed 0" in out
    assert "saved searches: sent 0, nothing new 1, failed 0" in out  # carol, still due, still nothing
    received = sink.received()
    assert received["alice@example.org"] == 1 and received["bob@example.org"] == 0
    assert received["carol@example.org"] == 0
    (mail,) = sink.mails_to("alice@example.org")
    assert "Quantum error correction with surface codes" in mail.get_body().get_content()

    _time_passes(7)  # now bob's week is over, and alice has nothing new
    call_command("worker", "--once", "--no-sync")
    assert "saved searches: sent 1, nothing new 2, failed 0" in capsys.readouterr().out
    assert sink.received()["bob@example.org"] == 1 and sink.received()["alice@example.org"] == 1


def test_a_period_claimed_by_another_sender_is_not_mailed_again(sink, make_user, search_index):
    saved = _saved(make_user("alice"), "quantum error correction", "daily")
    write_paper(title="Quantum error correction with surface codes")
    catch_up()
    _time_passes(1)
    (stale,) = alerts.due(timezone.now())  # what a second worker read before the first one sent
    assert alerts.send_due().sent == 1
    assert not alerts._claim(stale, stale.mailed_at, timezone.now())  # its claim finds the mark moved
    assert alerts.send_due().sent == 0
    assert sink.received()["alice@example.org"] == 1
    saved.refresh_from_db()
    assert saved.mailed_at > stale.mailed_at


def test_a_paper_stored_but_not_yet_indexed_is_mailed_not_passed_by_the_mark(sink, make_user, search_index):
    """The sender searched whatever index its machine had: a paper stored before the run but not yet
    indexed was not found, and the mark moved past it for good."""
    _saved(make_user("alice"), "quantum error correction", "daily")
    write_paper(title="Quantum error correction, indexed")
    catch_up()
    write_paper(title="Quantum error correction, stored just now")  # the index has not taken it yet
    _time_passes(1)
    assert alerts.send_due().sent == 1
    (mail,) = sink.mails_to("alice@example.org")
    text = mail.get_body(("plain",)).get_content()
    assert "indexed" in text and "stored just now" in text
