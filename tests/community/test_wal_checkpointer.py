"""The WAL checkpointing process that takes checkpoints off vote batches' commits."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from paperfeed.community.scoring import TrendingModel
from paperfeed.store import open_store
from paperfeed.store.community import NewMark
from paperfeed.store.sqlite.checkpointer import WalCheckpointer, wal_checkpointing
from paperfeed.store.sqlite.connection import (
    WAL_CHECKPOINT_PAGES,
    WAL_CHECKPOINT_PAGES_BESIDE_CHECKPOINTER,
    checkpointer_running,
)
from paperfeed.store.sqlite.store import SQLitePaperStore
from tests.community.conftest import community_settings
from tests.factories import make_paper

pytestmark = pytest.mark.sqlite_only
IDS = [f"2603.0{n:04d}" for n in range(1, 41)]


def eventually(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def new_store(path: Path) -> SQLitePaperStore:
    store = open_store(f"sqlite:///{path}")
    assert isinstance(store, SQLitePaperStore)
    store.upsert_papers([make_paper(paper_id) for paper_id in IDS], source="jsonl")
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO accounts (id, email, display_name, created_at) VALUES (?, ?, ?, '')",
            [(n, f"r{n}@example.org", f"r{n}") for n in range(1, 21)],
        )
    return store


def upvotes(store: SQLitePaperStore, account: int, scorer: TrendingModel) -> None:
    marks = [NewMark(account, paper_id, 1_773_489_600.0 + n) for n, paper_id in enumerate(IDS)]
    assert all(store.add_marks("upvote", marks, scorer))


def upvotes_in_file_alone(database: Path, copy: Path) -> int:
    """Upvotes in the database file itself, without its WAL (what checkpoints copied);
    none while no checkpoint has copied even the schema yet."""
    shutil.copyfile(database, copy)
    with sqlite3.connect(f"file:{copy}?immutable=1", uri=True) as conn:
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'paper_marks'").fetchone():
            return int(conn.execute("SELECT count(*) FROM paper_marks").fetchone()[0])
        return 0


def autocheckpoint(store: SQLitePaperStore) -> int:
    with store._pool.write() as conn:
        return int(conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0])


def test_committed_votes_reach_the_database_file_without_the_writer_checkpointing(
    tmp_path: Path,
) -> None:
    database = tmp_path / "papers.db"
    store = new_store(database)
    store._pool.checkpointer_recheck_seconds = 0.0
    scorer = community_settings().trending_model()
    try:
        with WalCheckpointer(database):
            assert checkpointer_running(database)
            assert autocheckpoint(store) == WAL_CHECKPOINT_PAGES_BESIDE_CHECKPOINTER
            for account in range(1, 6):
                upvotes(store, account, scorer)
            # Far below the writer's own limit: only the checkpointing process copies.
            copy = tmp_path / "copy.db"
            assert eventually(lambda: upvotes_in_file_alone(database, copy) == 5 * len(IDS))
        assert not checkpointer_running(database)
        assert autocheckpoint(store) == WAL_CHECKPOINT_PAGES
        upvotes(store, 6, scorer)
        assert len(store.upvoters(IDS[0], limit=10)) == 6
    finally:
        store.close()


def test_one_checkpointer_per_database(tmp_path: Path) -> None:
    database = tmp_path / "papers.db"
    new_store(database).close()
    with WalCheckpointer(database):
        second = subprocess.run(
            [sys.executable, "-m", "paperfeed.store.sqlite.checkpointer", str(database)],
            timeout=30,
            check=False,
        )
        assert second.returncode == 0  # it found the lock taken and left at once
        assert checkpointer_running(database)


def test_the_checkpointer_stops_when_the_process_that_started_it_dies(tmp_path: Path) -> None:
    database = tmp_path / "papers.db"
    new_store(database).close()
    starter = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from paperfeed.store.sqlite.checkpointer import WalCheckpointer, wal_checkpointing\n"
        "WalCheckpointer(Path(sys.argv[1])).__enter__()\n"
        "os._exit(0)  # no clean-up: the checkpointer is orphaned\n"
    )
    subprocess.run([sys.executable, "-c", starter, str(database)], timeout=30, check=True)
    assert eventually(lambda: not checkpointer_running(database))


def test_only_sqlite_stores_get_a_checkpointing_process(tmp_path: Path) -> None:
    database = tmp_path / "papers.db"
    new_store(database).close()
    with wal_checkpointing("postgresql://localhost/paperfeed"):
        assert not checkpointer_running(database)
    with wal_checkpointing(f"sqlite:///{database}"):
        assert checkpointer_running(database)
    assert not checkpointer_running(database)
