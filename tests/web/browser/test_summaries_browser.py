"""In real Chromium: a card shows its TL;DR under the title, and a keyword link leads to
a keyword search for that phrase."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from paperfeed.config import Settings
from paperfeed.store import PaperStore
from paperfeed.summaries.refresh import summarize_pending
from paperfeed.web import create_app
from tests.browser import chromium_page
from tests.web.conftest import SECRET
from tests.web.live_server import live_server

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def site(filled_store: PaperStore, settings: Settings) -> Iterator[str]:
    summarize_pending(filled_store)
    app = create_app(settings, store=filled_store, secret_key=SECRET, cache_stale_for=0)
    with live_server(app) as url:
        yield url


@pytest.fixture
def page(tmp_path: Path, site: str) -> Iterator[object]:
    with chromium_page(tmp_path / "profile") as tab:
        yield tab


def test_a_card_shows_the_tldr_and_its_keyword_links_search(
    page: object, site: str, filled_store: PaperStore
) -> None:
    stored = filled_store.get_paper("2603.01003")
    assert stored is not None and stored.tldr and stored.keywords
    expect = playwright_api.expect
    page.goto(site + "/")  # type: ignore[attr-defined]
    card = page.locator("article.card", has_text="Knowledge Graph Embedding")  # type: ignore[attr-defined]
    tldr = card.locator("p.card-tldr")
    expect(tldr).to_be_visible()
    expect(tldr).to_contain_text(stored.tldr)
    title_box = card.locator(".card-title").bounding_box()
    assert tldr.bounding_box()["y"] > title_box["y"]  # under the title
    keyword = stored.keywords[0]
    card.get_by_role("link", name=keyword, exact=True).click()
    page.wait_for_load_state()  # type: ignore[attr-defined]
    query = parse_qs(urlsplit(page.url).query)  # type: ignore[attr-defined]
    assert query == {"q": [f'"{keyword}"'], "mode": ["keyword"]}
    expect(page.get_by_role("searchbox", name="Search papers")).to_have_value(f'"{keyword}"')  # type: ignore[attr-defined]
    heading = page.get_by_role("heading", level=1).text_content()  # type: ignore[attr-defined]
    if heading == "Search is not available":
        pytest.skip("no search service installed: the page says so")
    expect(page.locator("article.card").first).to_be_visible()  # type: ignore[attr-defined]
