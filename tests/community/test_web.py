"""Sign-in by mail, sessions, upvotes, saves, submissions and the account, over HTTP.

Real parts: the app in-process, a real SQLite store, a real SMTP server on loopback
for the sign-in mails, a real HTTP server replaying arXiv's recorded answers.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from markupsafe import escape
from starlette.testclient import TestClient

from paperfeed.community.scoring import TrendingModel
from paperfeed.community.signin import open_session
from paperfeed.community.trending_ranking import trending_rows
from paperfeed.store import PaperStore
from tests.community.conftest import community_settings
from tests.community.web_helpers import (
    app_settings,
    csrf_token,
    mailed_link,
    make_client,
    sign_in_directly,
)
from tests.recorded_server import RecordedServer, Reply
from tests.smtp_server import SMTPSink
from tests.web.conftest import SECRET

PAPER = "2603.01001"


@pytest.fixture
def client(papers_store: PaperStore, tmp_path: Path, smtp_sink: SMTPSink) -> Iterator[TestClient]:
    settings = app_settings(tmp_path, smtp_url=smtp_sink.url())
    with make_client(papers_store, settings) as test_client:
        yield test_client


def _verify_page_token(client: TestClient, link: str) -> tuple[str, str]:
    parts = urlsplit(link)
    page = client.get(f"{parts.path}?{parts.query}")
    assert page.status_code == 200, page.text
    token = parts.query.removeprefix("token=")
    return csrf_token_from(page.text), token


def csrf_token_from(html: str) -> str:
    from tests.community.web_helpers import TOKEN

    match = TOKEN.search(html)
    assert match
    return match[1]


def test_sign_in_by_mailed_link_end_to_end(
    client: TestClient, smtp_sink: SMTPSink, papers_store: PaperStore
) -> None:
    token = csrf_token(client)
    sent = client.post("/signin", data={"email": " Ada@Example.org ", "csrf_token": token})
    assert sent.status_code == 303 and sent.headers["location"] == "/signin/sent"
    link = mailed_link(smtp_sink)
    mail = smtp_sink.received[0]
    assert mail.recipients == ("ada@example.org",)
    assert mail.message["Subject"] == "Your paperfeed sign-in link"

    # Opening the link signs nobody in (mail scanners open links): it shows a button.
    csrf, signin_token = _verify_page_token(client, link)
    assert "paperfeed_session" not in client.cookies
    done = client.post("/signin/verify", data={"token": signin_token, "csrf_token": csrf})
    assert done.status_code == 303 and done.headers["location"] == "/account"
    cookie = done.headers["set-cookie"]
    assert "paperfeed_session=" in cookie and "HttpOnly" in cookie
    assert "SameSite=lax" in cookie and "Secure" not in cookie  # plain http here
    account_page = client.get("/account")
    assert account_page.status_code == 200 and "Signed in as ada" in account_page.text
    assert (
        "Cache-Control" in account_page.headers
        and "no-store" in account_page.headers["Cache-Control"]
    )

    # The same link again: refused, single use.
    again = client.post("/signin/verify", data={"token": signin_token, "csrf_token": csrf})
    assert again.status_code == 400 and "already used" in again.text

    signout = client.post("/signout", data={"csrf_token": csrf_token(client, "/account")})
    assert signout.status_code == 303
    assert client.get("/account").headers["location"].startswith("/signin")


def test_the_link_never_takes_its_host_from_the_request(
    client: TestClient, smtp_sink: SMTPSink
) -> None:
    token = csrf_token(client)
    client.post(
        "/signin",
        data={"email": "ada@example.org", "csrf_token": token},
        headers={"Host": "evil.example"},
    )
    assert mailed_link(smtp_sink).startswith("http://testserver/signin/verify?token=")


def test_the_session_cookie_is_secure_over_https(
    papers_store: PaperStore, tmp_path: Path, smtp_sink: SMTPSink
) -> None:
    settings = app_settings(tmp_path, smtp_url=smtp_sink.url(), public_url="https://testserver")
    with make_client(papers_store, settings) as https:
        https.base_url = "https://testserver"  # type: ignore[assignment]
        https.post("/signin", data={"email": "ada@example.org", "csrf_token": csrf_token(https)})
        csrf, token = _verify_page_token(https, mailed_link(smtp_sink))
        done = https.post("/signin/verify", data={"token": token, "csrf_token": csrf})
    assert "Secure" in done.headers["set-cookie"]


def test_forged_and_expired_links_are_refused(client: TestClient) -> None:
    forged = URLSafeTimedSerializer(
        "another-secret-key-0123456789-abcdefghij", salt="paperfeed.signin"
    )
    bad = forged.dumps({"e": "ada@example.org", "n": "x"})
    assert client.get(f"/signin/verify?token={bad}").status_code == 400

    class IssuedAnHourAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 3600

    old = URLSafeTimedSerializer(SECRET, salt="paperfeed.signin", signer=IssuedAnHourAgo)
    expired = old.dumps({"e": "ada@example.org", "n": "y"})
    page = client.get(f"/signin/verify?token={expired}")
    assert page.status_code == 400 and "expired" in page.text
    posted = client.post(
        "/signin/verify", data={"token": expired, "csrf_token": csrf_token(client)}
    )
    assert posted.status_code == 400 and "paperfeed_session" not in client.cookies
    tampered = client.get("/signin/verify?token=" + bad[:-2] + "xx")
    assert tampered.status_code == 400


def test_sign_in_mails_are_rate_limited_per_address(
    papers_store: PaperStore, tmp_path: Path, smtp_sink: SMTPSink
) -> None:
    settings = app_settings(tmp_path, smtp_url=smtp_sink.url(), rate_signin_per_address="2/hour")
    with make_client(papers_store, settings) as limited:
        token = csrf_token(limited)
        for _ in range(2):
            ok = limited.post("/signin", data={"email": "ada@example.org", "csrf_token": token})
            assert ok.status_code == 303
        refused = limited.post("/signin", data={"email": "ada@example.org", "csrf_token": token})
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) > 0
        assert "Too many sign-in emails to this address" in refused.text
        other = limited.post("/signin", data={"email": "bob@example.org", "csrf_token": token})
        assert other.status_code == 303


def test_sign_in_mails_are_rate_limited_per_ip(
    papers_store: PaperStore, tmp_path: Path, smtp_sink: SMTPSink
) -> None:
    settings = app_settings(tmp_path, smtp_url=smtp_sink.url(), rate_signin_per_ip="3/hour")
    with make_client(papers_store, settings) as limited:
        token = csrf_token(limited)
        codes = [
            limited.post(
                "/signin", data={"email": f"p{i}@example.org", "csrf_token": token}
            ).status_code
            for i in range(4)
        ]
    assert codes == [303, 303, 303, 429]


def test_upvote_twice_counts_once_and_can_be_withdrawn(
    client: TestClient, papers_store: PaperStore, model: TrendingModel
) -> None:
    sign_in_directly(client, papers_store, "ada")
    token = csrf_token(client, f"/papers/{PAPER}")
    for _ in range(2):
        done = client.post(
            f"/papers/{PAPER}/upvote", data={"csrf_token": token, "on": "1", "next": "/trending"}
        )
        assert done.status_code == 303 and done.headers["location"] == "/trending"
    assert trending_rows(papers_store, [PAPER], model)[PAPER].upvotes == 1
    page = client.get(f"/papers/{PAPER}").text
    assert (
        'aria-pressed="true"' in page
        and 'Upvoted by <bdi class="member-name">ada</bdi>' in page
        and "Why it trends" in page
    )
    trending = client.get("/api/v1/trending?window=today").json()
    assert trending["ranking"] == "trending" and trending["papers"][0]["id"] == PAPER
    assert trending["papers"][0]["score"] == pytest.approx(1.0, rel=1e-3)
    client.post(f"/papers/{PAPER}/upvote", data={"csrf_token": token, "on": "0"})
    assert trending_rows(papers_store, [PAPER], model)[PAPER].upvotes == 0


def test_upvoting_needs_an_account(client: TestClient) -> None:
    token = csrf_token(client)
    done = client.post(f"/papers/{PAPER}/upvote", data={"csrf_token": token})
    assert done.status_code == 303 and done.headers["location"].startswith("/signin")
    assert "Sign in" in client.get("/trending").text


def test_an_unsafe_next_address_is_ignored(client: TestClient, papers_store: PaperStore) -> None:
    sign_in_directly(client, papers_store, "ada")
    token = csrf_token(client, "/account")
    done = client.post(
        f"/papers/{PAPER}/save", data={"csrf_token": token, "next": "//evil.example/"}
    )
    assert done.headers["location"] == f"/papers/{PAPER}"


def test_saves_make_a_reading_list(
    client: TestClient, papers_store: PaperStore, model: TrendingModel
) -> None:
    sign_in_directly(client, papers_store, "ada")
    token = csrf_token(client, "/account")
    for paper in ("2603.01003", PAPER):
        client.post(f"/papers/{paper}/save", data={"csrf_token": token})
    page = client.get("/saved").text
    assert page.index(f"/papers/{PAPER}") < page.index("/papers/2603.01003")  # newest first
    assert trending_rows(papers_store, [PAPER], model)[PAPER].saves == 1


def test_votes_are_rate_limited(
    papers_store: PaperStore, tmp_path: Path, smtp_sink: SMTPSink, model: TrendingModel
) -> None:
    settings = app_settings(tmp_path, smtp_url=smtp_sink.url(), rate_votes_per_account="3/minute")
    with make_client(papers_store, settings) as limited:
        sign_in_directly(limited, papers_store, "ada")
        token = csrf_token(limited, "/account")
        codes = [
            limited.post(
                f"/papers/{PAPER}/upvote", data={"csrf_token": token, "on": on}
            ).status_code
            for on in ("1", "0", "1", "0")
        ]
        refused = limited.post(f"/papers/{PAPER}/upvote", data={"csrf_token": token})
    assert codes == [303, 303, 303, 429]
    assert refused.status_code == 429 and "Too many upvotes and saves" in refused.text
    assert "retry-after" in refused.headers
    assert trending_rows(papers_store, [PAPER], model)[PAPER].upvotes == 1


STATE_CHANGES = [
    ("/signin", {"email": "ada@example.org"}),
    ("/signin/verify", {"token": "x"}),
    ("/signout", {}),
    ("/account", {"display_name": "Mallory"}),
    ("/account/delete", {"confirm": "delete"}),
    (f"/papers/{PAPER}/upvote", {"on": "1"}),
    (f"/papers/{PAPER}/save", {"on": "1"}),
    ("/submit", {"paper": PAPER}),
]


@pytest.mark.parametrize(("path", "data"), STATE_CHANGES)
@pytest.mark.parametrize("token", [None, "forged", "another-browser"])
def test_every_state_change_needs_this_browsers_form_token(
    client: TestClient,
    papers_store: PaperStore,
    smtp_sink: SMTPSink,
    path: str,
    data: dict[str, str],
    token: str | None,
    model: TrendingModel,
) -> None:
    account = sign_in_directly(client, papers_store, "ada")
    csrf_token(client, "/account")  # this browser has a nonce cookie...
    form = dict(data)
    if token == "forged":
        form["csrf_token"] = "eyJmb3JnZWQiOnRydWV9.forged.signature"
    elif token == "another-browser":
        with TestClient(client.app) as other:
            form["csrf_token"] = csrf_token(other)  # ...but the token is someone else's
    refused = client.post(path, data=form)
    assert refused.status_code == 403
    assert papers_store.get_account(account.id) == account
    assert trending_rows(papers_store, [PAPER], model) == {}
    assert smtp_sink.received == []
    assert client.get("/account").status_code == 200  # still signed in


def test_deleting_the_account_signs_out_and_keeps_the_vote(
    client: TestClient, papers_store: PaperStore, model: TrendingModel
) -> None:
    account = sign_in_directly(client, papers_store, "ada")
    token = csrf_token(client, "/account")
    client.post(f"/papers/{PAPER}/upvote", data={"csrf_token": token})
    refused = client.post("/account/delete", data={"csrf_token": token, "confirm": "nope"})
    assert refused.status_code == 400
    done = client.post("/account/delete", data={"csrf_token": token, "confirm": "delete"})
    assert done.status_code == 303 and done.headers["location"] == "/account/deleted"
    assert papers_store.get_account(account.id) is None
    assert trending_rows(papers_store, [PAPER], model)[PAPER].upvotes == 1
    assert client.get("/account").status_code == 303


def test_account_details_are_validated(client: TestClient, papers_store: PaperStore) -> None:
    account = sign_in_directly(client, papers_store, "ada")
    token = csrf_token(client, "/account")
    ok = client.post(
        "/account",
        data={"csrf_token": token, "display_name": " Ada  L. ", "github_handle": "@ada-l"},
    )
    assert ok.status_code == 303
    stored = papers_store.get_account(account.id)
    assert stored is not None and (stored.display_name, stored.github_handle) == ("Ada L.", "ada-l")
    bad = client.post(
        "/account", data={"csrf_token": token, "display_name": "x", "github_handle": "no spaces"}
    )
    assert bad.status_code == 400


# -- submissions, through a local server replaying arXiv's recorded answers ------------

ARXIV_FIXTURES = Path(__file__).parents[1] / "fixtures" / "arxiv_api_atom" / "2026"


def arxiv_answer(name: str) -> bytes:
    (path,) = ARXIV_FIXTURES.glob(f"{name}_{'?' * 12}.json")
    body: str = json.loads(path.read_text())["body"]
    return body.encode("latin-1")


@pytest.fixture
def arxiv(recorded_server: RecordedServer) -> RecordedServer:
    recorded_server.add(
        "/api/query",
        Reply(arxiv_answer("id_1707.08567_s0_m100")),
        query={"id_list": "1707.08567"},
    )
    recorded_server.add(  # arXiv's answer for an id it does not have: an empty feed
        "/api/query", Reply(arxiv_answer("id_0000.0000_s0_m100")), query={"id_list": "2603.99999"}
    )
    return recorded_server


def submit_client(
    store: PaperStore, tmp_path: Path, arxiv: RecordedServer, **values: str
) -> TestClient:
    settings = app_settings(
        tmp_path,
        arxiv_api_url=arxiv.url + "/api/query",
        arxiv_request_interval="0",
        http_max_retries="0",
        **values,
    )
    return make_client(store, settings)


def test_submitting_a_new_paper_fetches_it_from_arxiv(
    papers_store: PaperStore, tmp_path: Path, arxiv: RecordedServer, model: TrendingModel
) -> None:
    with submit_client(papers_store, tmp_path, arxiv, submission_max_age_days="100000") as client:
        sign_in_directly(client, papers_store, "ada")
        token = csrf_token(client, "/submit")
        done = client.post(
            "/submit", data={"csrf_token": token, "paper": "https://arxiv.org/abs/1707.08567v1"}
        )
        assert done.status_code == 303 and done.headers["location"] == "/papers/1707.08567"
        page = client.get("/papers/1707.08567").text
    assert re.search(r"Submitted by <bdi[^>]*>ada</bdi>&nbsp;<span[^>]*>#\d+</span>", page)
    assert trending_rows(papers_store, ["1707.08567"], model)["1707.08567"].upvotes == 1
    # Summarised as it was stored: its page shows a TL;DR at once, before any derived pass.
    stored = papers_store.get_paper("1707.08567")
    assert stored is not None and stored.tldr and escape(stored.tldr) in page


def test_old_papers_cannot_be_submitted(
    papers_store: PaperStore, tmp_path: Path, arxiv: RecordedServer
) -> None:
    with submit_client(papers_store, tmp_path, arxiv) as client:
        sign_in_directly(client, papers_store, "ada")
        token = csrf_token(client, "/submit")
        refused = client.post("/submit", data={"csrf_token": token, "paper": "1707.08567"})
        unknown = client.post("/submit", data={"csrf_token": token, "paper": "2603.99999"})
        garbage = client.post("/submit", data={"csrf_token": token, "paper": "not an id"})
    assert refused.status_code == 400 and "up to 14 days after" in refused.text
    assert unknown.status_code == 400 and "arXiv has no paper 2603.99999" in unknown.text
    assert garbage.status_code == 400 and "Enter an arXiv identifier" in garbage.text
    assert papers_store.get_paper("1707.08567") is None


def test_submitting_a_listed_paper_counts_as_an_upvote(
    papers_store: PaperStore, tmp_path: Path, arxiv: RecordedServer, model: TrendingModel
) -> None:
    with submit_client(
        papers_store, tmp_path, arxiv, rate_submissions_per_account="2/day"
    ) as client:
        sign_in_directly(client, papers_store, "ada")
        token = csrf_token(client, "/submit")
        first = client.post("/submit", data={"csrf_token": token, "paper": PAPER})
        again = client.post("/submit", data={"csrf_token": token, "paper": PAPER})
        limited = client.post("/submit", data={"csrf_token": token, "paper": PAPER})
    assert first.status_code == again.status_code == 303
    assert limited.status_code == 429 and "Too many submissions" in limited.text
    assert trending_rows(papers_store, [PAPER], model)[PAPER].upvotes == 1
    assert arxiv.requests == []  # a listed paper is not fetched again


def test_the_formula_page_shows_the_settings(client: TestClient) -> None:
    page = client.get("/trending/formula").text
    assert "2^(−age / half-life)" in page and "48 hours" in page


@pytest.mark.parametrize(
    ("reply", "said"),
    [
        (Reply(b"busy", status=503), "arXiv answered with an error (HTTP 503)"),
        (Reply(b"<html>not a feed</html>"), "answer could not be read"),
        (Reply(b"x" * 100, drop_after=10), "the connection to arXiv failed"),
    ],
)
def test_a_failed_fetch_says_what_failed_not_where(
    papers_store: PaperStore,
    tmp_path: Path,
    recorded_server: RecordedServer,
    reply: Reply,
    said: str,
) -> None:
    recorded_server.add("/api/query", reply)
    with submit_client(papers_store, tmp_path, recorded_server) as client:
        sign_in_directly(client, papers_store, "ada")
        token = csrf_token(client, "/submit")
        failed = client.post("/submit", data={"csrf_token": token, "paper": "2603.01234"})
    assert failed.status_code == 400
    assert said in failed.text and "Try again in a few minutes" in failed.text
    assert "127.0.0.1" not in failed.text and "/api/query" not in failed.text
    assert papers_store.get_paper("2603.01234") is None


def test_display_names_refuse_what_hides_or_reorders_text(
    client: TestClient, papers_store: PaperStore
) -> None:
    account = sign_in_directly(client, papers_store, "ada")
    token = csrf_token(client, "/account")
    for name in ("\u202eecilA", "Ad\u200ba", "Ada\u2066x", "Ada #1"):
        refused = client.post("/account", data={"csrf_token": token, "display_name": name})
        assert refused.status_code == 400, name
    stored = papers_store.get_account(account.id)
    assert stored is not None and stored.display_name == "ada"


def test_two_people_with_one_name_are_told_apart(
    client: TestClient, papers_store: PaperStore
) -> None:
    latin, _ = papers_store.get_or_create_account("ada1@example.org", "Ada")
    cyrillic, _ = papers_store.get_or_create_account("ada2@example.org", "\u0410da")
    for account in (latin, cyrillic):
        client.cookies.set(
            "paperfeed_session", open_session(papers_store, account, community_settings())
        )
        token = csrf_token(client, f"/papers/{PAPER}")
        assert client.post(f"/papers/{PAPER}/upvote", data={"csrf_token": token}).status_code == 303
    page = client.get(f"/papers/{PAPER}").text
    assert (
        f'<bdi class="member-name">Ada</bdi>&nbsp;<span class="member-tag">#{latin.id}</span>'
        in page
    )
    assert f"#{cyrillic.id}</span>" in page and latin.id != cyrillic.id
