"""The subscription pages and API over a real app, store and SMTP server: a GET never
changes anything, a bare POST unsubscribes (RFC 8058), the API answers 202."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from paperfeed.config import Settings
from paperfeed.digest.links import DigestLinks
from paperfeed.digest.run import run_digests
from paperfeed.digest.settings import DigestSettings
from paperfeed.store import PaperStore
from paperfeed.store.subscriptions import DigestPreferences
from paperfeed.web import create_app
from tests.digest.conftest import EVERY_DAY, SECRET, add_papers, day_papers, digest_settings
from tests.smtp_server import SMTPSink

LINK = re.compile(r"https://paperfeed\.example(/[^\s\"<>]+)")


@pytest.fixture
def web_settings(tmp_path: Path, smtp_sink: SMTPSink) -> Settings:
    # These tests subscribe many addresses from one client; the limit has its own test.
    return digest_settings(
        tmp_path / "var", smtp_url=smtp_sink.url(), rate_subscribe_per_ip="10000/hour"
    )


@pytest.fixture
def client(store: PaperStore, web_settings: Settings) -> Iterator[TestClient]:
    app = create_app(web_settings, store=store, with_search=False, secret_key=SECRET)
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


def body_of(sink: SMTPSink, index: int) -> str:
    message = sink.wait_for(index + 1)[index].message
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def path_of(text: str, start: str) -> str:
    for match in LINK.finditer(text):
        if match.group(1).startswith(start):
            return match.group(1)
    raise AssertionError(f"no {start} link in {text}")


def token_of(path: str) -> str:
    return urlsplit(path).query.removeprefix("t=")


def test_api_subscription_confirm_digest_and_one_click_unsubscribe(
    client: TestClient, store: PaperStore, smtp_sink: SMTPSink, web_settings: Settings
) -> None:
    response = client.post(
        "/api/subscriptions",
        json={"email": "Ada@Example.org", "topics": ["graph neural networks"], "cadence": "daily"},
    )
    assert response.status_code == 202 and response.json()["status"] == "pending"
    confirm = path_of(body_of(smtp_sink, 0), "/subscriptions/confirm")
    assert smtp_sink.received[0].recipients == ("ada@example.org",)

    page = client.get(confirm)
    assert page.status_code == 200 and "Confirm my subscription" in page.text
    assert store.get_subscriber("ada@example.org").status == "pending"  # type: ignore[union-attr]
    done = client.post("/subscriptions/confirm", data={"t": token_of(confirm)})
    assert done.status_code == 200 and "You are subscribed" in done.text
    ada = store.get_subscriber("ada@example.org")
    assert ada is not None and ada.status == "confirmed"
    assert not ada.preferences.trending_only  # topics given: the interest digest

    store.set_preferences(
        ada.id, DigestPreferences(weekdays=EVERY_DAY, send_hour=0, trending_only=False)
    )
    add_papers(store, day_papers(datetime.now(UTC).date(), "2605"))
    digest = DigestSettings.from_settings(web_settings)
    run_digests(store, digest, SECRET, now=datetime.now(UTC) + timedelta(minutes=5))
    mail = smtp_sink.wait_for(2)[1]
    assert "matches your topic 'graph neural networks'" in body_of(smtp_sink, 1)
    assert mail.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https = str(mail.message["List-Unsubscribe"]).split(",")[0].strip(" <>")

    unsubscribe = urlsplit(https)
    one_click = client.post(
        f"{unsubscribe.path}?{unsubscribe.query}",
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert one_click.status_code == 200 and "You are unsubscribed" in one_click.text
    assert store.get_subscriber("ada@example.org").status == "unsubscribed"  # type: ignore[union-attr]
    run_digests(store, digest, SECRET, now=datetime.now(UTC) + timedelta(days=1))
    assert len(smtp_sink.received) == 2


def _subscribe_and_confirm(client: TestClient, smtp_sink: SMTPSink, request: object) -> str:
    """Subscribe (the test's first address) through the API and confirm with the mailed
    link; the confirmed page."""
    assert client.post("/api/subscriptions", json=request).status_code == 202
    confirm = path_of(body_of(smtp_sink, 0), "/subscriptions/confirm")  # its first mail
    done = client.post("/subscriptions/confirm", data={"t": token_of(confirm)})
    assert done.status_code == 200 and "You are subscribed" in done.text
    return done.text


def test_the_confirmed_page_describes_the_digest_asked_for(
    client: TestClient, smtp_sink: SMTPSink
) -> None:
    page = _subscribe_and_confirm(
        client,
        smtp_sink,
        {
            "email": "ada@example.org",
            "topics": ["equivariant graph neural networks", "diffusion <models>"],
            "categories": ["cs.LG", "stat.ML"],
            "authors": ["Yann LeCun"],
            "cadence": "weekly",
            "weekdays": ["wed"],
            "timezone": "Europe/Paris",
        },
    )
    assert "trending papers" not in page.split("<dl")[0]  # not the generic promise
    assert "New papers that match what you follow" in page
    assert (
        '<dd id="digest-topics">equivariant graph neural networks; diffusion &lt;models&gt;</dd>'
        in page
    )
    assert '<dd id="digest-categories">cs.LG, stat.ML</dd>' in page
    assert '<dd id="digest-authors">Yann LeCun</dd>' in page
    assert '<dd id="digest-when">Weekly, on Wednesdays at 07:00 (Europe/Paris time)</dd>' in page
    assert "Up to 10 papers; no mail on days with nothing new." in page


def test_the_confirmed_page_of_a_trending_digest_says_so(
    client: TestClient, smtp_sink: SMTPSink
) -> None:
    page = _subscribe_and_confirm(client, smtp_sink, {"email": "bob@example.org"})
    assert "The most trending new papers" in page
    assert "digest-topics" not in page
    assert '<dd id="digest-when">Daily, Monday to Friday at 07:00 (UTC time)</dd>' in page


def test_a_used_confirmation_link_is_refused_and_mints_no_manage_link(
    client: TestClient, store: PaperStore, smtp_sink: SMTPSink
) -> None:
    assert client.post("/api/subscriptions", json={"email": "ada@example.org"}).status_code == 202
    token = token_of(path_of(body_of(smtp_sink, 0), "/subscriptions/confirm"))
    first = client.post("/subscriptions/confirm", data={"t": token})
    assert first.status_code == 200 and "/subscriptions/manage?t=" in first.text
    for _ in range(2):  # a second click, or the old mail opened again later
        again = client.post("/subscriptions/confirm", data={"t": token})
        assert again.status_code == 400
        assert "This link was already used: it works once." in again.text
        assert "/subscriptions/manage" not in again.text
    assert store.get_subscriber("ada@example.org").status == "confirmed"  # type: ignore[union-attr]


def test_the_unsubscribe_page_asks_first(
    client: TestClient, store: PaperStore, links: DigestLinks
) -> None:
    ada, _ = store.add_subscriber("ada@example.org")
    store.confirm_subscriber(ada.id, datetime.now(UTC))
    token = links.subscriber_token("unsubscribe", ada.id)
    page = client.get(f"/unsubscribe?t={token}")
    assert page.status_code == 200 and "Unsubscribe ada@example.org?" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert store.get_subscriber_by_id(ada.id).status == "confirmed"  # type: ignore[union-attr]
    assert client.post("/unsubscribe", data={"t": token}).status_code == 200
    assert store.get_subscriber_by_id(ada.id).status == "unsubscribed"  # type: ignore[union-attr]


def test_bad_links_are_explained(client: TestClient) -> None:
    for path in (
        "/subscriptions/confirm?t=forged",
        "/subscriptions/manage?t=",
        "/unsubscribe?t=x.y.z",
        "/subscriptions/feedback?t=<script>",
    ):
        response = client.get(path)
        assert response.status_code == 400, path
        assert "This link does not work" in response.text and "<script>" not in response.text
    assert client.post("/unsubscribe?t=forged").status_code == 400


def test_thumbs_links_ask_then_record(
    client: TestClient, store: PaperStore, links: DigestLinks
) -> None:
    add_papers(store, day_papers(datetime.now(UTC).date(), "2605"))
    ada, _ = store.add_subscriber("ada@example.org")
    token = links.feedback_token(ada.id)
    page = client.get(f"/subscriptions/feedback?t={token}&p=2605.00001&v=1")
    assert "More papers like this one?" in page.text and "Diffusion Models" in page.text
    assert store.feedback_of([ada.id]) == {}
    client.post("/subscriptions/feedback", data={"t": token, "p": "2605.00001", "v": "1"})
    assert store.feedback_of([ada.id])[ada.id].liked == ("2605.00001",)


def test_the_manage_page_saves_interests_and_schedule(
    client: TestClient, store: PaperStore, links: DigestLinks
) -> None:
    ada, _ = store.add_subscriber("ada@example.org")
    token = links.subscriber_token("manage", ada.id)
    page = client.get(f"/subscriptions/manage?t={token}")
    assert page.status_code == 200 and "Trending papers only" in page.text
    form = {
        "t": token,
        "kind": "interests",
        "topics": "equivariant GNNs\ndiffusion",
        "categories": "cs.LG, stat.ML",
        "authors": "Yann LeCun",
        "cadence": "weekly",
        "weekdays": ["2"],
        "timezone": "Europe/Paris",
        "send_hour": "8",
        "max_papers": "5",
    }
    saved = client.post("/subscriptions/manage", data=form)
    assert saved.status_code == 200 and "Saved." in saved.text
    updated = store.get_subscriber_by_id(ada.id)
    assert updated is not None
    assert updated.preferences == DigestPreferences(
        cadence="weekly",
        weekdays=(2,),
        timezone="Europe/Paris",
        send_hour=8,
        max_papers=5,
        trending_only=False,
    )
    interests = store.interests_of([ada.id])[ada.id]
    assert interests.topics == ("equivariant GNNs", "diffusion")
    assert interests.categories == ("cs.LG", "stat.ML")
    bad = client.post("/subscriptions/manage", data={**form, "timezone": "Mars/Olympus"})
    assert bad.status_code == 400 and "not a known time zone" in bad.text


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"email": 5}',
        b'{"email": "not-an-address"}',
        b'{"email": "ada@example.org", "topics": "x" }',
        b'{"email": "ada@example.org", "categories": ["DROP TABLE"]}',
        b'{"email": "ada@example.org", "cadence": "hourly"}',
    ],
)
def test_the_api_refuses_bad_requests(client: TestClient, store: PaperStore, body: bytes) -> None:
    response = client.post(
        "/api/subscriptions", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400 and "error" in response.json()
    assert store.get_subscriber("ada@example.org") is None


def test_the_web_form_subscribes_with_topics(
    client: TestClient, store: PaperStore, smtp_sink: SMTPSink
) -> None:
    page = client.get("/subscribe").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    response = client.post(
        "/subscribe",
        data={"email": "bob@example.org", "topics": "sparse attention", "csrf_token": token[1]},
    )
    assert response.status_code == 303
    bob = store.get_subscriber("bob@example.org")
    assert bob is not None and not bob.preferences.trending_only
    assert "/subscriptions/confirm?t=" in body_of(smtp_sink, 0)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(email=st.one_of(st.emails(), st.text(max_size=80)))
def test_api_email_never_reaches_a_header_unvalidated(
    client: TestClient, store: PaperStore, email: str
) -> None:
    response = client.post("/api/subscriptions", json={"email": email})
    assert response.status_code in (202, 400)
    if response.status_code == 202:
        address = email.strip().lower()
        found = [s for s in [store.get_subscriber(address)] if s]
        assert all("\n" not in s.email and "," not in s.email for s in found)


def test_one_client_cannot_make_the_service_mail_many_strangers(
    store: PaperStore, tmp_path: Path, smtp_sink: SMTPSink
) -> None:
    settings = digest_settings(
        tmp_path / "var", smtp_url=smtp_sink.url(), rate_subscribe_per_ip="2/hour"
    )
    app = create_app(settings, store=store, with_search=False, secret_key=SECRET)
    with TestClient(app, follow_redirects=False) as client:
        for n in range(2):
            sent = client.post("/api/subscriptions", json={"email": f"r{n}@example.org"})
            assert sent.status_code == 202
        refused = client.post("/api/subscriptions", json={"email": "r2@example.org"})
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
        assert "Too many subscriptions" in refused.json()["error"]
        form = client.get("/subscribe")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token is not None
        page = client.post(
            "/subscribe", data={"email": "r3@example.org", "csrf_token": token.group(1)}
        )
        assert page.status_code == 429 and "Too many subscriptions" in page.text
    assert store.get_subscriber("r2@example.org") is None
    assert store.get_subscriber("r3@example.org") is None
