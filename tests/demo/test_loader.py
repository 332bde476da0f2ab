"""The bundled demo on first start: the recorded Hugging Face day trends on the day of
the first start, "new" badges only on the demo's last day, and a load killed anywhere
is finished by the next start on the same timeline."""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import orjson
import pytest

from paperfeed.community.ranking import explain_paper, rank_trending
from paperfeed.community.scoring import TrendingModel
from paperfeed.community.settings import CommunitySettings
from paperfeed.community.trending_ranking import trending_rows
from paperfeed.config import Settings
from paperfeed.demo import RECORDED_DAY, demo_pending, load_demo
from paperfeed.paper_json import paper_json
from paperfeed.store import PaperStore, open_store
from paperfeed.summaries.refresh import summarize_pending
from tests.factories import make_paper

FIRST_START = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _demo_file(name: str) -> bytes:
    return resources.files("paperfeed.demo").joinpath(name).read_bytes()


def _hf_items() -> list[dict[str, Any]]:
    body = gzip.decompress(_demo_file("hf_daily_papers.json.gz"))
    items: list[dict[str, Any]] = orjson.loads(body)
    return items


def _corpus_ids() -> list[str]:
    lines = gzip.decompress(_demo_file("papers.jsonl.gz")).splitlines()
    return [orjson.loads(line)["id"] for line in lines]


def _settings(tmp_path: Path) -> Settings:
    return Settings({"var_dir": str(tmp_path / "var")}, environ={})


def _model(settings: Settings) -> TrendingModel:
    return CommunitySettings.from_settings(settings).trending_model()


@pytest.fixture
def demo(store: PaperStore, tmp_path: Path) -> PaperStore:
    assert demo_pending(store)
    load_demo(store, _settings(tmp_path), now=FIRST_START)
    assert not demo_pending(store)
    return store


def test_the_demo_holds_every_paper_of_its_hugging_face_day() -> None:
    recorded = {item["paper"]["id"] for item in _hf_items()}
    assert len(recorded) == 30
    assert recorded <= set(_corpus_ids())  # so their upvotes and stars attach
    assert {item["paper"]["submittedOnDailyAt"][:10] for item in _hf_items()} == {
        RECORDED_DAY.isoformat()
    }


def test_the_recorded_day_trends_on_the_day_of_the_first_start(
    demo: PaperStore, tmp_path: Path
) -> None:
    model = _model(_settings(tmp_path))
    an_hour_later = (FIRST_START + HOUR).timestamp()
    week = rank_trending(demo, model, "week", limit=100, now=an_hour_later)
    assert [t.stored.paper.id for t in week[:3]] == ["2606.13392", "2606.13681", "2606.08063"]
    assert len(week) == 29  # every recorded paper with upvotes or stars (one has neither)
    assert rank_trending(demo, model, "today", limit=3, now=an_hour_later)  # and today
    why = explain_paper(demo, model, "2606.13392", now=an_hour_later)
    assert why.row is not None and (why.row.hf_upvotes, why.row.stars) == (103, 251)
    assert why.views["week"].parts["hf_upvote"] == pytest.approx(103 * 2 ** (-1 / 48))
    month_later = (FIRST_START + 31 * 24 * HOUR).timestamp()
    assert rank_trending(demo, model, "month", limit=3, now=month_later) == []  # it ages


def test_only_the_papers_of_the_demos_last_day_are_new(demo: PaperStore) -> None:
    from paperfeed.web.views import paper_view

    papers = demo.get_papers(_corpus_ids()).values()
    later = FIRST_START + 2 * HOUR
    new = {s.paper.id for s in papers if paper_view(s, later).is_new}
    last_day = {s.paper.id for s in papers if s.paper.announced == RECORDED_DAY}
    assert new == last_day and len(new) == 39
    assert not any(paper_view(s, FIRST_START + 25 * HOUR).is_new for s in papers)
    seen = {s.paper.id: s.first_seen_at for s in papers}
    assert seen["2606.13177"] == FIRST_START  # listed on the last day
    assert seen["2606.13106"] == FIRST_START - 24 * HOUR  # a day before it
    assert seen["2112.12345"] < FIRST_START - 4 * 365 * 24 * HOUR  # a seed paper of 2021


def test_the_papers_keep_their_own_dates(demo: PaperStore) -> None:
    minimax = demo.get_paper("2606.13392")
    assert minimax is not None
    assert str(minimax.paper.published) == "2026-06-12"
    assert minimax.paper.hf is not None and str(minimax.paper.hf.featured_on) == "2026-06-12"
    assert minimax.paper.categories == ("cs.AI",)


def test_loading_again_changes_nothing(demo: PaperStore, tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    before = _state(demo, settings)
    again = load_demo(demo, settings, now=FIRST_START + 48 * HOUR)
    assert not again.changed and again.first_load_at == FIRST_START
    assert _state(demo, settings) == before


def test_papers_stored_before_the_demo_keep_their_arrival(
    store: PaperStore, tmp_path: Path
) -> None:
    store.upsert_papers([make_paper("2606.13003", announced=RECORDED_DAY)], source="arxiv-rss")
    arrived = store.get_paper("2606.13003").first_seen_at  # type: ignore[union-attr]
    load_demo(store, _settings(tmp_path), now=datetime.now(UTC))
    assert store.get_paper("2606.13003").first_seen_at == arrived  # type: ignore[union-attr]


def _state(store: PaperStore, settings: Settings) -> dict[str, Any]:
    """Papers (with when they arrived), signals and trending counts of the demo."""
    ids = _corpus_ids()
    papers = {}
    for paper_id, stored in store.get_papers(ids).items():
        data = paper_json(stored)
        data.pop("updated_at")
        data["sources"] = sorted(s["source"] for s in data["sources"])
        papers[paper_id] = data
    rows = trending_rows(store, ids, _model(settings))
    return {
        "papers": papers,
        "signals": {i: [(s.kind, s.amount, s.at) for s in store.paper_signals(i)] for i in ids},
        "counts": {i: (r.upvotes, r.hf_upvotes, r.saves, r.stars) for i, r in rows.items()},
    }


@pytest.mark.slow
def test_a_first_start_killed_anywhere_is_finished_by_the_next(
    store_url: str, new_store_url: Any, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "PAPERFEED_VAR_DIR": str(tmp_path / "var"),
        "PAPERFEED_SEARCH_EMBEDDER": "no-such-model",  # vectors are not what this checks
    }
    command = [sys.executable, "-m", "paperfeed", "--db", store_url]
    observer = open_store(store_url)
    points = [
        lambda: observer.get_checkpoint("demo") is not None,  # the first start's moment
        lambda: observer.count_papers() == 344,  # the papers, not yet placed or counted
    ]
    try:
        for reached in points:
            child = subprocess.Popen([*command, "ingest", "demo"], env=env, stderr=subprocess.PIPE)
            deadline = time.monotonic() + 120
            while not reached() and child.poll() is None and time.monotonic() < deadline:
                time.sleep(0.002)
            assert child.poll() is None, "the load ended before it could be killed"
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
        assert demo_pending(observer)
        first_start = datetime.fromisoformat(observer.get_checkpoint("demo")["first_load_at"])  # type: ignore[index]
    finally:
        observer.close()

    done = subprocess.run(
        [*command, "run", "--no-serve"], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    assert "loading the demo" in done.stdout
    settings = _settings(tmp_path)
    with open_store(store_url) as resumed, open_store(new_store_url("clean.db")) as clean:
        load_demo(clean, settings, now=first_start)
        summarize_pending(clean)  # as the pass after any ingest does
        assert not demo_pending(resumed)
        assert _state(resumed, settings) == _state(clean, settings)
