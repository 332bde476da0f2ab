"""The file transport, SMTP URL parsing, and choosing a transport from settings."""

from __future__ import annotations

from collections.abc import Callable
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from paperfeed.config import ConfigError, Settings
from paperfeed.mail import MailSettings, enqueue_many, open_transport, send_pending
from paperfeed.mail.file_transport import FileTransport
from paperfeed.mail.smtp_transport import SMTPTransport
from paperfeed.mail.smtp_url import SMTPURLError, parse_smtp_url
from paperfeed.store import PaperStore
from tests.mail.messages import digest


def test_file_transport_writes_one_eml_per_message_id(
    store: PaperStore, make_mail: Callable[..., MailSettings]
) -> None:
    mail = make_mail()
    enqueue_many(store, [digest(i) for i in range(3)], mail)
    with open_transport(mail) as transport:
        assert isinstance(transport, FileTransport)
        assert send_pending(store, transport, mail).sent == 3
    files = sorted((mail.outbox_dir / "new").iterdir())
    assert [f.name for f in files] == [
        f"digest.{i}.2026-05-09@paperfeed.example.eml" for i in range(3)
    ]
    parsed = BytesParser(policy=policy.default).parsebytes(files[0].read_bytes())
    assert parsed["Message-ID"] == "<digest.0.2026-05-09@paperfeed.example>"
    assert not list((mail.outbox_dir / "tmp").iterdir())


def test_file_transport_retry_overwrites(tmp_path: Path) -> None:
    transport = FileTransport(tmp_path / "outbox")
    for body in (b"first\r\n", b"second\r\n"):
        transport.send("a@x.example", "b@x.example", "<m.1@x.example>", body)
    (only,) = (tmp_path / "outbox" / "new").iterdir()
    assert only.read_bytes() == b"second\n"


def test_transport_from_settings(tmp_path: Path) -> None:
    environ = {"PAPERFEED_VAR_DIR": str(tmp_path / "var")}
    file_mail = MailSettings.from_settings(Settings(environ=environ))
    assert isinstance(open_transport(file_mail), FileTransport)
    assert file_mail.outbox_dir == tmp_path / "var" / "outbox"
    assert file_mail.public_url == "http://127.0.0.1:8000"
    environ |= {
        "PAPERFEED_SMTP_URL": "smtp://u:secret@mail.example.org:587?starttls=1",
        "PAPERFEED_SMTP_CONCURRENCY": "4",
        "PAPERFEED_PUBLIC_URL": "https://papers.example.org/",
        "PAPERFEED_MAIL_FROM": "Paper Feed <digest@papers.example.org>",
    }
    mail = MailSettings.from_settings(Settings(environ=environ))
    transport = open_transport(mail)
    assert isinstance(transport, SMTPTransport) and transport.concurrency == 4
    assert mail.public_url == "https://papers.example.org"
    assert mail.mail_from.display_name == "Paper Feed"
    assert "secret" not in repr(mail) and "secret" not in transport.describe()
    with pytest.raises(ConfigError, match="mail_from"):
        MailSettings.from_settings(Settings(environ={"PAPERFEED_MAIL_FROM": "nobody"}))
    with pytest.raises(ConfigError, match="smtp_concurrency"):
        MailSettings.from_settings(Settings(environ={"PAPERFEED_SMTP_CONCURRENCY": "0"}))


def test_smtp_urls() -> None:
    plain = parse_smtp_url("smtp://localhost")
    assert (plain.host, plain.port, plain.uses_tls, plain.username) == (
        "localhost",
        25,
        False,
        None,
    )
    tls = parse_smtp_url("smtp://me%40x.org:p%40ss%2Fw%3Ad@mail.x.org:587?starttls=1")
    assert (tls.username, tls.password, tls.starttls, tls.port) == (
        "me@x.org",
        "p@ss/w:d",
        True,
        587,
    )
    assert "p@ss" not in repr(tls) and "p%40ss" not in tls.redacted_url()
    assert tls.redacted_url() == "smtp://me%40x.org:***@mail.x.org:587?starttls=1"
    implicit = parse_smtp_url("smtps://u:p@mail.x.org")
    assert (implicit.port, implicit.implicit_tls) == (465, True)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://mail.x.org", "smtp://"),
        ("smtp://", "host"),
        ("smtp://mail.x.org:99999", "malformed"),
        ("smtp://mail.x.org/path", "path"),
        ("smtp://mail.x.org?tls=1", "unknown"),
        ("smtp://mail.x.org?starttls=maybe", "0 or 1"),
        ("smtps://mail.x.org?starttls=1", "already"),
        ("smtp://u:secret@mail.x.org", "no TLS"),
    ],
)
def test_bad_smtp_urls_are_explained(url: str, problem: str) -> None:
    with pytest.raises(SMTPURLError, match=problem) as info:
        parse_smtp_url(url)
    assert "secret" not in str(info.value)
