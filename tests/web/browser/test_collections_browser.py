"""Collections in real Chromium: make a list, add a paper to it from a card, make it
public, and read it signed out in a fresh browser."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from paperfeed.community.signin import open_session
from paperfeed.store import PaperStore
from tests.browser import chromium_page, shoot
from tests.community.conftest import community_settings

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")


def test_make_a_list_add_from_a_card_share_it(
    tmp_path: Path, site: str, filled_store: PaperStore
) -> None:
    expect = playwright_api.expect
    account, _ = filled_store.get_or_create_account("ada@example.org", "Ada")
    session = open_session(filled_store, account, community_settings())
    host = urlsplit(site).hostname
    with chromium_page(tmp_path / "reader") as page:
        page.context.add_cookies(
            [{"name": "paperfeed_session", "value": session, "domain": host, "path": "/"}]
        )
        page.goto(site + "/collections")
        page.get_by_label("Name").fill("Geometry reading")
        page.get_by_role("button", name="Create list").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Geometry reading")
        list_url = page.url

        page.goto(site + "/")
        card = page.locator("article.card", has_text="Revisiting Transformation Invariant")
        card.locator("summary", has_text="Lists").click()
        card.get_by_role("combobox").select_option(label="Geometry reading")
        card.get_by_label("Note").fill("Start with section 3")
        card.get_by_role("button", name="Add to list").click()
        card = page.locator("article.card", has_text="Revisiting Transformation Invariant")
        expect(card.locator("summary")).to_have_text("Lists (1)")

        page.goto(list_url)
        expect(page.locator("article.card")).to_have_count(1)
        expect(page.get_by_label("Note on 2603.01001")).to_have_value("Start with section 3")
        page.get_by_label("Public (anyone with the link").check()
        page.get_by_role("button", name="Save changes").click()
        expect(page.get_by_text("Public list by")).to_be_visible()
        shoot(page, "collection-owner")

    with chromium_page(tmp_path / "visitor") as visitor:
        visitor.goto(list_url)
        expect(visitor.get_by_role("heading", level=1)).to_have_text("Geometry reading")
        expect(visitor.locator("article.card")).to_have_count(1)
        expect(visitor.get_by_text("Start with section 3")).to_be_visible()
        expect(visitor.get_by_role("button", name="Save changes")).to_have_count(0)
        feed = visitor.request.get(list_url + ".atom")
        assert feed.status == 200 and "Revisiting Transformation" in feed.text()
        shoot(visitor, "collection-public")
