"""A killed ingest resumes without loss or duplicates, derived work included.

Real ``paperfeed`` processes are killed with SIGKILL at random moments while pages are
stored, right after the last page, and in the middle of embedding; one more run (which
finds nothing new and exits 3) must leave the store as a clean import leaves it: the
papers, the keyword index, the vectors and their index, the trending signals.
"""

from __future__ import annotations

import gzip
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import orjson
import pytest

from paperfeed.community.trending_ranking import trending_rows
from paperfeed.ingest import run_ingest
from paperfeed.ingest.cli import EXIT_NOTHING_NEW
from paperfeed.paper_json import paper_json
from paperfeed.sources.jsonl import JSONLSource
from paperfeed.store import PaperStore, open_store
from paperfeed.summaries.refresh import summarize_pending
from tests.recorded_server import RecordedServer, Reply

PAPERS = 6000
BATCH = 40
KILLS = 6


def _demo_records() -> list[dict[str, Any]]:
    path = resources.files("paperfeed.demo").joinpath("papers.jsonl.gz")
    return [orjson.loads(line) for line in gzip.decompress(path.read_bytes()).splitlines()]


def renumbered_demo(path: Path, count: int, month: str) -> Path:
    """``count`` real papers (the demo corpus over and over, with ids ``<month>.00000``
    on) in one JSON Lines file at ``path``."""
    records = _demo_records()
    with path.open("wb") as out:
        for n in range(count):
            record = dict(records[n % len(records)])
            record["id"] = f"{month}.{n:05d}"
            out.write(orjson.dumps(record) + b"\n")
    return path


@pytest.fixture(scope="module")
def big_dump(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return renumbered_demo(tmp_path_factory.mktemp("dump") / "papers.jsonl", PAPERS, "2601")


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
        summarize_pending(clean)  # as the command's pass after the ingest does
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
        child.wait(timeout=600)
        assert child.returncode in (0, 3), child.stderr.read() if child.stderr else ""
        break
    assert kills == KILLS
    observer.close()

    with open_store(killed_url) as resumed:
        assert _snapshot(resumed) == expected
    again = subprocess.run(_ingest_command(killed_url, big_dump), capture_output=True, timeout=600)
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


# -- the derived work: keyword index, vectors, trending signals ---------------------------

MODEL = "minilm-l6-v2-int8"
EMBEDDED = 300  # two embedding batches (256 and 44): a kill can land between them
HF_DAY = "2026-06-12"
HF_ITEMS = 1500  # thirty pages of fifty
HF_FIXTURE = Path(__file__).parent / "fixtures" / "hf_daily_papers" / "hf_daily_papers.json"


@pytest.fixture(scope="module")
def model_built(shared_model_dir: Path) -> None:
    """The model built once in the folder every child process reads it from, so that a
    kill lands in the work under test, not in the first build of the model."""
    from paperfeed.embedding import load_embedder

    load_embedder(MODEL, Path(os.environ.get("PAPERFEED_SEARCH_MODEL_DIR", shared_model_dir)))


def _child_env(var: Path) -> dict[str, str]:
    return {**os.environ, "PAPERFEED_VAR_DIR": str(var), "PAPERFEED_HF_REQUEST_INTERVAL": "0"}


def _paperfeed(db_url: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "paperfeed", "--db", db_url, *args]


def _derived_state(store: PaperStore) -> dict[str, Any]:
    """What the derived work has left on disk and in the store, read without repairing
    anything (opening a search would catch an index up by itself)."""
    from paperfeed.config import Settings
    from paperfeed.search.index_files import read_manifest
    from paperfeed.search.keyword_index import position_on_disk
    from paperfeed.search.service import index_root
    from paperfeed.store.search import KeywordChangeLog

    papers = store.count_papers()
    state: dict[str, Any] = {
        "papers without a vector": store.count_missing_embeddings(MODEL),
        "active generation": store.active_generation(),
    }
    if isinstance(store, KeywordChangeLog):  # the indexes are files beside the store
        root = index_root(store, Settings({}, environ={}))
        state["keyword index behind by"] = _behind(
            position_on_disk(root / "keyword"), store.latest_keyword_change(), papers
        )
        manifest = read_manifest(root, MODEL)
        state["vector index behind by"] = _behind(
            (manifest.max_seq, manifest.count) if manifest else None,
            store.latest_embedding_seq(MODEL),
            papers,
        )
    return state


def _behind(position: tuple[int, int] | None, latest: int, papers: int) -> tuple[int, int]:
    """(log entries not applied, papers not held) of an index at ``position``."""
    seq, held = position or (0, 0)
    return latest - seq, papers - held


COMPLETE = {
    "papers without a vector": 0,
    "active generation": MODEL,
    "keyword index behind by": (0, 0),
    "vector index behind by": (0, 0),
}


def _complete(store: PaperStore) -> dict[str, Any]:
    return {k: v for k, v in COMPLETE.items() if k in _derived_state(store)}


def _wait_until(check: Callable[[], bool], child: subprocess.Popen[bytes]) -> bool:
    """Poll ``check`` until it holds (True) or the child exits first (False)."""
    deadline = time.monotonic() + 900
    while child.poll() is None:
        if check():
            return True
        assert time.monotonic() < deadline, "the child neither got there nor ended"
        time.sleep(0.005)
    return False


def _kill(child: subprocess.Popen[bytes]) -> None:
    os.kill(child.pid, signal.SIGKILL)
    child.wait()


def _keyword_hits(store: PaperStore, words: list[str]) -> dict[str, list[str]]:
    """Every paper a keyword search finds for each word, as a sorted list of ids."""
    from paperfeed.config import Settings
    from paperfeed.search import SearchService

    service = SearchService(store, Settings({}, environ={}))
    try:
        found = {}
        for word in words:
            results = service.search(word, mode="keyword", limit=100)
            found[word] = sorted(hit.paper.paper.id for hit in results.hits)
        return found
    finally:
        service.close()


@pytest.fixture(scope="module")
def embed_dump(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return renumbered_demo(tmp_path_factory.mktemp("embed") / "papers.jsonl", EMBEDDED, "2602")


@pytest.mark.slow
@pytest.mark.usefixtures("model_built")
def test_kills_after_the_pages_and_while_embedding_are_finished_by_the_next_run(
    new_store_url: Callable[[str], str], embed_dump: Path, tmp_path: Path
) -> None:
    url = new_store_url("embed.db")
    env = _child_env(tmp_path / "var")
    command = _paperfeed(url, "ingest", "jsonl", str(embed_dump), "--batch-size", "100")
    observer = open_store(url)
    key = JSONLSource(embed_dump).checkpoint_key
    try:
        # Killed as soon as the last page is stored: the derived work has just begun.
        child = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
        assert _wait_until(lambda: _committed_line(observer, key) == EMBEDDED, child)
        _kill(child)
        assert observer.count_papers() == EMBEDDED
        # The next run finds nothing new; killed between two committed batches of vectors.
        child = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
        halfway = _wait_until(
            lambda: 0 < observer.count_missing_embeddings(MODEL) < EMBEDDED, child
        )
        assert halfway, "the run finished before it could be killed while embedding"
        _kill(child)
        assert _derived_state(observer) != _complete(observer)
    finally:
        observer.close()

    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == EXIT_NOTHING_NEW, done.stderr
    assert "finished what an earlier run left" in done.stderr
    with open_store(url) as resumed:
        assert _derived_state(resumed) == _complete(resumed)
        assert resumed.count_papers() == EMBEDDED
        hits = _keyword_hits(resumed, ["equivariant", "permutation"])
    assert all(hits.values())
    with open_store(new_store_url("clean.db")) as clean:
        run_ingest(clean, JSONLSource(embed_dump))
        assert _keyword_hits(clean, ["equivariant", "permutation"]) == hits


@pytest.mark.usefixtures("model_built")
def test_a_run_that_finds_nothing_new_finishes_what_a_killed_run_left(
    store_url: str, tmp_path: Path
) -> None:
    """The state a run killed right after its last page leaves (papers stored, nothing
    derived), made exactly: the next run exits 3 and derives everything."""
    dump = tmp_path / "papers.jsonl"
    dump.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in _demo_records()[:30]))
    with open_store(store_url) as store:
        run_ingest(store, JSONLSource(dump))
        assert _derived_state(store)["papers without a vector"] == 30
    done = subprocess.run(
        _paperfeed(store_url, "ingest", "jsonl", str(dump)),
        env=_child_env(tmp_path / "var"),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == EXIT_NOTHING_NEW, done.stderr
    with open_store(store_url) as store:
        assert _derived_state(store) == _complete(store)


def _hf_items() -> list[dict[str, Any]]:
    """The recorded day, re-numbered into many papers (each with a repository of its own,
    so no star baseline depends on the order in which papers were read)."""
    recorded = orjson.loads(HF_FIXTURE.read_bytes())
    items = []
    for n in range(HF_ITEMS):
        item = orjson.loads(orjson.dumps(recorded[n % len(recorded)]))
        item["paper"]["id"] = f"2606.{n:05d}"
        if item["paper"].get("githubRepo"):
            item["paper"]["githubRepo"] += f"-{n}"
        items.append(item)
    return items


def _serve_hf_day(server: RecordedServer) -> None:
    items = _hf_items()
    for page in range(HF_ITEMS // 50 + 1):
        body = orjson.dumps(items[page * 50 : (page + 1) * 50])
        server.add("/api/daily_papers", Reply(body), query={"date": HF_DAY, "p": str(page)})


def _trending_state(store: PaperStore) -> dict[str, Any]:
    ids = [f"2606.{n:05d}" for n in range(HF_ITEMS)]
    rows = trending_rows(store, ids, _trending_model())
    return {
        "signals": {i: [(s.kind, s.amount, s.at) for s in store.paper_signals(i)] for i in ids},
        "counts": {i: (r.upvotes, r.hf_upvotes, r.saves, r.stars) for i, r in rows.items()},
    }


def _hf_snapshot(store: PaperStore) -> dict[str, Any]:
    papers = {}
    for paper_id, stored in store.get_papers(f"2606.{n:05d}" for n in range(HF_ITEMS)).items():
        data = paper_json(stored)
        for key in ("first_seen_at", "updated_at", "sources"):
            data.pop(key)
        papers[paper_id] = data
    return {"papers": papers, **_trending_state(store)}


@pytest.mark.slow
def test_a_killed_hugging_face_ingest_leaves_no_signal_behind(
    new_store_url: Callable[[str], str], recorded_server: RecordedServer, tmp_path: Path
) -> None:
    _serve_hf_day(recorded_server)
    env = _child_env(tmp_path / "var")
    args = ("ingest", "hf-daily", "--since", HF_DAY, "--until", HF_DAY, "--no-embed")
    args += ("--base-url", recorded_server.url)
    clean_url = new_store_url("clean.db")
    clean_run = subprocess.run(_paperfeed(clean_url, *args), env=env, capture_output=True)
    assert clean_run.returncode == 0, clean_run.stderr
    with open_store(clean_url) as clean:
        expected = _hf_snapshot(clean)
    voted = [i for i in _hf_items() if i["paper"]["upvotes"] or i["paper"].get("githubStars")]
    assert len(expected["counts"]) == len(voted)  # each paper with votes or stars trends

    url = new_store_url("killed.db")
    observer = open_store(url)
    rng = random.Random(20261207)

    def checkpoint() -> dict[str, Any]:
        return observer.get_checkpoint("hf-daily") or {}

    try:
        for _ in range(2):  # while pages are stored
            child = subprocess.Popen(_paperfeed(url, *args), env=env, stderr=subprocess.DEVNULL)
            before = checkpoint()
            assert _wait_until(lambda before=before: checkpoint() != before, child)
            time.sleep(rng.uniform(0, 0.05))
            _kill(child)
        # Killed the moment the day is complete: every page is stored, and the signals
        # are being (or not yet) recorded.
        child = subprocess.Popen(_paperfeed(url, *args), env=env, stderr=subprocess.DEVNULL)
        assert _wait_until(lambda: checkpoint().get("last_complete_day") == HF_DAY, child)
        _kill(child)
        assert observer.count_papers() == HF_ITEMS
    finally:
        observer.close()

    done = subprocess.run(_paperfeed(url, *args), env=env, capture_output=True, timeout=900)
    assert done.returncode == EXIT_NOTHING_NEW, done.stderr
    with open_store(url) as resumed:
        assert _hf_snapshot(resumed) == expected
        assert _derived_state(resumed).get("keyword index behind by", (0, 0)) == (0, 0)


@pytest.mark.usefixtures("model_built")
def test_serve_finishes_what_a_killed_ingest_left(store_url: str, tmp_path: Path) -> None:
    """Papers and Hugging Face rows stored, nothing derived (as a run killed after its
    last page leaves them): ``paperfeed serve`` derives it all while it serves."""
    from paperfeed.sources.hf_daily import papers_from_daily
    from tests.web.live_server import free_port

    dump = tmp_path / "papers.jsonl"
    dump.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in _demo_records()[:20]))
    recorded = papers_from_daily(HF_FIXTURE.read_bytes(), date(2026, 6, 12), "recording")
    with open_store(store_url) as store:
        run_ingest(store, JSONLSource(dump))
        store.upsert_papers(recorded, source="hf-daily")
        assert store.hf_readings(limit=1)  # not yet turned into signals
    port = free_port()
    server = subprocess.Popen(
        _paperfeed(store_url, "serve", "--port", str(port), "--no-access-log"),
        env=_child_env(tmp_path / "var"),
        stderr=subprocess.DEVNULL,
    )
    try:
        with open_store(store_url) as store:
            deadline = time.monotonic() + 900
            while _derived_state(store) != _complete(store) or store.hf_readings(limit=1):
                assert server.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
            msa = trending_rows(store, ["2606.13392"], _trending_model())["2606.13392"]
            assert (msa.hf_upvotes, msa.stars) == (103, 251)
    finally:
        server.terminate()
        server.wait(timeout=60)


def _trending_model() -> Any:
    from paperfeed.community.settings import CommunitySettings
    from paperfeed.config import Settings

    return CommunitySettings.from_settings(Settings({}, environ={})).trending_model()
