"""The site in real headless Chromium: browse, search, open a paper, follow its code
link, subscribe; screenshots at phone and desktop widths, light and dark."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from paperfeed.store import PaperStore
from tests.browser import chromium_page, shoot

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def page(tmp_path: Path, site: str) -> Iterator[object]:
    """A Chromium tab; closed before the site stops, so no request races the shutdown."""
    with chromium_page(tmp_path / "profile") as tab:
        yield tab


def test_home_page_shows_the_feed(page: object, site: str) -> None:
    page.goto(site + "/")  # type: ignore[attr-defined]
    expect = playwright_api.expect
    expect(page.get_by_role("heading", level=1)).to_have_text("Thursday, March 12, 2026")  # type: ignore[attr-defined]
    expect(page.locator("article.card")).to_have_count(3)  # type: ignore[attr-defined]
    expect(page.get_by_text("Get trending papers in your email inbox!")).to_be_visible()  # type: ignore[attr-defined]
    expect(page.locator(".badge-new").first).to_be_visible()  # type: ignore[attr-defined]
    shoot(page, "home")
    page.get_by_role("link", name=re.compile("Wednesday, March 11")).click()  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", level=1)).to_have_text("Wednesday, March 11, 2026")  # type: ignore[attr-defined]
    page.get_by_role("link", name="Week").click()  # type: ignore[attr-defined]
    expect(page.locator("article.card")).to_have_count(4)  # type: ignore[attr-defined]


def test_keyboard_reaches_the_skip_link_first(page: object, site: str) -> None:
    page.goto(site + "/")  # type: ignore[attr-defined]
    page.keyboard.press("Tab")  # type: ignore[attr-defined]
    focused = page.evaluate("document.activeElement.textContent")  # type: ignore[attr-defined]
    assert focused == "Skip to content"


def test_search_from_the_header(page: object, site: str) -> None:
    page.goto(site + "/")  # type: ignore[attr-defined]
    page.get_by_role("searchbox", name="Search papers").fill("normalizing flows")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Search").first.click()  # type: ignore[attr-defined]
    page.wait_for_load_state()  # type: ignore[attr-defined]
    assert "/search?q=normalizing+flows" in page.url  # type: ignore[attr-defined]
    shoot(page, "search")
    heading = page.get_by_role("heading", level=1).text_content()  # type: ignore[attr-defined]
    if heading == "Search is not available":
        pytest.skip("no search service installed: the page says so")
    playwright_api.expect(page.locator("article.card").first).to_contain_text("Normalizing Flows")  # type: ignore[attr-defined]
    assert page.locator("article.card mark").count() > 0  # type: ignore[attr-defined]


def test_open_a_paper_and_follow_its_code_link(page: object, site: str) -> None:
    # The network is closed here: answer for github.com at the browser's network layer.
    page.route(  # type: ignore[attr-defined]
        "https://github.com/**",
        lambda route: route.fulfill(
            body="<title>TinvNN</title>repository", content_type="text/html"
        ),
    )
    page.goto(site + "/")  # type: ignore[attr-defined]
    page.get_by_role("link", name=re.compile("^Revisiting Transformation")).click()  # type: ignore[attr-defined]
    expect = playwright_api.expect
    expect(page).to_have_url(site + "/papers/2603.01001")  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name="Abstract")).to_be_visible()  # type: ignore[attr-defined]
    shoot(page, "paper")
    page.get_by_role("link", name="Code").click()  # type: ignore[attr-defined]
    expect(page).to_have_url("https://github.com/example-lab/TinvNN")  # type: ignore[attr-defined]


def test_subscribe_form(page: object, site: str, filled_store: PaperStore) -> None:
    page.goto(site + "/")  # type: ignore[attr-defined]
    page.get_by_role("link", name="Subscribe").last.click()  # type: ignore[attr-defined]
    page.get_by_label("Email address").fill("not an address")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Subscribe").click()  # type: ignore[attr-defined]
    expect = playwright_api.expect
    expect(page.get_by_role("alert")).to_contain_text("not a valid email address")  # type: ignore[attr-defined]
    shoot(page, "subscribe-error")
    page.problems.clear()  # type: ignore[attr-defined]  # the 400 above was the point
    page.get_by_label("Email address").fill("Ada@Example.org")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Subscribe").click()  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", level=1)).to_contain_text("pending")  # type: ignore[attr-defined]
    subscriber = filled_store.get_subscriber("ada@example.org")
    assert subscriber is not None and subscriber.status == "pending"
