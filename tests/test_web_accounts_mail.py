"""Accounts that cannot be stranded: every mail through the outbox, a real SMTP server on loopback.

Reproductions: with the SMTP server refusing, sign-up showed a bare 500 yet
created the inactive user, nothing ever re-sent its mail, there was no "resend
confirmation", and logging in said "Please enter a correct username and password" to an
account that only lacked its confirmation; `password`, `1` and `x` were accepted.
"""

import datetime as dt
import re
import threading
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.utils import timezone

from dailypapers import ratelimit
from dailypapers.digest import outbox, schedule, worker
from dailypapers.digest.models import OutboxMail

pytestmark = pytest.mark.django_db
PASSWORD = "a long enough passphrase 42"
User = get_user_model()


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    ratelimit.reset()


def sign_up(client, name="bob", email="bob@example.org", password=PASSWORD):
    return client.post(
        "/accounts/signup", {"username": name, "email": email, "password1": password, "password2": password}
    )


def link(mail) -> str:
    body = mail.get_body(("plain",)).get_content()
    return urlsplit(re.search(r"https?://\S+", body).group(0)).path


def parts(mail) -> tuple[str, str]:
    return mail.get_body(("plain",)).get_content(), mail.get_body(("html",)).get_content()


def due_now():
    OutboxMail.objects.update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))


def test_sign_up_while_smtp_is_down_keeps_the_mail_and_the_worker_sends_it(client, sink):
    sink.stop()
    response = sign_up(client)
    page = response.content.decode()
    assert response.status_code == 200 and "The mail is on its way" in page and "within minutes" in page
    user = User.objects.get(username="bob")
    assert not user.is_active
    (mail,) = OutboxMail.objects.all()
    assert (mail.state, mail.kind, mail.to, mail.attempts) == ("pending", "confirm-account", "bob@example.org", 1)
    assert mail.next_attempt_at > timezone.now() and "Connection refused" in mail.last_error
    # Not yet due: the worker's job leaves it alone.
    assert outbox.send_due().sent == 0 and not sink.received()
    sink.start()
    due_now()
    worker.tick(dt.datetime(2026, 7, 4, 12, tzinfo=dt.timezone.utc), schedule.Schedule(), do_sync=lambda: None)
    (received,) = sink.mails_to("bob@example.org")
    text, html = parts(received)
    assert "confirm your email address" in text and "<a href=" in html and link(received) in html
    assert received["Message-ID"] == mail.headers["Message-ID"]
    assert OutboxMail.objects.get().state == "sent"
    due_now()
    assert outbox.send_due().sent == 0 and len(sink.mails_to("bob@example.org")) == 1  # never twice
    assert client.get(link(received))["Location"] == "/accounts/login"
    assert client.post("/accounts/login", {"username": "bob", "password": PASSWORD}).status_code == 302


def test_temporary_refusal_is_retried_with_back_off_and_a_permanent_one_is_said(client, sink, settings):
    settings.CONFIG = {**settings.CONFIG, "DAILYPAPERS_OUTBOX_RETRY_BASE": 10.0}
    sink.temp_fail["bob@example.org"] = 2
    sign_up(client)
    mail = OutboxMail.objects.get()
    first_wait = (mail.next_attempt_at - timezone.now()).total_seconds()
    assert mail.state == "pending" and "451" in mail.last_error and 5 < first_wait <= 10
    due_now()
    assert outbox.send_due().retry == 1
    mail.refresh_from_db()
    assert 15 < (mail.next_attempt_at - timezone.now()).total_seconds() <= 20  # doubled
    due_now()
    assert outbox.send_due().sent == 1 and len(sink.mails_to("bob@example.org")) == 1
    sink.perm_fail.add("typo@example.org")
    page = sign_up(Client(), "carol", "typo@example.org").content.decode()
    assert "refused to deliver to typo@example.org" in page
    assert OutboxMail.objects.get(to="typo@example.org").state == "failed"


def test_gives_up_after_max_attempts(client, sink, settings):
    settings.CONFIG = {**settings.CONFIG, "DAILYPAPERS_OUTBOX_MAX_ATTEMPTS": 2}
    sink.stop()
    sign_up(client)
    due_now()
    assert outbox.send_due().failed == 1
    assert OutboxMail.objects.get().state == "failed"


@pytest.mark.django_db(transaction=True)
def test_a_claimed_mail_is_sent_by_one_sender_only(sink):
    user = User.objects.create_user("dan", "dan@example.org", PASSWORD, is_active=False)
    mails = [
        outbox.enqueue(
            outbox.compose(
                "dan@example.org", f"m{i}", "web/email/confirm_account", {"username": "dan", "url": "http://x/"}
            ),
            "confirm-account",
            user,
        )
        for i in range(20)
    ]
    results = []

    def sender():
        try:
            results.append(outbox.send_due())
        finally:
            connection.close()

    threads = [threading.Thread(target=sender) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.sent for r in results) == 20
    assert len(sink.mails_to("dan@example.org")) == 20
    assert sorted(m["Subject"] for m in sink.mails_to("dan@example.org")) == sorted(m.subject for m in mails)
    assert outbox.send_now(mails[0]) == "queued"  # already sent: nothing happens


def test_login_tells_an_unconfirmed_account_what_to_do_only_after_the_right_password(client, sink):
    sign_up(client)
    generic = "Please enter a correct username and password"
    wrong = client.post("/accounts/login", {"username": "bob", "password": "not the password"}).content.decode()
    stranger = client.post("/accounts/login", {"username": "nobody", "password": PASSWORD}).content.decode()
    assert generic in wrong and generic in stranger
    assert "not confirmed" not in wrong and "bob@example.org" not in wrong
    right = client.post("/accounts/login", {"username": "bob", "password": PASSWORD}).content.decode()
    assert "not confirmed yet" in right and "bob@example.org" in right and generic not in right
    assert 'action="/accounts/confirm/resend"' in right


def test_resend_confirmation_sends_a_new_link_and_is_rate_limited(client, sink, settings, alice):
    sink.stop()
    sign_up(client)  # the first mail is stuck
    sink.start()
    response = client.post("/accounts/confirm/resend", {"email": "BOB@example.org"})
    assert response.status_code == 200 and "new confirmation link is on its way" in response.content.decode()
    (mail,) = sink.mails_to("bob@example.org")
    assert Client().get(link(mail))["Location"] == "/accounts/login"
    assert User.objects.get(username="bob").is_active
    # The same answer for a confirmed account and an unknown address, and no mail.
    for email in ("alice@example.org", "nobody@example.org", "bob@example.org"):
        page = client.post("/accounts/confirm/resend", {"email": email}).content.decode()
        assert "new confirmation link is on its way" in page
    assert len(sink.received()) == 1
    settings.MAIL_RATE = "2/3600"
    ratelimit.reset()
    codes = [
        client.post("/accounts/confirm/resend", {"email": "x@example.org"}, REMOTE_ADDR=f"10.0.0.{i}").status_code
        for i in range(3)
    ]
    assert codes == [200, 200, 429]


@pytest.mark.parametrize(
    "password, reason",
    [
        ("password", "too common"),
        ("1", "too short"),
        ("x", "too short"),
        ("8219038475610", "entirely numeric"),
        ("bob@example.org1", "too similar"),
    ],
)
def test_sign_up_refuses_weak_passwords(client, sink, password, reason):
    response = sign_up(client, password=password)
    assert response.status_code == 400 and reason in response.content.decode()
    assert not User.objects.filter(username="bob").exists() and not OutboxMail.objects.exists()


def test_reset_and_change_refuse_weak_passwords_and_reset_mail_has_both_parts(client, sink, alice, alice_client):
    client.post("/accounts/password/reset", {"email": "alice@example.org"})
    (mail,) = sink.mails_to("alice@example.org")
    text, html = parts(mail)
    assert "reset the password" in text and "Choose a new password" in html
    form_url = client.get(link(mail))["Location"]
    weak = client.post(form_url, {"new_password1": "password", "new_password2": "password"})
    assert weak.status_code == 200 and "too common" in weak.content.decode()
    change = alice_client.post(
        "/accounts/password/change",
        {"old_password": "correct horse battery", "new_password1": "12345", "new_password2": "12345"},
    )
    assert change.status_code == 200 and "too short" in change.content.decode()


def test_reset_for_an_unconfirmed_account_mails_its_confirmation(client, sink):
    sink.stop()
    sign_up(client)
    sink.start()
    client.post("/accounts/password/reset", {"email": "bob@example.org"})
    (mail,) = sink.mails_to("bob@example.org")
    assert mail["Subject"] == "Confirm your dailypapers account"


def test_email_change_mail_has_both_parts_and_waits_when_smtp_is_down(alice_client, alice, sink):
    sink.stop()
    response = alice_client.post(
        "/account/email", {"email": "new@example.org", "password": "correct horse battery"}, follow=True
    )
    assert "will be sent within minutes" in response.content.decode()
    sink.start()
    due_now()
    outbox.send_due()
    (mail,) = sink.mails_to("new@example.org")
    text, html = parts(mail)
    assert "new@example.org" in text and "Use this address" in html
    alice_client.get(link(mail))
    alice.refresh_from_db()
    assert alice.email == "new@example.org"


def test_deleting_an_account_drops_its_unsent_mail(client, sink):
    sink.stop()
    sign_up(client)
    User.objects.get(username="bob").delete()
    assert not OutboxMail.objects.exists()


def test_signing_up_with_a_registered_address_answers_the_same_and_mails_its_owner(client, sink, alice):
    page = sign_up(client, "mallory", "alice@example.org").content.decode()
    assert "Check your email" in page and "already" not in page.split("<main")[1].split("if the address")[0]
    assert not User.objects.filter(username="mallory").exists()
    (mail,) = sink.mails_to("alice@example.org")
    text, html = parts(mail)
    assert "already belongs to an account" in text and "Forgot your password?" in html


def test_moderators_see_the_mail_queue(client, sink, make_user):
    sink.stop()
    sign_up(client)
    admin_user = make_user("root", is_staff=True, is_superuser=True)
    staff = Client()
    staff.force_login(admin_user)
    page = staff.get("/admin/digest/outboxmail/?state=pending")
    assert page.status_code == 200 and "bob@example.org" in page.content.decode()
