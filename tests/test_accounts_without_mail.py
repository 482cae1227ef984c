"""An instance with no mail server (DAILYPAPERS_EMAIL_HOST empty, the default): newcomers still
sign up, confirm and log in; every page says where the mail went; nothing changes where a mail
server is configured. Also: every absolute link comes from the one base address."""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest
from django.contrib.auth.models import User
from django.core import mail as django_mail
from django.test import Client

from dailypapers import config
from dailypapers.digest import outbox, worker
from dailypapers.digest.mailer import MailConfigError, has_mail_server, open_checked
from dailypapers.digest.models import OutboxMail, Subscriber
from tests.web_fixtures import feature

pytestmark = pytest.mark.django_db
PASSWORD = "a long enough passphrase 42"
CONFIRM = re.compile(r"http://\S+/accounts/confirm/\S+")


@pytest.fixture
def no_mail_server(settings):
    """Settings as an instance that configured no mail: Django's SMTP backend with no host."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = ""
    assert not has_mail_server()
    return settings


def sign_up(client: Client, name: str = "newcomer"):
    return client.post(
        "/accounts/signup",
        {"username": name, "email": f"{name}@example.org", "password1": PASSWORD, "password2": PASSWORD},
    )


def test_without_a_mail_server_a_newcomer_signs_up_confirms_and_logs_in(client, no_mail_server, caplog):
    with caplog.at_level(logging.WARNING, logger="dailypapers.mail"):
        page = sign_up(client).content.decode()

    # Before: "Our mail server did not take the mail ... it will arrive within minutes ... nothing else needs doing."
    assert "within minutes" not in page and "nothing else needs doing" not in page
    assert "no mail server configured" in page and "Outbox mails" in page and "make run" in page
    kept = OutboxMail.objects.get(kind="confirm-account")
    assert kept.state == OutboxMail.KEPT and kept.attempts == 1
    printed = [r.getMessage() for r in caplog.records if "newcomer@example.org" in r.getMessage()]
    assert len(printed) == 1 and "kept in the outbox" in printed[0]
    link = CONFIRM.search(printed[0]).group(0)
    assert link in kept.text  # the admin's outbox and the terminal hold the same link

    assert outbox.send_due().sent == 0  # the worker never tries SMTP, nor prints it again
    assert OutboxMail.objects.get(pk=kept.pk).state == OutboxMail.KEPT
    assert "Your email address is confirmed" in client.get(link, follow=True).content.decode()
    assert client.login(username="newcomer", password=PASSWORD)


def test_the_other_mail_pages_say_where_the_mail_went(client, no_mail_server, make_user):
    User.objects.create_user("waiting", "waiting@example.org", PASSWORD, is_active=False)
    page = client.post("/accounts/confirm/resend", {"email": "waiting@example.org"}).content.decode()
    assert "no mail server configured" in page and "within minutes" not in page
    make_user("bob")
    page = client.post("/accounts/password/reset", {"email": "bob@example.org"}, follow=True).content.decode()
    assert "no mail server configured" in page and "we sent it a link" not in page
    assert OutboxMail.objects.filter(kind="password-reset", state=OutboxMail.KEPT).count() == 1
    page = client.post("/digest/subscribe", {"email": "reader@example.org", "frequency": "daily"}).content.decode()
    assert "no mail server configured" in page


def test_with_a_mail_server_nothing_changes(client, sink, caplog):
    assert has_mail_server()
    with caplog.at_level(logging.WARNING, logger="dailypapers.mail"):
        page = sign_up(client).content.decode()
    assert "Check your email" in page and "no mail server" not in page
    assert OutboxMail.objects.get(kind="confirm-account").state == OutboxMail.SENT
    assert len(sink.mails_to("newcomer@example.org")) == 1
    assert not any("accounts/confirm" in r.getMessage() for r in caplog.records)  # links only go by mail
    assert not User.objects.get(username="newcomer").is_active  # confirming is still required


def test_without_a_mail_server_digests_and_alerts_are_not_attempted(no_mail_server, make_user):
    from dailypapers.cli import jobs
    from dailypapers.digest import schedule

    with pytest.raises(MailConfigError, match="No mail server is configured"):
        open_checked()  # `digest send` says so in one sentence instead of trying 127.0.0.1:25
    Subscriber.objects.create(email="reader@example.org", status=Subscriber.ACTIVE, frequency="daily")
    plan = schedule.Schedule.from_config(no_mail_server.CONFIG)
    synced = []
    assert worker.tick(dt.datetime.now(dt.timezone.utc), plan, do_sync=lambda: synced.append(1)) == []
    assert synced == [1]  # the rest of the round still runs
    assert "searches" not in jobs.run_jobs() and not django_mail.outbox


def test_a_reader_previews_the_digest_on_the_site(alice_client, alice):
    feature(dt.date(2026, 8, 21), 3, upvotes=5, title="Diffusion for proteins")
    page = alice_client.get("/account").content.decode()
    assert "/account/digest/preview" not in page
    alice_client.post("/account/digest", {"frequency": "daily", "top_n": "5"})
    assert "/account/digest/preview" in alice_client.get("/account").content.decode()
    # The newest list is months old: the preview shows that list's digest rather than an empty one.
    page = alice_client.get("/account/digest/preview").content.decode()
    assert "daily:2026-08-21" in page and "Diffusion for proteins" in page
    assert Client().get("/account/digest/preview").status_code == 302  # logged-in readers only


# -- one base address for every absolute link -------------------------------------------------


def test_share_and_saved_search_links_come_from_the_base_address_not_the_host(alice_client, alice, settings):
    from dailypapers.library.models import Collection, SavedSearch

    settings.BASE_URL = "https://papers.example.org"
    paper = feature(dt.date(2026, 8, 21), 1)[0]
    alice_client.post(f"/papers/{paper.arxiv_id}/save", {})
    collection = Collection.objects.get(user=alice)
    alice_client.post(f"/library/{collection.pk}/share", {"share": "1"})
    collection.refresh_from_db()
    elsewhere = {"HTTP_HOST": "localhost:9999"}  # an allowed host, another port
    page = alice_client.get(f"/library/{collection.pk}", **elsewhere).content.decode()
    assert f"https://papers.example.org/shared/{collection.share_token}" in page
    assert "localhost:9999" not in page
    saved = SavedSearch.objects.create(user=alice, name="Folding", query="protein folding", feed_token="f" * 40)
    page = alice_client.get(f"/searches/{saved.pk}", **elsewhere).content.decode()
    assert f"https://papers.example.org/searches/feed/{saved.feed_token}" in page
    assert "localhost:9999" not in page


def test_the_base_address_is_the_setting_else_the_served_address_else_the_default(tmp_path):
    values = {"DAILYPAPERS_BASE_URL": "", "DAILYPAPERS_HOME": tmp_path}
    assert config.base_url(values) == "http://127.0.0.1:8000"
    config.record_served_url(tmp_path, config.served_url("127.0.0.1", 8100, []))
    assert config.base_url(values) == "http://127.0.0.1:8100"
    assert config.base_url({**values, "DAILYPAPERS_BASE_URL": "https://papers.example.org/"}) == (
        "https://papers.example.org"
    )
    assert config.served_url("0.0.0.0", 8100, ["*", ".example.org", "papers.example.org"]) == (
        "http://papers.example.org:8100"
    )
    assert config.served_url("::1", 8100, []) == "http://[::1]:8100"
