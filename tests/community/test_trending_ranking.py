"""The in-memory trending ranking against a recomputation from the ledger.

Every serving process ranks in memory and catches up from the ledger; these tests check
that what it serves is what the formula gives for the signals recorded, whichever store
object (another process, a fresh one) serves it, and that pages never overlap.
"""

from __future__ import annotations

import itertools
import math
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paperfeed.community.cli import trending
from paperfeed.community.scoring import ACTIVE_FOR, TrendingModel
from paperfeed.community.trending_ranking import TrendingRanking, trending_ids, trending_rows
from paperfeed.store import PaperStore, open_store, trending_ledger
from paperfeed.store.community import (
    ALL_CATEGORIES,
    WINDOWS,
    MarkKind,
    NewMark,
    Signal,
    SignalKind,
    Window,
)
from paperfeed.store.logsum import merge_log_terms, merge_log_terms_many
from paperfeed.store.trending import LogPosition, TrendingChanges
from tests.community.conftest import community_settings, new_account
from tests.factories import make_paper

NOW = 1_773_489_600.0  # 2026-03-14 12:00 UTC
HOUR = 3600.0
PAPERS: dict[str, tuple[str, ...]] = {
    "2603.02001": ("cs.LG", "cs.CV"),
    "2603.02002": ("hep-th",),
    "2603.02003": ("cs.LG",),
    "2603.02004": ("cs.CL", "cs.LG"),
    "2603.02005": ("cs.CV",),
    "2603.02006": ("hep-th", "cs.LG"),
}
IDS = sorted(PAPERS)
SCORER = community_settings().trending_model()
VIEWS = [(w, c) for w in WINDOWS for c in (ALL_CATEGORIES, "cs.LG", "hep-th", "cs.CV")]


@dataclass
class Ledger:
    """What the test recorded, kept beside the store: the recomputation's input."""

    marks: dict[tuple[int, MarkKind, str], float] = field(default_factory=dict)
    external: list[Signal] = field(default_factory=list)
    last_positive: dict[str, float] = field(default_factory=dict)

    def signals(self, paper_id: str) -> list[Signal]:
        live = [Signal(p, kind, 1.0, at) for (_, kind, p), at in self.marks.items()]
        return [s for s in [*live, *self.external] if s.paper_id == paper_id]


def expected(
    ledger: Ledger, model: TrendingModel, window: Window, category: str
) -> dict[str, float]:
    """Each listed paper's score at NOW, recomputed from its signals by the formula."""
    span = ACTIVE_FOR[window]
    scores = {}
    for paper_id, categories in PAPERS.items():
        signals = ledger.signals(paper_id)
        if not signals or (category and category not in categories):
            continue
        if span is not None and ledger.last_positive.get(paper_id, 0.0) < NOW - span:
            continue
        scores[paper_id] = model.explain(signals, window, NOW).total
    return scores


def served(
    store: PaperStore, model: TrendingModel, window: Window, category: str, page: int = 50
) -> list[tuple[str, float]]:
    span = ACTIVE_FOR[window]
    ranked = trending_ids(
        store,
        window,
        model,
        category=category,
        active_since=None if span is None else NOW - span,
        limit=page,
    )
    return [(paper_id, model.score(key, window, NOW)) for paper_id, key in ranked]


def assert_matches(got: list[tuple[str, float]], want: dict[str, float]) -> None:
    assert sorted(p for p, _ in got) == sorted(want)
    for paper_id, score in got:
        assert math.isclose(score, want[paper_id], rel_tol=1e-9, abs_tol=1e-12)
    scores = [score for _, score in got]
    for higher, lower in itertools.pairwise(scores):
        assert higher >= lower * (1 - 1e-9)


@dataclass
class Scene:
    writer: PaperStore
    reader: PaperStore
    store_url: str
    model: TrendingModel
    accounts: list[int]
    ledger: Ledger


@pytest.fixture
def scene(store: PaperStore, store_url: str, model: TrendingModel) -> Iterator[Scene]:
    store.upsert_papers(
        [make_paper(p, primary_category=c[0], categories=c) for p, c in PAPERS.items()],
        source="jsonl",
    )
    accounts = [new_account(store, f"voter{i}").id for i in range(4)]
    store.trending_fold_rows = 3  # the snapshot moves every few writes, not every 50,000
    reader = open_store(store_url)  # another process's view of the same database
    try:
        yield Scene(store, reader, store_url, model, accounts, Ledger())
    finally:
        reader.close()


operation = st.one_of(
    st.tuples(
        st.just("mark"),
        st.sampled_from(["upvote", "save"]),
        st.integers(0, 3),
        st.sampled_from(IDS),
        st.floats(0, 60),
    ),
    st.tuples(
        st.just("unmark"),
        st.sampled_from(["upvote", "save"]),
        st.integers(0, 3),
        st.sampled_from(IDS),
        st.just(0.0),
    ),
    st.tuples(
        st.just("signal"),
        st.sampled_from(["hf_upvote", "star"]),
        st.integers(1, 40),
        st.sampled_from(IDS),
        st.floats(0, 60),
    ),
)


def apply(scene: Scene, op: tuple[str, str, int, str, float]) -> None:
    action, kind, number, paper_id, age_hours = op
    at = NOW - age_hours * HOUR
    ledger, model = scene.ledger, scene.model
    if action == "mark":
        account = scene.accounts[number]
        mark_kind: MarkKind = "upvote" if kind == "upvote" else "save"
        if scene.writer.add_marks(mark_kind, [NewMark(account, paper_id, at)], model)[0]:
            ledger.marks[(account, mark_kind, paper_id)] = at
            ledger.last_positive[paper_id] = max(ledger.last_positive.get(paper_id, 0.0), at)
    elif action == "unmark":
        account = scene.accounts[number]
        mark_kind = "upvote" if kind == "upvote" else "save"
        if scene.writer.remove_mark(mark_kind, account, paper_id, model):
            del ledger.marks[(account, mark_kind, paper_id)]
    else:
        signal_kind: SignalKind = "hf_upvote" if kind == "hf_upvote" else "star"
        signal = Signal(paper_id, signal_kind, float(number), at)
        scene.writer.record_signals([signal], model)
        ledger.external.append(signal)
        ledger.last_positive[paper_id] = max(ledger.last_positive.get(paper_id, 0.0), at)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(operation, max_size=12), rebuild=st.booleans())
def test_every_process_serves_what_the_ledger_adds_up_to(
    scene: Scene, operations: list[tuple[str, str, int, str, float]], rebuild: bool
) -> None:
    # The store and the test's ledger both carry over from one example to the next, so
    # the reader catches up on histories of every length, rebuilds included.
    for op in operations:
        apply(scene, op)
    if rebuild:
        scene.writer.rebuild_trending(scene.model, scene.model.params_json())
    for window, category in VIEWS:
        want = expected(scene.ledger, scene.model, window, category)
        assert_matches(served(scene.writer, scene.model, window, category), want)
        assert_matches(served(scene.reader, scene.model, window, category), want)


def test_a_fresh_process_and_a_long_running_one_agree(scene: Scene) -> None:
    for hours, paper_id in enumerate(IDS):
        apply(scene, ("mark", "upvote", hours % 4, paper_id, float(hours)))
        apply(scene, ("signal", "star", 10 * hours + 1, paper_id, float(hours) / 2))
    for window, category in VIEWS:
        long_running = served(scene.reader, scene.model, window, category)
        with open_store(scene.store_url) as fresh:
            assert served(fresh, scene.model, window, category) == long_running
        assert_matches(long_running, expected(scene.ledger, scene.model, window, category))


def test_the_snapshot_and_the_ledger_past_it_add_up_to_every_signal(scene: Scene) -> None:
    # The writer folds every third ledger row: a fresh process starts from a snapshot
    # with signals past it, a long-running one has added them one write at a time.
    for number in range(8):
        apply(scene, ("mark", "upvote", number % 4, IDS[number % 3], float(number)))
        apply(scene, ("signal", "hf_upvote", number + 1, IDS[3], float(number) / 3))
        served(scene.reader, scene.model, "week", ALL_CATEGORIES)
    apply(scene, ("unmark", "upvote", 1, IDS[1], 0.0))
    long_running = trending_rows(scene.reader, IDS, scene.model)
    with open_store(scene.store_url) as fresh:
        started = trending_rows(fresh, IDS, scene.model)
        assert started.keys() == long_running.keys()
        for paper_id, row in started.items():
            other = long_running[paper_id]
            assert row.upvotes == other.upvotes and row.hf_upvotes == other.hf_upvotes
            assert row.keys == pytest.approx(other.keys, rel=1e-12)
        for window, category in VIEWS:
            want = expected(scene.ledger, scene.model, window, category)
            assert_matches(served(fresh, scene.model, window, category), want)
    counts = {p: (r.upvotes, r.hf_upvotes) for p, r in long_running.items()}
    assert counts == {IDS[0]: (3, 0), IDS[1]: (2, 0), IDS[2]: (2, 0), IDS[3]: (0, 36)}


def test_a_fold_that_fails_takes_its_batch_with_it(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    apply(scene, ("mark", "upvote", 0, IDS[0], 1.0))
    apply(scene, ("mark", "upvote", 1, IDS[0], 1.0))
    before = served(scene.reader, scene.model, "all", ALL_CATEGORIES)

    def crash(*_: object, **__: object) -> None:
        raise RuntimeError("killed while folding")

    monkeypatch.setattr(trending_ledger, "record_fold", crash)  # the third row folds
    vote = NewMark(scene.accounts[2], IDS[1], NOW)
    with pytest.raises(RuntimeError):
        scene.writer.add_marks("upvote", [vote], scene.model)
    monkeypatch.undo()
    with open_store(scene.store_url) as fresh:  # nothing of the batch was kept
        assert served(fresh, scene.model, "all", ALL_CATEGORIES) == before
        assert fresh.upvoters(IDS[1], limit=5) == []
    assert scene.writer.add_marks("upvote", [vote], scene.model) == [True]
    scene.ledger.marks[(scene.accounts[2], "upvote", IDS[1])] = NOW
    scene.ledger.last_positive[IDS[1]] = NOW
    for window, category in VIEWS:
        want = expected(scene.ledger, scene.model, window, category)
        assert_matches(served(scene.reader, scene.model, window, category), want)


def test_a_process_far_behind_reloads_the_snapshot(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    apply(scene, ("mark", "upvote", 0, IDS[0], 1.0))
    served(scene.reader, scene.model, "all", ALL_CATEGORIES)
    monkeypatch.setattr(trending_ledger, "RELOAD_AFTER", 2)
    for number in range(6):
        apply(scene, ("signal", "star", number + 1, IDS[number % 2], 2.0))
    for window, category in VIEWS:
        want = expected(scene.ledger, scene.model, window, category)
        assert_matches(served(scene.reader, scene.model, window, category), want)


@pytest.mark.sqlite_only
def test_a_store_from_before_snapshots_keeps_its_scores(scene: Scene) -> None:
    # Before migration 0009 every write kept trending_scores whole: the migration marks
    # the whole ledger as folded, so nothing is counted twice.
    for number in range(5):
        apply(scene, ("mark", "upvote", number % 4, IDS[number % 2], float(number)))
    scene.writer.rebuild_trending(scene.model, scene.model.params_json())
    conn = sqlite3.connect(scene.store_url.removeprefix("sqlite:///"))
    with conn:
        conn.execute("DROP TABLE trending_fold")
        conn.execute("DELETE FROM schema_migrations WHERE version = 9")
    conn.close()
    with open_store(scene.store_url) as migrated:
        rows = trending_rows(migrated, IDS, scene.model)
        assert {p: r.upvotes for p, r in rows.items()} == {IDS[0]: 2, IDS[1]: 2}
        for window, category in VIEWS:
            want = expected(scene.ledger, scene.model, window, category)
            assert_matches(served(migrated, scene.model, window, category), want)


def test_a_rebuild_with_new_weights_reaches_every_process(scene: Scene) -> None:
    apply(scene, ("mark", "upvote", 0, IDS[0], 1.0))
    apply(scene, ("signal", "star", 5, IDS[1], 1.0))
    assert [p for p, _ in served(scene.reader, scene.model, "all", ALL_CATEGORIES)] == [
        IDS[0],
        IDS[1],
    ]
    stars_count_more = community_settings(trending_weight_star=1.0).trending_model()
    scene.writer.rebuild_trending(stars_count_more, stars_count_more.params_json())
    got = served(scene.reader, stars_count_more, "all", ALL_CATEGORIES)
    assert [paper_id for paper_id, _ in got] == [IDS[1], IDS[0]]
    assert [score for _, score in got] == pytest.approx([5.0, 1.0])


def test_explain_reads_marks_and_the_ledger(scene: Scene) -> None:
    apply(scene, ("mark", "upvote", 0, IDS[2], 3.0))
    apply(scene, ("mark", "upvote", 1, IDS[2], 2.0))
    apply(scene, ("unmark", "upvote", 1, IDS[2], 0.0))
    apply(scene, ("signal", "hf_upvote", 5, IDS[2], 1.0))
    signals = scene.writer.paper_signals(IDS[2])
    assert [(s.kind, s.amount, s.at) for s in signals] == [
        ("upvote", 1.0, NOW - 3 * HOUR),
        ("hf_upvote", 5.0, NOW - HOUR),
    ]


# -- the ranking alone, fed by hand ------------------------------------------------------


class HandFeed:
    """A feed over a list of snapshot rows, as an engine would serve it (no ledger:
    the ``signals`` it returns are always empty)."""

    def __init__(self) -> None:
        self.rows: dict[str, tuple[str | float, ...]] = {}
        self.categories: dict[str, tuple[str, ...]] = {}
        self.seq = 0
        self.changed: list[tuple[int, str]] = []
        self.calls = 0

    def set(self, paper_id: str, key: float, last: float, categories: tuple[str, ...]) -> None:
        self.seq += 1
        self.rows[paper_id] = (paper_id, 0, 0, 0, 0, last, key, key, key, key)
        self.categories[paper_id] = categories
        self.changed.append((self.seq, paper_id))

    def __call__(
        self, since: LogPosition | None, known: Callable[[str], bool]
    ) -> TrendingChanges | None:
        self.calls += 1
        position = LogPosition(0, self.seq)
        if since == position:
            return None
        after = since.seq if since else 0
        ids = {p for seq, p in self.changed if seq > after}
        return TrendingChanges(
            position,
            since is None,
            [self.rows[p] for p in sorted(ids)],
            [],
            [(p, c) for p in sorted(ids) if not known(p) for c in self.categories[p]],
        )


@given(
    keys=st.lists(st.sampled_from([0.0, 1.0, 1.5, 2.0]), min_size=1, max_size=60),
    page=st.integers(1, 7),
)
def test_pages_follow_each_other_without_overlap(keys: list[float], page: int) -> None:
    feed = HandFeed()
    for number, key in enumerate(keys):
        feed.set(f"p{number:03d}", key, NOW, ("cs.LG",) if number % 2 else ("hep-th",))
    ranking = TrendingRanking(feed)
    for category in (ALL_CATEGORIES, "cs.LG"):
        whole = ranking.top("week", SCORER, category=category, limit=len(keys))
        pages: list[tuple[str, float]] = []
        for offset in range(0, len(keys), page):
            pages += ranking.top("week", SCORER, category=category, limit=page, offset=offset)
        assert pages == whole
        assert whole == sorted(whole, key=lambda item: (-item[1], item[0]))


def test_a_read_asks_the_store_at_most_once_per_refresh_interval() -> None:
    feed = HandFeed()
    feed.set("p1", 1.0, NOW, ("cs.LG",))
    ranking = TrendingRanking(feed, refresh_seconds=3600.0)
    assert ranking.top("all", SCORER, limit=5) == [("p1", 1.0)]
    feed.set("p2", 2.0, NOW, ("cs.LG",))
    assert ranking.top("all", SCORER, limit=5) == [("p1", 1.0)] and feed.calls == 1
    ranking.invalidate()  # what a write from this process does
    assert ranking.top("all", SCORER, limit=5) == [("p2", 2.0), ("p1", 1.0)]
    assert ranking.top("all", SCORER, category="cs.LG", active_since=NOW + 1, limit=5) == []


magnitude = st.one_of(st.just(-math.inf), st.floats(-50, 50))


@settings(deadline=None)  # pure arithmetic: a slow example means a loaded machine
@given(
    current=st.lists(st.tuples(magnitude, magnitude), min_size=1, max_size=4),
    terms=st.lists(st.tuples(st.integers(0, 3), st.sampled_from([1, -1]), magnitude, magnitude)),
)
def test_the_batch_merge_equals_one_paper_at_a_time(
    current: list[tuple[float, float]], terms: list[tuple[int, int, float, float]]
) -> None:
    terms = [t for t in terms if t[0] < len(current)]
    batch = merge_log_terms_many(
        np.array(current, dtype=np.float64),
        np.array([t[0] for t in terms], dtype=np.intp),
        np.array([float(t[1]) for t in terms]),
        np.array([t[2:] for t in terms], dtype=np.float64).reshape(len(terms), 2),
    )
    for row, keys in enumerate(current):
        for column in range(2):
            alone = merge_log_terms(
                None if keys[column] == -math.inf else keys[column],
                [(sign, m[column]) for r, sign, *m in terms if r == row],
            )
            got = batch[row, column]
            if alone is None:
                assert got == -math.inf
            else:
                assert math.isclose(got, alone, rel_tol=1e-12, abs_tol=1e-12)


def test_the_rebuild_command_reaches_a_running_process(scene: Scene) -> None:
    apply(scene, ("mark", "save", 0, IDS[3], 1.0))
    before = served(scene.reader, scene.model, "all", ALL_CATEGORIES)
    result = CliRunner().invoke(trending, ["--db", scene.store_url, "rebuild"])
    assert result.exit_code == 0, result.output
    assert "rebuilt the scores of 1 papers" in result.output
    after = trending_ids(scene.reader, "all", scene.model, limit=5)
    assert [paper_id for paper_id, _ in after] == [paper_id for paper_id, _ in before] == [IDS[3]]
    assert [key for _, key in after] == pytest.approx([math.log(0.5)])
