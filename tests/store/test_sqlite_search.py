"""The SQLite keyword change log follows every write of papers; scopes and generations."""

from __future__ import annotations

from dataclasses import replace

import pytest

from paperfeed.store import PaperStore
from paperfeed.store.search import SearchScope
from tests.factories import make_paper

# SQLite internals (triggers, the connection pool).
pytestmark = pytest.mark.sqlite_only


def _changed(store: PaperStore, after: int = 0) -> list[str]:
    return [paper_id for _, paper_id in store.keyword_changes(after_seq=after, limit=100)]


def test_change_log_follows_insert_update_and_delete(store: PaperStore) -> None:
    paper = make_paper("2101.00001", title="Quantum walks on graphs")
    store.upsert_papers([paper], source="a")
    assert _changed(store) == ["2101.00001"]
    first = store.latest_keyword_change()
    store.upsert_papers([replace(paper, comments="a comment", version=2)], source="a")
    assert _changed(store, first) == []  # nothing the keyword index holds changed
    store.upsert_papers([replace(paper, title="Classical walks", version=3)], source="a")
    assert _changed(store, first) == ["2101.00001"]
    (document,) = store.keyword_documents(["2101.00001", "2101.99999"]).values()
    assert document.title == "Classical walks"
    assert document.categories == paper.categories
    with store._pool.write() as conn:  # type: ignore[attr-defined]
        conn.execute("DELETE FROM papers WHERE id = ?", ("2101.00001",))
    assert _changed(store, first) == ["2101.00001", "2101.00001"]
    assert store.keyword_documents(["2101.00001"]) == {}


def test_keyword_documents_page_through_every_paper(store: PaperStore) -> None:
    store.upsert_papers([make_paper(f"2101.{n:05d}") for n in range(1, 8)], source="a")
    batches = list(store.iter_keyword_documents(batch_size=3))
    assert [len(b) for b in batches] == [3, 3, 1]
    assert [d.paper_id for b in batches for d in b] == [f"2101.{n:05d}" for n in range(1, 8)]
    assert batches[0][0].day is not None


def test_changed_text_drops_stale_embeddings(store: PaperStore) -> None:
    paper = make_paper("2101.00002")
    store.upsert_papers([paper], source="a")
    store.ensure_generation("g", 2)
    store.put_embeddings("g", [("2101.00002", b"\x00" * 8)])
    store.upsert_papers([replace(paper, comments="new comment", version=2)], source="a")
    assert store.get_embedding("g", "2101.00002") is not None  # text unchanged
    store.upsert_papers([replace(paper, abstract="A new abstract.", version=3)], source="a")
    assert store.get_embedding("g", "2101.00002") is None


def test_scope_filters(store: PaperStore) -> None:
    store.upsert_papers(
        [make_paper("2101.00003"), make_paper("2101.00004", categories=("math.AG",))],
        source="a",
    )
    scope = SearchScope(category="math.AG")
    assert store.papers_in_scope(["2101.00003", "2101.00004"], scope) == {"2101.00004"}


def test_generations_switch_in_one_step(store: PaperStore) -> None:
    store.upsert_papers([make_paper("2101.00005")], source="a")
    store.ensure_generation("old", 2)
    store.ensure_generation("new", 2)
    store.activate_generation("old")
    store.activate_generation("new")
    assert store.active_generation() == "new"
    assert [g.active for g in store.generations()] == [False, True]
