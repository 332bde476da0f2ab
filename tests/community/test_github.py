"""The GitHub client and the star sync against a local server answering in GitHub's
documented format: ETags and 304, primary (403) and secondary (429) rate limits, 404."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from paperfeed.community.scoring import TrendingModel
from paperfeed.community.settings import CommunitySettings
from paperfeed.community.stars import sync_stars
from paperfeed.community.trending_ranking import trending_rows
from paperfeed.sources.github import (
    GitHubClient,
    GitHubRateLimited,
    NotModified,
    RepoGone,
    RepoStars,
    github_repo_name,
)
from paperfeed.store import PaperStore
from tests.community.conftest import community_settings
from tests.community.github_server import HeaderRecordingServer, github_reply

RESET = 1773489600.0  # X-RateLimit-Reset in the fixtures
REPO_PATH = "/repos/example-lab/tinvnn"


@pytest.fixture
def github() -> Iterator[HeaderRecordingServer]:
    server = HeaderRecordingServer().start()
    try:
        yield server
    finally:
        server.stop()


class Clock:
    """A settable clock; ``sleep`` advances it and records the pause."""

    def __init__(self, now: float) -> None:
        self.now = now
        self.slept: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def client_for(server: HeaderRecordingServer, clock: Clock, **kwargs: object) -> GitHubClient:
    return GitHubClient(server.url, sleep=clock.sleep, clock=clock.time, **kwargs)  # type: ignore[arg-type]


def test_stars_then_a_conditional_request_answered_304(github: HeaderRecordingServer) -> None:
    github.add(REPO_PATH, github_reply("repo_200"), github_reply("repo_304"))
    with client_for(github, Clock(RESET - 600)) as client:
        first = client.repo("example-lab/tinvnn")
        assert isinstance(first, RepoStars)
        assert (first.repo, first.stars) == ("example-lab/tinvnn", 80)
        assert isinstance(client.repo("example-lab/tinvnn", first.etag), NotModified)
    assert "if-none-match" not in github.headers[0]
    assert github.headers[1]["if-none-match"] == first.etag
    assert github.headers[0]["accept"] == "application/vnd.github+json"
    assert github.headers[0]["x-github-api-version"] == "2022-11-28"
    assert "authorization" not in github.headers[0]


def test_a_token_is_sent_when_configured(github: HeaderRecordingServer) -> None:
    github.add(REPO_PATH, github_reply("repo_200"))
    with client_for(github, Clock(RESET - 600), token="ghp_example") as client:
        client.repo("example-lab/tinvnn")
    assert github.headers[0]["authorization"] == "Bearer ghp_example"


def test_404_means_the_repository_is_gone(github: HeaderRecordingServer) -> None:
    github.add("/repos/example-lab/deleted", github_reply("not_found_404"))
    with client_for(github, Clock(RESET - 600)) as client:
        assert isinstance(client.repo("example-lab/deleted"), RepoGone)


def test_primary_rate_limit_waits_for_the_reset_when_it_is_near(
    github: HeaderRecordingServer,
) -> None:
    github.add(REPO_PATH, github_reply("rate_limit_403"), github_reply("repo_200"))
    clock = Clock(RESET - 20)
    with client_for(github, clock, max_wait=60) as client:
        assert isinstance(client.repo("example-lab/tinvnn"), RepoStars)
    assert clock.slept == [21.0]  # until one second past X-RateLimit-Reset
    assert len(github.requests) == 2


def test_primary_rate_limit_far_away_stops_with_the_reset_time(
    github: HeaderRecordingServer,
) -> None:
    github.add(REPO_PATH, github_reply("rate_limit_403"))
    clock = Clock(RESET - 3600)
    with client_for(github, clock, max_wait=60) as client, pytest.raises(GitHubRateLimited) as err:
        client.repo("example-lab/tinvnn")
    assert err.value.reset_at == datetime.fromtimestamp(RESET + 1, UTC)
    assert clock.slept == [] and len(github.requests) == 1


def test_secondary_rate_limit_honours_retry_after(github: HeaderRecordingServer) -> None:
    github.add(REPO_PATH, github_reply("secondary_rate_limit_429"), github_reply("repo_200"))
    clock = Clock(RESET - 600)
    with client_for(github, clock) as client:
        assert isinstance(client.repo("example-lab/tinvnn"), RepoStars)
    assert clock.slept == [2.0]


def test_a_spent_budget_waits_before_the_next_request(github: HeaderRecordingServer) -> None:
    github.add(REPO_PATH, github_reply("repo_200", **{"X-RateLimit-Remaining": "0"}))
    clock = Clock(RESET - 5)
    with client_for(github, clock) as client:
        client.repo("example-lab/tinvnn")
        client.repo("example-lab/tinvnn")
    assert clock.slept == [6.0]


@pytest.mark.parametrize(
    ("link", "repo"),
    [
        ("https://github.com/Example-Lab/TinvNN", "example-lab/tinvnn"),
        ("github.com/example-lab/tinvnn.git", "example-lab/tinvnn"),
        ("https://github.com/a/b/", "a/b"),
        ("https://gitlab.com/a/b", None),
        ("https://github.com/a", None),
    ],
)
def test_repository_names_from_links(link: str, repo: str | None) -> None:
    assert github_repo_name(link if "://" in link else f"https://{link}") == repo


def test_sync_keeps_star_history_and_turns_gains_into_signals(
    github: HeaderRecordingServer, papers_store: PaperStore, model: TrendingModel
) -> None:
    github.add(
        REPO_PATH,
        github_reply("repo_200"),
        github_reply("repo_304"),
        github_reply("repo_200_later"),
        github_reply("not_found_404"),
    )
    settings: CommunitySettings = community_settings(
        github_api_url=github.url, github_sync_days=100_000, trending_star_baseline_cap=50
    )
    start = datetime(2026, 3, 14, 12, tzinfo=UTC)

    def sync(hours: int) -> object:
        with GitHubClient(github.url) as client:
            return sync_stars(
                papers_store, client, settings, model, now=start + timedelta(hours=hours)
            )

    report = sync(0)  # every sample paper links github.com/example-lab/TinvNN
    assert report.linked == 4 and report.changed == 1  # type: ignore[attr-defined]
    row = trending_rows(papers_store, ["2603.01001"], model)["2603.01001"]
    assert row.stars == 50  # the baseline, capped
    assert sync(1).checked == 0  # type: ignore[attr-defined]  # not due yet
    assert sync(7).not_modified == 1  # type: ignore[attr-defined]
    assert sync(14).changed == 1  # type: ignore[attr-defined]
    assert trending_rows(papers_store, ["2603.01001"], model)["2603.01001"].stars == 50 + 50
    assert [s for _, s in papers_store.star_history("example-lab/tinvnn")] == [80, 130]
    assert sync(21).gone == 1  # type: ignore[attr-defined]
    assert sync(40).checked == 0  # type: ignore[attr-defined]  # a gone repository is not asked again
    assert len(github.requests) == 4
    assert github.headers[1]["if-none-match"] == 'W/"6b9a0f3c1e2d4a5b8c7d9e0f1a2b3c4d"'


def test_the_github_commands(
    github: HeaderRecordingServer, papers_store: PaperStore, store_url: str
) -> None:
    from click.testing import CliRunner

    from paperfeed.community.cli import github as github_command

    github.add(REPO_PATH, github_reply("repo_200"))
    env = {"PAPERFEED_GITHUB_API_URL": github.url, "PAPERFEED_GITHUB_SYNC_DAYS": "100000"}
    runner = CliRunner()
    done = runner.invoke(github_command, ["sync", "--db", store_url], env=env)
    assert done.exit_code == 0, done.output
    assert "linked 4 new repositories; looked up 1 (1 with stars" in done.output
    history = runner.invoke(github_command, ["history", "--db", store_url, "Example-Lab/TinvNN"])
    assert history.exit_code == 0 and "80" in history.output
    missing = runner.invoke(github_command, ["history", "--db", store_url, "nobody/nothing"])
    assert missing.exit_code == 1 and "no star readings" in missing.output
