"""Bulk import speed: 100,000 real papers into a fresh SQLite store, then again (no-ops).

Prints papers/s and peak memory for each phase, and the rate at which the same file can
merely be read and parsed (the floor no importer can beat), measured in the same run.
Targets: fresh import >= 5,000 papers/s, no-op re-import >= 20,000/s, peak < 500 MB.

The keyword index beside the database is brought up to date after the import (as
`paperfeed ingest` does before it exits); its rate is printed separately, and so is the
TL;DR and keyword backfill that follows (on a pool of one process per core, beside one
process summarising 2,000 of the same papers in the same run).

Each phase also prints the CPU time this process used: the import runs on one thread, so
on an idle machine its wall time is that CPU time plus the wait for the disk. When other
work loads the machine, wall-clock rates drop while CPU time barely moves.
"""

from __future__ import annotations

import argparse
import itertools
import lzma
import resource
import sys
import tempfile
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from paperfeed.ingest import run_ingest  # noqa: E402
from paperfeed.search.keyword_index import KeywordIndex  # noqa: E402
from paperfeed.sources.jsonl import JSONLSource  # noqa: E402
from paperfeed.store import open_store  # noqa: E402
from paperfeed.summaries.refresh import pool_size, summarize_pending  # noqa: E402
from paperfeed.summaries.summarizer import summarize  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "papers-300k.jsonl.xz"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_prefix(data: Path, count: int, out: Path) -> None:
    """The first ``count`` lines, uncompressed, so xz decoding is not what we measure."""
    with lzma.open(data, "rb") as lines, out.open("wb") as sink:
        for line in itertools.islice(lines, count):
            sink.write(line)


def read_only_rate(path: Path) -> float:
    start = time.perf_counter()
    count = 0
    with path.open("rb") as lines:
        for line in lines:
            orjson.loads(line)
            count += 1
    return count / (time.perf_counter() - start)


def timed_import(db_url: str, path: Path) -> tuple[float, int, float, float]:
    """Papers/s, papers changed, wall seconds and CPU seconds of one import."""
    with open_store(db_url) as store:
        start, cpu_start = time.perf_counter(), time.process_time()
        report = run_ingest(store, JSONLSource(path), restart=True)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    total = report.result.inserted + report.result.updated + report.result.unchanged
    return total / elapsed, report.result.changed, elapsed, cpu


def keyword_catch_up(db_url: str, folder: Path) -> float:
    """Seconds to bring a new keyword index up to date with the imported papers."""
    with open_store(db_url) as store:
        start = time.perf_counter()
        KeywordIndex(store, folder).refresh()
        return time.perf_counter() - start


def summaries_backfill(db_url: str) -> tuple[float, float, float, int]:
    """Papers/s of summarising every imported paper on one process per core, the same
    per CPU-second of those processes (what a loaded machine does not change), of one
    process summarising the first 2,000 of them; and the pool size."""
    with open_store(db_url) as store:
        sample = [(p.title_text, p.abstract_text) for p in store.list_papers(limit=2000)]
        start = time.perf_counter()
        for title, abstract in sample:
            summarize(title, abstract)
        one = len(sample) / (time.perf_counter() - start)
        start, cpu_start = time.perf_counter(), _cpu_with_children()
        count = summarize_pending(store, workers=pool_size())
        elapsed, cpu = time.perf_counter() - start, _cpu_with_children() - cpu_start
        return count / elapsed, count / cpu, one, pool_size()


def _cpu_with_children() -> float:
    """CPU seconds of this process and of its finished child processes."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--no-summaries", action="store_true", help="skip the backfill")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(tmp) / "papers.jsonl"
        write_prefix(args.data, args.papers, dump)
        baseline = read_only_rate(dump)
        print(f"baseline: read + JSON-parse only      {baseline:>10,.0f} papers/s")
        db_url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        rate, changed, elapsed, cpu = timed_import(db_url, dump)
        print(
            f"fresh import of {args.papers:,}         {rate:>10,.0f} papers/s"
            f"  ({elapsed:.1f} s, {cpu:.1f} s CPU, {changed:,} stored;"
            f" {rate / baseline:.2f}x baseline)  target >= 5,000"
        )
        print(f"peak memory after fresh import   {peak_rss_mb():>10,.0f} MB  target < 500")
        keyword_s = keyword_catch_up(db_url, Path(tmp) / "keyword")
        print(
            f"keyword index catch-up           {args.papers / keyword_s:>10,.0f} papers/s"
            f"  ({keyword_s:.1f} s after the import, as `paperfeed ingest` does;"
            f" import + index {args.papers / (elapsed + keyword_s):,.0f} papers/s)"
        )
        rate, changed, elapsed, cpu = timed_import(db_url, dump)
        print(
            f"no-op re-import                  {rate:>10,.0f} papers/s"
            f"  ({elapsed:.1f} s, {cpu:.1f} s CPU, {changed:,} changed;"
            f" {rate / baseline:.2f}x baseline)  target >= 20,000"
        )
        print(f"peak memory overall              {peak_rss_mb():>10,.0f} MB  target < 500")
        if not args.no_summaries:
            pooled, per_cpu, one, workers = summaries_backfill(db_url)
            print(
                f"TL;DR + keywords backfill        {pooled:>10,.0f} papers/s"
                f"  ({workers} processes, {per_cpu:,.0f} papers per CPU-second;"
                f" one process: {one:,.0f} papers/s)  target >= 200"
            )
        size = (Path(tmp) / "bench.db").stat().st_size
        print(f"database size                    {size / 1e6:>10,.0f} MB")


if __name__ == "__main__":
    main()
