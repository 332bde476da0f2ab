"""Hugging Face upvotes and GitHub stars from the hf-daily source, as trending signals.

The hf-daily source stores each paper's current Hugging Face upvotes and repository.
This step reads the rows that changed since it last ran and records what changed: the
first reading of a paper counts its upvotes on the day Hugging Face featured it, later
readings count the upvotes gained (a drop counts nothing). Stars Hugging Face reports
join the repository's star history like a GitHub reading.

Safe to interrupt anywhere: a row is marked read in the same transaction as its upvote
signals, and its stars are recorded before that (a star reading equal to the last one
is skipped), so a rerun finishes what a killed run left and counts nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta

from paperfeed.community.scoring import TrendingModel
from paperfeed.community.settings import CommunitySettings
from paperfeed.community.stars import star_signals
from paperfeed.sources.github import github_repo_name
from paperfeed.store.community import CommunityStore, HFReading, RepoCheck, Signal

BATCH = 1000


@dataclass
class HFImportReport:
    papers: int = 0
    upvotes: int = 0
    repos: int = 0


@dataclass(frozen=True, slots=True)
class Replay:
    """A recorded day played back later: the readings of ``papers`` count as taken at
    ``recorded_at``, and every time recorded for them lands ``shift`` later. The bundled
    demo uses it so that the day it was recorded on trends on the day it is loaded;
    other papers' readings count as usual."""

    papers: frozenset[str]
    recorded_at: datetime
    shift: timedelta

    def signal(self, signal: Signal) -> Signal:
        return replace(signal, at=signal.at + self.shift.total_seconds())


def _replay_of(reading: HFReading, replay: Replay | None) -> Replay | None:
    return replay if replay is not None and reading.paper_id in replay.papers else None


def _reading_time(reading: HFReading, replay: Replay | None) -> datetime:
    if replay is not None:
        return replay.recorded_at
    when = datetime.fromisoformat(reading.updated_at)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def upvote_signal(reading: HFReading, seen: datetime | None = None) -> Signal | None:
    """The upvotes one reading adds (``seen``: when it was read, default its row's time)."""
    seen = seen or _reading_time(reading, None)
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
    store: CommunityStore,
    community: CommunitySettings,
    model: TrendingModel,
    replay: Replay | None = None,
) -> HFImportReport:
    """Turn every changed Hugging Face row into signals; safe to run any time (idempotent)."""
    report = HFImportReport()
    while readings := store.hf_readings(limit=BATCH):
        store.link_repos(_repo_links(readings))
        for reading in readings:
            report.repos += _record_stars(
                store, community, model, reading, _replay_of(reading, replay)
            )
        signals = []
        for reading in readings:
            played = _replay_of(reading, replay)
            signal = upvote_signal(reading, _reading_time(reading, played))
            if signal is not None:
                signals.append(played.signal(signal) if played else signal)
        store.record_hf_readings(readings, signals, model)
        report.papers += len(readings)
        report.upvotes += round(sum(s.amount for s in signals))
    return report


def _repo_links(readings: list[HFReading]) -> list[tuple[str, str]]:
    links = []
    for reading in readings:
        repo = github_repo_name(reading.github_repo or "")
        if repo:
            links.append((reading.paper_id, repo))
    return links


def _record_stars(
    store: CommunityStore,
    community: CommunitySettings,
    model: TrendingModel,
    reading: HFReading,
    replay: Replay | None,
) -> int:
    """Record the stars Hugging Face reports for a paper's repository, unless they are
    what the repository's history already holds; 1 if recorded."""
    repo = github_repo_name(reading.github_repo or "")
    if not repo or reading.github_stars is None:
        return 0
    state = store.repo_state(repo)
    previous = state.stars if state else None
    if previous == reading.github_stars:
        return 0
    when = _reading_time(reading, replay)
    signals = star_signals(
        store, community.star_baseline_cap, repo, previous, reading.github_stars, when.timestamp()
    )
    if replay is not None:
        signals = [replay.signal(s) for s in signals]
        when += replay.shift
    store.record_repo_check(RepoCheck(repo, when, "hf-daily", reading.github_stars), signals, model)
    return 1
