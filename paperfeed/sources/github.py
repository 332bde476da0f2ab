"""The GitHub REST API, for the star counts of papers' code repositories.

``GET /repos/{owner}/{repo}`` answers the repository with ``stargazers_count``. The
client is polite the way GitHub documents it: a token is optional (60 requests an hour
without, 5,000 with); every answer's ``ETag`` is sent back as ``If-None-Match`` so an
unchanged repository costs a 304 (which GitHub does not count against the limit);
``X-RateLimit-Remaining``/``X-RateLimit-Reset`` are watched, and when they run out (or
GitHub answers 403/429 with ``Retry-After``) the client waits if the wait is short and
otherwise stops with ``GitHubRateLimited`` saying when to come back. A 404 means the
repository is gone (deleted or made private). Renamed repositories answer 301, which
is followed.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson

from paperfeed.sources.base import SourceError
from paperfeed.sources.http import USER_AGENT, retry_after_seconds

SOURCE_NAME = "github"
DEFAULT_BASE_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
SERVER_ERROR_RETRIES = 3
_REPO = re.compile(
    r"^(?:https?://)?(?:www\.)?github\.com/([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))/"
    r"([A-Za-z0-9._-]{1,100}?)(?:\.git)?/?(?:[#?].*)?$",
    re.IGNORECASE,
)


def github_repo_name(link: str) -> str | None:
    """``owner/name`` (lower-cased) of a GitHub repository URL or code link, else ``None``."""
    match = _REPO.match(link.strip())
    if match is None or match[2] in {".", ".."}:
        return None
    return f"{match[1]}/{match[2]}".lower()


class GitHubError(SourceError):
    """GitHub refused a request or answered something unreadable."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(SOURCE_NAME, where, problem)


class GitHubRateLimited(GitHubError):
    """The rate limit is spent for longer than the caller wants to wait."""

    def __init__(self, where: str, reset_at: datetime) -> None:
        super().__init__(where, f"rate limit reached; it resets at {reset_at:%Y-%m-%d %H:%M} UTC")
        self.reset_at = reset_at


@dataclass(frozen=True, slots=True)
class RepoStars:
    """A fresh answer: the repository's current name, stars and ETag."""

    repo: str
    stars: int
    etag: str | None


@dataclass(frozen=True, slots=True)
class NotModified:
    """304: nothing changed since the ETag we sent."""


@dataclass(frozen=True, slots=True)
class RepoGone:
    """404: the repository was deleted or made private."""


RepoAnswer = RepoStars | NotModified | RepoGone


class GitHubClient:
    """Repository look-ups with ETags and rate-limit awareness."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        token: str = "",
        max_wait: float = 60.0,
        timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.max_wait = max_wait
        self._sleep = sleep
        self._clock = clock
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": USER_AGENT,
        }
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._client = httpx.Client(timeout=timeout, headers=headers, follow_redirects=True)
        self.remaining: int | None = None
        self.reset_at: float | None = None
        self.requests = 0

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> GitHubClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def repo(self, repo: str, etag: str | None = None) -> RepoAnswer:
        """Look ``owner/name`` up; ``etag`` from the last answer makes it conditional."""
        url = f"{self.base_url}/repos/{repo}"
        failures = 0
        while True:
            self._wait_for_budget(url)
            response = self._get(url, etag)
            self._note_budget(response)
            if response.status_code == 200:
                return _repo_stars(url, response)
            if response.status_code == 304:
                return NotModified()
            if response.status_code in (404, 410, 451):
                return RepoGone()
            if response.status_code in (403, 429) and self._is_rate_limit(response):
                self._back_off(url, response)
                continue
            if response.status_code >= 500 and failures < SERVER_ERROR_RETRIES:
                failures += 1
                self._sleep(min(self.max_wait, 2.0**failures))
                continue
            raise GitHubError(url, f"HTTP {response.status_code}: {_message(response)}")

    def _get(self, url: str, etag: str | None) -> httpx.Response:
        headers = {"If-None-Match": etag} if etag else {}
        self.requests += 1
        try:
            return self._client.get(url, headers=headers)
        except httpx.HTTPError as exc:
            raise GitHubError(url, f"connection failed: {exc.__class__.__name__}") from exc

    def _note_budget(self, response: httpx.Response) -> None:
        remaining = response.headers.get("x-ratelimit-remaining")
        reset = response.headers.get("x-ratelimit-reset")
        if remaining is not None and remaining.isdigit():
            self.remaining = int(remaining)
        if reset is not None and reset.isdigit():
            self.reset_at = float(reset)

    def _wait_for_budget(self, url: str) -> None:
        """Before a request: if the budget is spent, wait for the reset or stop."""
        if self.remaining != 0 or self.reset_at is None:
            return
        self._wait_until(url, self.reset_at + 1)
        self.remaining = None

    def _wait_until(self, url: str, when: float) -> None:
        wait = when - self._clock()
        if wait > self.max_wait:
            raise GitHubRateLimited(url, datetime.fromtimestamp(when, UTC))
        if wait > 0:
            self._sleep(wait)

    @staticmethod
    def _is_rate_limit(response: httpx.Response) -> bool:
        if response.status_code == 429 or "retry-after" in response.headers:
            return True
        if response.headers.get("x-ratelimit-remaining") == "0":
            return True
        return "rate limit" in _message(response).lower()

    def _back_off(self, url: str, response: httpx.Response) -> None:
        """GitHub's documented order: Retry-After, else the reset time, else a minute."""
        delay = retry_after_seconds(response.headers.get("retry-after"), cap=24 * 3600.0)
        if delay is not None:
            self._wait_until(url, self._clock() + delay)
        elif response.headers.get("x-ratelimit-remaining") == "0" and self.reset_at is not None:
            self._wait_until(url, self.reset_at + 1)
        else:
            self._wait_until(url, self._clock() + 60.0)
        self.remaining = None


def _json(url: str, response: httpx.Response) -> dict[str, Any]:
    try:
        data = orjson.loads(response.content)
    except orjson.JSONDecodeError as exc:
        raise GitHubError(url, f"unreadable JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise GitHubError(url, "expected a JSON object")
    return data


def _repo_stars(url: str, response: httpx.Response) -> RepoStars:
    data = _json(url, response)
    stars = data.get("stargazers_count")
    name = data.get("full_name")
    if not isinstance(stars, int) or stars < 0 or not isinstance(name, str):
        raise GitHubError(url, "the answer has no stargazers_count or full_name")
    return RepoStars(name.lower(), stars, response.headers.get("etag"))


def _message(response: httpx.Response) -> str:
    try:
        data = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return response.text[:200]
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return str(data["message"])[:200]
    return ""
