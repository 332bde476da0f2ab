"""The SQLite keyword index follows every write of papers; queries compile safely."""

from __future__ import annotations

from dataclasses import replace

import pytest

from paperfeed.store import PaperStore
from paperfeed.store.search import KeywordQuery, Phrase, SearchScope
from paperfeed.store.sqlite.search import compile_fts5
from tests.factories import make_paper

# SQLite internals (FTS5 compilation, triggers, the connection pool).
pytestmark = pytest.mark.sqlite_only


def _search(store: PaperStore, *words: str) -> list[str]:
    query = KeywordQuery(should=tuple(Phrase((w,)) for w in words))
    return [m.paper_id for m in store.keyword_search(query, limit=10)]


def test_compiled_query_quotes_every_word() -> None:
    query = KeywordQuery(
        should=(Phrase(("a",)), Phrase(('b"c',), prefix=True)),
        must=(Phrase(("x", "y"), field="authors"),),
        must_not=(Phrase(("NEAR",)),),
    )
    assert compile_fts5(query) == (
        '(({authors} : "x y") AND (("a" OR "b""c" * OR {authors} : "x y"))) NOT ("NEAR")'
    )
    assert compile_fts5(KeywordQuery(should=(Phrase(("--",)),))) is None


def test_index_follows_insert_update_and_delete(store: PaperStore) -> None:
    paper = make_paper("2101.00001", title="Quantum walks on graphs")
    store.upsert_papers([paper], source="a")
    assert _search(store, "quantum") == ["2101.00001"]
    store.upsert_papers([replace(paper, title="Classical walks", version=2)], source="a")
    assert _search(store, "quantum") == []
    assert _search(store, "classical") == ["2101.00001"]
    with store._pool.write() as conn:  # type: ignore[attr-defined]
        conn.execute("DELETE FROM papers WHERE id = ?", ("2101.00001",))
    assert _search(store, "classical") == []
    assert store.keyword_document_total() == 0


def test_changed_text_drops_stale_embeddings(store: PaperStore) -> None:
    paper = make_paper("2101.00002")
    store.upsert_papers([paper], source="a")
    store.ensure_generation("g", 2)
    store.put_embeddings("g", [("2101.00002", b"\x00" * 8)])
    store.upsert_papers([replace(paper, comments="new comment", version=2)], source="a")
    assert store.get_embedding("g", "2101.00002") is not None  # text unchanged
    store.upsert_papers([replace(paper, abstract="A new abstract.", version=3)], source="a")
    assert store.get_embedding("g", "2101.00002") is None


def test_scope_filters_and_document_frequencies(store: PaperStore) -> None:
    store.upsert_papers(
        [make_paper("2101.00003"), make_paper("2101.00004", categories=("math.AG",))],
        source="a",
    )
    scope = SearchScope(category="math.AG")
    assert store.papers_in_scope(["2101.00003", "2101.00004"], scope) == {"2101.00004"}
    assert store.keyword_document_frequencies(["invariant", "zebra"]) == {
        "invariant": 2,
        "zebra": 0,
    }


def test_generations_switch_in_one_step(store: PaperStore) -> None:
    store.upsert_papers([make_paper("2101.00005")], source="a")
    store.ensure_generation("old", 2)
    store.ensure_generation("new", 2)
    store.activate_generation("old")
    store.activate_generation("new")
    assert store.active_generation() == "new"
    assert [g.active for g in store.generations()] == [False, True]
