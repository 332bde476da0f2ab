"""The personal pages through HTTP on a real store (both engines): ratings on cards,
For you, author pages, follows and library import on the account page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from paperfeed.store import PaperStore
from paperfeed.store.community import Account
from tests.community.web_helpers import app_settings, csrf_token, make_client, sign_in_directly
from tests.web.taste import GRAPHS, LATTICE, OLD_LATTICE, add_taste_papers


@pytest.fixture
def taste_store(filled_store: PaperStore) -> PaperStore:
    return add_taste_papers(filled_store)


@pytest.fixture
def app(taste_store: PaperStore, tmp_path: Path) -> Iterator[TestClient]:
    with make_client(taste_store, app_settings(tmp_path)) as client:
        yield client


def _reader(client: TestClient, store: PaperStore, name: str = "ada") -> tuple[Account, str]:
    account = sign_in_directly(client, store, name)
    return account, csrf_token(client, "/account")


def _rate(client: TestClient, token: str, paper_id: str, rating: str, next_url: str = "/") -> Any:
    return client.post(
        f"/papers/{paper_id}/rate",
        data={"csrf_token": token, "rating": rating, "next": next_url},
    )


def _for_you_ids(client: TestClient) -> list[str]:
    page = client.get("/for-you")
    assert page.status_code == 200
    return re.findall(r'<h3 class="card-title">\s*<a href="/papers/([^"]+)"', page.text)


def _card_ids(html: str) -> list[str]:
    return re.findall(r'<h3 class="card-title">\s*<a href="/papers/([^"]+)"', html)


# -- ratings ----------------------------------------------------------------------------


def test_not_for_me_hides_a_paper_from_that_reader_only(
    app: TestClient, taste_store: PaperStore, tmp_path: Path
) -> None:
    _, token = _reader(app, taste_store)
    assert GRAPHS in _for_you_ids(app) and GRAPHS in _card_ids(app.get("/").text)
    done = _rate(app, token, GRAPHS, "less")
    assert done.status_code == 303 and done.headers["location"] == "/"
    assert GRAPHS not in _for_you_ids(app)
    assert GRAPHS not in _card_ids(app.get("/").text)
    assert GRAPHS not in _card_ids(app.get("/trending?window=all").text)
    with make_client(taste_store, app_settings(tmp_path)) as other:
        sign_in_directly(other, taste_store, "bob")
        assert GRAPHS in _card_ids(other.get("/").text)
        assert GRAPHS in _card_ids(other.get("/for-you").text)
    with make_client(taste_store, app_settings(tmp_path)) as anonymous:
        assert GRAPHS in _card_ids(anonymous.get("/").text)


def test_a_rating_shows_on_the_card_and_can_be_withdrawn(
    app: TestClient, taste_store: PaperStore
) -> None:
    account, token = _reader(app, taste_store)
    _rate(app, token, OLD_LATTICE, "more")
    page = app.get(f"/papers/{OLD_LATTICE}").text
    assert "More like this ✓" in page
    assert taste_store.ratings_of(account.id, [OLD_LATTICE]) == {OLD_LATTICE: "more"}
    _rate(app, token, OLD_LATTICE, "none")
    assert taste_store.ratings_of(account.id, [OLD_LATTICE]) == {}
    assert "More like this ✓" not in app.get(f"/papers/{OLD_LATTICE}").text


def test_a_rating_changes_the_next_for_you_order(app: TestClient, taste_store: PaperStore) -> None:
    _, token = _reader(app, taste_store)
    before = _for_you_ids(app)
    assert before.index(LATTICE) > before.index(GRAPHS)
    _rate(app, token, OLD_LATTICE, "more")
    after = _for_you_ids(app)
    assert after[0] == LATTICE
    assert OLD_LATTICE not in after


def test_rating_needs_a_form_token_and_a_reader(app: TestClient, taste_store: PaperStore) -> None:
    anonymous = app.post(
        f"/papers/{GRAPHS}/rate", data={"csrf_token": csrf_token(app), "rating": "more"}
    )
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/signin")
    account, _ = _reader(app, taste_store)
    refused = app.post(f"/papers/{GRAPHS}/rate", data={"rating": "less"})
    assert refused.status_code == 403
    assert taste_store.ratings_of(account.id, [GRAPHS]) == {}


def test_cards_show_rating_buttons_only_to_readers(
    app: TestClient, taste_store: PaperStore
) -> None:
    assert "/rate" not in app.get("/").text
    assert "For you" not in app.get("/").text
    _reader(app, taste_store)
    home = app.get("/").text
    assert f'action="/papers/{GRAPHS}/rate"' in home
    assert 'href="/for-you"' in home


# -- for you ----------------------------------------------------------------------------


def test_for_you_asks_strangers_to_sign_in(app: TestClient) -> None:
    page = app.get("/for-you")
    assert page.status_code == 200
    assert "/signin?next=/for-you" in page.text
    assert "private" in page.headers["cache-control"]


def test_for_you_explains_how_to_start_and_shows_reasons(
    app: TestClient, taste_store: PaperStore
) -> None:
    _, token = _reader(app, taste_store)
    cold = app.get("/for-you").text
    assert "Nothing to learn from yet" in cold and "import your library" in cold
    assert len(_card_ids(cold)) >= 3
    app.post(
        "/account/follows",
        data={"csrf_token": token, "kind": "author", "value": "Y. LeCun"},
    )
    warm = app.get("/for-you").text
    assert "Nothing to learn from yet" not in warm
    assert _card_ids(warm)[0] == LATTICE
    assert "by Yann LeCun, whom you follow" in warm


def test_for_you_never_lists_library_papers(app: TestClient, taste_store: PaperStore) -> None:
    account, _ = _reader(app, taste_store)
    taste_store.add_to_library(account.id, [GRAPHS], "ids", _now())
    assert GRAPHS not in _for_you_ids(app)
    assert app.get("/for-you?window=week").status_code == 200


def _now() -> datetime:
    return datetime.now(UTC)


# -- author pages -----------------------------------------------------------------------


def test_author_page_matches_names_as_digests_do(app: TestClient) -> None:
    page = app.get("/authors/Y.%20LeCun")
    assert page.status_code == 200
    ids = _card_ids(page.text)
    assert ids == [LATTICE, OLD_LATTICE]  # newest first, both spellings
    assert "Yann LeCun" in page.text  # the fullest spelling heads the page
    assert 'href="/authors/L%C3%A9on%20Bottou"' in page.text  # a linked co-author
    assert "hep-lat" in page.text
    assert app.get("/authors/Nobody%20Atall").status_code == 404


def test_card_authors_link_to_their_pages(app: TestClient) -> None:
    home = app.get("/").text
    assert 'href="/authors/Yann%20LeCun"' in home
    paper = app.get(f"/papers/{LATTICE}").text
    assert 'href="/authors/L%C3%A9on%20Bottou"' in paper


@pytest.mark.parametrize(
    "name",
    ["<script>alert(1)</script>", "a/b/../c", "x" * 5000, "名前", "%00", "  ", "O'Brien\"&"],
)
def test_hostile_author_names_are_escaped_or_not_found(app: TestClient, name: str) -> None:
    from urllib.parse import quote

    page = app.get("/authors/" + quote(name, safe=""))
    assert page.status_code in (404, 422)
    assert "<script>alert(1)" not in page.text


def test_author_feeds(app: TestClient) -> None:
    atom = app.get("/feeds/author.atom", params={"name": "Yann LeCun"})
    assert atom.status_code == 200 and atom.headers["content-type"].startswith(
        "application/atom+xml"
    )
    assert "Lattice gauge theory" in atom.text and "string tension" in atom.text
    rss = app.get("/feeds/author.rss", params={"name": "Y. LeCun"})
    assert rss.status_code == 200 and "<rss" in rss.text
    assert app.get("/feeds/author.rss", params={"name": "Nobody Atall"}).status_code == 404


def test_follow_from_the_author_page_shows_on_account_and_digest_pages(
    app: TestClient, taste_store: PaperStore
) -> None:
    account, _ = _reader(app, taste_store)
    author = app.get("/authors/Y.%20LeCun").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', author)
    assert token and 'class="link-button follow-button"' in author
    done = app.post(
        "/account/follows",
        data={
            "csrf_token": token[1],
            "kind": "author",
            "value": "Yann LeCun",
            "next": "/authors/Y.%20LeCun",
        },
    )
    assert done.status_code == 303
    assert "Following ✓" in app.get("/authors/Y.%20LeCun").text
    assert "Yann LeCun" in app.get("/account").text.split('id="follows"')[1]
    assert _digest_manage_authors(app, taste_store, account) == ["Yann LeCun"]


def _manage_token(client: TestClient, store: PaperStore, account: Account) -> str:
    subscriber, _ = store.add_subscriber(account.email)
    store.confirm_subscriber(subscriber.id, _now())
    links = client.app.state.digests.service.links  # type: ignore[attr-defined]
    return str(links.subscriber_token("manage", subscriber.id))


def _digest_manage_authors(client: TestClient, store: PaperStore, account: Account) -> list[str]:
    """The authors the digest's manage page shows the same person."""
    page = client.get("/subscriptions/manage", params={"t": _manage_token(client, store, account)})
    assert page.status_code == 200, page.text
    found = re.search(r'<textarea[^>]*name="authors"[^>]*>([^<]*)</textarea>', page.text)
    assert found
    return [line for line in found[1].splitlines() if line.strip()]


def test_one_list_of_follows_on_the_account_and_digest_pages(
    app: TestClient, taste_store: PaperStore
) -> None:
    account, token = _reader(app, taste_store)
    manage = _manage_token(app, taste_store, account)
    form = {
        "t": manage,
        "kind": "interests",
        "topics": "lattice",
        "categories": "hep-lat",
        "cadence": "daily",
        "timezone": "UTC",
        "send_hour": "8",
        "max_papers": "5",
        "weekdays": ["0", "1", "2", "3", "4"],
    }
    saved = app.post("/subscriptions/manage", data={**form, "authors": "Kenneth Wilson"})
    assert saved.status_code == 200, re.findall(r'role="alert">([^<]*)', saved.text)
    account_page = app.get("/account").text.split('id="follows"')[1]
    assert "Kenneth Wilson" in account_page and "hep-lat" in account_page
    app.post("/account/follows", data={"csrf_token": token, "kind": "author", "value": "Ada L."})
    assert _digest_manage_authors(app, taste_store, account) == ["Kenneth Wilson", "Ada L."]
    app.post("/subscriptions/manage", data={**form, "authors": "Ada L."})
    follows = {(f.kind, f.value) for f in taste_store.profile(account.id).follows}
    assert follows == {("author", "Ada L."), ("topic", "lattice"), ("category", "hep-lat")}


def test_follows_added_and_removed_on_the_account_page(
    app: TestClient, taste_store: PaperStore
) -> None:
    account, token = _reader(app, taste_store)
    for kind, value in (("category", "hep-lat"), ("topic", "lattice  confinement")):
        assert (
            app.post(
                "/account/follows", data={"csrf_token": token, "kind": kind, "value": value}
            ).status_code
            == 303
        )
    bad = app.post(
        "/account/follows", data={"csrf_token": token, "kind": "category", "value": "<b>x"}
    )
    assert bad.status_code == 400 and "&lt;b&gt;x" in bad.text
    follows = {(f.kind, f.value) for f in taste_store.profile(account.id).follows}
    assert follows == {("category", "hep-lat"), ("topic", "lattice confinement")}
    app.post(
        "/account/follows",
        data={"csrf_token": token, "kind": "topic", "value": "Lattice Confinement", "on": "0"},
    )
    assert {(f.kind, f.value) for f in taste_store.profile(account.id).follows} == {
        ("category", "hep-lat")
    }
    assert app.post("/account/follows", data={"kind": "topic", "value": "x"}).status_code == 403


# -- library import ---------------------------------------------------------------------

BIB = b"""@article{lattice, title={Lattice gauge theory and confinement in string dualities},
  author={LeCun, Yann}, year={2026}}
@article{graphs, title={Message passing}, eprint={2603.01011}, archivePrefix={arXiv}}
@article{missing, title={A paper paperfeed does not have}, year={1999}}
"""


def _upload(client: TestClient, token: str, data: bytes, name: str = "library.bib") -> Any:
    return client.post(
        "/account/library",
        data={"csrf_token": token, "format": "auto"},
        files={"file": (name, data, "application/x-bibtex")},
    )


def test_library_upload_reports_matched_and_unmatched(
    app: TestClient, taste_store: PaperStore
) -> None:
    account, token = _reader(app, taste_store)
    done = _upload(app, token, BIB)
    assert done.status_code == 200, done.text
    assert '<span class="matched-count">2</span>' in done.text
    assert '<span class="unmatched-count">1</span>' in done.text
    assert "A paper paperfeed does not have" in done.text
    profile = taste_store.profile(account.id)
    assert {e.paper_id for e in profile.events if e.kind == "library"} == {LATTICE, GRAPHS}


@pytest.mark.parametrize(
    "data",
    [
        b"@article{broken, title={unterminated",
        b"\xff\xfe\x00\x00garbage\x00" * 10,
        b"%" * (5 * 1024 * 1024 + 10),
    ],
    ids=["malformed", "binary", "huge"],
)
def test_hostile_library_files_change_nothing(
    app: TestClient, taste_store: PaperStore, data: bytes
) -> None:
    account, token = _reader(app, taste_store)
    refused = _upload(app, token, data)
    assert refused.status_code in (400, 413)
    if refused.status_code == 400:
        assert "Nothing was imported" in refused.text
    assert taste_store.profile(account.id).events == ()


def test_library_upload_needs_the_form_token(app: TestClient, taste_store: PaperStore) -> None:
    account, _ = _reader(app, taste_store)
    refused = app.post(
        "/account/library", files={"file": ("library.bib", BIB, "application/x-bibtex")}
    )
    assert refused.status_code == 403
    assert taste_store.profile(account.id).events == ()


def test_not_for_me_hides_a_paper_from_that_readers_search(
    taste_store: PaperStore, tmp_path: Path
) -> None:
    search = pytest.importorskip("paperfeed.search")
    settings = app_settings(tmp_path)
    service = search.SearchService(taste_store, settings)
    from paperfeed.web import create_app
    from tests.web.conftest import SECRET

    app = create_app(
        settings, store=taste_store, search=service, secret_key=SECRET, cache_stale_for=0
    )
    query = {"q": "graph networks molecules", "mode": "keyword"}
    with TestClient(app, follow_redirects=False) as reader:
        assert GRAPHS in _card_ids(reader.get("/search", params=query).text)  # cached, shared
        _, token = _reader(reader, taste_store)
        assert GRAPHS in _card_ids(reader.get("/search", params=query).text)
        _rate(reader, token, GRAPHS, "less")
        assert GRAPHS not in _card_ids(reader.get("/search", params=query).text)
        reader.cookies.clear()
        assert GRAPHS in _card_ids(reader.get("/search", params=query).text)
