"""Several sender processes share one outbox on PostgreSQL: each message goes out once."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from paperfeed.mail import MailSettings, enqueue_many, parse_mailbox
from paperfeed.store import open_store
from tests.mail.messages import digest
from tests.postgres.conftest import restart_server, start_child
from tests.smtp_server import SMTPSink

pytestmark = pytest.mark.postgresql_only
MESSAGES = 120


def _mail() -> MailSettings:
    return MailSettings(
        mail_from=parse_mailbox("digest@paperfeed.example"),
        public_url="https://paperfeed.example",
        outbox_dir=Path("unused"),
    )


def _fill(url: str) -> set[str]:
    with open_store(url) as store:
        enqueue_many(store, [digest(i) for i in range(MESSAGES)], _mail())
    return {f"<digest.{i}.2026-05-09@paperfeed.example>" for i in range(MESSAGES)}


def _wait(children: list[subprocess.Popen[bytes]], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    for child in children:
        assert child.wait(timeout=max(1, deadline - time.monotonic())) == 0


def test_four_claimers_never_take_the_same_message(store_url: str, smtp_sink: SMTPSink) -> None:
    expected = _fill(store_url)
    children = [
        start_child("tests.postgres.claimer_child", store_url, smtp_sink.host, str(smtp_sink.port))
        for _ in range(4)
    ]
    _wait(children)
    ids = smtp_sink.message_ids()
    assert set(ids) == expected
    assert max(ids.values()) == 1
    with open_store(store_url) as store:
        assert store.outbox_counts()["sent"] == MESSAGES


def test_four_senders_send_every_digest_once(store_url: str, smtp_sink: SMTPSink) -> None:
    expected = _fill(store_url)
    children = [
        start_child("tests.mail.sender_child", store_url, smtp_sink.url()) for _ in range(4)
    ]
    _wait(children)
    ids = smtp_sink.message_ids()
    assert set(ids) == expected
    assert max(ids.values()) == 1


@pytest.mark.slow
def test_a_server_restart_while_sending_loses_nothing(store_url: str, smtp_sink: SMTPSink) -> None:
    expected = _fill(store_url)
    children = [
        start_child("tests.mail.sender_child", store_url, smtp_sink.url()) for _ in range(2)
    ]
    deadline = time.monotonic() + 30
    while len(smtp_sink.received) < MESSAGES // 4:
        assert time.monotonic() < deadline, "the senders made no progress"
        time.sleep(0.01)
    restart_server()
    _wait(children, timeout=120)
    ids = smtp_sink.message_ids()
    assert set(ids) == expected
    # A message accepted by the server just as the database went away may be sent again
    # once its lease expires (same Message-ID); nothing is lost.
    assert sum(count - 1 for count in ids.values()) <= 2
