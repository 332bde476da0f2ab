"""A digest's trend input: the community's weekly score, every upvote counted once."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

import pytest

from paperfeed.community.trending_ranking import trending_rows
from paperfeed.digest.trending import trending_of
from paperfeed.store import PaperStore
from paperfeed.store.community import NewMark, Signal
from tests.community.conftest import community_settings, new_account
from tests.factories import make_hf, make_paper

MODEL = community_settings().trending_model()
NOW = datetime(2026, 3, 14, 12, tzinfo=UTC)
LISTED = datetime(2026, 3, 13, 12, tzinfo=UTC).timestamp()  # announced the day before
WEEK_HALF_LIFE = 48 * 3600.0


def test_the_trend_is_the_weekly_score_with_every_upvote_counted_once(store: PaperStore) -> None:
    day = date(2026, 3, 13)
    store.upsert_papers(
        [
            make_paper("2603.00001", announced=day, hf=make_hf(upvotes=8)),
            make_paper("2603.00002", announced=day, hf=None),
            make_paper("2603.00003", announced=day, hf=make_hf(upvotes=8)),
        ],
        source="jsonl",
    )
    voters = [new_account(store, f"voter{n}").id for n in range(3)]
    at = NOW.timestamp()
    store.add_marks("upvote", [NewMark(v, "2603.00002", at) for v in voters], MODEL)
    store.add_marks("save", [NewMark(voters[0], "2603.00002", at)], MODEL)
    # Hugging Face's upvotes of the third paper were imported as signals at its listing.
    store.record_signals([Signal("2603.00003", "hf_upvote", 8.0, LISTED)], MODEL)
    ids = ["2603.00001", "2603.00002", "2603.00003"]
    papers = store.get_papers(ids)
    trends = trending_of([papers[i] for i in ids], NOW, MODEL, trending_rows(store, ids, MODEL))
    one_day_of_week_decay = 0.5 ** (24 * 3600.0 / WEEK_HALF_LIFE)
    assert trends[0].score == pytest.approx(math.log1p(8 * one_day_of_week_decay), rel=1e-9)
    assert trends[1].score == pytest.approx(math.log1p(3 * 1.0 + 0.5 * 1.0), rel=1e-9)
    assert trends[2].score == pytest.approx(trends[0].score, rel=1e-9)  # imported or not: once
    assert [t.upvotes for t in trends] == [8, 3, 8]
