"""Bulk import speed: 100,000 real papers into a fresh SQLite store, then again (no-ops).

Prints papers/s and peak memory for each phase, and the rate at which the same file can
merely be read and parsed (the floor no importer can beat), measured in the same run.
Targets: fresh import >= 5,000 papers/s, no-op re-import >= 20,000/s, peak < 500 MB.
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
from paperfeed.sources.jsonl import JSONLSource  # noqa: E402
from paperfeed.store import open_store  # noqa: E402

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


def timed_import(db_url: str, path: Path) -> tuple[float, int, int]:
    with open_store(db_url) as store:
        start = time.perf_counter()
        report = run_ingest(store, JSONLSource(path), restart=True)
        elapsed = time.perf_counter() - start
    total = report.result.inserted + report.result.updated + report.result.unchanged
    return total / elapsed, report.result.changed, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--papers", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(tmp) / "papers.jsonl"
        write_prefix(args.data, args.papers, dump)
        baseline = read_only_rate(dump)
        print(f"baseline: read + JSON-parse only      {baseline:>10,.0f} papers/s")
        db_url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        rate, changed, elapsed = timed_import(db_url, dump)
        print(
            f"fresh import of {args.papers:,}         {rate:>10,.0f} papers/s"
            f"  ({elapsed:.1f} s, {changed:,} stored; {rate / baseline:.2f}x baseline)"
            f"  target >= 5,000"
        )
        print(f"peak memory after fresh import   {peak_rss_mb():>10,.0f} MB  target < 500")
        rate, changed, elapsed = timed_import(db_url, dump)
        print(
            f"no-op re-import                  {rate:>10,.0f} papers/s"
            f"  ({elapsed:.1f} s, {changed:,} changed; {rate / baseline:.2f}x baseline)"
            f"  target >= 20,000"
        )
        print(f"peak memory overall              {peak_rss_mb():>10,.0f} MB  target < 500")
        size = (Path(tmp) / "bench.db").stat().st_size
        print(f"database size                    {size / 1e6:>10,.0f} MB")


if __name__ == "__main__":
    main()
