"""The subscribe form: CSRF-protected, validated, one pending row per address."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from paperfeed.store import PaperStore


def form_token(client: TestClient) -> str:
    html = client.get("/subscribe").text
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def test_subscribing_stores_a_pending_subscription(
    client: TestClient, filled_store: PaperStore
) -> None:
    token = form_token(client)
    response = client.post("/subscribe", data={"email": " Ada@Example.ORG ", "csrf_token": token})
    assert response.status_code == 303
    assert response.headers["location"] == "/subscribe/thanks"
    assert "pending" in client.get("/subscribe/thanks").text
    subscriber = filled_store.get_subscriber("ada@example.org")
    assert subscriber is not None and subscriber.status == "pending"
    assert subscriber.confirmed_at is None


def test_subscribing_twice_keeps_one_row(client: TestClient, filled_store: PaperStore) -> None:
    for email in ("ada@example.org", "ADA@example.org"):
        client.post("/subscribe", data={"email": email, "csrf_token": form_token(client)})
    first, created = filled_store.add_subscriber("ada@example.org")
    assert not created and first.id == 1


def test_form_cookie_is_httponly_and_strict(client: TestClient) -> None:
    cookie = client.get("/subscribe").headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert client.get("/subscribe").headers["cache-control"] == "no-store"


def test_a_post_without_a_valid_token_is_refused(
    client: TestClient, filled_store: PaperStore
) -> None:
    form_token(client)
    for data in (
        {"email": "ada@example.org"},
        {"email": "ada@example.org", "csrf_token": "forged"},
    ):
        response = client.post("/subscribe", data=data)
        assert response.status_code == 403
        assert "try again" in response.text
    assert filled_store.get_subscriber("ada@example.org") is None


def test_a_token_from_another_browser_is_refused(client: TestClient) -> None:
    token = form_token(client)
    client.cookies.clear()
    client.cookies.set("paperfeed_csrf", "someone-elses-nonce")
    response = client.post("/subscribe", data={"email": "ada@example.org", "csrf_token": token})
    assert response.status_code == 403


def test_invalid_addresses_are_explained(client: TestClient) -> None:
    for email in ("", "not-an-email", "a@b", "x" * 300 + "@example.org", "<script>@x.org"):
        response = client.post(
            "/subscribe", data={"email": email, "csrf_token": form_token(client)}
        )
        assert response.status_code == 400, email
        assert 'role="alert"' in response.text
        assert "<script>@" not in response.text
