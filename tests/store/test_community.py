"""The community tables: accounts, sessions, marks, single-use nonces, rate counters,
and trending keys that always equal a recomputation from the ledger."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paperfeed.community.scoring import TrendingModel
from paperfeed.community.trending_ranking import trending_ids, trending_rows
from paperfeed.store import PaperStore
from paperfeed.store.community import WINDOWS, Account, NewMark, PublicName, RateCheck, Signal
from paperfeed.store.logsum import merge_log_terms
from tests.community.conftest import community_settings, fill_papers, new_account

NOW = datetime(2026, 3, 14, 12, tzinfo=UTC).timestamp()


@pytest.fixture
def papers_store(store: PaperStore) -> PaperStore:
    return fill_papers(store)


@pytest.fixture
def make_account(papers_store: PaperStore) -> Callable[[str], Account]:
    return lambda name: new_account(papers_store, name)


@pytest.fixture
def model() -> TrendingModel:
    return community_settings().trending_model()


def test_an_account_is_one_per_address_and_created_once(papers_store: PaperStore) -> None:
    first, created = papers_store.get_or_create_account("ada@example.org", "ada")
    again, created_again = papers_store.get_or_create_account("ada@example.org", "other")
    assert created and not created_again
    assert again.id == first.id and again.display_name == "ada"


def test_vote_twice_counts_once_and_withdrawal_cancels_exactly(
    papers_store: PaperStore, make_account: Callable[[str], Account], model: TrendingModel
) -> None:
    ada = make_account("ada")
    vote = NewMark(ada.id, "2603.01001", NOW)
    assert papers_store.add_marks("upvote", [vote], model) == [True]
    assert papers_store.add_marks("upvote", [vote, vote], model) == [False, False]
    row = trending_rows(papers_store, ["2603.01001"], model)["2603.01001"]
    assert row.upvotes == 1
    assert papers_store.remove_mark("upvote", ada.id, "2603.01001", model)
    assert not papers_store.remove_mark("upvote", ada.id, "2603.01001", model)
    row = trending_rows(papers_store, ["2603.01001"], model)["2603.01001"]
    assert row.upvotes == 0 and all(key is None for key in row.keys.values())
    assert trending_ids(papers_store, "all", model, limit=10) == []


def test_a_batch_adds_each_new_mark_once_in_order(
    papers_store: PaperStore, make_account: Callable[[str], Account], model: TrendingModel
) -> None:
    ada, bob = make_account("ada"), make_account("bob")
    papers_store.add_marks("upvote", [NewMark(bob.id, "2603.01002", NOW)], model)
    batch = [
        NewMark(ada.id, "2603.01001", NOW),
        NewMark(bob.id, "2603.01002", NOW + 1),  # stored before
        NewMark(ada.id, "2603.01001", NOW + 2),  # earlier in this batch
        NewMark(bob.id, "2603.01001", NOW + 3),
    ]
    assert papers_store.add_marks("upvote", batch, model) == [True, False, False, True]
    rows = trending_rows(papers_store, ["2603.01001", "2603.01002"], model)
    assert (rows["2603.01001"].upvotes, rows["2603.01002"].upvotes) == (2, 1)
    assert rows["2603.01001"].last_signal_at == NOW + 3


def test_deleting_an_account_keeps_anonymous_counts(
    papers_store: PaperStore, make_account: Callable[[str], Account], model: TrendingModel
) -> None:
    ada = make_account("ada")
    papers_store.add_subscriber("ada@example.org")
    papers_store.add_marks("upvote", [NewMark(ada.id, "2603.01001", NOW)], model)
    papers_store.add_marks("save", [NewMark(ada.id, "2603.01002", NOW)], model)
    papers_store.record_submission("2603.01001", ada.id)
    papers_store.create_session("digest", ada.id, datetime.now(UTC) + timedelta(days=1))
    before = trending_rows(papers_store, ["2603.01001"], model)["2603.01001"]
    assert papers_store.upvoters("2603.01001", limit=5) == [PublicName(ada.id, "ada")]
    found = papers_store.get_submission("2603.01001")
    assert found is not None and (found.display_name, found.account_id) == ("ada", ada.id)

    assert papers_store.delete_account(ada.id)
    assert papers_store.get_account(ada.id) is None
    assert papers_store.get_subscriber("ada@example.org") is None
    assert papers_store.session_account("digest", datetime.now(UTC)) is None
    assert papers_store.upvoters("2603.01001", limit=5) == []
    submission = papers_store.get_submission("2603.01001")
    assert submission is not None and submission.display_name is None
    assert submission.account_id is None
    assert trending_rows(papers_store, ["2603.01001"], model)["2603.01001"] == before


def test_sessions_expire(papers_store: PaperStore, make_account: Callable[[str], Account]) -> None:
    ada = make_account("ada")
    now = datetime.now(UTC)
    papers_store.create_session("h1", ada.id, now + timedelta(minutes=5))
    assert papers_store.session_account("h1", now) == ada
    assert papers_store.session_account("h1", now + timedelta(minutes=6)) is None
    papers_store.delete_session("h1")
    assert papers_store.session_account("h1", now) is None


def test_a_signin_nonce_is_used_once(papers_store: PaperStore) -> None:
    now = datetime.now(UTC)
    assert papers_store.use_signin_nonce("n1", now + timedelta(minutes=30), now)
    assert not papers_store.use_signin_nonce("n1", now + timedelta(minutes=30), now)


def test_rate_counters_count_all_or_nothing(papers_store: PaperStore) -> None:
    small = RateCheck("a", 0, 2)
    big = RateCheck("b", 0, 10)
    assert papers_store.take_rate_limit([small, big], 10.0) is None
    assert papers_store.take_rate_limit([small, big], 10.0) is None
    assert papers_store.take_rate_limit([big, small], 10.0) == small
    # the refused attempt counted nothing: "b" has 2 hits, 8 left
    for _ in range(8):
        assert papers_store.take_rate_limit([big], 10.0) is None
    assert papers_store.take_rate_limit([big], 10.0) == big
    assert papers_store.take_rate_limit([RateCheck("a", 3600, 2)], 3600.0) is None


def _recomputed(
    store: PaperStore, model: TrendingModel, paper_id: str, now: float
) -> dict[str, float]:
    signals = store.paper_signals(paper_id)
    return {w: model.explain(signals, w, now).total for w in WINDOWS}


kinds = st.sampled_from(["upvote", "save", "hf_upvote", "star"])
events = st.lists(
    st.tuples(
        st.sampled_from(["2603.01001", "2603.01002", "2603.01003"]),
        kinds,
        st.integers(1, 500),
        st.floats(0, 60 * 86_400),
    ),
    min_size=1,
    max_size=40,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(events=events)
def test_incremental_keys_equal_a_recomputation_from_the_ledger(
    papers_store: PaperStore, model: TrendingModel, events: list[tuple[str, str, int, float]]
) -> None:
    papers_store.rebuild_trending(model, model.params_json())  # start each example clean
    for paper, kind, amount, age in events:
        papers_store.record_signals([Signal(paper, kind, float(amount), NOW - age)], model)  # type: ignore[arg-type]
    rows = trending_rows(papers_store, ["2603.01001", "2603.01002", "2603.01003"], model)
    for paper_id, row in rows.items():
        expected = _recomputed(papers_store, model, paper_id, NOW)
        for w in WINDOWS:
            assert math.isclose(model.score(row.keys[w], w, NOW), expected[w], rel_tol=1e-9)


def test_rebuild_gives_the_same_keys(
    papers_store: PaperStore, make_account: Callable[[str], Account], model: TrendingModel
) -> None:
    accounts = [make_account(f"reader{i}") for i in range(5)]
    for i, account in enumerate(accounts):
        papers_store.add_marks("upvote", [NewMark(account.id, "2603.01001", NOW - i * 3600)], model)
        papers_store.add_marks("save", [NewMark(account.id, "2603.01003", NOW - i * 7200)], model)
    papers_store.remove_mark("upvote", accounts[2].id, "2603.01001", model)
    before = trending_rows(papers_store, ["2603.01001", "2603.01003"], model)
    assert papers_store.rebuild_trending(model, model.params_json()) == 2
    after = trending_rows(papers_store, ["2603.01001", "2603.01003"], model)
    for paper_id, row in before.items():
        for w in WINDOWS:
            assert math.isclose(row.keys[w] or 0, after[paper_id].keys[w] or 0, abs_tol=1e-9)


def test_each_category_ranks_its_own_papers(
    papers_store: PaperStore, make_account: Callable[[str], Account], model: TrendingModel
) -> None:
    ada = make_account("ada")
    for paper in ("2603.01001", "2603.01002", "2603.01004"):
        papers_store.add_marks("upvote", [NewMark(ada.id, paper, NOW)], model)
    assert {
        p for p, _ in trending_ids(papers_store, "week", model, category="cs.LG", limit=10)
    } == {
        "2603.01001",
        "2603.01004",
    }
    assert [
        p for p, _ in trending_ids(papers_store, "week", model, category="hep-th", limit=10)
    ] == ["2603.01002"]
    assert trending_ids(papers_store, "week", model, category="math.CO", limit=10) == []


def test_log_sums_never_overflow_and_cancel_to_nothing() -> None:
    big = 5000.0  # e^5000 is far beyond a double
    key = merge_log_terms(None, [(1, big), (1, big)])
    assert key is not None and math.isclose(key, big + math.log(2))
    assert merge_log_terms(key, [(-1, big), (-1, big)]) is None
    assert merge_log_terms(None, []) is None


def test_star_history_and_gone_repositories(papers_store: PaperStore, model: TrendingModel) -> None:
    from paperfeed.store.community import RepoCheck

    papers_store.link_repos([("2603.01001", "example-lab/tinvnn"), ("9999.99999", "x/y")])
    when = datetime(2026, 3, 14, tzinfo=UTC)
    papers_store.record_repo_check(
        RepoCheck("example-lab/tinvnn", when, "github", 17, '"e1"'), [], model
    )
    papers_store.record_repo_check(
        RepoCheck("example-lab/tinvnn", when + timedelta(hours=6), "github"), [], model
    )
    state = papers_store.repo_state("example-lab/tinvnn")
    assert state is not None and state.stars == 17 and state.etag == '"e1"'
    assert papers_store.star_history("example-lab/tinvnn") == [(when, 17)]
    papers_store.record_repo_check(
        RepoCheck("example-lab/tinvnn", when, "github", gone=True), [], model
    )
    assert papers_store.repos_due(checked_before=when + timedelta(days=9), limit=10) == []
