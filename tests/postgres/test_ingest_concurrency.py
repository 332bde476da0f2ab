"""Ingesters and readers share one PostgreSQL database: no duplicates, nothing lost.

Two ``paperfeed ingest`` processes on one source take turns (the per-source lock); web
readers keep answering while a third ingests; a server restart mid-ingest is survived.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from paperfeed.config import Settings
from paperfeed.sources.jsonl import JSONLSource
from paperfeed.store import open_store
from paperfeed.web.app import create_app
from tests.postgres.conftest import ROOT, restart_server
from tests.test_ingest_resume import renumbered_demo

pytestmark = pytest.mark.postgresql_only
PAPERS = 3000
BATCH = 100


@pytest.fixture(scope="module")
def dump(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return renumbered_demo(tmp_path_factory.mktemp("dump") / "papers.jsonl", PAPERS, "2602")


def _ingest(url: str, dump: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "paperfeed", "--db", url, "ingest", "jsonl", "--no-embed", str(dump),
         "--batch-size", str(BATCH)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip


def _assert_complete(url: str) -> None:
    with open_store(url) as store:
        stats = store.stats()
        assert stats.papers == PAPERS
        assert stats.by_source == {"jsonl": PAPERS}
        ids = [f"2602.{n:05d}" for n in range(PAPERS)]
        assert len(store.get_papers(ids)) == PAPERS


def test_two_ingesters_on_one_source_store_each_paper_once(store_url: str, dump: Path) -> None:
    children = [_ingest(store_url, dump) for _ in range(2)]
    # One stores everything; the other waits for the source's lock, then resumes from
    # the finished checkpoint and finds nothing new (exit status 3, as for cron).
    assert sorted(child.wait(timeout=120) for child in children) == [0, 3]
    _assert_complete(store_url)


def test_pages_keep_answering_while_papers_arrive(
    store_url: str, dump: Path, tmp_path: Path
) -> None:
    settings = Settings({"var_dir": str(tmp_path / "var"), "secret_key": "k" * 32}, environ={})
    child = _ingest(store_url, dump)
    failures: list[str] = []
    answered = 0
    with open_store(store_url) as store, TestClient(create_app(settings, store=store)) as client:
        while child.poll() is None:
            for path in ("/", "/search?q=graph+neural+networks", "/api/v1/papers"):
                response = client.get(path)
                answered += 1
                if response.status_code >= 500:
                    failures.append(f"{path}: {response.status_code}")
    assert child.wait(timeout=120) == 0
    assert not failures
    assert answered > 3
    _assert_complete(store_url)


@pytest.mark.slow
def test_a_server_restart_mid_ingest_loses_and_duplicates_nothing(
    store_url: str, dump: Path
) -> None:
    key = JSONLSource(dump).checkpoint_key
    child = _ingest(store_url, dump)
    with open_store(store_url) as observer:
        deadline = time.monotonic() + 60
        while not (observer.get_checkpoint(key) or {}).get("line"):
            assert time.monotonic() < deadline and child.poll() is None
            time.sleep(0.01)
    restarter = threading.Thread(target=restart_server)
    restarter.start()
    restarter.join()
    assert child.wait(timeout=120) == 0  # reconnected and finished
    _assert_complete(store_url)
