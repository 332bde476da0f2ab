"""End to end: outbox -> sender -> a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from paperfeed.mail import MailSettings, enqueue, enqueue_many, open_transport, send_pending
from paperfeed.mail.smtp_transport import SMTPTransport
from paperfeed.mail.smtp_url import parse_smtp_url
from paperfeed.store import PaperStore, StoreError
from tests.mail.messages import digest
from tests.smtp_server import SMTPSink

MakeMail = Callable[..., MailSettings]


def smtp(mail: MailSettings, url: str, **changes: object) -> MailSettings:
    from dataclasses import replace

    return replace(mail, smtp_url=url, **changes)  # type: ignore[arg-type]


def test_each_message_arrives_once_with_its_headers(
    store: PaperStore, smtp_sink: SMTPSink, make_mail: MakeMail
) -> None:
    mail = smtp(make_mail(), smtp_sink.url(), smtp_concurrency=3)
    enqueue_many(store, [digest(i) for i in range(40)], mail)
    enqueue_many(store, [digest(i) for i in range(40)], mail)  # queued twice: sent once
    with open_transport(mail) as transport:
        report = send_pending(store, transport, mail)
    assert (report.sent, report.retried, report.failed) == (40, 0, 0)
    ids = smtp_sink.message_ids()
    assert len(ids) == 40 and set(ids.values()) == {1}
    by_id = {m.message_id: m for m in smtp_sink.received}
    one = by_id["<digest.7.2026-05-09@paperfeed.example>"]
    assert (
        one.recipients == ("reader7@example.org",) and one.mail_from == "digest@paperfeed.example"
    )
    assert one.message["To"] == "Reader 7 <reader7@example.org>"
    assert one.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert store.outbox_counts()["sent"] == 40
    with open_transport(mail) as transport:
        assert send_pending(store, transport, mail).attempted == 0  # nothing left


def test_starttls_with_auth_and_percent_encoded_password(
    store: PaperStore, tls_cert: tuple[Path, Path], make_mail: MakeMail
) -> None:
    with SMTPSink(tls_cert=tls_cert, credentials=("digest@x", "p@ss:w/rd")) as sink:
        url = sink.url(
            query=f"starttls=1&cafile={tls_cert[0]}", userinfo="digest%40x:p%40ss%3Aw%2Frd"
        )
        mail = smtp(make_mail(), url)
        enqueue(store, digest(1), mail)
        with open_transport(mail) as transport:
            assert send_pending(store, transport, mail).sent == 1
        assert [m.login for m in sink.received] == ["digest@x"]


def test_implicit_tls(store: PaperStore, tls_cert: tuple[Path, Path], make_mail: MakeMail) -> None:
    with SMTPSink(tls_cert=tls_cert, implicit_tls=True) as sink:
        mail = smtp(make_mail(), sink.url("smtps", query=f"cafile={tls_cert[0]}"))
        enqueue(store, digest(1), mail)
        with open_transport(mail) as transport:
            assert send_pending(store, transport, mail).sent == 1
        assert len(sink.received) == 1


def test_untrusted_certificate_stops_the_run_and_keeps_messages(
    store: PaperStore, tls_cert: tuple[Path, Path], make_mail: MakeMail
) -> None:
    with SMTPSink(tls_cert=tls_cert) as sink:
        mail = smtp(make_mail(), sink.url(query="starttls=1"))  # system CAs only
        enqueue_many(store, [digest(i) for i in range(3)], mail)
        with open_transport(mail) as transport:
            report = send_pending(store, transport, mail)
        assert report.stopped and "TLS" in report.stopped
        assert store.outbox_counts()["pending"] == 3 and not sink.received


def test_wrong_password_stops_the_run_without_revealing_it(
    store: PaperStore, tls_cert: tuple[Path, Path], make_mail: MakeMail
) -> None:
    with SMTPSink(tls_cert=tls_cert, credentials=("u", "right")) as sink:
        url = sink.url(query=f"starttls=1&cafile={tls_cert[0]}", userinfo="u:wrong-secret")
        mail = smtp(make_mail(), url)
        enqueue(store, digest(1), mail)
        with open_transport(mail) as transport:
            report = send_pending(store, transport, mail)
        assert report.stopped and "credentials" in report.stopped
        assert "wrong-secret" not in report.stopped
        entry = store.get_outbox_entry("digest.1.2026-05-09")
        assert entry is not None and entry.state == "pending" and entry.attempts == 0


@pytest.mark.parametrize("reply", ["451 4.3.0 try again later", "421 4.3.2 shutting down"])
def test_temporary_refusal_is_retried_then_delivered(
    store: PaperStore, smtp_sink: SMTPSink, make_mail: MakeMail, reply: str
) -> None:
    mail = smtp(make_mail(), smtp_sink.url())
    smtp_sink.fail(stage="RCPT", reply=reply, recipient="reader2@example.org", times=2)
    enqueue_many(store, [digest(i) for i in range(4)], mail)
    with open_transport(mail) as transport:
        report = send_pending(store, transport, mail)
    assert (report.sent, report.retried) == (4, 2)
    assert smtp_sink.message_ids()["<digest.2.2026-05-09@paperfeed.example>"] == 1
    entry = store.get_outbox_entry("digest.2.2026-05-09")
    assert entry is not None and entry.state == "sent" and entry.attempts == 3


def test_backoff_delays_the_retry(
    store: PaperStore, smtp_sink: SMTPSink, make_mail: MakeMail
) -> None:
    mail = smtp(make_mail(retry_delay=120.0), smtp_sink.url())
    smtp_sink.fail(stage="DATA", reply="452 4.3.1 mailbox full", times=1)
    enqueue(store, digest(1), mail)
    with open_transport(mail) as transport:
        report = send_pending(store, transport, mail)
    assert (report.sent, report.retried) == (0, 1)
    entry = store.get_outbox_entry("digest.1.2026-05-09")
    assert entry is not None and entry.state == "pending"
    wait = (entry.next_attempt_at - entry.created_at).total_seconds()
    assert 100 < wait < 140


def test_too_many_temporary_failures_fail_without_counting_a_bounce(
    store: PaperStore, smtp_sink: SMTPSink, make_mail: MakeMail
) -> None:
    mail = smtp(make_mail(max_attempts=3), smtp_sink.url())
    smtp_sink.fail(stage="RCPT", reply="451 4.3.0 later", times=None)
    enqueue(store, digest(1), mail)
    with open_transport(mail) as transport:
        report = send_pending(store, transport, mail)
    assert (report.retried, report.failed) == (2, 1)
    assert store.bounce_record("reader1@example.org").hard_bounces == 0


def test_hard_bounces_are_counted_then_the_address_is_suppressed(
    store: PaperStore, smtp_sink: SMTPSink, make_mail: MakeMail
) -> None:
    mail = smtp(make_mail(hard_bounce_limit=2), smtp_sink.url())
    gone = "gone@example.org"
    smtp_sink.fail(stage="RCPT", reply="550 5.1.1 no such user", recipient=gone, times=None)
    for day in ("2026-05-09", "2026-05-10"):
        enqueue_many(store, [digest(1, to=gone, period=day), digest(2, period=day)], mail)
        with open_transport(mail) as transport:
            report = send_pending(store, transport, mail)
        assert (report.sent, report.bounced) == (1, 1)
    record = store.bounce_record(gone)
    assert record.suppressed and record.hard_bounces == 2 and "550" in (record.last_error or "")
    entry = store.get_outbox_entry("digest.1.2026-05-09")
    assert entry is not None and entry.state == "failed" and entry.last_error is not None
    result = enqueue(store, digest(1, to=gone, period="2026-05-11"), mail)
    assert result.suppressed and not result.queued
    confirm = enqueue(store, digest(1, to=gone, period="c1", transactional=True), mail)
    assert confirm.queued  # a confirmation link still goes out
    store.clear_suppression(gone)  # confirmed again
    assert enqueue(store, digest(1, to=gone, period="2026-05-12"), mail).queued


def test_connection_dropped_after_data_resends_the_same_message_id(
    store: PaperStore, smtp_sink: SMTPSink, make_mail: MakeMail
) -> None:
    mail = smtp(make_mail(), smtp_sink.url())
    smtp_sink.fail(stage="DATA", reply=None, nth=3, keep_message=True)  # server kept it
    smtp_sink.fail(stage="DATA", reply=None, nth=5)  # server lost it
    enqueue_many(store, [digest(i) for i in range(6)], mail)
    with open_transport(mail) as transport:
        report = send_pending(store, transport, mail)
    assert (report.sent, report.retried) == (6, 2)
    ids = smtp_sink.message_ids()
    assert len(ids) == 6  # nothing lost
    assert sorted(ids.values()) == [1, 1, 1, 1, 1, 2]  # the one cut after the server had it
    third = smtp_sink.received[2].message_id
    assert ids[third] == 2


def test_rate_limit_and_connection_reuse(
    store: PaperStore, smtp_sink: SMTPSink, make_mail: MakeMail
) -> None:
    config = parse_smtp_url(smtp_sink.url())
    mail = make_mail(smtp_rate_limit=50.0)
    enqueue_many(store, [digest(i) for i in range(20)], mail)
    transport = SMTPTransport(config, timeout=5, rate_limit=50.0, concurrency=2)
    started = time.monotonic()
    with transport:
        assert send_pending(store, transport, mail).sent == 20
    assert time.monotonic() - started >= 19 / 50 * 0.9
    assert len(transport._open) == 0  # closed
    assert smtp_sink.state.data_count == 20


def test_second_sender_is_turned_away_by_the_lease(
    store: PaperStore, smtp_sink: SMTPSink, make_mail: MakeMail
) -> None:
    mail = smtp(make_mail(), smtp_sink.url())
    enqueue(store, digest(1), mail)
    assert store.acquire_lease("mail-sender", "another-host:123", 60)
    with open_transport(mail) as transport:
        assert send_pending(store, transport, mail).locked
    assert not smtp_sink.received


class _StoreThatFailsToRecord:
    """The store, except that recording a second sent message fails (the database went
    away mid-batch): everything else reaches the real store."""

    def __init__(self, store: PaperStore) -> None:
        self._store = store
        self.marked = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)

    def mark_outbox_sent(self, message_id: int, token: str) -> bool:
        self.marked += 1
        if self.marked == 2:
            raise StoreError("connection to the database lost")
        return self._store.mark_outbox_sent(message_id, token)


def test_nothing_more_is_sent_once_recording_fails(
    store: PaperStore, smtp_sink: SMTPSink, make_mail: MakeMail
) -> None:
    mail = smtp(make_mail(), smtp_sink.url())
    enqueue_many(store, [digest(i) for i in range(6)], mail)
    failing = _StoreThatFailsToRecord(store)
    with open_transport(mail) as transport, pytest.raises(StoreError):
        send_pending(failing, transport, mail, batch_size=6, lease=0.5)  # type: ignore[arg-type]
    assert len(smtp_sink.received) == 2  # the one recorded and the one that failed to be
    time.sleep(0.6)  # the batch's lease expires: the rest is claimed afresh
    with open_transport(mail) as transport:
        assert send_pending(store, transport, mail).sent == 5
    ids = smtp_sink.message_ids()
    assert len(ids) == 6 and sum(ids.values()) == 7  # one message twice, nothing lost


def test_a_claim_whose_lease_ran_low_is_left_for_the_next_run(
    store: PaperStore, smtp_sink: SMTPSink, make_mail: MakeMail
) -> None:
    mail = smtp(make_mail(), smtp_sink.url())
    enqueue_many(store, [digest(i) for i in range(3)], mail)
    with open_transport(mail) as transport:
        report = send_pending(store, transport, mail, lease=1e-6)
    assert report.sent == 0 and not smtp_sink.received
    with open_transport(mail) as transport:
        assert send_pending(store, transport, mail).sent == 3
