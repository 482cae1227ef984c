"""Exactly once across processes: a sender killed mid-batch and restarted, and two senders at once.

Real `dailypapers digest send` processes against a real SMTP server; the database is a fresh
one other processes can open (a SQLite file, or a new PostgreSQL database under DATABASE_URL).
"""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from digest_data import PERIOD, ROOT, cli, external_database, run_cli, run_python
from smtp_sink import SmtpSink

PRELUDE = (
    "import sys, django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'dailypapers.settings'); django.setup()\n"
)


@pytest.fixture
def world(tmp_path):
    sink = SmtpSink().start()
    with external_database(tmp_path) as env:
        env.update(sink.env())
        yield env, sink
    sink.stop()


def seed(env, subscribers: int) -> list[str]:
    run_python(env, f"import digest_data; digest_data.seed({subscribers})")
    return [f"s{i}@example.org" for i in range(subscribers)]


def start_sender(env) -> subprocess.Popen:
    return subprocess.Popen(
        cli("digest", "send", "--period", PERIOD),
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def ledger_states(env) -> str:
    code = (
        "from dailypapers.digest.models import Delivery; from collections import Counter; "
        "print(sorted(Counter(Delivery.objects.values_list('state', flat=True)).items()))"
    )
    return run_python(env, code).stdout.strip()


def test_sender_killed_mid_batch_then_restarted_sends_each_mail_once(world):
    env, sink = world
    emails = seed(env, 20)
    sink.delay = 0.15
    sender = start_sender(env)
    deadline = time.monotonic() + 60
    # Kill while the sender waits for the server's reply to a message's DATA (slow sink):
    # that message was never accepted, and the batch it belongs to is claimed.
    while not (len(sink.received()) >= 5 and sink.in_data):
        assert sender.poll() is None and time.monotonic() < deadline, sender.communicate()
        time.sleep(0.002)
    os.kill(sender.pid, signal.SIGKILL)
    sender.wait()
    killed_at = len(sink.received())
    assert 5 <= killed_at < 20
    assert "('claimed'," in ledger_states(env)  # the dead sender's claims are still there

    sink.delay = 0
    restarted = run_cli(env, "digest", "send", "--period", PERIOD)
    assert f"sent {20 - killed_at}," in restarted.stdout, restarted.stdout + restarted.stderr
    assert sink.received() == {email: 1 for email in emails}
    assert ledger_states(env) == "[('sent', 20)]"
    # Run again: nothing left to send.
    assert "sent 0," in run_cli(env, "digest", "send", "--period", PERIOD).stdout
    assert sum(sink.received().values()) == 20


def test_two_senders_started_at_once_send_each_mail_once(world):
    env, sink = world
    emails = seed(env, 60)
    sink.delay = 0.01
    senders = [start_sender(env) for _ in range(2)]
    outputs = [s.communicate(timeout=120) for s in senders]
    assert [s.returncode for s in senders] == [0, 0], outputs
    assert sink.received() == {email: 1 for email in emails}
    sent = [int(out.split("sent ")[1].split(",")[0]) for out, _ in outputs]
    assert sum(sent) == 60, outputs
    assert ledger_states(env) == "[('sent', 60)]"
    # The same Message-ID for one (subscriber, period), unique across subscribers.
    ids = {m["Message-ID"] for _, m in sink.messages}
    assert len(ids) == 60


def test_wrong_settings_fail_before_anything_is_claimed(world):
    env, sink = world
    seed(env, 3)
    sink.stop()
    result = run_cli(env, "digest", "send", "--period", PERIOD, check=False)
    assert result.returncode != 0
    assert result.stderr.strip().startswith("dailypapers: Cannot open an SMTP connection to 127.0.0.1:")
    assert len(result.stderr.strip().splitlines()) == 1
    assert ledger_states(env) == "[]"


def test_workers_option_sends_each_mail_once_across_its_processes(world):
    env, sink = world
    emails = seed(env, 90)
    sink.delay = 0.02
    result = run_cli(env, "digest", "send", "--period", PERIOD, "--workers", "3", "--json")
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["sent"] == 90 and report["planned"] == 90, result.stdout + result.stderr
    assert sink.received() == {email: 1 for email in emails}
    assert ledger_states(env) == "[('sent', 90)]"
    code = (
        "from dailypapers.digest.models import Delivery; "
        "print(len(set(Delivery.objects.values_list('claimed_by', flat=True))))"
    )
    assert int(run_python(env, code).stdout) >= 2  # the work was shared
    # Each mail's links are its own subscriber's, whichever process sent it.
    ids = {m["Message-ID"] for _, m in sink.messages}
    assert len(ids) == 90
    check = (
        "from dailypapers.digest import tokens; import sys; "
        "pairs = [l.split() for l in sys.stdin.read().splitlines()]; "
        "print(all(tokens.read_token(t, tokens.MANAGE).email == e for e, t in pairs))"
    )
    pairs = "\n".join(
        f"{rcpt} {m['List-Unsubscribe'].strip().strip('<>').rsplit('/', 1)[1]}" for rcpt, m in sink.messages
    )
    assert (
        subprocess.run(
            [sys.executable, "-c", PRELUDE + check],
            input=pairs,
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        == "True"
    )


def test_workers_option_with_wrong_settings_fails_once_before_claiming(world):
    env, sink = world
    seed(env, 3)
    sink.stop()
    result = run_cli(env, "digest", "send", "--period", PERIOD, "--workers", "2", check=False)
    assert result.returncode != 0
    assert result.stderr.strip().startswith("dailypapers: Cannot open an SMTP connection to 127.0.0.1:")
    assert ledger_states(env) == "[]"
