"""The worker: sync first, then the due digests; a failed sync does not stop them."""

import datetime as dt

import pytest
from django.core.management import call_command

from dailypapers.digest import schedule, worker
from dailypapers.digest.models import Delivery
from dailypapers.digest.sender import SendOptions
from digest_data import make_papers, make_subscriber

pytestmark = pytest.mark.django_db
WEDNESDAY_NIGHT = dt.datetime(2026, 7, 1, 2, 0, tzinfo=dt.timezone.utc)  # Tue 22:00 EDT, after the announcement


def test_tick_syncs_then_sends_the_due_periods(sink):
    make_papers(5)
    make_subscriber("daily@example.org", top_n=2)
    make_subscriber("weekly@example.org", frequency="weekly")
    calls = []
    reports = worker.tick(
        WEDNESDAY_NIGHT, schedule.Schedule(), SendOptions(rate=0), do_sync=lambda: calls.append("sync")
    )
    assert calls == ["sync"]
    assert [r.period for r in reports] == ["daily:2026-07-01", "weekly:2026-W26"]
    assert list(sink.received()) == ["daily@example.org"]
    # The weekly digest covers 22-28 June: nothing new there, so no mail, but the row records it.
    assert Delivery.objects.get(subscriber__email="weekly@example.org").state == Delivery.EMPTY


def test_a_failed_sync_still_sends_digests(sink):
    make_papers(3)
    make_subscriber("d@example.org")

    def broken_sync():
        raise RuntimeError("arXiv is down")

    worker.tick(WEDNESDAY_NIGHT, schedule.Schedule(), SendOptions(rate=0), do_sync=broken_sync)
    assert list(sink.received()) == ["d@example.org"]


def test_sleep_until_the_next_due_run_is_capped():
    plan = schedule.Schedule()
    assert worker.seconds_until_next(dt.datetime(2026, 7, 1, 0, 59, tzinfo=dt.timezone.utc), plan) == 60
    assert worker.seconds_until_next(WEDNESDAY_NIGHT, plan) == worker.MAX_SLEEP


def test_worker_command_once_and_schedule(sink, capsys):
    call_command("worker", "--show-schedule")
    out = capsys.readouterr().out
    assert out.startswith("daily: last due daily:") and "weekly: last due weekly:" in out
    call_command("worker", "--once", "--no-sync")
    assert "sent 0" in capsys.readouterr().out


def test_worker_once_sends_the_outbox_and_says_so(sink, capsys):
    from django.utils import timezone

    from dailypapers.digest import outbox
    from dailypapers.digest.models import OutboxMail

    sink.stop()
    mail = outbox.enqueue(
        outbox.compose(
            "late@example.org", "Hello", "web/email/confirm_account", {"username": "late", "url": "http://testserver/x"}
        ),
        "confirm-account",
    )
    assert outbox.send_now(mail) == "queued"
    sink.start()
    OutboxMail.objects.update(next_attempt_at=timezone.now())
    call_command("worker", "--once", "--no-sync")
    assert "site mails: sent 1, waiting 0, failed 0" in capsys.readouterr().out
    assert list(sink.received()) == ["late@example.org"]
