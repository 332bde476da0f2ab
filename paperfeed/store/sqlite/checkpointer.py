"""Checkpoint a SQLite store's WAL in a process of its own, off the writers' commits.

A commit appends its pages to the WAL; a checkpoint copies them into the database file
and syncs it. SQLite runs the checkpoint inside the commit that crosses the
auto-checkpoint limit, so that one commit also pays for every page the commits before
it wrote (a 64 MB checkpoint took a vote batch from ~50 ms to ~240 ms). Run beside a
writer (``paperfeed serve`` starts it), this process checkpoints in small steps on the
other core and holds ``<db>-checkpointer`` locked; writers that see the lock raise their
own limit to a safety net (``store/sqlite/connection.py``) and so stop checkpointing in
their commits. Durability is unchanged: a commit is in the WAL before it returns,
whichever process copies it into the database later, and a checkpoint cut short (the
process killed) is simply redone by the next one.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import IO

from paperfeed.store.sqlite.connection import checkpointer_lock_path, checkpointer_running, connect
from paperfeed.store.urls import parse_database_url

TAKE_SECONDS = 1.0
"""How long a starting checkpointer retries a lock it finds taken."""

IDLE_SECONDS = 0.2
"""Pause between checkpoints: each copies a few commits' pages, never a 64 MB backlog,
and syncs the disk five times a second at most (every 50 ms delayed the writer more)."""


def checkpoint_until_orphaned(path: Path, parent_pid: int) -> None:
    """PASSIVE checkpoints of ``path`` (they never block a writer or a reader) until the
    process ``parent_pid`` is gone.

    The WAL is written from its start again by the next writer once every frame is
    copied, which happens whenever writes pause. A writer that never pauses (the
    benchmark's stream of vote batches) reaches its safety net instead, 512 MB: that
    commit copies the few pages left and the WAL starts again.
    """
    with checkpointer_lock_path(path).open("a") as lock:
        if not _take(lock):
            return  # another checkpointer serves this database
        conn = connect(path)
        try:
            while os.getppid() == parent_pid:
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                time.sleep(IDLE_SECONDS)
        finally:
            conn.close()


def _take(lock: IO[str]) -> bool:
    """The exclusive lock, unless another process holds it for good: writers asking
    whether a checkpointer runs hold a shared lock for microseconds, so a refusal is
    retried for a while before giving way."""
    deadline = time.monotonic() + TAKE_SECONDS
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)


class WalCheckpointer:
    """The checkpointing process for one database, for the life of a ``with`` block.

    It also stops by itself when the process that started it exits.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> WalCheckpointer:
        command = [sys.executable, "-m", __name__, str(self.path), "--parent", str(os.getpid())]
        self._process = subprocess.Popen(command)  # noqa: S603 (this interpreter, our module)
        _wait_for_lock(self.path, self._process)
        return self

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=30)
            self._process = None


def wal_checkpointing(database_url: str) -> contextlib.AbstractContextManager[object]:
    """For a long-running server or worker: a checkpointing process while it runs, if
    the store is a SQLite file (PostgreSQL checkpoints by itself)."""
    parsed = parse_database_url(database_url)
    if parsed.scheme != "sqlite" or parsed.path is None:
        return contextlib.nullcontext()
    return WalCheckpointer(parsed.path)


def _wait_for_lock(path: Path, process: subprocess.Popen[bytes]) -> None:
    """Return once the process holds the lock (writers then see it) or has exited."""
    deadline = time.monotonic() + 10
    while not checkpointer_running(path) and process.poll() is None:
        if time.monotonic() > deadline:
            break
        time.sleep(0.01)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database", type=Path)
    parser.add_argument("--parent", type=int, default=os.getppid())
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        checkpoint_until_orphaned(args.database, args.parent)


if __name__ == "__main__":
    main()
