"""Sign in from a real headless Chromium with the link from a real SMTP server, upvote,
save, and see the paper trend; screenshots of the trending page and the account."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from paperfeed.community.scoring import TrendingModel
from paperfeed.community.trending_ranking import trending_rows
from paperfeed.store import PaperStore
from paperfeed.web import create_app
from tests.browser import chromium_page, shoot
from tests.community.web_helpers import app_settings, mailed_link
from tests.smtp_server import SMTPSink
from tests.web.conftest import SECRET, sample_papers
from tests.web.live_server import live_server

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def mail_sink() -> Iterator[SMTPSink]:
    with SMTPSink() as sink:
        yield sink


@pytest.fixture
def site(store: PaperStore, tmp_path: Path, mail_sink: SMTPSink) -> Iterator[str]:
    store.upsert_papers(sample_papers(), source="jsonl")
    settings = app_settings(tmp_path, smtp_url=mail_sink.url(), public_url="")
    app = create_app(settings, store=store, with_search=False, secret_key=SECRET, cache_stale_for=0)
    with live_server(app) as url:
        yield url


@pytest.fixture
def page(tmp_path: Path, site: str) -> Iterator[object]:
    with chromium_page(tmp_path / "profile") as tab:
        yield tab


def test_sign_in_by_email_then_upvote_and_save(
    page: object, site: str, mail_sink: SMTPSink, store: PaperStore, model: TrendingModel
) -> None:
    expect = playwright_api.expect
    page.goto(site + "/trending")  # type: ignore[attr-defined]
    page.get_by_role("link", name="Sign in").first.click()  # type: ignore[attr-defined]
    page.get_by_label("Email address").fill("Ada@Example.org")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Email me a sign-in link").click()  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")  # type: ignore[attr-defined]

    link = urlsplit(mailed_link(mail_sink))  # made with public_url: open it on this site
    page.goto(f"{site}{link.path}?{link.query}")  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in as ada@example.org")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Sign in").click()  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", level=1)).to_have_text("Signed in as ada")  # type: ignore[attr-defined]
    shoot(page, "account")

    page.goto(site + "/papers/2603.01003")  # type: ignore[attr-defined]
    vote = page.locator("button.vote-button")  # type: ignore[attr-defined]
    expect(vote).to_have_attribute("aria-pressed", "false")
    vote.click()
    expect(page.locator("button.vote-button")).to_have_attribute("aria-pressed", "true")  # type: ignore[attr-defined]
    expect(page.locator(".votes-count")).to_have_text("8")  # type: ignore[attr-defined]  # 7 on HF + 1
    page.get_by_role("button", name="Save").click()  # type: ignore[attr-defined]
    expect(page.get_by_role("button", name="Saved")).to_be_visible()  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name="Why it trends")).to_be_visible()  # type: ignore[attr-defined]

    page.goto(site + "/trending?window=today")  # type: ignore[attr-defined]
    first = page.locator("article.card").first  # type: ignore[attr-defined]
    expect(first).to_contain_text("Knowledge Graph Embedding by Normalizing Flows")
    expect(first.locator(".score")).to_contain_text("score 1.50")
    shoot(page, "trending")
    page.goto(site + "/saved")  # type: ignore[attr-defined]
    expect(page.locator("article.card")).to_have_count(1)  # type: ignore[attr-defined]

    # Signing out ends the session for good.
    page.goto(site + "/account")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Sign out").click()  # type: ignore[attr-defined]
    expect(page.get_by_role("link", name="Sign in").first).to_be_visible()  # type: ignore[attr-defined]
    row = trending_rows(store, ["2603.01003"], model)["2603.01003"]
    assert (row.upvotes, row.saves) == (1, 1)
