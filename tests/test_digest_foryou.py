"""The digest's "for you" section: a signed-in reader's own picks ride along in the
mail, with their reasons, never a paper the mail already lists, one they marked not interested
or one they saved; an address without an account, or a reader without signals, gets none."""

import pytest
from django.core.cache import cache

from dailypapers.community.models import Vote
from dailypapers.digest import periods
from dailypapers.digest.models import Subscriber
from dailypapers.digest.sender import SendOptions, send_period
from dailypapers.library import foryou, textspace
from tests.test_library_foryou import DAY, _world

pytestmark = pytest.mark.django_db
FAST = SendOptions(rate=0, retry_base=0.05, retry_max_wait=10, max_attempts=4, bounce_limit=2)


@pytest.fixture(autouse=True)
def fresh(settings, tmp_path):
    settings.CONFIG = {**settings.CONFIG, "DAILYPAPERS_HOME": tmp_path, "DAILYPAPERS_RECS_FIT_IN_WEB": False}
    textspace._memo.clear()
    textspace._fitting = None
    foryou._CANDIDATE_MEMO.clear()
    cache.clear()


def _parts(mail) -> tuple[str, str]:
    return mail.get_body(("plain",)).get_content(), mail.get_body(("html",)).get_content()


def test_a_readers_digest_has_their_picks_with_reasons(sink, alice, alice_client):
    liked, graph, vision, coauthor, hidden = _world()
    textspace.fit()
    Vote.objects.create(user=alice, paper=liked[0])
    alice_client.post(f"/papers/{liked[1].arxiv_id}/save", {})
    alice_client.post(f"/papers/{hidden.arxiv_id}/signal", {"not_interested": "1"})
    alice_client.post(f"/papers/{graph.arxiv_id}/save", {"new_name": "Already"})
    # The mail's own list is the day's top paper (the vision paper, 50 upvotes).
    Subscriber.objects.create(email=alice.email, status="active", top_n=1, user=alice)
    Subscriber.objects.create(email="stranger@example.org", status="active", top_n=1)

    report = send_period(periods.parse(f"daily:{DAY}"), FAST)
    assert report.sent == 2

    text, html = _parts(sink.mails_to(alice.email)[0])
    assert "For you (from what you voted for and saved)" in text and ">For you <" in html
    section = text.split("For you (from what you voted for and saved)")[1]
    assert coauthor.title in section and f"http://testserver/papers/{coauthor.arxiv_id}" in section
    assert "Why: by Grace Hopper, who wrote 1 paper you liked" in section
    assert "Why: by Grace Hopper, who wrote 1 paper you liked" in html
    # Already in the mail's list, saved, or marked not interested: never a pick.
    assert vision.title in text and vision.title not in section
    assert graph.title not in section and hidden.title not in text and hidden.title not in html

    text, html = _parts(sink.mails_to("stranger@example.org")[0])
    assert vision.title in text and "For you" not in text and "For you" not in html


def test_no_picks_before_the_reader_has_signals(sink, alice):
    _world()
    textspace.fit()
    Subscriber.objects.create(email=alice.email, status="active", top_n=1, user=alice)
    assert send_period(periods.parse(f"daily:{DAY}"), FAST).sent == 1
    text, html = _parts(sink.mails_to(alice.email)[0])
    assert "Image segmentation" in text and "For you" not in text and "For you" not in html
