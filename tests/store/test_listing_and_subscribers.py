"""What the web pages ask of the store: orderings, neighbouring days, a data version,
and pending subscribers."""

from __future__ import annotations

from datetime import date, timedelta

from paperfeed.store import PaperFilter, PaperStore
from tests.factories import make_hf, make_paper

DAY = date(2026, 3, 12)


def fill(store: PaperStore) -> None:
    papers = [
        make_paper(f"2603.{n:05d}", announced=DAY - timedelta(days=n % 4)) for n in range(1, 21)
    ]
    papers[3] = make_paper("2603.00004", announced=DAY - timedelta(days=3), hf=make_hf(upvotes=9))
    papers[10] = make_paper("2603.00011", announced=DAY, hf=make_hf(upvotes=30))
    papers[12] = make_paper("2603.00013", announced=DAY, hf=make_hf(upvotes=0))
    store.upsert_papers(papers, source="jsonl")


def ids(rows: list) -> list[str]:  # type: ignore[type-arg]
    return [r.paper.id for r in rows]


def test_upvoted_first_then_newest_with_any_page_size(store: PaperStore) -> None:
    fill(store)
    everything = ids(store.list_papers(limit=100))
    assert everything[:2] == ["2603.00011", "2603.00004"]
    rest = [store.get_paper(i) for i in everything[2:]]
    keys = [(r.paper.announced, r.first_seen_at, r.paper.id) for r in rest if r]
    assert keys == sorted(keys, reverse=True)
    for size in (1, 3, 7):
        paged = []
        for offset in range(0, 20, size):
            paged += ids(store.list_papers(limit=size, offset=offset))
        assert paged == everything, size


def test_newest_first_ignores_upvotes(store: PaperStore) -> None:
    fill(store)
    newest = store.list_papers(limit=100, order="newest")
    days = [r.paper.announced for r in newest]
    assert days == sorted(days, reverse=True)  # type: ignore[type-var]
    assert len(newest) == 20
    day_only = store.list_papers(PaperFilter(day=DAY), limit=100, order="newest")
    assert {r.paper.announced for r in day_only} == {DAY}


def test_neighbour_days_skip_empty_days(store: PaperStore) -> None:
    store.upsert_papers(
        [
            make_paper("2603.00001", announced=DAY),
            make_paper("2603.00002", announced=DAY - timedelta(days=5)),
        ],
        source="jsonl",
    )
    assert store.neighbour_days(DAY) == (DAY - timedelta(days=5), None)
    assert store.neighbour_days(DAY - timedelta(days=2)) == (DAY - timedelta(days=5), DAY)
    assert store.neighbour_days(date(2000, 1, 1)) == (None, DAY - timedelta(days=5))


def test_data_version_moves_on_every_commit_only(store: PaperStore) -> None:
    before = store.data_version()
    assert store.data_version() == before
    store.list_papers()
    assert store.data_version() == before
    store.upsert_papers([make_paper()], source="jsonl")
    after = store.data_version()
    assert after != before
    store.add_subscriber("ada@example.org")
    assert store.data_version() != after


def test_subscribers_are_pending_and_unique(store: PaperStore) -> None:
    first, created = store.add_subscriber("ada@example.org")
    assert created and first.status == "pending" and first.confirmed_at is None
    again, created_again = store.add_subscriber("ada@example.org")
    assert not created_again and again == first
    assert store.get_subscriber("ada@example.org") == first
    assert store.get_subscriber("bob@example.org") is None
