"""Trending at scale: a 300,000-paper store and 1,000,000 synthetic upvotes over 30 days.

Phase 1 applies the votes through the store's incremental path (``add_marks``) in
batches of 1,000, as they would arrive, and times every batch: the cost of bringing
trending up to date after 1,000 new votes is the durable write plus, in a serving
process (a second store object on the same database), catching its in-memory ranking
up from the ledger and ranking a view. It also times a fresh process building its
ranking from the store. The baseline, measured in the same run, is a full
recomputation of every score from the ledger (``rebuild_trending``), which is what a
design without incremental keys would need. Phase 2 times the ranking query of
each view in-process, and phase 3 drives `paperfeed serve` with wrk at 200 requests/s:
/favicon.ico (the framework's own cost, the baseline), /trending across views and
categories, and /trending while another process keeps voting (every vote changes
``data_version``, so pages are re-rendered all the time).
Targets (2 cores): incremental update < 100 ms per 1,000 votes; /trending p99 < 50 ms.

The database is served as deployed: a WAL checkpointing process runs beside the writers
(``paperfeed.store.sqlite.checkpointer``, started by ``paperfeed serve``)
and its CPU time is reported; ``--checkpoint-in-commit`` measures without it (each
writer checkpoints in the commit that crosses 64 MB, as before).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.web import Figures, build_store, free_port, start_server, wrk  # noqa: E402
from paperfeed.community.ranking import rank_trending  # noqa: E402
from paperfeed.community.scoring import TrendingModel  # noqa: E402
from paperfeed.community.settings import CommunitySettings  # noqa: E402
from paperfeed.community.trending_ranking import trending_ids  # noqa: E402
from paperfeed.config import Settings  # noqa: E402
from paperfeed.store import PaperStore, open_store  # noqa: E402
from paperfeed.store.community import WINDOWS, NewMark  # noqa: E402
from paperfeed.store.sqlite.checkpointer import WalCheckpointer  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "papers-300k.jsonl.xz"
DEFAULT_STORE = ROOT / "var" / "bench" / "trending-300k.db"
DAY = 86_400.0
CATEGORIES = ["cs.LG", "cs.CV", "cs.CL", "hep-th", "quant-ph", "math.CO", "astro-ph.GA"]


def model() -> TrendingModel:
    return CommunitySettings.from_settings(Settings(environ={})).trending_model()


SCORER = model()


def add_accounts(store_path: Path, count: int) -> None:
    now = datetime.now(UTC).isoformat()
    with sqlite3.connect(store_path) as conn:
        conn.executemany(
            "INSERT OR IGNORE INTO accounts (id, email, display_name, created_at)"
            " VALUES (?, ?, ?, ?)",
            [(i, f"reader{i}@example.org", f"reader{i}", now) for i in range(1, count + 1)],
        )


def paper_ids(store_path: Path) -> list[str]:
    with sqlite3.connect(store_path) as conn:
        return [row[0] for row in conn.execute("SELECT id FROM papers ORDER BY announced DESC")]


def synthetic_votes(
    ids: list[str], accounts: int, count: int, now: float, seed: int = 7
) -> list[NewMark]:
    """Votes over 30 days, in arrival order; popularity is skewed (rank ~ n * u^3: a fifth
    of the votes go to the top 1% of papers, and the long tail still gets votes)."""
    rng = random.Random(seed)
    votes = []
    for _ in range(count):
        rank = int(len(ids) * rng.random() ** 3)
        paper = ids[(rank * 7919) % len(ids)]  # popular papers spread over the store
        votes.append(NewMark(rng.randint(1, accounts), paper, now - rng.random() * 30 * DAY))
    votes.sort(key=lambda v: v.at)
    return votes


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def first_page(store: PaperStore, now: float) -> None:
    trending_ids(store, "week", SCORER, active_since=now - 7 * DAY, limit=31)


@dataclass
class BatchTimes:
    """Per batch, in ms: wall-clock and CPU time (this process's, which other work on
    the machine inflates far less than wall-clock) of each step."""

    write: list[float] = field(default_factory=list)
    write_cpu: list[float] = field(default_factory=list)
    catch_up: list[float] = field(default_factory=list)
    catch_up_cpu: list[float] = field(default_factory=list)
    checkpointer_cpu: float = 0.0
    """The checkpointing process's CPU time over the whole run."""
    largest_wal: int = 0
    """The WAL file's largest size seen after a batch, in bytes."""


def process_cpu_seconds(pid: int | None) -> float:
    """User and system CPU time of a running process (Linux ``/proc``)."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def checkpointing(store_path: Path, in_commit: bool) -> contextlib.AbstractContextManager[object]:
    """The deployment's checkpointing process, or none (writers checkpoint in commits)."""
    return contextlib.nullcontext() if in_commit else WalCheckpointer(store_path)


def apply_votes(
    store_url: str, votes: list[NewMark], batch: int, now: float, in_commit: bool
) -> BatchTimes:
    """Per batch: the durable write, and a serving process catching up and ranking."""
    times = BatchTimes()
    store_path = Path(store_url.removeprefix("sqlite:///"))
    with (
        checkpointing(store_path, in_commit) as checkpointer,
        open_store(store_url) as store,
        open_store(store_url) as serving,
    ):
        first_page(serving, now)
        wal = store_path.with_name(store_path.name + "-wal")
        for start in range(0, len(votes), batch):
            chunk = votes[start : start + batch]
            began, began_cpu = time.perf_counter(), time.process_time()
            store.add_marks("upvote", chunk, SCORER)
            wrote, wrote_cpu = time.perf_counter(), time.process_time()
            first_page(serving, now)
            times.write.append((wrote - began) * 1000)
            times.write_cpu.append((wrote_cpu - began_cpu) * 1000)
            times.catch_up.append((time.perf_counter() - wrote) * 1000)
            times.catch_up_cpu.append((time.process_time() - wrote_cpu) * 1000)
            times.largest_wal = max(times.largest_wal, wal.stat().st_size)
            if (start // batch) % 100 == 99:
                print(
                    f"  {start + batch:>9,} votes applied, last batch: write"
                    f" {times.write[-1]:6.1f} ms, catching up and ranking"
                    f" {times.catch_up[-1]:5.1f} ms"
                )
        pid = checkpointer.pid if isinstance(checkpointer, WalCheckpointer) else None
        times.checkpointer_cpu = process_cpu_seconds(pid) * 1000
    return times


def summary(name: str, timings: list[float], target: float | None = None) -> str:
    late = timings[-100:]
    verdict = ""
    if target is not None:
        met = percentile(timings, 0.95) < target
        verdict = f"  target p95 < {target:.0f} ms: {'met' if met else 'MISSED'}"
    return (
        f"{name}: p50 {statistics.median(timings):.1f} ms, mean {statistics.mean(timings):.1f} ms,"
        f" p95 {percentile(timings, 0.95):.1f} ms,"
        f" max {max(timings):.1f} ms; last 100 batches p50 {statistics.median(late):.1f} ms"
        f" p95 {percentile(late, 0.95):.1f} ms{verdict}"
    )


def fresh_process(store_url: str, now: float) -> None:
    """A process that has never ranked: build the in-memory ranking, then rank."""
    with open_store(store_url) as store:
        began = time.perf_counter()
        first_page(store, now)
        built = (time.perf_counter() - began) * 1000
        began = time.perf_counter()
        first_page(store, now)
        again = (time.perf_counter() - began) * 1000
    print(
        f"fresh process: first ranking (built from the store) {built:,.0f} ms,"
        f" the next one {again:.1f} ms"
    )


def query_latency(store_url: str, now: float) -> None:
    with open_store(store_url) as store:
        first_page(store, now)  # build the in-memory ranking (timed by fresh_process)
        for window in WINDOWS:
            for category in (None, "cs.LG", "hep-th"):
                times = []
                for _ in range(50):
                    began = time.perf_counter()
                    rank_trending(store, SCORER, window, category=category, limit=31, now=now)
                    times.append((time.perf_counter() - began) * 1000)
                print(
                    f"  rank {window:<5} {category or 'all':<7} p50 {statistics.median(times):6.2f}"
                    f" ms  p99 {percentile(times, 0.99):6.2f} ms"
                )


def voter(store_path: Path, ids: list[str], seconds: int) -> subprocess.Popen[bytes]:
    """Another process adding 1,000 votes a second to the served store."""
    code = (
        "import random, time\n"
        "from paperfeed.store import open_store\n"
        "from paperfeed.store.community import NewMark\n"
        "from benchmarks.trending import model\n"
        f"ids = {ids[:5000]!r}\n"
        "rng = random.Random(11); scorer = model()\n"
        f"with open_store('sqlite:///{store_path}') as s:\n"
        f"    end = time.time() + {seconds}\n"
        "    while time.time() < end:\n"
        "        t = time.time()\n"
        "        s.add_marks('upvote', [NewMark(rng.randint(1, 20000), rng.choice(ids), t)"
        " for _ in range(1000)], scorer)\n"
        "        time.sleep(max(0.0, 1.0 - (time.time() - t)))\n"
    )
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)


def show(name: str, figures: Figures, baseline: Figures | None, target: float | None) -> None:
    ratio = f"  p99 x{figures.p99_ms / baseline.p99_ms:.1f} baseline" if baseline else ""
    verdict = ""
    if target is not None:
        ok = figures.p99_ms < target and figures.errors == 0
        verdict = f"  target p99 < {target:.0f} ms: {'met' if ok else 'MISSED'}"
    print(
        f"{name:<34} {figures.rate:7.1f} req/s  p50 {figures.p50_ms:6.2f} ms"
        f"  p99 {figures.p99_ms:6.2f} ms  errors {figures.errors}/{figures.requests}"
        f"{ratio}{verdict}"
    )


def serve_phase(store_path: Path, ids: list[str], seconds: int, in_commit: bool) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with checkpointing(store_path, in_commit):
        server = start_server(store_path, port, 1)
        try:
            views = [
                f"/trending?window={w}" + (f"&category={c}" if c else "")
                for w in WINDOWS
                for c in (None, *CATEGORIES)
            ]
            import urllib.request

            for path in ["/trending", *views]:
                urllib.request.urlopen(base + path).read()
            wrk(base, ["/favicon.ico", *views], 200, 3, connections=20)  # warm-up, not shown
            baseline = wrk(base, ["/favicon.ico"], 200, seconds, connections=20)
            show("baseline /favicon.ico", baseline, None, None)
            show("/trending", wrk(base, ["/trending"], 200, seconds, 20), baseline, 50)
            show(
                f"/trending, {len(views)} views/categories",
                wrk(base, views, 200, seconds, 20),
                baseline,
                50,
            )
            writer = voter(store_path, ids, seconds + 2)
            time.sleep(1.0)
            show(
                "/trending while voting 1,000/s",
                wrk(base, ["/trending"], 200, seconds, 20),
                baseline,
                50,
            )
            show("all views while voting 1,000/s", wrk(base, views, 200, seconds, 20), baseline, 50)
            writer.wait()
        finally:
            server.terminate()
            server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--store", type=Path, default=DEFAULT_STORE)
    parser.add_argument("--papers", type=int, default=300_000)
    parser.add_argument("--votes", type=int, default=1_000_000)
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--skip-serve", action="store_true")
    parser.add_argument(
        "--checkpoint-in-commit",
        action="store_true",
        help="no checkpointing process: writers checkpoint the WAL in their commits",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None and not args.skip_serve:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    build_store(args.data, args.store, args.papers)
    with tempfile.TemporaryDirectory() as tmp:
        store_path = Path(tmp) / "papers.db"
        shutil.copyfile(args.store, store_path)
        url = f"sqlite:///{store_path}"
        open_store(url).close()  # migrate the copy
        add_accounts(store_path, args.accounts)
        ids = paper_ids(store_path)
        now = time.time()
        votes = synthetic_votes(ids, args.accounts, args.votes, now)
        # The million votes are the load generator's, not the store's: kept out of the
        # collector's full passes (~300 ms each here), which no serving process pays.
        gc.freeze()
        print(f"{len(ids):,} papers, {len(votes):,} votes over 30 days, {args.accounts:,} accounts")
        in_commit = args.checkpoint_in_commit
        print("WAL checkpoints: " + ("in the commits" if in_commit else "a process of their own"))
        times = apply_votes(url, votes, args.batch, now, in_commit)
        totals = [w + c for w, c in zip(times.write, times.catch_up, strict=True)]
        cpu = [w + c for w, c in zip(times.write_cpu, times.catch_up_cpu, strict=True)]
        print(f"per {args.batch:,} votes, over {len(totals)} batches:")
        print("  " + summary("durable write (add_marks)", times.write))
        print("  " + summary("serving process catching up and ranking", times.catch_up))
        print("  " + summary("trending up to date (both)", totals, 100))
        print("  " + summary("  the same, CPU time only", cpu))
        if not in_commit:
            print(
                f"  checkpointing process: {times.checkpointer_cpu / len(totals):.1f} ms CPU"
                " per batch, on the other core"
            )
        print(f"  largest WAL file: {times.largest_wal / 2**20:,.0f} MB")
        fresh_process(url, now)
        with open_store(url) as store:
            began = time.perf_counter()
            scored = store.rebuild_trending(SCORER, SCORER.params_json())
            full = (time.perf_counter() - began) * 1000
        print(
            f"baseline: full recomputation from the ledger {full:,.0f} ms ({scored:,} papers);"
            f" incremental is x{full / statistics.median(totals):,.0f} cheaper per 1,000 votes"
        )
        query_latency(url, time.time())
        if not args.skip_serve:
            serve_phase(store_path, ids, args.seconds, in_commit)


if __name__ == "__main__":
    main()
