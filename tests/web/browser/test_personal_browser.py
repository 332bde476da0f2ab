"""The personal pages in real headless Chromium: rate from a card, follow from an author
page, import a .bib from the account page, and the For-you tab with its reasons."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from paperfeed.community.signin import open_session
from paperfeed.config import Settings
from paperfeed.store import PaperStore
from paperfeed.web import create_app
from tests.browser import chromium_page, shoot
from tests.community.conftest import community_settings
from tests.web.conftest import SECRET
from tests.web.live_server import live_server
from tests.web.taste import GRAPHS, LATTICE, add_taste_papers

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")

BIB = """@article{lattice,
  title = {Lattice gauge theory and confinement in string dualities},
  author = {LeCun, Yann}, year = {2026}}
@article{lost, title = {A paper this site does not have}, year = {1999}}
"""


@pytest.fixture
def taste_site(filled_store: PaperStore, settings: Settings) -> Iterator[str]:
    add_taste_papers(filled_store)
    app = create_app(settings, store=filled_store, secret_key=SECRET, cache_stale_for=0)
    with live_server(app) as url:
        yield url


@pytest.fixture
def reader_page(tmp_path: Path, taste_site: str, filled_store: PaperStore) -> Iterator[object]:
    """A Chromium tab signed in as ada (the session cookie a sign-in link would set)."""
    account, _ = filled_store.get_or_create_account("ada@example.org", "ada")
    session = open_session(filled_store, account, community_settings())
    with chromium_page(tmp_path / "profile") as tab:
        tab.context.add_cookies(
            [{"name": "paperfeed_session", "value": session, "url": taste_site}]
        )
        yield tab


def _card(page: object, paper_id: str) -> object:
    return page.locator("article.card", has=page.locator(f'a[href="/papers/{paper_id}"]'))  # type: ignore[attr-defined]


def test_rate_from_a_card(reader_page: object, taste_site: str) -> None:
    page = reader_page
    expect = playwright_api.expect
    page.goto(taste_site + "/")  # type: ignore[attr-defined]
    card = _card(page, LATTICE)
    card.get_by_role("button", name="More like this").click()  # type: ignore[attr-defined]
    expect(_card(page, LATTICE).get_by_role("button", name="More like this ✓")).to_have_attribute(  # type: ignore[attr-defined]
        "aria-pressed", "true"
    )
    _card(page, GRAPHS).get_by_role("button", name="Not for me").click()  # type: ignore[attr-defined]
    page.wait_for_load_state()  # type: ignore[attr-defined]
    expect(_card(page, GRAPHS)).to_have_count(0)
    shoot(page, "rated-cards")


def test_follow_from_an_author_page(reader_page: object, taste_site: str) -> None:
    page = reader_page
    expect = playwright_api.expect
    page.goto(taste_site + "/")  # type: ignore[attr-defined]
    _card(page, LATTICE).get_by_role("link", name="Yann LeCun").click()  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", level=1)).to_have_text("Yann LeCun")  # type: ignore[attr-defined]
    expect(page.locator("article.card")).to_have_count(2)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Follow").click()  # type: ignore[attr-defined]
    expect(page.get_by_role("button", name="Following ✓")).to_be_visible()  # type: ignore[attr-defined]
    shoot(page, "author")
    page.goto(taste_site + "/account")  # type: ignore[attr-defined]
    expect(page.locator("#follows .follow-author")).to_contain_text("Yann LeCun")  # type: ignore[attr-defined]


def test_import_a_bib_from_the_account_page(
    reader_page: object, taste_site: str, tmp_path: Path
) -> None:
    page = reader_page
    expect = playwright_api.expect
    library = tmp_path / "library.bib"
    library.write_text(BIB, encoding="utf-8")
    page.goto(taste_site + "/account")  # type: ignore[attr-defined]
    page.get_by_label("File").set_input_files(str(library))  # type: ignore[attr-defined]
    page.get_by_role("button", name="Import").click()  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", level=1)).to_have_text("Matched 1 paper")  # type: ignore[attr-defined]
    expect(page.locator("ul.unmatched")).to_contain_text("A paper this site does not have")  # type: ignore[attr-defined]
    shoot(page, "library-imported")


def test_the_for_you_tab_with_reasons(reader_page: object, taste_site: str) -> None:
    page = reader_page
    expect = playwright_api.expect
    page.goto(taste_site + "/")  # type: ignore[attr-defined]
    page.get_by_role("navigation", name="Main").get_by_role("link", name="For you").click()  # type: ignore[attr-defined]
    expect(page.get_by_text("Nothing to learn from yet.")).to_be_visible()  # type: ignore[attr-defined]
    page.goto(taste_site + "/account")  # type: ignore[attr-defined]
    page.get_by_label("Follow", exact=True).select_option("category")  # type: ignore[attr-defined]
    page.get_by_label("Name, category or topic").fill("hep-lat")  # type: ignore[attr-defined]
    page.locator("form.follow-add").get_by_role("button", name="Follow").click()  # type: ignore[attr-defined]
    page.get_by_role("navigation", name="Main").get_by_role("link", name="For you").click()  # type: ignore[attr-defined]
    first = page.locator("article.card").first  # type: ignore[attr-defined]
    expect(first).to_contain_text("Lattice gauge theory")
    expect(first.locator(".card-reasons")).to_contain_text("hep-lat, which you follow")
    shoot(page, "for-you")
