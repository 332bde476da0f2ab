"""Digests of readers come from the personal model, the ranking of the For-you page:
a library shapes the picks with its reasons, a "not for me" thumb in a mail hides the
paper from the next digest, and a paper is still never sent twice."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from paperfeed.digest.compose import Composer, DueDigest
from paperfeed.digest.links import DigestLinks
from paperfeed.digest.schedule import Window
from paperfeed.store import PaperStore
from paperfeed.store.subscriptions import DigestPlan, Interests, Subscriber
from paperfeed.web import create_app
from tests.community.conftest import community_settings
from tests.digest.conftest import SECRET, add_papers, day_papers, digest_settings

MODEL = community_settings().trending_model()
OLD_DAY = date(2019, 1, 7)
"""The library's papers: back-filled, never news, but what the reader likes."""


@pytest.fixture
def client(store: PaperStore, tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(
        digest_settings(tmp_path / "var"), store=store, with_search=False, secret_key=SECRET
    )
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


def plan(store: PaperStore, reader: Subscriber, start: datetime, period: str) -> DigestPlan:
    end = datetime.now(UTC)
    composer = Composer.for_window(store, start, end, catchup_papers=20, trending=MODEL)
    (planned,) = composer.plan([DueDigest(reader, period, Window(start, end, capped=False))])
    return planned


def graph_reader(
    store: PaperStore, make_subscriber: Callable[..., Subscriber]
) -> tuple[Subscriber, datetime]:
    start = datetime.now(UTC) - timedelta(minutes=1)
    add_papers(store, day_papers(OLD_DAY, "1901"))
    add_papers(store, day_papers(datetime.now(UTC).date(), "2605", count=12))
    reader = make_subscriber(interests=Interests(categories=("cs.LG",)), max_papers=4)
    account = store.ensure_account(reader.email, "Ada")
    store.add_to_library(account, ["1901.00000", "1901.00002"], "bibtex", datetime.now(UTC))
    return reader, start


def test_a_readers_digest_is_ranked_by_their_model_and_a_less_thumb_hides_the_paper(
    store: PaperStore,
    make_subscriber: Callable[..., Subscriber],
    links: DigestLinks,
    client: TestClient,
) -> None:
    reader, start = graph_reader(store, make_subscriber)
    before = plan(store, reader, start, "2026-05-08")
    assert len(before.picks) == 4
    # the personal model's reasons (the library's author), not the interest ranking's
    assert all("you chose" in p.reason for p in before.picks), before.picks
    top = before.picks[0].paper_id

    token = links.feedback_token(reader.id)
    answer = client.post("/subscriptions/feedback", data={"t": token, "p": top, "v": "-1"})
    assert answer.status_code == 200
    after = plan(store, reader, start, "2026-05-08")
    assert top not in [p.paper_id for p in after.picks]
    assert len(after.picks) == 4


def test_a_reader_is_never_sent_the_same_paper_twice(
    store: PaperStore, make_subscriber: Callable[..., Subscriber]
) -> None:
    reader, start = graph_reader(store, make_subscriber)
    first = plan(store, reader, start, "2026-05-08")
    store.save_digest_plans([first], datetime.now(UTC))
    second = plan(store, reader, start, "2026-05-09")
    assert first.picks and second.picks
    assert not {p.paper_id for p in first.picks} & {p.paper_id for p in second.picks}


def test_a_subscriber_without_an_account_keeps_the_interest_ranking(
    store: PaperStore, make_subscriber: Callable[..., Subscriber]
) -> None:
    start = datetime.now(UTC) - timedelta(minutes=1)
    add_papers(store, day_papers(datetime.now(UTC).date(), "2605"))
    reader = make_subscriber(interests=Interests(authors=("Yann LeCun",)), max_papers=2)
    picks = plan(store, reader, start, "2026-05-08").picks
    assert picks[0].reason == "by Yann LeCun, whom you follow"
