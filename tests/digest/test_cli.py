"""``paperfeed digest run|preview`` through click's runner, against a real store and SMTP."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from paperfeed.config import Settings
from paperfeed.digest.cli import digest
from paperfeed.digest.links import DigestLinks
from paperfeed.digest.settings import DigestSettings
from paperfeed.digest.subscriptions import SubscriptionService
from paperfeed.security import TokenSigner
from paperfeed.store import open_store
from paperfeed.store.subscriptions import DigestPreferences, Interests
from tests.digest.conftest import EVERY_DAY, SECRET, add_papers, day_papers
from tests.smtp_server import SMTPSink


def test_run_exits_0_when_nothing_is_due_and_sends_what_is(
    tmp_path: Path, smtp_sink: SMTPSink
) -> None:
    db = f"sqlite:///{tmp_path / 'paperfeed.db'}"
    env = {
        "PAPERFEED_VAR_DIR": str(tmp_path / "var"),
        "PAPERFEED_SMTP_URL": smtp_sink.url(),
        "PAPERFEED_MAIL_FROM": "digest@paperfeed.example",
        "PAPERFEED_PUBLIC_URL": "https://paperfeed.example",
        "PAPERFEED_SECRET_KEY": SECRET,
    }
    runner = CliRunner()
    nothing = runner.invoke(digest, ["run", "--db", db], env=env)
    assert nothing.exit_code == 0, nothing.output
    assert "0 due" in nothing.output

    with open_store(db) as store:
        settings = DigestSettings.from_settings(Settings(environ=env))
        service = SubscriptionService(store, settings, DigestLinks(TokenSigner(SECRET), settings))
        sid = service.subscribe("ada@example.org", interests=Interests(topics=("diffusion",)))
        service.confirm(service.links.confirm_token(sid.subscriber.id))
        store.set_preferences(
            sid.subscriber.id,
            DigestPreferences(weekdays=EVERY_DAY, send_hour=0, trending_only=False),
        )
        add_papers(store, day_papers(datetime.now(UTC).date(), "2605"))

    preview = runner.invoke(digest, ["preview", "ada@example.org", "--db", db], env=env)
    assert preview.exit_code == 0, preview.output
    assert "List-Unsubscribe: <https://paperfeed.example/unsubscribe?t=" in preview.output
    html = runner.invoke(digest, ["preview", "Ada@example.org", "--html", "--db", db], env=env)
    assert html.exit_code == 0 and "<!doctype html>" in html.output
    unknown = runner.invoke(digest, ["preview", "bob@example.org", "--db", db], env=env)
    assert unknown.exit_code == 1 and "no subscriber" in unknown.output

    sent = runner.invoke(digest, ["run", "--db", db], env=env)
    assert sent.exit_code == 0, sent.output
    assert "1 due" in sent.output  # (the papers are seconds old: they wait for the next)
    again = runner.invoke(digest, ["run", "--db", db], env=env)
    assert again.exit_code == 0 and "0 due" in again.output
