"""kill -9 the sender at random moments: nothing is lost, duplicates only when cut.

A child process sends to a real SMTP server; it is SIGKILLed whenever a random number
of further messages has arrived, and restarted, until it finishes on its own. With one
connection, each kill can cut at most one SMTP transaction, so at most one message per
kill may arrive twice (with the same Message-ID), and every message arrives.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from paperfeed.mail import MailSettings, enqueue_many
from paperfeed.store import open_store
from tests.mail.messages import digest
from tests.smtp_server import SMTPSink

ROOT = Path(__file__).parents[2]
MESSAGES = 400
KILLS = 8


def _start(database_url: str, smtp_url: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.mail.sender_child", database_url, smtp_url],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


@pytest.mark.slow
def test_kill_9_never_loses_and_only_repeats_cut_transactions(
    tmp_path: Path, smtp_sink: SMTPSink, make_mail: Callable[..., MailSettings]
) -> None:
    database_url = f"sqlite:///{tmp_path / 'paperfeed.db'}"
    with open_store(database_url) as store:
        enqueue_many(store, [digest(i) for i in range(MESSAGES)], make_mail())
    rng = random.Random(5)
    kills = 0
    while True:
        child = _start(database_url, smtp_sink.url())
        if kills < KILLS:
            target = len(smtp_sink.received) + rng.randint(5, 30)
            deadline = time.monotonic() + 30
            while len(smtp_sink.received) < target and child.poll() is None:
                assert time.monotonic() < deadline, "the sender made no progress"
                time.sleep(rng.uniform(0.0, 0.003))
            if child.poll() is None:
                child.send_signal(signal.SIGKILL)
                child.wait()
                kills += 1
                continue
        assert child.wait(timeout=60) == 0
        break
    ids = smtp_sink.message_ids()
    expected = {f"<digest.{i}.2026-05-09@paperfeed.example>" for i in range(MESSAGES)}
    assert set(ids) == expected  # nothing lost, nothing invented
    duplicates = sum(count - 1 for count in ids.values())
    print(f"kills={kills} duplicates={duplicates}")
    assert kills == KILLS
    assert duplicates <= kills
    with open_store(database_url) as store:
        assert store.outbox_counts()["sent"] == MESSAGES
