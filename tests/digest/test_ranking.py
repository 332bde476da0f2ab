"""Ranking over a candidate pool with real vectors: semantic topic matches without shared
words, similarity to liked papers, dislikes, the sent-log, the window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from paperfeed.digest.candidates import build_pool
from paperfeed.digest.ranking import Profile, Ranker
from paperfeed.papers.text import render_plain
from paperfeed.store.base import StoredPaper
from paperfeed.store.subscriptions import Feedback, Interests
from tests.community.conftest import community_settings
from tests.factories import make_hf, make_paper

NOW = datetime(2026, 5, 8, 9, tzinfo=UTC)
DIM = 4
MODEL = community_settings().trending_model()


def unit(*values: float) -> np.ndarray:
    vector = np.asarray(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def stored(paper_id: str, title: str, upvotes: int = 0) -> StoredPaper:
    paper = make_paper(
        paper_id,
        title=title,
        abstract=title,
        announced=NOW.date(),
        hf=make_hf(upvotes=upvotes) if upvotes else None,
    )
    plain = render_plain(paper)
    return StoredPaper(paper, plain.title, plain.abstract, "", NOW, NOW)


PAPERS = [
    (stored("2605.00001", "Rotation-equivariant message passing", 3), unit(1, 0.1, 0, 0)),
    (stored("2605.00002", "Denoising score matching for images", 50), unit(0, 1, 0, 0)),
    (stored("2605.00003", "Protein structure from sequence", 9), unit(0, 0, 1, 0)),
    (stored("2605.00004", "Symmetry-aware point cloud networks", 1), unit(0.9, 0, 0, 0.3)),
]


def ranker() -> Ranker:
    arrived = [(p, NOW - timedelta(hours=i + 1)) for i, (p, _) in enumerate(PAPERS)]
    vectors = {p.paper.id: v.tobytes() for p, v in PAPERS}
    pool = build_pool(arrived, now=NOW, model=MODEL, vectors=vectors, generation="m", dim=DIM)
    ranking = Ranker(pool)
    ranking.add_topics({"equivariant gnns"}, {"equivariant gnns": unit(1, 0, 0, 0.1)})
    ranking.add_papers(
        {"2605.00003": unit(0, 0, 1, 0), "2604.09999": unit(0, 0.1, 1, 0)},
        {"2605.00003": "Protein structure", "2604.09999": "Protein folding"},
    )
    return ranking


def profile(**changes: object) -> Profile:
    values: dict[str, object] = {
        "subscriber_id": 1,
        "start": NOW - timedelta(days=1),
        "limit": 2,
        "trending_only": False,
    }
    values.update(changes)
    return Profile(**values)  # type: ignore[arg-type]


def test_a_topic_matches_by_meaning_not_only_words() -> None:
    picks = ranker().pick(profile(interests=Interests(topics=("Equivariant GNNs",))))
    assert [p.paper_id for p in picks] == ["2605.00001", "2605.00004"]
    assert picks[1].reason == "matches your topic 'Equivariant GNNs'"  # no shared word


def test_liked_papers_bring_similar_ones_and_dislikes_push_away() -> None:
    ranking = ranker()
    liked = ranking.pick(profile(feedback=Feedback(liked=("2604.09999",)), limit=1))
    assert liked[0].paper_id == "2605.00003"
    assert liked[0].reason == "similar to 'Protein folding', which you liked"
    # A paper already liked (or saved on the site) is not mailed to its reader.
    saved = ranking.pick(profile(feedback=Feedback(liked=("2605.00003",)), limit=4))
    assert "2605.00003" not in [p.paper_id for p in saved]
    topic = Interests(topics=("equivariant gnns",))
    disliked = ranking.pick(profile(interests=topic, feedback=Feedback(disliked=("2605.00003",))))
    assert "2605.00003" not in [p.paper_id for p in disliked]


def test_sent_papers_and_papers_before_the_window_are_skipped() -> None:
    ranking = ranker()
    trending = ranking.pick(profile(trending_only=True, limit=4))
    assert [p.paper_id for p in trending] == [
        "2605.00002",
        "2605.00003",
        "2605.00001",
        "2605.00004",
    ]
    assert trending[0].reason == "trending: 50 upvotes"
    sent = ranking.pick(profile(trending_only=True, limit=4, sent=frozenset({"2605.00002"})))
    assert "2605.00002" not in [p.paper_id for p in sent]
    late = ranking.pick(profile(trending_only=True, limit=4, start=NOW - timedelta(hours=2.5)))
    assert [p.paper_id for p in late] == ["2605.00002", "2605.00001"]  # most trending first
