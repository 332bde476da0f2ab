"""A killed ingest (SIGKILL at random moments) resumes without loss or duplicates."""

from __future__ import annotations

import gzip
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import orjson
import pytest

from paperfeed.ingest import run_ingest
from paperfeed.paper_json import paper_json
from paperfeed.sources.jsonl import JSONLSource
from paperfeed.store import PaperStore, open_store

PAPERS = 6000
BATCH = 40
KILLS = 6


def _demo_records() -> list[dict[str, Any]]:
    path = resources.files("paperfeed.demo").joinpath("papers.jsonl.gz")
    return [orjson.loads(line) for line in gzip.decompress(path.read_bytes()).splitlines()]


@pytest.fixture(scope="module")
def big_dump(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Many real papers (the demo corpus, re-numbered) in one JSON Lines file."""
    records = _demo_records()
    path = tmp_path_factory.mktemp("dump") / "papers.jsonl"
    with path.open("wb") as out:
        for n in range(PAPERS):
            record = dict(records[n % len(records)])
            record["id"] = f"2601.{n:05d}"
            out.write(orjson.dumps(record) + b"\n")
    return path


def _snapshot(store: PaperStore) -> dict[str, Any]:
    """Everything a user could see, minus the wall-clock timestamps."""
    ids = [f"2601.{n:05d}" for n in range(PAPERS)]
    papers = {}
    for paper_id, stored in store.get_papers(ids).items():
        data = paper_json(stored)
        for key in ("first_seen_at", "updated_at"):
            data.pop(key)
        data["sources"] = sorted(s["source"] for s in data["sources"])
        papers[paper_id] = data
    stats = store.stats()
    return {
        "papers": papers,
        "count": stats.papers,
        "by_source": dict(stats.by_source),
        "checkpoints": dict(stats.checkpoints),
    }


def _committed_line(observer: PaperStore, key: str) -> int:
    checkpoint = observer.get_checkpoint(key)
    return int(checkpoint.get("line", 0)) if checkpoint else 0


def _wait_for_progress(observer: PaperStore, key: str, child: subprocess.Popen[bytes]) -> bool:
    """Wait until the child commits a page beyond what was there; False if it finished."""
    start_line = _committed_line(observer, key)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and child.poll() is None:
        if _committed_line(observer, key) > start_line:
            return True
        time.sleep(0.005)
    return False


def _ingest_command(db_url: str, dump: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "paperfeed",
        "--db",
        db_url,
        "ingest",
        "jsonl",
        "--no-embed",
        str(dump),
        "--batch-size",
        str(BATCH),
    ]


@pytest.mark.slow
def test_sigkill_at_random_moments_loses_and_duplicates_nothing(
    new_store_url: Callable[[str], str], big_dump: Path
) -> None:
    clean_url = new_store_url("clean.db")
    with open_store(clean_url) as clean:
        run_ingest(clean, JSONLSource(big_dump, batch_size=BATCH))
        expected = _snapshot(clean)
    assert expected["count"] == PAPERS

    killed_url = new_store_url("killed.db")
    observer = open_store(killed_url)
    key = JSONLSource(big_dump).checkpoint_key
    rng = random.Random(20261128)
    kills = 0
    while True:
        child = subprocess.Popen(
            _ingest_command(killed_url, big_dump),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        if kills < KILLS and _wait_for_progress(observer, key, child):
            time.sleep(rng.uniform(0, 0.05))  # land anywhere: mid-page, mid-commit, between pages
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
            kills += 1
            continue
        child.wait(timeout=120)
        assert child.returncode in (0, 3), child.stderr.read() if child.stderr else ""
        break
    assert kills == KILLS
    observer.close()

    with open_store(killed_url) as resumed:
        assert _snapshot(resumed) == expected
    again = subprocess.run(_ingest_command(killed_url, big_dump), capture_output=True, timeout=120)
    assert again.returncode == 3  # nothing new: the run had already completed


def test_interrupted_run_resumes_from_its_checkpoint(store: PaperStore, big_dump: Path) -> None:
    """In process: stop after a few pages, then a second run reads only the rest."""
    source = JSONLSource(big_dump, batch_size=1000)
    pages = source.pages(None)
    for page in [next(pages), next(pages)]:
        store.upsert_papers(
            page.papers,
            source=source.name,
            checkpoint_key=source.checkpoint_key,
            checkpoint=page.checkpoint,
        )
    assert store.count_papers() == 2000
    start = time.monotonic()
    report = run_ingest(store, JSONLSource(big_dump, batch_size=1000))
    assert time.monotonic() - start < 30
    assert (report.result.inserted, report.result.unchanged) == (PAPERS - 2000, 0)
    assert store.count_papers() == PAPERS
