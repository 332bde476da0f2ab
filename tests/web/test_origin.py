"""A page on another site cannot make a visitor's browser change anything through the API.

The attack: ``<form enctype="text/plain" action=".../api/subscriptions">`` posts
``{"email":"victim@example.org","x":"="}`` without a CORS preflight. JSON APIs take only
``application/json`` (which browsers cannot send cross-site without a preflight), and
every state-changing API request that a browser marks as cross-site is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from paperfeed.config import Settings
from paperfeed.store import PaperStore
from paperfeed.web import create_app
from tests.web.conftest import SECRET

VICTIM = "victim@example.org"
FORGED_BODY = b'{"email":"victim@example.org","x":"="}'


@pytest.fixture
def api(store: PaperStore, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(
        {"var_dir": str(tmp_path / "var"), "public_url": "https://papers.example.org"},
        environ={},
    )
    app = create_app(settings, store=store, with_search=False, secret_key=SECRET)
    with TestClient(app, base_url="http://testserver") as client:
        yield client


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None],
)
def test_a_text_plain_form_from_another_site_cannot_subscribe_anyone(
    api: TestClient, store: PaperStore, content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = api.post("/api/subscriptions", content=FORGED_BODY, headers=headers)
    assert response.status_code == 415
    assert "application/json" in response.json()["error"]
    assert store.get_subscriber(VICTIM) is None


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "https://evil.example", "Sec-Fetch-Site": "same-origin"},
    ],
)
def test_cross_site_requests_cannot_change_anything(
    api: TestClient, store: PaperStore, headers: dict[str, str]
) -> None:
    response = api.post("/api/subscriptions", json={"email": VICTIM}, headers=headers)
    assert response.status_code == 403
    assert "another site" in response.json()["detail"]
    assert store.get_subscriber(VICTIM) is None


@pytest.mark.parametrize(
    "headers",
    [
        {},  # not a browser: curl, scripts, other servers
        {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"},
        {"Origin": "https://papers.example.org"},  # the public address, behind a proxy
        {"Sec-Fetch-Site": "none"},  # typed by the person
        {"Content-Type": "application/json; charset=utf-8"},
    ],
)
def test_same_site_and_non_browser_requests_still_subscribe(
    api: TestClient, store: PaperStore, headers: dict[str, str]
) -> None:
    headers = {"Content-Type": "application/json", **headers}
    response = api.post("/api/subscriptions", content=FORGED_BODY, headers=headers)
    assert response.status_code == 202
    assert store.get_subscriber(VICTIM) is not None


def test_reading_the_api_from_another_site_is_still_allowed(api: TestClient) -> None:
    response = api.get("/api/v1/papers", headers={"Origin": "https://evil.example"})
    assert response.status_code == 200
