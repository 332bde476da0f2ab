"""The trending order on a crafted history, checked against the formula worked by hand.

Paper A is older and has more votes: 10 upvotes five days ago. Paper B is newer with
fewer: 3 upvotes two hours ago. Paper C has 4 saves (weight 0.5) an hour ago. With the
default half-lives (today 12 h, week 48 h, month 168 h; all time: none):

    week:  A = 10 * 2^(-120/48)  = 1.767767   B = 3 * 2^(-2/48)  = 2.914596
           C = 4 * 0.5 * 2^(-1/48) = 1.971326              -> B, C, A
    month: A = 10 * 2^(-120/168) = 6.095068   B = 3 * 2^(-2/168) = 2.975347
           C = 2 * 2^(-1/168)  = 1.991765                  -> A, B, C
    all:   A = 10, B = 3, C = 2                             -> A, B, C
    today: A's last signal is 5 days old (outside 24 h)      -> B = 2.672696, C = 1.887749
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from paperfeed.community.cli import trending
from paperfeed.community.ranking import explain_paper, rank_trending
from paperfeed.community.scoring import TrendingModel
from paperfeed.store import PaperStore
from paperfeed.store.community import Account, NewMark

NOW = datetime(2026, 3, 14, 12, tzinfo=UTC).timestamp()
HOUR = 3600.0
A, B, C = "2603.01001", "2603.01003", "2603.01004"
HAND = {
    "week": [(B, 2.914596), (C, 1.971326), (A, 1.767767)],
    "month": [(A, 6.095068), (B, 2.975347), (C, 1.991765)],
    "all": [(A, 10.0), (B, 3.0), (C, 2.0)],
    "today": [(B, 2.672696), (C, 1.887749)],
}


@pytest.fixture
def crafted(
    papers_store: PaperStore, make_account: Callable[[str], Account], model: TrendingModel
) -> PaperStore:
    readers = [make_account(f"reader{i}") for i in range(10)]
    papers_store.add_marks("upvote", [NewMark(r.id, A, NOW - 120 * HOUR) for r in readers], model)
    papers_store.add_marks("upvote", [NewMark(r.id, B, NOW - 2 * HOUR) for r in readers[:3]], model)
    papers_store.add_marks("save", [NewMark(r.id, C, NOW - 1 * HOUR) for r in readers[:4]], model)
    return papers_store


@pytest.mark.parametrize("window", ["week", "month", "all", "today"])
def test_order_and_scores_match_the_hand_computation(
    crafted: PaperStore, model: TrendingModel, window: str
) -> None:
    ranked = rank_trending(crafted, model, window, limit=10, now=NOW)  # type: ignore[arg-type]
    assert [r.stored.paper.id for r in ranked] == [paper for paper, _ in HAND[window]]
    for item, (_, score) in zip(ranked, HAND[window], strict=True):
        assert math.isclose(item.score, score, abs_tol=1e-6)


def test_the_order_does_not_change_as_time_passes_without_signals(
    crafted: PaperStore, model: TrendingModel
) -> None:
    later = [r.stored.paper.id for r in rank_trending(crafted, model, "all", limit=10, now=NOW)]
    for hours in (1, 30, 24 * 20):
        at = NOW + hours * HOUR
        ranked = rank_trending(crafted, model, "month", limit=10, now=at)
        scores = [r.score for r in ranked]
        assert scores == sorted(scores, reverse=True)
    assert later == [A, B, C]


def test_a_category_view_keeps_the_formula(crafted: PaperStore, model: TrendingModel) -> None:
    ranked = rank_trending(crafted, model, "week", category="cs.CL", limit=10, now=NOW)
    assert [r.stored.paper.id for r in ranked] == [C]


def test_explain_breaks_the_score_into_its_signals(
    crafted: PaperStore, model: TrendingModel
) -> None:
    found = explain_paper(crafted, model, C, now=NOW)
    assert math.isclose(found.views["week"].parts["save"], 1.971326, abs_tol=1e-6)
    assert found.views["week"].parts["upvote"] == 0
    assert math.isclose(found.stored_scores["week"], found.views["week"].total, rel_tol=1e-9)
    assert found.row is not None and found.row.saves == 4


def test_the_cli_explains_each_score(crafted: PaperStore, store_url: str) -> None:
    runner = CliRunner()
    result = runner.invoke(trending, ["--db", store_url, "--window", "all", "--explain", "--json"])
    assert result.exit_code == 0, result.output
    import orjson

    papers = orjson.loads(result.output)["papers"]
    assert [p["id"] for p in papers] == [A, B, C]
    assert papers[0]["parts"] == {"upvote": 10.0} and papers[0]["signals"] == {"upvote": 10}
    text = runner.invoke(trending, ["--db", store_url, "--window", "all", "--explain"]).output
    assert "upvote 10.000" in text and "(from 10 upvote)" in text
    one = runner.invoke(trending, ["--db", store_url, "explain", C])
    assert one.exit_code == 0 and "4 save" in one.output
