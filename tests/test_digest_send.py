"""Sending digests in-process against a real SMTP server (aiosmtpd on loopback)."""

import threading
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dailypapers.digest import periods
from dailypapers.digest.models import Delivery, SentPaper, Subscriber
from dailypapers.digest.sender import SendOptions, send_period
from digest_data import PERIOD, make_papers, make_subscriber

pytestmark = pytest.mark.django_db
FAST = SendOptions(rate=0, retry_base=0.05, retry_max_wait=10, max_attempts=4, bounce_limit=2)
PERIOD_ = periods.parse(PERIOD)


def test_digest_has_both_parts_links_votes_and_one_click_headers(sink):
    ids = make_papers(12)
    sub = make_subscriber("reader@example.org", top_n=5)
    report = send_period(PERIOD_, FAST)
    assert report.sent == 1
    (mail,) = sink.mails_to("reader@example.org")
    assert mail["Subject"] == "5 trending papers for Tuesday 30 June 2026"
    assert mail["Message-ID"] == f"<digest.daily.2026-06-30.{sub.pk}@testserver>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = mail["List-Unsubscribe"].strip().strip("<>")
    assert unsubscribe.startswith("http://testserver/digest/unsubscribe/")
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    # Best trending score first; titles link to our paper pages; votes and a one-line abstract.
    assert f'<a href="http://testserver/papers/{ids[0]}"' in html
    assert f"http://testserver/papers/{ids[0]}" in text and f"http://testserver/papers/{ids[5]}" not in text
    assert "12 Hugging Face upvotes" in text and "12 Hugging Face upvotes" in html
    assert "We study large language model agents for tool use in setting 0." in text
    assert "Results improve" not in text
    assert unsubscribe in text and unsubscribe in html
    delivery = Delivery.objects.get(subscriber=sub, period=PERIOD)
    assert delivery.state == Delivery.SENT and delivery.paper_count == 5
    assert SentPaper.objects.filter(subscriber=sub).count() == 5


def test_preferences_and_never_a_repeat(sink):
    make_papers(20)
    cl = make_subscriber("cl@example.org", categories="cs.CL", top_n=3)
    make_subscriber("video@example.org", keywords="video", excluded_keywords="part 1", top_n=50)
    make_subscriber("weekly@example.org", frequency="weekly")
    make_subscriber("pending@example.org", status="pending")
    send_period(PERIOD_, FAST)
    assert sorted(sink.received()) == ["cl@example.org", "video@example.org"]
    video = sink.mails_to("video@example.org")[0].get_body(("plain",)).get_content()
    assert video.count("Diffusion models for video generation") == 3  # parts 1, 6, 11, 16 minus excluded "part 1"
    # A second daily period with the same candidates: the CL reader gets the next three, never the first ones.
    send_period(periods.parse("daily:2026-07-01"), FAST)
    first, second = [m.get_body(("plain",)).get_content() for m in sink.mails_to("cl@example.org")]
    titles = lambda body: {line for line in body.splitlines() if "part" in line}  # noqa: E731
    assert titles(first) and titles(second) and not titles(first) & titles(second)
    assert SentPaper.objects.filter(subscriber=cl).count() == 6
    # Everything sent: the video reader had all matches, so the next digest is empty and not mailed.
    assert (
        Delivery.objects.get(subscriber__email="video@example.org", period="daily:2026-07-01").state == Delivery.EMPTY
    )


def test_rerunning_a_period_sends_nothing_twice(sink):
    make_papers(5)
    for i in range(5):
        make_subscriber(f"r{i}@example.org")
    assert send_period(PERIOD_, FAST).sent == 5
    assert send_period(PERIOD_, FAST).sent == 0
    assert set(sink.received().values()) == {1}


def test_wrong_smtp_settings_fail_with_one_sentence_and_mark_nothing(sink, settings):
    make_papers(3)
    make_subscriber("a@example.org")
    sink.stop()
    with pytest.raises(
        CommandError, match=r"^Cannot open an SMTP connection to 127\.0\.0\.1:\d+ \(ConnectionRefusedError"
    ):
        call_command("digest", "send", "--period", PERIOD)
    assert not Delivery.objects.exists()


def test_temporary_failures_are_retried_and_permanent_ones_bounce(sink):
    make_papers(5)
    for name in ("ok", "slow", "gone"):
        make_subscriber(f"{name}@example.org")
    sink.temp_fail["slow@example.org"] = 2
    sink.perm_fail.add("gone@example.org")
    report = send_period(PERIOD_, FAST)
    assert sink.received() == {"ok@example.org": 1, "slow@example.org": 1}
    assert sink.rcpt_attempts["slow@example.org"] == 3
    assert (report.sent, report.retried, report.bounced) == (2, 2, 1)
    gone = Subscriber.objects.get(email="gone@example.org")
    assert gone.bounce_count == 1 and gone.status == Subscriber.ACTIVE
    assert Delivery.objects.get(subscriber=gone).state == Delivery.BOUNCED
    # The second bounce reaches the limit (2 here): the address is suspended and gets no more digests.
    report = send_period(periods.parse("daily:2026-07-01"), FAST)
    gone.refresh_from_db()
    assert report.suspended == 1 and gone.status == Subscriber.SUSPENDED
    send_period(periods.parse("daily:2026-07-02"), FAST)
    assert sink.rcpt_attempts["gone@example.org"] == 2


def test_temporary_failures_give_up_after_max_attempts(sink):
    make_papers(3)
    make_subscriber("busy@example.org")
    sink.temp_fail["busy@example.org"] = 100
    report = send_period(PERIOD_, FAST)
    assert report.failed == 1 and sink.rcpt_attempts["busy@example.org"] == FAST.max_attempts
    delivery = Delivery.objects.get()
    assert delivery.state == Delivery.FAILED and delivery.last_error.startswith("451")


def test_server_down_mid_run_loses_nothing_and_duplicates_nothing(sink):
    make_papers(5)
    for i in range(12):
        make_subscriber(f"d{i}@example.org")
    sink.delay = 0.05

    def outage():
        while len(sink.received()) < 4:
            time.sleep(0.005)
        sink.stop()
        time.sleep(0.5)
        sink.start()

    thread = threading.Thread(target=outage)
    thread.start()
    report = send_period(PERIOD_, SendOptions(rate=0, retry_base=0.2, retry_max_wait=20))
    thread.join()
    assert report.sent == 12
    assert sorted(sink.received().values()) == [1] * 12
    assert Delivery.objects.filter(state=Delivery.SENT).count() == 12


class _Crash(BaseException):
    """Stands for a kill mid-run: not an Exception, so nothing on the way catches it."""


def test_a_crash_while_mails_are_built_ahead_sends_each_once(sink, django_user_model, monkeypatch):
    """Mails built ahead of the one in flight are bytes in memory: a crash leaves their rows
    claimed, never marked, and a later run sends each exactly once."""
    from dailypapers.digest import personal

    make_papers(5)
    users = [django_user_model.objects.create_user(f"u{i}", f"c{i}@example.org", "pw") for i in range(12)]
    subscribers = [make_subscriber(u.email, user=u) for u in users]
    sink.delay = 0.05  # the first mail is still in flight while the next ones are built
    built = []

    def provider(user, period, count, listed):
        built.append(user.email)
        if len(built) == 7:
            raise _Crash
        return []

    monkeypatch.setattr(personal, "_provider", provider)  # the library's own provider comes back after
    with pytest.raises(_Crash):
        send_period(PERIOD_, SendOptions(rate=0, build_ahead=50))
    monkeypatch.setattr(personal, "_provider", None)
    sent = set(Delivery.objects.filter(state=Delivery.SENT).values_list("subscriber__email", flat=True))
    assert set(sink.received()) == sent and len(sent) < 6  # every mail out has its record
    assert Delivery.objects.filter(state=Delivery.CLAIMED).count() == 12 - len(sent)

    report = send_period(PERIOD_, SendOptions(rate=0, lease=0))  # the dead run's claims taken over
    assert report.sent == 12 - len(sent)
    assert sink.received() == {s.email: 1 for s in subscribers}


def test_rate_limit_spaces_sends(sink):
    make_papers(3)
    for i in range(6):
        make_subscriber(f"p{i}@example.org")
    started = time.monotonic()
    send_period(PERIOD_, SendOptions(rate=20))
    assert time.monotonic() - started >= 5 / 20
    assert len(sink.received()) == 6


def test_unsubscribed_before_the_send_gets_nothing(sink):
    from dailypapers.digest import ledger, subscriptions

    make_papers(3)
    stay = make_subscriber("stay@example.org")
    leave = make_subscriber("leave@example.org")
    ledger.plan(PERIOD_)
    subscriptions.unsubscribe(leave)
    send_period(PERIOD_, FAST)
    assert list(sink.received()) == [stay.email]
    assert Delivery.objects.get(subscriber=leave).state == Delivery.CANCELLED


def test_dry_run_and_preview_commands(sink, capsys, tmp_path):
    make_papers(4)
    make_subscriber("look@example.org", top_n=2)
    call_command("digest", "send", "--dry-run", "--period", PERIOD)
    assert "look@example.org: 2 paper(s)" in capsys.readouterr().out
    assert not Delivery.objects.exists() and not sink.received()
    call_command("digest", "preview", "look@example.org", "--period", PERIOD)
    out = capsys.readouterr().out
    assert out.startswith("Subject: 2 trending papers for Tuesday 30 June 2026") and "/papers/" in out
    target = tmp_path / "digest.html"
    call_command("digest", "preview", "look@example.org", "--period", PERIOD, "--html", str(target))
    assert "<ol" in target.read_text() and not sink.received()
    with pytest.raises(CommandError, match="No subscriber"):
        call_command("digest", "preview", "nobody@example.org")


def test_send_command_reports(sink, capsys):
    make_papers(3)
    make_subscriber("cmd@example.org")
    call_command("digest", "send", "--period", PERIOD, "--rate", "0")
    assert "daily:2026-06-30: sent 1," in capsys.readouterr().out


def test_a_hidden_paper_is_in_no_digest(sink):
    """150 of 150 digest mails contained a moderator-hidden paper."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    from dailypapers.community.moderation import set_paper_hidden
    from dailypapers.store.models import Paper

    ids = make_papers(12)
    for i in range(150):
        make_subscriber(f"h{i}@example.org", top_n=5)
    moderator = get_user_model().objects.create_user("mod", "mod@example.org", "correct horse battery")
    moderator.user_permissions.add(Permission.objects.get(codename="moderate"))
    moderator = get_user_model().objects.get(pk=moderator.pk)
    set_paper_hidden(moderator, Paper.objects.get(arxiv_id=ids[0]), True, "spam")  # the best trending paper
    assert send_period(PERIOD_, FAST).sent == 150
    with sink.lock:
        bodies = [m.get_body(("plain",)).get_content() for _, m in sink.messages]
    assert len(bodies) == 150
    assert not [b for b in bodies if f"/papers/{ids[0]}" in b]
    assert all(f"/papers/{ids[1]}" in b for b in bodies)  # the next best takes its place
