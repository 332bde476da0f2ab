"""Fixtures for mail tests: a real SMTP sink, a TLS certificate, mail settings."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from paperfeed.mail import MailSettings, parse_mailbox
from tests.smtp_server import SMTPSink, make_self_signed_cert


@pytest.fixture
def smtp_sink() -> Iterator[SMTPSink]:
    """A plain SMTP server on 127.0.0.1 that records what it accepts."""
    with SMTPSink() as sink:
        yield sink


@pytest.fixture(scope="session")
def tls_cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate (and key) for 127.0.0.1."""
    return make_self_signed_cert(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def make_mail(tmp_path: Path) -> Callable[..., MailSettings]:
    """Mail settings for tests: no backoff delay, short timeouts; override any field."""

    def make(**overrides: Any) -> MailSettings:
        values: dict[str, Any] = {
            "mail_from": parse_mailbox("paperfeed <digest@paperfeed.example>"),
            "public_url": "https://paperfeed.example",
            "outbox_dir": tmp_path / "var" / "outbox",
            "smtp_timeout": 5.0,
            "retry_delay": 0.0,
            "smtp_concurrency": 1,
        }
        values.update(overrides)
        return MailSettings(**values)

    return make
