"""Code stars: link papers to their GitHub repositories, keep each one's star history,
and turn stars gained into trending signals.

A repository's first reading is a baseline: the stars it already had count as gained
on the paper's listing day, capped at ``trending_star_baseline_cap`` (so a paper that
links a famous library does not trend on that library's fame). Later readings count
the stars gained since the last one; a drop counts nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from paperfeed.community.scoring import TrendingModel
from paperfeed.community.settings import CommunitySettings
from paperfeed.sources.github import (
    GitHubClient,
    GitHubError,
    GitHubRateLimited,
    NotModified,
    RepoGone,
    github_repo_name,
)
from paperfeed.store.community import CommunityStore, RepoCheck, Signal

log = logging.getLogger("paperfeed.community")


def star_signals(
    store: CommunityStore, cap: int, repo: str, previous: int | None, stars: int, at: float
) -> list[Signal]:
    """The signals one reading of ``repo`` gives each paper that names it."""
    papers = store.repo_papers(repo)
    if previous is None:
        baseline = min(stars, cap)
        if baseline <= 0:
            return []
        return [Signal(paper_id, "star", baseline, min(listed, at)) for paper_id, listed in papers]
    gained = stars - previous
    if gained <= 0:
        return []
    return [Signal(paper_id, "star", gained, at) for paper_id, _ in papers]


def record_stars(
    store: CommunityStore,
    model: TrendingModel,
    cap: int,
    *,
    repo: str,
    stars: int,
    when: datetime,
    source: str,
    etag: str | None = None,
) -> int:
    """Record one reading (from GitHub or Hugging Face); return the stars gained."""
    state = store.repo_state(repo)
    previous = state.stars if state else None
    signals = star_signals(store, cap, repo, previous, stars, when.timestamp())
    store.record_repo_check(RepoCheck(repo, when, source, stars, etag), signals, model)
    return stars - (previous or 0)


def link_recent_repos(store: CommunityStore, days: int, today: datetime | None = None) -> int:
    """Link the GitHub repositories named by papers listed in the last ``days`` days."""
    since = (today or datetime.now(UTC)).date() - timedelta(days=days)
    pairs = []
    for paper in store.recent_code_links(since):
        for link in paper.links:
            repo = github_repo_name(link if "://" in link else f"https://{link}")
            if repo:
                pairs.append((paper.paper_id, repo))
    return store.link_repos(pairs)


@dataclass
class SyncReport:
    """What one ``github sync`` did; ``stopped`` says why it ended early."""

    linked: int = 0
    checked: int = 0
    changed: int = 0
    not_modified: int = 0
    gone: int = 0
    failed: int = 0
    requests: int = 0
    stopped: str | None = None


def sync_stars(
    store: CommunityStore,
    client: GitHubClient,
    community: CommunitySettings,
    model: TrendingModel,
    *,
    limit: int = 500,
    now: datetime | None = None,
) -> SyncReport:
    """Look up the repositories that are due, oldest reading first, until ``limit``."""
    now = now or datetime.now(UTC)
    report = SyncReport(linked=link_recent_repos(store, community.github_sync_days, now))
    due = store.repos_due(
        checked_before=now - timedelta(hours=community.github_sync_hours), limit=limit
    )
    for state in due:
        try:
            answer = client.repo(state.repo, state.etag)
        except GitHubRateLimited as exc:
            report.stopped = str(exc)
            break
        except GitHubError as exc:
            log.warning("%s", exc)
            report.failed += 1
            store.record_repo_check(RepoCheck(state.repo, now, "github"), [], model)
            continue
        report.checked += 1
        checked_at = now
        if isinstance(answer, NotModified):
            report.not_modified += 1
            store.record_repo_check(RepoCheck(state.repo, checked_at, "github"), [], model)
        elif isinstance(answer, RepoGone):
            report.gone += 1
            store.record_repo_check(
                RepoCheck(state.repo, checked_at, "github", gone=True), [], model
            )
        else:
            report.changed += 1
            record_stars(
                store, model, community.star_baseline_cap, repo=state.repo,
                stars=answer.stars, when=checked_at, source="github", etag=answer.etag,
            )  # fmt: skip
    report.requests = client.requests
    return report
