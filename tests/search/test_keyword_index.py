"""The keyword index beside an SQLite store: follows the change log, ranks, filters, and
survives crashes, rebuilds and other processes."""

from __future__ import annotations

import multiprocessing
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paperfeed.search import keyword_index
from paperfeed.search.keyword_index import KeywordIndex, compile_query
from paperfeed.store import PaperStore, open_store
from paperfeed.store.search import KeywordQuery, Phrase, SearchScope
from tests.factories import make_paper

# The index beside the store is what the SQLite engine uses; PostgreSQL ranks in SQL.
pytestmark = pytest.mark.sqlite_only


def _query(*words: str, **kwargs: object) -> KeywordQuery:
    return KeywordQuery(should=tuple(Phrase((w,)) for w in words), **kwargs)  # type: ignore[arg-type]


def _ids(index: KeywordIndex, query: KeywordQuery, scope: SearchScope | None = None) -> list[str]:
    return [m.paper_id for m in index.search(query, scope, limit=10)]


@pytest.fixture
def corpus(store: PaperStore) -> PaperStore:
    store.upsert_papers(
        [
            make_paper("2101.00001", title="Quantum walks on graphs", abstract="Walks."),
            make_paper(
                "2101.00002",
                title="Graph neural networks",
                abstract="We study quantum chemistry with message passing.",
                categories=("quant-ph",),
                announced=date(2023, 5, 1),
            ),
            make_paper(
                "2101.00003",
                title="Transformers for vision",
                abstract="Attention is what 𝒪(n) vision needs; the naïve approach fails.",
                categories=("cs.CV",),
                announced=date(2024, 6, 1),
            ),
        ],
        source="a",
    )
    return store


def test_ranks_title_above_abstract_and_filters(corpus: PaperStore, tmp_path: Path) -> None:
    index = KeywordIndex(corpus, tmp_path / "keyword")
    assert _ids(index, _query("quantum")) == ["2101.00001", "2101.00002"]
    assert _ids(index, _query("quantum"), SearchScope(category="quant-ph")) == ["2101.00002"]
    assert _ids(index, _query("transformer")) == ["2101.00003"]  # stemmed
    assert _ids(index, _query("naive", "o")) == ["2101.00003"]  # accents, math letters
    since = SearchScope(since=date(2024, 1, 1))
    assert _ids(index, _query("zebra"), since) == []  # a filter alone never matches
    assert _ids(index, _query("vision", "graph"), since) == ["2101.00003"]
    assert _ids(index, KeywordQuery(should=(Phrase(("trans",), prefix=True),))) == ["2101.00003"]
    assert _ids(index, KeywordQuery(should=(Phrase(("graphs", "quantum")),))) == []
    assert _ids(index, KeywordQuery(should=(Phrase(("quantum", "walks")),))) == ["2101.00001"]
    without = _query("quantum", must_not=(Phrase(("walks",)),))
    assert _ids(index, without) == ["2101.00002"]
    assert index.document_total() == 3
    assert index.document_frequencies(["quantum", "zebra"]) == {"quantum": 2, "zebra": 0}


def test_follows_insert_update_and_delete(corpus: PaperStore, tmp_path: Path) -> None:
    index = KeywordIndex(corpus, tmp_path / "keyword")
    assert _ids(index, _query("classical")) == []
    paper = make_paper("2101.00001", title="Classical walks", version=2)
    corpus.upsert_papers([paper, make_paper("2101.00009", title="Classical fields")], source="a")
    assert index.refresh() == 2
    assert sorted(_ids(index, _query("classical"))) == ["2101.00001", "2101.00009"]
    assert _ids(index, _query("quantum")) == ["2101.00002"]
    with corpus._pool.write() as conn:  # type: ignore[attr-defined]
        conn.execute("DELETE FROM papers WHERE id = ?", ("2101.00009",))
    index.refresh()
    assert _ids(index, _query("classical")) == ["2101.00001"]
    assert index.applied_seq == corpus.latest_keyword_change()


def test_searching_catches_up_by_itself(
    corpus: PaperStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keyword_index, "_FRESHNESS_CHECK_SECONDS", 0.0)
    index = KeywordIndex(corpus, tmp_path / "keyword")
    assert _ids(index, _query("zeta")) == []
    corpus.upsert_papers([make_paper("2101.00010", title="Zeta functions")], source="a")
    assert _ids(index, _query("zeta")) == ["2101.00010"]


def test_rebuild_equals_incremental(corpus: PaperStore, tmp_path: Path) -> None:
    incremental = KeywordIndex(corpus, tmp_path / "a")
    incremental.refresh()
    corpus.upsert_papers(
        [make_paper(f"2102.{n:05d}", title=f"Graph paper {n}") for n in range(1, 30)], source="a"
    )
    incremental.refresh()
    rebuilt = KeywordIndex(corpus, tmp_path / "b")
    assert rebuilt.rebuild() == 32
    for words in (("graph",), ("quantum", "vision"), ("paper", "7")):
        # The same papers match; scores may differ by deleted documents' statistics.
        found = [
            {m.paper_id for m in i.search(_query(*words), limit=50)} for i in (incremental, rebuilt)
        ]
        assert found[0] == found[1] and found[0]


def test_a_rebuild_elsewhere_is_followed(
    corpus: PaperStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keyword_index, "_FRESHNESS_CHECK_SECONDS", 0.0)
    reader = KeywordIndex(corpus, tmp_path / "keyword")
    assert _ids(reader, _query("quantum")) == ["2101.00001", "2101.00002"]
    writer = KeywordIndex(corpus, tmp_path / "keyword")
    writer.rebuild()
    writer.rebuild()  # the reader's version is pruned from under it
    assert _ids(reader, _query("quantum")) == ["2101.00001", "2101.00002"]


def test_a_replaced_store_means_a_rebuild(store: PaperStore, tmp_path: Path) -> None:
    store.upsert_papers([make_paper(f"2103.{n:05d}") for n in range(1, 6)], source="a")
    KeywordIndex(store, tmp_path / "keyword").refresh()
    other = open_store(f"sqlite:///{tmp_path / 'other.db'}")
    try:
        other.upsert_papers([make_paper("2104.00001", title="Only paper here")], source="a")
        index = KeywordIndex(other, tmp_path / "keyword")  # its log is behind the index
        assert _ids(index, _query("paper")) == ["2104.00001"]
        assert index.document_total() == 1
    finally:
        other.close()


def test_unreadable_files_are_rebuilt(corpus: PaperStore, tmp_path: Path) -> None:
    KeywordIndex(corpus, tmp_path / "keyword").refresh()
    version = (tmp_path / "keyword" / "CURRENT").read_text()
    for path in (tmp_path / "keyword" / version).iterdir():
        path.write_bytes(b"garbage")
    assert _ids(KeywordIndex(corpus, tmp_path / "keyword"), _query("vision")) == ["2101.00003"]


def _hold_writer(
    folder: str, ready: multiprocessing.synchronize.Event, done: multiprocessing.synchronize.Event
) -> None:
    index = keyword_index._open_tantivy(Path(folder), create=False)
    writer = index.writer(heap_size=15_000_000, num_threads=1)
    ready.set()
    done.wait(30)
    del writer


def test_another_process_holding_the_writer_is_waited_out(
    corpus: PaperStore, tmp_path: Path
) -> None:
    index = KeywordIndex(corpus, tmp_path / "keyword")
    index.refresh()
    folder = tmp_path / "keyword" / (tmp_path / "keyword" / "CURRENT").read_text()
    context = multiprocessing.get_context("spawn")
    ready, done = context.Event(), context.Event()
    holder = context.Process(target=_hold_writer, args=(str(folder), ready, done))
    holder.start()
    try:
        assert ready.wait(30)
        corpus.upsert_papers([make_paper("2101.00011", title="Held back")], source="a")
        assert index.refresh() == 0  # the other process has the writer: not now
        assert _ids(index, _query("held")) == []
    finally:
        done.set()
        holder.join(30)
    assert index.refresh() == 1
    assert _ids(index, _query("held")) == ["2101.00011"]


def test_an_interrupted_catch_up_applies_again(
    corpus: PaperStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = KeywordIndex(corpus, tmp_path / "keyword")
    index.refresh()
    corpus.upsert_papers(
        [make_paper(f"2105.{n:05d}", title="Late arrival") for n in range(5)], source="a"
    )
    monkeypatch.setattr(keyword_index, "CATCH_UP_BATCH", 2)
    calls = 0
    real_apply = keyword_index._apply

    def failing_apply(*args: object) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise OSError("disk full")
        real_apply(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(keyword_index, "_apply", failing_apply)
    with pytest.raises(OSError):
        index.refresh()
    monkeypatch.setattr(keyword_index, "_apply", real_apply)
    folder = tmp_path / "keyword" / (tmp_path / "keyword" / "CURRENT").read_text()
    on_disk = keyword_index._checkpoint(keyword_index._open_tantivy(folder, create=False))
    assert on_disk == corpus.latest_keyword_change() - 3  # the first batch was committed
    fresh = KeywordIndex(corpus, tmp_path / "keyword")
    assert len(_ids(fresh, _query("late"))) == 5


words = st.text(min_size=1, max_size=12)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    should=st.lists(st.tuples(st.lists(words, min_size=1, max_size=3), st.booleans()), max_size=4),
    must_not=st.lists(words, max_size=2),
    author=st.none() | words,
    category=st.none() | words,
)
def test_any_words_compile_and_search_without_error(
    corpus: PaperStore,
    tmp_path: Path,
    should: list[tuple[list[str], bool]],
    must_not: list[str],
    author: str | None,
    category: str | None,
) -> None:
    query = KeywordQuery(
        should=tuple(Phrase(tuple(w), prefix=p) for w, p in should),
        must_not=tuple(Phrase((w,)) for w in must_not),
    )
    scope = SearchScope(category=category, author=author)
    compile_query(query, scope)
    index = KeywordIndex(corpus, tmp_path / "keyword")
    assert all(m.paper_id.startswith("2101.") for m in index.search(query, scope, limit=5))


def test_a_changed_paper_is_found_by_its_new_words_only(corpus: PaperStore, tmp_path: Path) -> None:
    index = KeywordIndex(corpus, tmp_path / "keyword")
    index.refresh()
    paper = corpus.get_paper("2101.00003")
    assert paper is not None
    corpus.upsert_papers(
        [replace(make_paper("2101.00003"), title="Diffusion", version=9)], source="a"
    )
    index.refresh()
    assert _ids(index, _query("diffusion")) == ["2101.00003"]
    assert "2101.00003" not in _ids(index, _query("vision"))


def test_a_large_backlog_is_applied_in_the_background(
    corpus: PaperStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keyword_index, "_FRESHNESS_CHECK_SECONDS", 0.0)
    monkeypatch.setattr(keyword_index, "SYNC_CATCH_UP_LIMIT", 3)
    monkeypatch.setattr(keyword_index, "CATCH_UP_BATCH", 4)
    papers = [make_paper(f"2106.{n:05d}", title="Backlog") for n in range(10)]
    corpus.upsert_papers(papers, source="a")
    index = KeywordIndex(corpus, tmp_path / "keyword")  # 13 changes: over the limit
    assert len(_ids(index, _query("backlog"))) <= 10  # answers at once, maybe partly
    index.close()  # waits for the background catch-up
    assert len(_ids(index, _query("backlog"))) == 10
    assert index.applied_seq == corpus.latest_keyword_change()
