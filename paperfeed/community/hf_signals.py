"""Hugging Face upvotes and GitHub stars from the hf-daily source, as trending signals.

The hf-daily source stores each paper's current Hugging Face upvotes and repository.
This step reads the rows that changed since it last ran and records what changed: the
first reading of a paper counts its upvotes on the day Hugging Face featured it, later
readings count the upvotes gained (a drop counts nothing). Stars Hugging Face reports
join the repository's star history like a GitHub reading.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time

from paperfeed.community.scoring import TrendingModel
from paperfeed.community.settings import CommunitySettings
from paperfeed.community.stars import record_stars
from paperfeed.sources.github import github_repo_name
from paperfeed.store.community import CommunityStore, HFReading, Signal

BATCH = 1000


@dataclass
class HFImportReport:
    papers: int = 0
    upvotes: int = 0
    repos: int = 0


def _reading_time(reading: HFReading) -> datetime:
    when = datetime.fromisoformat(reading.updated_at)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def upvote_signal(reading: HFReading) -> Signal | None:
    seen = _reading_time(reading)
    if reading.previous_upvotes is None:
        if reading.upvotes <= 0:
            return None
        at = seen
        if reading.featured_on is not None:
            at = min(seen, datetime.combine(reading.featured_on, time(12), UTC))
        return Signal(reading.paper_id, "hf_upvote", reading.upvotes, at.timestamp())
    gained = reading.upvotes - reading.previous_upvotes
    if gained <= 0:
        return None
    return Signal(reading.paper_id, "hf_upvote", gained, seen.timestamp())


def import_hf_signals(
    store: CommunityStore, community: CommunitySettings, model: TrendingModel
) -> HFImportReport:
    """Turn every changed Hugging Face row into signals; safe to run any time (idempotent)."""
    report = HFImportReport()
    while readings := store.hf_readings(limit=BATCH):
        signals = [s for s in map(upvote_signal, readings) if s is not None]
        links = []
        for reading in readings:
            repo = github_repo_name(reading.github_repo or "")
            if repo:
                links.append((reading.paper_id, repo))
        store.link_repos(links)
        store.record_hf_readings(readings, signals, model)
        report.papers += len(readings)
        report.upvotes += round(sum(s.amount for s in signals))
        for reading in readings:
            repo = github_repo_name(reading.github_repo or "")
            if repo and reading.github_stars is not None:
                state = store.repo_state(repo)
                if state is None or state.stars != reading.github_stars:
                    record_stars(
                        store, model, community.star_baseline_cap, repo=repo,
                        stars=reading.github_stars, when=_reading_time(reading),
                        source="hf-daily",
                    )  # fmt: skip
                    report.repos += 1
    return report
