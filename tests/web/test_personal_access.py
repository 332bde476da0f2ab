"""A reader's private feed, API tokens and data, through the pages and the API as a
client sees them, on both engines: a token is shown once, works until it is replaced or
revoked, and then answers 404 (feed) or a clear 401 (API)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from paperfeed.store import PaperStore
from tests.community.web_helpers import app_settings, csrf_token, make_client, sign_in_directly
from tests.personal.conftest import EQUIVARIANT, fill_demo_store

FEED_URL = re.compile(r"http://testserver(/for-you/feed/pff_[A-Za-z0-9_-]+\.atom)")
API_TOKEN = re.compile(r"pfa_[A-Za-z0-9_-]{43}")
ALL_DAYS = {"since": "2000-01-01"}


@pytest.fixture
def demo_client(store: PaperStore, tmp_path: Path) -> Iterator[TestClient]:
    fill_demo_store(store)
    with make_client(store, app_settings(tmp_path)) as client:
        yield client


def _post(client: TestClient, path: str, **fields: str) -> str:
    token = csrf_token(client, "/account")
    answer = client.post(path, data={"csrf_token": token, **fields})
    assert answer.status_code in (200, 303), answer.text
    return answer.text


def test_the_private_feed_lists_the_ranking_and_rotating_it_kills_the_old_url(
    demo_client: TestClient, store: PaperStore
) -> None:
    account = sign_in_directly(demo_client, store, "ada")
    store.add_to_library(account.id, EQUIVARIANT[:2], "ids", datetime.now(UTC))
    shown = _post(demo_client, "/account/feed-token")
    first = FEED_URL.search(shown)
    assert first, shown
    feed = demo_client.get(first[1])
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("application/atom+xml")
    assert "no-store" in feed.headers["cache-control"]
    assert demo_client.get(first[1].replace(".atom", ".rss")).status_code == 200
    assert "pff_" not in demo_client.get("/account").text  # shown once, never again

    second = FEED_URL.search(_post(demo_client, "/account/feed-token"))
    assert second and second[1] != first[1]
    assert demo_client.get(first[1]).status_code == 404
    assert demo_client.get(second[1]).status_code == 200
    _post(demo_client, "/account/feed-token/revoke")
    assert demo_client.get(second[1]).status_code == 404


def test_the_api_ranks_for_the_token_holder_pages_and_refuses_bad_tokens(
    demo_client: TestClient, store: PaperStore
) -> None:
    account = sign_in_directly(demo_client, store, "bo")
    store.add_to_library(account.id, EQUIVARIANT[:2], "ids", datetime.now(UTC))
    found = API_TOKEN.search(_post(demo_client, "/account/api-tokens", label="laptop"))
    assert found
    token = found[0]
    demo_client.cookies.clear()  # the API needs no session
    auth = {"Authorization": f"Bearer {token}"}

    first = demo_client.get("/api/v1/for-you", params={**ALL_DAYS, "limit": 3}, headers=auth)
    assert first.status_code == 200, first.text
    body = first.json()
    assert [set(p) for p in body["papers"]] == [{"id", "title", "score", "reasons"}] * 3
    assert set(EQUIVARIANT[2:]) & {p["id"] for p in body["papers"]}
    scores = [p["score"] for p in body["papers"]]
    assert scores == sorted(scores, reverse=True)
    following = demo_client.get(
        "/api/v1/for-you",
        params={**ALL_DAYS, "limit": 3, "cursor": body["next_cursor"]},
        headers=auth,
    ).json()
    assert not {p["id"] for p in following["papers"]} & {p["id"] for p in body["papers"]}
    assert not {p["id"] for p in following["papers"]} & set(EQUIVARIANT[:2])

    missing = demo_client.get("/api/v1/for-you")
    assert missing.status_code == 401
    assert "Authorization: Bearer" in missing.json()["detail"]
    assert missing.headers["www-authenticate"] == "Bearer"
    bad = demo_client.get("/api/v1/for-you", headers={"Authorization": "Bearer nonsense"})
    assert bad.status_code == 401 and "not valid" in bad.json()["detail"]

    sign_in_directly(demo_client, store, "bo")
    page = demo_client.get("/account").text
    assert "laptop" in page and token not in page
    digest = re.search(r'name="token_hash" value="([0-9a-f]{64})"', page)
    assert digest
    _post(demo_client, "/account/api-tokens/revoke", token_hash=digest[1])
    revoked = demo_client.get("/api/v1/for-you", headers=auth)
    assert revoked.status_code == 401


def test_a_feed_token_opens_no_api_and_forms_need_their_csrf_token(
    demo_client: TestClient, store: PaperStore
) -> None:
    sign_in_directly(demo_client, store, "cy")
    feed = FEED_URL.search(_post(demo_client, "/account/feed-token"))
    assert feed
    token = feed[1].split("/")[-1].removesuffix(".atom")
    answer = demo_client.get("/api/v1/for-you", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401
    assert demo_client.post("/account/api-tokens", data={"label": "x"}).status_code == 403
    assert demo_client.get("/for-you/feed/pff_nothing.atom").status_code == 404


def test_download_my_data_and_delete_my_personal_data(
    demo_client: TestClient, store: PaperStore
) -> None:
    account = sign_in_directly(demo_client, store, "di")
    now = datetime.now(UTC)
    store.add_to_library(account.id, EQUIVARIANT[:2], "bibtex", now)
    store.rate(account.id, EQUIVARIANT[2], "less", now)
    store.follow(account.id, "author", "Yann LeCun", now)
    _post(demo_client, "/account/api-tokens", label="script")
    demo_client.get("/api/v1/for-you")  # nothing
    from paperfeed.personal.readers import reader_model

    reader_model(store, account.id)

    download = demo_client.get("/account/data.json")
    assert download.status_code == 200
    assert "attachment" in download.headers["content-disposition"]
    data = download.json()
    assert data["account"]["email"] == "di@example.org"
    assert {r["paper_id"] for r in data["library"]} == set(EQUIVARIANT[:2])
    assert data["ratings"][0]["rating"] == "less"
    assert data["ratings"][0]["rated_at"].endswith("+00:00")
    assert data["follows"] == [
        {"kind": "author", "value": "Yann LeCun", "followed_at": data["follows"][0]["followed_at"]}
    ]
    assert data["tokens"][0]["label"] == "script" and "token_hash" not in data["tokens"][0]
    assert data["model"]["state"]["dim"] > 1

    assert (
        demo_client.post(
            "/account/personal-data/delete",
            data={"csrf_token": csrf_token(demo_client, "/account"), "confirm": "no"},
        ).status_code
        == 400
    )
    _post(demo_client, "/account/personal-data/delete", confirm="delete")
    after = demo_client.get("/account/data.json").json()
    assert after["account"]["email"] == "di@example.org"
    for table in ("library", "ratings", "follows", "tokens"):
        assert after[table] == [], table
    assert after["model"] is None
    demo_client.cookies.clear()
    assert demo_client.get("/account/data.json").status_code == 401
