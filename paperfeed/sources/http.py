"""A polite HTTP client for upstream APIs: paced, retrying, bounded.

arXiv asks for one request every 3 seconds over one connection; every upstream can
answer 429/5xx, drop a connection mid-body or send something absurdly large. This
client absorbs the transient failures (with backoff and ``Retry-After``) and turns the
rest into ``HTTPFetchError`` that a source reports with its name.
"""

from __future__ import annotations

import email.utils
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from paperfeed import __version__

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
USER_AGENT = f"paperfeed/{__version__} (+https://github.com/paperfeed/paperfeed)"


class HTTPFetchError(Exception):
    """A request failed for good (after retries), or was refused."""

    def __init__(
        self, url: str, problem: str, status: int | None = None, body: bytes = b""
    ) -> None:
        self.url = url
        self.problem = problem
        self.status = status
        self.body = body
        super().__init__(f"{url}: {problem}")


@dataclass(frozen=True, slots=True)
class FetchedPage:
    url: str
    status: int
    body: bytes
    headers: Mapping[str, str]


class _Pacer:
    """Keeps at least ``interval`` seconds between request starts to one host group."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next_at: dict[str, float] = {}

    def wait(self, group: str, interval: float) -> None:
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next_at.get(group, 0.0))
            self._next_at[group] = start + interval
        if start > now:
            time.sleep(start - now)


_PACER = _Pacer()


def retry_after_seconds(value: str | None, cap: float) -> float | None:
    """Parse ``Retry-After`` (seconds or an HTTP date); ``None`` when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), cap)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(max(0.0, (when - datetime.now(UTC)).total_seconds()), cap)


class PoliteClient:
    """One connection, paced requests, retries with exponential backoff, a size cap."""

    def __init__(
        self,
        *,
        pace_group: str,
        min_interval: float = 3.0,
        max_retries: int = 5,
        backoff: float = 2.0,
        max_backoff: float = 120.0,
        timeout: float = 60.0,
        max_bytes: int = 64 * 1024 * 1024,
    ) -> None:
        self.pace_group = pace_group
        self.min_interval = min_interval
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_bytes = max_bytes
        self._client = httpx.Client(
            timeout=timeout,
            headers={"User-Agent": USER_AGENT},
            follow_redirects=True,
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, url: str, params: Mapping[str, Any] | None = None) -> FetchedPage:
        """GET ``url``; retry transient failures; raise ``HTTPFetchError`` for the rest."""
        attempt = 0
        while True:
            _PACER.wait(self.pace_group, self.min_interval)
            try:
                page = self._fetch_once(url, params)
            except (httpx.TransportError, _TruncatedBody) as exc:
                problem = f"connection failed: {exc.__class__.__name__}: {exc}".rstrip(": ")
                delay = None
            else:
                if page.status < 400:
                    return page
                problem = f"HTTP {page.status}"
                if page.status not in RETRY_STATUSES:
                    raise HTTPFetchError(page.url, problem, page.status, page.body)
                delay = retry_after_seconds(page.headers.get("retry-after"), self.max_backoff)
            attempt += 1
            if attempt > self.max_retries:
                raise HTTPFetchError(url, f"{problem} (gave up after {attempt} attempts)")
            time.sleep(delay if delay is not None else self._backoff_delay(attempt))

    def _backoff_delay(self, attempt: int) -> float:
        return float(min(self.max_backoff, self.backoff * 2 ** (attempt - 1)))

    def _fetch_once(self, url: str, params: Mapping[str, Any] | None) -> FetchedPage:
        with self._client.stream("GET", url, params=params) as response:
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > self.max_bytes:
                raise HTTPFetchError(str(response.url), f"response too large ({declared} bytes)")
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > self.max_bytes:
                    raise HTTPFetchError(
                        str(response.url), f"response larger than {self.max_bytes} bytes"
                    )
                chunks.append(chunk)
            body = b"".join(chunks)
            if declared and declared.isdigit() and len(body) < int(declared):
                raise _TruncatedBody(f"got {len(body)} of {declared} bytes")
            return FetchedPage(str(response.url), response.status_code, body, response.headers)


class _TruncatedBody(Exception):
    """The server closed the connection before sending the whole body."""
