"""``paperfeed mail send|status|test`` through click's runner, against real parts."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from paperfeed.mail import MailSettings, enqueue_many
from paperfeed.mail.cli import mail
from paperfeed.store import open_store
from tests.mail.messages import digest
from tests.smtp_server import SMTPSink


def test_send_status_and_test_commands(tmp_path: Path, smtp_sink: SMTPSink) -> None:
    db = f"sqlite:///{tmp_path / 'var' / 'paperfeed.db'}"
    env = {
        "PAPERFEED_VAR_DIR": str(tmp_path / "var"),
        "PAPERFEED_SMTP_URL": smtp_sink.url(),
        "PAPERFEED_MAIL_FROM": "digest@paperfeed.example",
    }
    from paperfeed.config import Settings

    with open_store(db) as store:
        settings = MailSettings.from_settings(Settings(environ=env))
        enqueue_many(store, [digest(i) for i in range(3)], settings)
    runner = CliRunner()
    status = runner.invoke(mail, ["status", "--json", "--db", db], env=env)
    assert status.exit_code == 0, status.output
    assert json.loads(status.output) == {"pending": 3, "sending": 0, "sent": 0, "failed": 0}
    sent = runner.invoke(mail, ["send", "--db", db], env=env)
    assert sent.exit_code == 0, sent.output
    assert "sent 3" in sent.output and smtp_sink.url() in sent.output
    again = runner.invoke(mail, ["send", "--db", db], env=env)
    assert again.exit_code == 0 and "sent 0" in again.output
    test = runner.invoke(mail, ["test", "me@example.org", "--db", db], env=env)
    assert test.exit_code == 0, test.output
    assert smtp_sink.received[-1].recipients == ("me@example.org",)
    plain = runner.invoke(mail, ["status", "--db", db], env=env)
    assert "sent     4" in plain.output


def test_errors_are_one_line(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'paperfeed.db'}"
    env = {"PAPERFEED_VAR_DIR": str(tmp_path), "PAPERFEED_SMTP_URL": "smtp://u:pw@host.example"}
    runner = CliRunner()
    result = runner.invoke(mail, ["test", "me@example.org", "--db", db], env=env)
    assert result.exit_code == 1 and "no TLS" in result.output and "pw" not in result.output
    bad = runner.invoke(
        mail, ["test", "not-an-address", "--db", db], env={"PAPERFEED_VAR_DIR": str(tmp_path)}
    )
    assert bad.exit_code == 1 and "not an email address" in bad.output
