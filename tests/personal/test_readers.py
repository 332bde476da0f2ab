"""A reader's list served from the store: ratings, follows, saves and the digest's
thumbs and interests all change the next list; deleting the account forgets it all."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from paperfeed.community.scoring import TrendingModel
from paperfeed.community.settings import CommunitySettings
from paperfeed.config import Settings
from paperfeed.personal.feed import RankedPaper
from paperfeed.personal.readers import (
    background_for,
    for_you,
    import_library,
    reader_account,
    reader_models,
    unfollow_matching,
)
from paperfeed.personal.serving import ServingCache
from paperfeed.store import PaperStore
from paperfeed.store.community import NewMark
from paperfeed.store.subscriptions import Interests
from tests.personal.conftest import EQUIVARIANT

EVERY_DAY = date(2000, 1, 1)
AGENTS_PAPER = "2606.12563"
"""Arbor (cs.AI, by Neha Prakriya), announced on the demo's latest day."""
TREE_SEARCH_PAPER = "2606.11662"
"""TreeSeeker: tree search for agents too, announced a day earlier."""


@pytest.fixture(scope="module")
def trending() -> TrendingModel:
    return CommunitySettings.from_settings(Settings({})).trending_model()


def ranked(store: PaperStore, account: int, trending: TrendingModel) -> list[RankedPaper]:
    """The reader's top 20 over every day of the demo."""
    return for_you(store, account, trending, limit=20, since=EVERY_DAY)


def ids(papers: list[RankedPaper]) -> list[str]:
    return [p.id for p in papers]


def test_a_library_brings_its_neighbours_first_with_the_reason(
    demo_store: PaperStore, trending: TrendingModel
) -> None:
    account = reader_account(demo_store, "ada@example.org")
    import_library(demo_store, account, "\n".join(EQUIVARIANT[:2]).encode())
    top = ranked(demo_store, account, trending)[:3]
    assert set(EQUIVARIANT[2:]) <= {p.id for p in top}
    assert any("which is in your library" in r for r in top[0].reasons)


def test_ratings_change_the_next_list(demo_store: PaperStore, trending: TrendingModel) -> None:
    account = reader_account(demo_store, "ada@example.org")
    import_library(demo_store, account, "\n".join(EQUIVARIANT[:2]).encode())
    before = ranked(demo_store, account, trending)
    demo_store.rate(account, before[0].id, "less", datetime.now(UTC))
    after_less = ranked(demo_store, account, trending)
    assert before[0].id not in ids(after_less)

    whole_before = ids(for_you(demo_store, account, trending, since=EVERY_DAY, limit=400))
    demo_store.rate(account, AGENTS_PAPER, "more", datetime.now(UTC))
    whole_after = for_you(demo_store, account, trending, since=EVERY_DAY, limit=400)
    assert AGENTS_PAPER not in ids(whole_after)
    assert ids(whole_after).index(TREE_SEARCH_PAPER) < whole_before.index(TREE_SEARCH_PAPER) - 50
    tree_search = next(p for p in whole_after if p.id == TREE_SEARCH_PAPER)
    assert any("which you asked more of" in r for r in tree_search.reasons)


def test_a_followed_author_s_new_paper_comes_first_with_the_reason(
    demo_store: PaperStore, trending: TrendingModel
) -> None:
    account = reader_account(demo_store, "bo@example.org")
    demo_store.follow(account, "author", "N. Prakriya", datetime.now(UTC))
    latest_day = for_you(demo_store, account, trending, limit=5)
    assert latest_day[0].id == AGENTS_PAPER
    assert "by Neha Prakriya, whom you follow" in latest_day[0].reasons


def test_saves_and_digest_thumbs_are_the_same_profile(
    demo_store: PaperStore, trending: TrendingModel
) -> None:
    account = reader_account(demo_store, "cy@example.org")
    demo_store.add_marks("save", [NewMark(account, EQUIVARIANT[0], 1.78e9)], trending)
    subscriber, _ = demo_store.add_subscriber("cy@example.org")
    demo_store.record_feedback(subscriber.id, EQUIVARIANT[2], -1, datetime.now(UTC))
    demo_store.set_interests(subscriber.id, Interests(authors=("Neha Prakriya",)))

    listed = ranked(demo_store, account, trending)
    assert EQUIVARIANT[0] not in ids(listed) and EQUIVARIANT[2] not in ids(listed)
    assert any("which you saved" in r for p in listed for r in p.reasons)
    latest_day = for_you(demo_store, account, trending, limit=50)
    arbor = next(p for p in latest_day if p.id == AGENTS_PAPER)
    assert "by Neha Prakriya, whom you follow" in arbor.reasons

    assert unfollow_matching(demo_store, account, "author", "neha  prakriya") == 1
    assert demo_store.interests_of([subscriber.id]).get(subscriber.id, Interests()).authors == ()
    latest_day = for_you(demo_store, account, trending, limit=50)
    assert not any("whom you follow" in r for p in latest_day for r in p.reasons)


def test_the_kept_model_is_reused_until_the_profile_changes(
    demo_store: PaperStore, trending: TrendingModel
) -> None:
    account = reader_account(demo_store, "di@example.org")
    demo_store.follow(account, "category", "cs.CV", datetime.now(UTC))
    ranked(demo_store, account, trending)
    kept = demo_store.reader_model(account)
    ranked(demo_store, account, trending)
    assert demo_store.reader_model(account) == kept
    demo_store.rate(account, AGENTS_PAPER, "more", datetime.now(UTC))
    ranked(demo_store, account, trending)
    changed = demo_store.reader_model(account)
    assert kept is not None and changed is not None and changed.fingerprint != kept.fingerprint


def test_deleting_the_account_forgets_everything_personal(
    demo_store: PaperStore, trending: TrendingModel
) -> None:
    account = reader_account(demo_store, "ed@example.org")
    import_library(demo_store, account, EQUIVARIANT[0].encode())
    demo_store.rate(account, AGENTS_PAPER, "less", datetime.now(UTC))
    demo_store.follow(account, "topic", "equivariant networks", datetime.now(UTC))
    demo_store.add_personal_token(account, "feed", "digest-of-a-token", "", datetime.now(UTC))
    ranked(demo_store, account, trending)

    demo_store.forget_personal_data(account)
    forgotten = demo_store.profile(account)
    assert (forgotten.events, forgotten.follows) == ((), ())
    assert demo_store.reader_model(account) is None
    assert demo_store.personal_token_account("feed", "digest-of-a-token", datetime.now(UTC)) is None

    import_library(demo_store, account, EQUIVARIANT[0].encode())
    assert demo_store.delete_account(account)
    assert demo_store.profile(account).events == ()


def test_tokens_are_kept_as_digests_and_revocable(demo_store: PaperStore) -> None:
    account = reader_account(demo_store, "fa@example.org")
    now = datetime.now(UTC)
    demo_store.add_personal_token(account, "api", "digest-1", "laptop", now)
    assert demo_store.personal_token_account("api", "digest-1", now) == account
    assert demo_store.personal_token_account("feed", "digest-1", now) is None
    assert demo_store.revoke_personal_tokens(account, "api", now) == 1
    assert demo_store.personal_token_account("api", "digest-1", now) is None


def test_a_batch_of_profiles_and_models_is_each_reader_s_own(
    demo_store: PaperStore, trending: TrendingModel
) -> None:
    ada = reader_account(demo_store, "ada@example.org")
    bo = reader_account(demo_store, "bo@example.org")
    quiet = reader_account(demo_store, "quiet@example.org")
    import_library(demo_store, ada, "\n".join(EQUIVARIANT[:2]).encode())
    demo_store.rate(bo, AGENTS_PAPER, "more", datetime.now(UTC))
    subscriber, _ = demo_store.add_subscriber("bo@example.org")
    demo_store.record_feedback(subscriber.id, EQUIVARIANT[3], -1, datetime.now(UTC))
    demo_store.set_interests(subscriber.id, Interests(categories=("cs.AI",)))

    profiles = demo_store.profiles([ada, bo, quiet])
    assert {e.paper_id for e in profiles[ada].events} == set(EQUIVARIANT[:2])
    assert {(e.paper_id, e.kind) for e in profiles[bo].events} == {
        (AGENTS_PAPER, "more"),
        (EQUIVARIANT[3], "less"),
    }
    assert [(f.kind, f.value) for f in profiles[bo].follows] == [("category", "cs.AI")]
    assert profiles[quiet].events == () and profiles[quiet].follows == ()

    generation, background = background_for(demo_store)
    models = reader_models(demo_store, [profiles[ada], profiles[bo]], generation, background)
    kept = demo_store.reader_models([ada, bo, quiet])
    assert set(kept) == {ada, bo}
    # The batch's models rank as each reader's own would, and are kept, not retrained.
    assert [m.to_bytes() for m in models] == [kept[ada].state, kept[bo].state]
    again = reader_models(demo_store, [profiles[bo]], generation, background)
    assert demo_store.reader_models([bo])[bo] == kept[bo]
    assert again[0].to_bytes() == kept[bo].state


def test_a_serving_process_reuses_its_work_and_still_sees_every_rating(
    demo_store: PaperStore, trending: TrendingModel
) -> None:
    account = reader_account(demo_store, "ada@example.org")
    import_library(demo_store, account, "\n".join(EQUIVARIANT[:2]).encode())
    cache = ServingCache()
    served = for_you(demo_store, account, trending, limit=20, since=EVERY_DAY, cache=cache)
    assert ids(served) == ids(ranked(demo_store, account, trending))
    assert served == for_you(demo_store, account, trending, limit=20, since=EVERY_DAY, cache=cache)

    demo_store.rate(account, served[0].id, "less", datetime.now(UTC))
    after = for_you(demo_store, account, trending, limit=20, since=EVERY_DAY, cache=cache)
    assert served[0].id not in ids(after)
    assert ids(after) == ids(ranked(demo_store, account, trending))
