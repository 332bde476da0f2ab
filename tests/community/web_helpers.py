"""An app over a real store and a real SMTP sink, and helpers to act as a signed-in person."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from paperfeed.community.signin import open_session
from paperfeed.config import Settings
from paperfeed.store import PaperStore
from paperfeed.store.community import Account
from paperfeed.web import create_app
from tests.smtp_server import SMTPSink
from tests.web.conftest import SECRET

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
LINK = re.compile(r"(https?://\S+/signin/verify\?token=\S+)")


def app_settings(tmp_path: Path, **values: Any) -> Settings:
    base = {
        "var_dir": str(tmp_path / "var"),
        "secret_key": SECRET,
        "mail_from": "paperfeed <signin@paperfeed.example>",
        "public_url": "http://testserver",
    }
    return Settings({**base, **values}, environ={})


def make_client(store: PaperStore, settings: Settings) -> TestClient:
    app = create_app(settings, store=store, with_search=False, secret_key=SECRET, cache_stale_for=0)
    return TestClient(app, follow_redirects=False)


def csrf_token(client: TestClient, path: str = "/signin") -> str:
    """A form token for this client (the page also sets the matching nonce cookie)."""
    page = client.get(path)
    match = TOKEN.search(page.text)
    assert match, f"no form token on {path} ({page.status_code})"
    return match[1]


def sign_in_directly(client: TestClient, store: PaperStore, name: str) -> Account:
    """A session without the mail round trip (that one has its own end-to-end test)."""
    from tests.community.conftest import community_settings

    account, _ = store.get_or_create_account(f"{name}@example.org", name)
    client.cookies.set("paperfeed_session", open_session(store, account, community_settings()))
    return account


def mailed_link(sink: SMTPSink, count: int = 1) -> str:
    messages = sink.wait_for(count)
    assert len(messages) >= count, "the sign-in mail did not arrive"
    body = messages[count - 1].message.get_body(("plain",))
    assert body is not None
    match = LINK.search(body.get_content())
    assert match
    return match[1]
