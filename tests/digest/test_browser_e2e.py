"""End to end in real headless Chromium with a real SMTP server: subscribe through the
web form, confirm from the mail, choose the days on the manage page, receive the
digest, unsubscribe with RFC 8058's bare POST, and receive nothing more."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from paperfeed.config import Settings
from paperfeed.digest.run import run_digests
from paperfeed.digest.settings import DigestSettings
from paperfeed.store import PaperStore
from paperfeed.web import create_app
from tests.browser import chromium_page
from tests.digest.conftest import SECRET, add_papers, day_papers, digest_settings
from tests.smtp_server import SMTPSink
from tests.web.live_server import live_server

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")

PUBLIC = "https://paperfeed.example"


@pytest.fixture
def site_settings(tmp_path: Path, smtp_sink: SMTPSink) -> Settings:
    return digest_settings(tmp_path / "var", smtp_url=smtp_sink.url(), public_url=PUBLIC)


@pytest.fixture
def site(store: PaperStore, site_settings: Settings) -> Iterator[str]:
    add_papers(store, day_papers(datetime.now(UTC).date(), "2605"))
    app = create_app(site_settings, store=store, with_search=False, secret_key=SECRET)
    with live_server(app) as url:
        yield url


@pytest.fixture
def page(tmp_path: Path, site: str) -> Iterator[object]:
    with chromium_page(tmp_path / "profile") as tab:
        yield tab


def link_in(sink: SMTPSink, index: int, path: str, site: str) -> str:
    """The mail's link to ``path``, pointed at the test server instead of PUBLIC_URL."""
    message = sink.wait_for(index + 1)[index].message
    body = message.get_body(("plain",))
    assert body is not None
    found = re.search(re.escape(PUBLIC + path) + r"\?\S+", str(body.get_content()))
    assert found, f"no {path} link"
    return found.group(0).replace(PUBLIC, site)


def test_subscribe_confirm_digest_and_one_click_unsubscribe(
    page: object,
    site: str,
    store: PaperStore,
    smtp_sink: SMTPSink,
    site_settings: Settings,
) -> None:
    p: object = page
    p.goto(site + "/subscribe")  # type: ignore[attr-defined]
    p.fill("#email", "reader@example.org")  # type: ignore[attr-defined]
    p.fill("#topics", "graph neural networks")  # type: ignore[attr-defined]
    p.click("button[type=submit] >> text=Subscribe")  # type: ignore[attr-defined]
    p.wait_for_selector("text=Your subscription is pending")  # type: ignore[attr-defined]

    confirm = link_in(smtp_sink, 0, "/subscriptions/confirm", site)
    p.goto(confirm)  # type: ignore[attr-defined]
    subscriber = store.get_subscriber("reader@example.org")
    assert subscriber is not None and subscriber.status == "pending"  # a GET changes nothing
    p.click("text=Confirm my subscription")  # type: ignore[attr-defined]
    p.wait_for_selector("text=You are subscribed!")  # type: ignore[attr-defined]

    manage = p.get_attribute("#manage-link", "href")  # type: ignore[attr-defined]
    p.goto(manage.replace(PUBLIC, site))  # type: ignore[attr-defined]
    for day in range(7):
        p.check(f"input[name=weekdays][value='{day}']")  # type: ignore[attr-defined]
    p.fill("#send_hour", "0")  # type: ignore[attr-defined]
    p.fill("#timezone", "UTC")  # type: ignore[attr-defined]
    p.click("text=Save")  # type: ignore[attr-defined]
    p.wait_for_selector("text=Saved.")  # type: ignore[attr-defined]

    digest = DigestSettings.from_settings(site_settings)
    report = run_digests(store, digest, SECRET, now=datetime.now(UTC) + timedelta(minutes=1))
    assert report.queue.queued == 1
    mail = smtp_sink.wait_for(2)[1].message
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = str(mail.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    assert "matches your topic 'graph neural networks'" in text

    unsubscribe = str(mail["List-Unsubscribe"]).split(",")[0].strip(" <>").replace(PUBLIC, site)
    response = p.request.post(  # type: ignore[attr-defined]
        unsubscribe,
        data="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status == 200
    assert store.get_subscriber("reader@example.org").status == "unsubscribed"  # type: ignore[union-attr]

    run_digests(store, digest, SECRET, now=datetime.now(UTC) + timedelta(days=1, minutes=1))
    time.sleep(0.5)
    assert len(smtp_sink.received) == 2  # nothing more arrives
