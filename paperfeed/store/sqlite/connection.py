"""SQLite connections: WAL, foreign keys, one writer at a time, readers never blocked."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from paperfeed.store.base import StoreError

BUSY_TIMEOUT_MS = 30_000
# Checkpoint the WAL into the database every 16,384 pages (64 MB) rather than SQLite's
# 1,000 (4 MB): a page of papers, or a batch of votes over a large store, dirties several
# MB, so the default checkpointed after nearly every commit, rewriting the same index
# pages again and again. Bulk imports write about a quarter less and vote batches
# commit about twice as fast (at the median); durability is unchanged (the WAL is the
# journal).
WAL_CHECKPOINT_PAGES = 16_384
# While a checkpointing process serves the database (``store/sqlite/checkpointer.py``),
# writers checkpoint only past 512 MB: otherwise the commit crossing 64 MB would still
# pay for pages not copied yet. Past it (the process stalled, or writes never paused
# long enough for the WAL to start again), a commit copies what is left itself.
WAL_CHECKPOINT_PAGES_BESIDE_CHECKPOINTER = 131_072


def checkpointer_lock_path(path: Path) -> Path:
    """The file a checkpointing process holds locked while it serves ``path``."""
    return path.with_name(path.name + "-checkpointer")


def checkpointer_running(path: Path) -> bool:
    """Whether a checkpointing process holds ``path``'s lock (a few microseconds)."""
    try:
        fd = os.open(checkpointer_lock_path(path), os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing also drops a lock just taken
    return False


def connect(path: Path) -> sqlite3.Connection:
    """Open ``path`` with the pragmas every paperfeed connection relies on."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
        )
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(f"cannot open database {path}: {exc}") from exc
    conn.row_factory = sqlite3.Row
    for pragma in (
        "journal_mode = WAL",
        "foreign_keys = ON",
        "synchronous = NORMAL",
        f"busy_timeout = {BUSY_TIMEOUT_MS}",
        "temp_store = MEMORY",
        "cache_size = -65536",
        f"wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}",
    ):
        conn.execute(f"PRAGMA {pragma}")
    return conn


class ConnectionPool:
    """One connection per thread for reads, and a lock so one thread writes at a time.

    Writes take SQLite's write lock up front (``BEGIN IMMEDIATE``), so a second process
    waits for the first instead of failing half-way; WAL keeps readers reading meanwhile.
    """

    checkpointer_recheck_seconds = 1.0
    """How often a writer looks whether a checkpointing process serves the database."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        self._write_lock = threading.RLock()
        self._wal_limit = WAL_CHECKPOINT_PAGES
        self._wal_limit_checked = -float("inf")

    def get(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path)
            self._local.conn = conn
            with self._all_lock:
                self._all.append(conn)
        return conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A transaction holding the database's write lock; rolled back on any error."""
        with self._write_lock:
            conn = self.get()
            if conn.in_transaction:  # nested use inside an open write: join it
                yield conn
                return
            self._apply_checkpoint_policy(conn)
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StoreError(f"cannot write to {self.path}: {exc}") from exc
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            else:
                conn.execute("COMMIT")

    def _apply_checkpoint_policy(self, conn: sqlite3.Connection) -> None:
        """Leave checkpoints to a checkpointing process while one runs (checked once a
        second, under the write lock); checkpoint in the commit otherwise."""
        now = time.monotonic()
        if now - self._wal_limit_checked >= self.checkpointer_recheck_seconds:
            self._wal_limit_checked = now
            self._wal_limit = (
                WAL_CHECKPOINT_PAGES_BESIDE_CHECKPOINTER
                if checkpointer_running(self.path)
                else WAL_CHECKPOINT_PAGES
            )
        if getattr(self._local, "wal_limit", WAL_CHECKPOINT_PAGES) != self._wal_limit:
            conn.execute(f"PRAGMA wal_autocheckpoint = {self._wal_limit}")
            self._local.wal_limit = self._wal_limit

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot for several reads."""
        conn = self.get()
        if conn.in_transaction:
            yield conn
            return
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")

    def close(self) -> None:
        with self._all_lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()
