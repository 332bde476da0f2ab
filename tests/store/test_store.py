"""The store's contract, on a real database (SQLite, or PostgreSQL with --backend)."""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from paperfeed.store import PaperFilter, PaperStore, StoreError, open_store
from tests.factories import make_hf, make_paper


def test_fresh_store_is_migrated_and_empty(store: PaperStore) -> None:
    migrations = store.migrations()
    assert migrations and all(m.applied_at is not None for m in migrations)
    assert store.stats().papers == 0
    assert store.latest_day() is None


def test_migrate_twice_applies_nothing(store: PaperStore) -> None:
    assert store.migrate() == []


def test_roundtrip_keeps_every_field(store: PaperStore) -> None:
    paper = make_paper(
        hf=make_hf(ai_keywords=("invariance", "GNN")),
        comments="12 pages",
        doi="10.1/x",
        journal_ref="NeurIPS 2021",
        license="http://creativecommons.org/licenses/by/4.0/",
    )
    result = store.upsert_papers([paper], source="arxiv-api")
    assert (result.inserted, result.updated, result.unchanged) == (1, 0, 0)
    stored = store.get_paper(paper.id)
    assert stored is not None
    assert stored.paper == paper
    assert stored.title_text == "Revisiting Transformation Invariant Geometric Deep Learning"
    assert "ℝ" in stored.abstract_text and "$" not in stored.abstract_text
    assert stored.authors_text == "Ziwei Zhang, Xin Wang"
    assert [s.source for s in stored.sources] == ["arxiv-api"]


def test_same_data_twice_changes_nothing(store: PaperStore) -> None:
    papers = [make_paper(f"2401.{n:05d}") for n in range(1, 30)]
    store.upsert_papers(papers, source="jsonl")
    before = store.get_paper("2401.00001")
    again = store.upsert_papers(papers, source="jsonl")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 29)
    assert store.get_paper("2401.00001") == before


def test_newer_version_replaces_and_older_never_overwrites(store: PaperStore) -> None:
    v1 = make_paper(version=1, title="Old title", updated=date(2022, 1, 1))
    v2 = make_paper(version=2, title="New title", updated=date(2022, 6, 1), doi=None)
    store.upsert_papers([replace(v1, doi="10.1/v1")], source="arxiv-api")
    assert store.upsert_papers([v2], source="arxiv-api").updated == 1
    stored = store.get_paper(v1.id)
    assert stored is not None
    assert (stored.paper.version, stored.paper.title) == (2, "New title")
    assert stored.paper.doi == "10.1/v1"  # the newer version lacked it: kept, not lost

    late_old = store.upsert_papers([v1], source="arxiv-oai")
    assert late_old.updated == 0
    stored = store.get_paper(v1.id)
    assert stored is not None and stored.paper.title == "New title"
    assert {s.source for s in stored.sources} == {"arxiv-api", "arxiv-oai"}


def test_unversioned_source_only_fills_gaps(store: PaperStore) -> None:
    store.upsert_papers([make_paper(version=3)], source="arxiv-api")
    from_hf = make_paper(
        version=None,
        title="HF's title",
        categories=(),
        primary_category=None,
        hf=make_hf(upvotes=118),
    )
    store.upsert_papers([from_hf], source="hf-daily")
    stored = store.get_paper("2112.12345")
    assert stored is not None
    assert stored.paper.title == make_paper().title
    assert stored.paper.categories == ("cs.LG", "cs.CV")
    assert stored.paper.hf is not None and stored.paper.hf.upvotes == 118


def test_hf_upvotes_update(store: PaperStore) -> None:
    store.upsert_papers([make_paper(hf=make_hf(upvotes=1))], source="hf-daily")
    result = store.upsert_papers([make_paper(hf=make_hf(upvotes=7))], source="hf-daily")
    assert result.updated == 1
    stored = store.get_paper("2112.12345")
    assert stored is not None and stored.paper.hf is not None and stored.paper.hf.upvotes == 7


def test_duplicates_within_one_batch_keep_the_freshest(store: PaperStore) -> None:
    batch = [make_paper(version=2, title="v2"), make_paper(version=1, title="v1")]
    result = store.upsert_papers(batch, source="arxiv-rss")
    assert result.inserted == 1
    stored = store.get_paper("2112.12345")
    assert stored is not None and stored.paper.title == "v2"


def test_checkpoint_commits_with_the_papers(store: PaperStore) -> None:
    store.upsert_papers([make_paper()], source="jsonl", checkpoint_key="k", checkpoint={"line": 5})
    assert store.get_checkpoint("k") == {"line": 5}
    store.reset_checkpoint("k")
    assert store.get_checkpoint("k") is None


def test_failed_write_rolls_back_papers_and_checkpoint(store: PaperStore) -> None:
    class Unserialisable:
        pass

    with pytest.raises(TypeError):
        store.upsert_papers(
            [make_paper()], source="jsonl", checkpoint_key="k", checkpoint={"bad": Unserialisable()}
        )  # type: ignore[dict-item]
    assert store.get_paper("2112.12345") is None
    assert store.get_checkpoint("k") is None


def test_listing_by_day_and_category_orders_by_upvotes(store: PaperStore) -> None:
    day = date(2026, 6, 30)
    store.upsert_papers(
        [
            make_paper(
                "2606.00001", announced=day, categories=("math.AG",), primary_category="math.AG"
            ),
            make_paper("2606.00002", announced=day, hf=make_hf(upvotes=50)),
            make_paper("2606.00003", announced=date(2026, 6, 29)),
        ],
        source="jsonl",
    )
    assert store.latest_day() == day
    listed = [s.paper.id for s in store.list_papers(PaperFilter(day=day))]
    assert listed == ["2606.00002", "2606.00001"]
    assert [s.paper.id for s in store.list_papers(PaperFilter(category="math.AG"))] == [
        "2606.00001"
    ]
    assert store.count_papers(PaperFilter(since=date(2026, 6, 29))) == 3
    assert store.count_papers(PaperFilter(until=date(2026, 6, 29))) == 1


def test_stats_counts_sources_and_categories(store: PaperStore) -> None:
    store.upsert_papers([make_paper("2606.00001"), make_paper("2606.00002")], source="jsonl")
    store.upsert_papers([make_paper("2606.00002", hf=make_hf())], source="hf-daily")
    stats = store.stats()
    assert stats.papers == 2
    assert dict(stats.by_source) == {"hf-daily": 1, "jsonl": 2}
    assert dict(stats.by_category) == {"cs.LG": 2}
    assert stats.with_hf == 1


@pytest.mark.sqlite_only
def test_wal_and_foreign_keys_are_on(store: PaperStore, store_url: str) -> None:
    path = store_url.removeprefix("sqlite:///")
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


@pytest.mark.sqlite_only
def test_readers_keep_reading_while_a_writer_holds_the_lock(
    store: PaperStore, store_url: str
) -> None:
    store.upsert_papers([make_paper()], source="jsonl")
    other = open_store(store_url)
    writer = sqlite3.connect(store_url.removeprefix("sqlite:///"), isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        assert other.get_paper("2112.12345") is not None
        assert other.count_papers() == 1
    finally:
        writer.execute("ROLLBACK")
        writer.close()
        other.close()


def test_two_threads_writing_never_lose_a_paper(store: PaperStore) -> None:
    def write(offset: int) -> None:
        for n in range(20):
            store.upsert_papers([make_paper(f"2402.{offset + n:05d}")], source="jsonl")

    threads = [threading.Thread(target=write, args=(k * 100,)) for k in range(1, 4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.count_papers() == 60


@pytest.mark.sqlite_only
def test_newer_schema_than_code_is_refused(store_url: str) -> None:
    opened = open_store(store_url)
    opened.close()
    conn = sqlite3.connect(store_url.removeprefix("sqlite:///"))
    conn.execute("INSERT INTO schema_migrations VALUES (999, 'future', '2030-01-01T00:00:00')")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer than this paperfeed"):
        open_store(store_url)


@pytest.mark.sqlite_only
def test_unwritable_location_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot open database"):
        open_store(f"sqlite:///{blocker / 'sub' / 'p.db'}")


def test_unknown_database_url_is_refused() -> None:
    with pytest.raises(StoreError, match="unsupported database URL"):
        open_store("mysql://localhost/db")
