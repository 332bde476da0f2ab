"""Hugging Face upvotes and stars stored by the hf-daily source become trending signals:
once, at the right time, and only what was gained."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from click.testing import CliRunner

from paperfeed.community.cli import trending
from paperfeed.community.hf_signals import Replay, import_hf_signals
from paperfeed.community.scoring import TrendingModel
from paperfeed.community.settings import CommunitySettings
from paperfeed.community.trending_ranking import trending_rows
from paperfeed.store import PaperStore
from tests.factories import make_hf, make_paper

FEATURED = date(2026, 3, 12)


def hf_paper(upvotes: int, stars: int) -> object:
    return make_paper(
        "2603.01001",
        hf=make_hf(
            upvotes=upvotes,
            featured_on=FEATURED,
            github_repo="https://github.com/example-lab/TinvNN",
            github_stars=stars,
        ),
    )


def test_first_import_counts_on_the_featured_day_then_only_gains(
    store: PaperStore, community: CommunitySettings, model: TrendingModel
) -> None:
    store.upsert_papers([hf_paper(12, 40)], source="hf-daily")  # type: ignore[list-item]
    report = import_hf_signals(store, community, model)
    assert (report.papers, report.upvotes, report.repos) == (1, 12, 1)
    signals = store.paper_signals("2603.01001")
    featured_noon = datetime(2026, 3, 12, 12, tzinfo=UTC).timestamp()
    hf = [s for s in signals if s.kind == "hf_upvote"]
    assert [(s.amount, s.at) for s in hf] == [(12.0, featured_noon)]
    stars = [s for s in signals if s.kind == "star"]
    assert [s.amount for s in stars] == [40.0]  # the baseline (under the cap)

    assert import_hf_signals(store, community, model).papers == 0  # nothing changed

    store.upsert_papers([hf_paper(20, 55)], source="hf-daily")  # type: ignore[list-item]
    again = import_hf_signals(store, community, model)
    assert (again.upvotes, again.repos) == (8, 1)
    row = trending_rows(store, ["2603.01001"], model)["2603.01001"]
    assert (row.hf_upvotes, row.stars) == (20, 55)

    store.upsert_papers([hf_paper(18, 50)], source="hf-daily")  # type: ignore[list-item]
    import_hf_signals(store, community, model)
    row = trending_rows(store, ["2603.01001"], model)["2603.01001"]
    assert (row.hf_upvotes, row.stars) == (20, 55)  # drops count nothing
    assert [s for _, s in store.star_history("example-lab/tinvnn")] == [40, 55, 50]


def test_the_cli_imports_and_lists(store: PaperStore, store_url: str) -> None:
    paper = make_paper("2603.01003", hf=make_hf(upvotes=3, featured_on=FEATURED))
    store.upsert_papers([replace(paper)], source="hf-daily")
    runner = CliRunner()
    imported = runner.invoke(trending, ["--db", store_url, "import-hf"])
    assert imported.exit_code == 0 and "3 upvotes gained" in imported.output
    listed = runner.invoke(trending, ["--db", store_url, "--window", "all"])
    assert "2603.01003" in listed.output and "3.000" in listed.output


def test_a_replayed_day_moves_only_its_own_papers_signals(
    store: PaperStore, community: CommunitySettings, model: TrendingModel
) -> None:
    """The demo plays a recorded day back later; a paper it did not record, read in the
    same pass, counts as usual."""
    store.upsert_papers([hf_paper(12, 40)], source="hf-daily")  # type: ignore[list-item]
    other = make_paper("2603.01002", hf=make_hf(upvotes=5, featured_on=FEATURED))
    store.upsert_papers([other], source="hf-daily")
    recorded_at = datetime(2026, 3, 12, 12, tzinfo=UTC)
    shift = timedelta(days=100)
    replay = Replay(frozenset({"2603.01001"}), recorded_at, shift)
    report = import_hf_signals(store, community, model, replay)
    assert (report.papers, report.upvotes, report.repos) == (2, 17, 1)
    played = {s.kind: s.at for s in store.paper_signals("2603.01001")}
    assert played["hf_upvote"] == (recorded_at + shift).timestamp()
    assert played["star"] <= (recorded_at + shift).timestamp()  # the listing day, moved
    featured_noon = datetime(2026, 3, 12, 12, tzinfo=UTC).timestamp()
    assert [s.at for s in store.paper_signals("2603.01002")] == [featured_noon]
