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
MAX_REDIRECTS = 5
USER_AGENT = f"paperfeed/{__version__} (+https://github.com/paperfeed/paperfeed)"


class HTTPFetchError(Exception):
    """A request failed for good (after retries), or was refused.

    ``problem`` never holds the URL (it is ``url``); ``status`` is the last HTTP status
    and ``timed_out`` says the last attempt got no answer in time, so a caller can tell
    a person what failed without showing where.
    """

    def __init__(
        self,
        url: str,
        problem: str,
        status: int | None = None,
        body: bytes = b"",
        *,
        timed_out: bool = False,
    ) -> None:
        self.url = url
        self.problem = problem
        self.status = status
        self.body = body
        self.timed_out = timed_out
        super().__init__(f"{url}: {problem}")


class FetchCancelled(HTTPFetchError):
    """The caller stopped waiting (paperfeed is shutting down): no further attempt."""


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

    def wait(self, group: str, interval: float, stop: threading.Event) -> bool:
        """Wait for this group's next slot; ``False`` when ``stop`` was set meanwhile."""
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next_at.get(group, 0.0))
            self._next_at[group] = start + interval
        return not stop.wait(start - now) if start > now else not stop.is_set()


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
    """One connection, paced requests, retries with exponential backoff, a size cap.

    ``stop``, once set (by a server shutting down), ends every wait, pacing and backoff
    alike, and starts no further attempt: ``get`` raises ``FetchCancelled``.
    """

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
        stop: threading.Event | None = None,
    ) -> None:
        self.pace_group = pace_group
        self.stop = stop or threading.Event()
        self.min_interval = min_interval
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_bytes = max_bytes
        self._client = httpx.Client(
            timeout=timeout,
            headers={"User-Agent": USER_AGENT},
            follow_redirects=False,  # followed by hand: see may_redirect
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
            if not _PACER.wait(self.pace_group, self.min_interval, self.stop):
                raise FetchCancelled(url, "cancelled: paperfeed is stopping")
            status: int | None = None
            timed_out = False
            try:
                page = self._fetch_once(url, params)
            except (httpx.TransportError, _TruncatedBody) as exc:
                problem = f"connection failed: {exc.__class__.__name__}: {exc}".rstrip(": ")
                timed_out = isinstance(exc, httpx.TimeoutException)
                delay = None
            else:
                status = page.status
                if page.status < 400:
                    return page
                problem = f"HTTP {page.status}"
                if page.status not in RETRY_STATUSES:
                    raise HTTPFetchError(page.url, problem, page.status, page.body)
                delay = retry_after_seconds(page.headers.get("retry-after"), self.max_backoff)
            attempt += 1
            if attempt > self.max_retries:
                gave_up = f"{problem} (gave up after {attempt} attempts)"
                raise HTTPFetchError(url, gave_up, status, timed_out=timed_out)
            if self.stop.wait(delay if delay is not None else self._backoff_delay(attempt)):
                raise FetchCancelled(url, f"{problem}; cancelled: paperfeed is stopping")

    def _backoff_delay(self, attempt: int) -> float:
        return float(min(self.max_backoff, self.backoff * 2 ** (attempt - 1)))

    def _fetch_once(self, url: str, params: Mapping[str, Any] | None) -> FetchedPage:
        """One request, following redirects that stay on the host that was asked."""
        request = self._client.build_request("GET", url, params=params)
        origin = request.url
        for _ in range(MAX_REDIRECTS + 1):
            response = self._client.send(request, stream=True)
            try:
                target = response.next_request
                if target is None:
                    return self._read(response)
                if not may_redirect(origin, target.url):
                    raise HTTPFetchError(
                        str(request.url),
                        f"redirected to another host ({target.url.host}); not followed",
                        response.status_code,
                    )
                request = target
            finally:
                response.close()
        raise HTTPFetchError(url, f"too many redirects (more than {MAX_REDIRECTS})")

    def _read(self, response: httpx.Response) -> FetchedPage:
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


def may_redirect(origin: httpx.URL, target: httpx.URL) -> bool:
    """Only to the host that was asked, on the same scheme and port, or its https upgrade.

    A source's base URL is configured; a redirect elsewhere (an open redirect, a
    hijacked mirror) must not make paperfeed fetch, parse and store another site's data.
    """
    if target.host.lower() != origin.host.lower():
        return False
    if (target.scheme, target.port) == (origin.scheme, origin.port):
        return True
    return origin.scheme == "http" and target.scheme == "https" and target.port is None


class _TruncatedBody(Exception):
    """The server closed the connection before sending the whole body."""
