"""PostgreSQL connections: a pool, statement timeouts, retries on transient failures.

Several web and worker processes share one database, so every transaction may meet a
serialization failure, a deadlock or a connection dropped by a restarting server; those
are retried with backoff (the whole transaction, which is why callers pass a function).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from paperfeed.store.base import StoreError
from paperfeed.store.postgres.vectors import PgVector, PgVectorDumper

T = TypeVar("T")
Connection = psycopg.Connection[dict[str, Any]]
# Worth running the whole transaction again: serialization failures and deadlocks
# (40xxx), a server shutting down or starting up (57P01-57P03), a lost connection (08xxx,
# or no SQLSTATE at all: the client noticed the socket close).
RETRIABLE_SQLSTATES = ("40001", "40P01", "57P01", "57P02", "57P03")


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` may go away when the transaction is simply tried again."""
    if isinstance(exc, PoolTimeout):
        return True
    if not isinstance(exc, psycopg.Error):
        return False
    state = exc.sqlstate
    if state is None:
        return isinstance(exc, psycopg.OperationalError)
    return state in RETRIABLE_SQLSTATES or state.startswith("08")


# One key for "someone is writing papers": paper writes are serialised like SQLite's.
PAPER_WRITE_LOCK = 0x70617065  # "pape"


class PostgresPool:
    """A psycopg connection pool with per-transaction retry."""

    def __init__(
        self,
        url: str,
        *,
        max_size: int = 10,
        statement_timeout_ms: int = 30_000,
        retries: int = 5,
    ) -> None:
        self.url = url
        self.retries = retries

        def configure(conn: psycopg.Connection[Any]) -> None:
            conn.adapters.register_dumper(PgVector, PgVectorDumper)
            conn.execute(f"SET statement_timeout = {int(statement_timeout_ms)}")
            conn.execute("SET TIME ZONE 'UTC'")
            conn.commit()

        try:
            self._pool: ConnectionPool[Connection] = ConnectionPool(
                url,
                min_size=1,
                max_size=max_size,
                kwargs={"row_factory": dict_row},
                configure=configure,
                check=ConnectionPool.check_connection,
                open=True,
                timeout=30,
            )
            self._pool.wait(timeout=30)
        except (psycopg.Error, PoolTimeout) as exc:
            raise StoreError(f"cannot connect to PostgreSQL at {_redact(url)}: {exc}") from exc

    def run(self, work: Callable[[Connection], T], *, write: bool = False) -> T:
        """Run ``work`` in one transaction, retrying the whole of it on transient errors."""
        attempt = 0
        while True:
            try:
                with self._pool.connection() as conn, conn.transaction():
                    if write:
                        conn.execute("SELECT pg_advisory_xact_lock(%s)", (PAPER_WRITE_LOCK,))
                    return work(conn)
            except (psycopg.Error, PoolTimeout) as exc:
                if not is_transient(exc):
                    raise StoreError(f"PostgreSQL refused the operation: {exc}") from exc
                attempt += 1
                if attempt > self.retries:
                    raise StoreError(f"PostgreSQL kept failing: {exc}") from exc
                time.sleep(min(5.0, 0.1 * 2**attempt))

    @contextmanager
    def session(self) -> Iterator[Connection]:
        """A connection held for a while (advisory session locks), autocommit."""
        with self._pool.connection() as conn:
            conn.autocommit = True
            try:
                yield conn
            finally:
                if not conn.closed and not conn.broken:  # a lost one the pool replaces
                    conn.autocommit = False

    def close(self) -> None:
        self._pool.close()


def lock_key(kind: str, name: str) -> int:
    """A signed 64-bit advisory lock key for a named thing (``ingest``, ``job``, ...)."""
    digest = hashlib.blake2b(f"paperfeed:{kind}:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _redact(url: str) -> str:
    """The URL without its password, for error messages."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in credentials else f"{scheme}://{user}@{host}"
