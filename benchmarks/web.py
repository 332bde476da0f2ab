"""Web serving under load: `paperfeed serve` on a 100,000-paper store, driven by wrk.

For each page (home, a paper, search, /api/daily_papers) wrk holds a steady request
rate (connections x think time) on loopback and reports requests/s, p50/p99 latency and
errors; the same rate against /favicon.ico (no database, no template) is the baseline
for the framework's own cost. A last phase measures the home page while another process
imports papers into the same store, showing serving does not block on ingestion.
Targets (2 cores): home and paper p99 < 50 ms at 200 req/s; search p99 < 100 ms at
100 req/s; zero errors.

With ``--for-you`` it measures the personal ranking instead: readers with rated papers,
kept models and API tokens are added to a copy of the store (vectors from ``--cache``, a
file of precomputed vectors with keys ids, vectors and embedder, or embedded here for a
small corpus), then ``GET /api/v1/for-you`` is requested one at a time for readers drawn
at random, and a rating written to the store followed by the reader's next page (the
rating -> re-ranked page path). Targets: page p99 <= 50 ms at 100,000 papers and 10,000
readers; rating -> re-ranked page p99 <= 100 ms. The baseline in the same run is the
plain paper list of the same day (``/api/v1/papers``).
"""

from __future__ import annotations

import argparse
import itertools
import lzma
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from paperfeed.ingest import run_ingest  # noqa: E402
from paperfeed.sources.jsonl import JSONLSource  # noqa: E402
from paperfeed.store import open_store  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "papers-300k.jsonl.xz"
DEFAULT_STORE = ROOT / "var" / "bench" / "web-100k.db"
QUERIES = [
    "transformer",
    "graph neural networks",
    "diffusion models",
    "reinforcement learning",
    "large language models",
    "protein folding",
    "dark matter",
    "black hole entropy",
    "quantum error correction",
    "topological insulators",
    "contrastive learning",
    "federated learning privacy",
    "neural radiance fields",
    "speech recognition",
    "machine translation low resource",
    "object detection",
    "image segmentation",
    "bayesian optimization",
    "gaussian processes",
    "variational inference",
    "stochastic gradient descent convergence",
    "adversarial examples robustness",
    "knowledge graph embedding",
    "recommender systems",
    "time series forecasting",
    "anomaly detection",
    "causal inference",
    "optimal transport",
    "mixture of experts",
    "retrieval augmented generation",
    "chain of thought reasoning",
    "code generation",
    "vision language models",
    "multi-agent systems",
    "autonomous driving",
    "superconductivity",
    "gravitational waves",
    "galaxy clusters",
    "neutrino oscillations",
    "string theory compactification",
    "random matrix theory",
    "percolation",
    "spin glasses",
    "bose einstein condensate",
    "lattice QCD",
    "exoplanet atmospheres",
    "point cloud",
    "equivariant neural networks",
    "permutation invariance",
    "hallucination in language models",
]


@dataclass(frozen=True)
class Figures:
    rate: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int


def build_store(data: Path, store: Path, count: int) -> None:
    if store.exists():
        return
    store.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        lines = Path(tmp) / "papers.jsonl"
        with lzma.open(data, "rb") as source, lines.open("wb") as sink:
            for line in itertools.islice(source, count):
                sink.write(line)
        started = time.perf_counter()
        with open_store(f"sqlite:///{store}") as opened:
            report = run_ingest(opened, JSONLSource(lines))
        print(
            f"built {store} ({report.result.inserted:,} papers) in "
            f"{time.perf_counter() - started:.0f} s"
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(store: Path, port: int, workers: int, wait: float = 60) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PAPERFEED_VAR_DIR": str(store.parent)}
    command = [
        sys.executable,
        "-c",
        "from paperfeed.web.cli import serve; serve()",
        "--db",
        f"sqlite:///{store}",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/favicon.ico", timeout=1).read()
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("paperfeed serve did not start")


def wrk(base: str, paths: list[str], rate: int, seconds: int, connections: int) -> Figures:
    think_ms = max(1, round(connections * 1000 / rate))
    lua = (
        "local paths = {"
        + ",".join(f'"{p}"' for p in paths)
        + "}\n"
        + (
            "local i = 0\n"
            "request = function()\n  i = i + 1\n"
            '  return wrk.format("GET", paths[(i % #paths) + 1])\nend\n'
            f"delay = function() return {think_ms} end\n"
        )
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua)
    try:
        out = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{connections}",
                f"-d{seconds}s",
                "--latency",
                "-s",
                script.name,
                base,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    return parse_wrk(out)


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def parse_wrk(out: str) -> Figures:
    # The distribution's own lines: "+/- Stdev" columns also end in "%" (e.g. "90.99%").
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return Figures(rate, p50, p99, errors, requests)


def status(url: str) -> int:
    try:
        return int(urllib.request.urlopen(url).status)
    except urllib.error.HTTPError as exc:
        return exc.code


def sample_ids(store: Path, count: int) -> list[str]:
    with sqlite3.connect(store) as conn:
        rows = conn.execute(
            "SELECT id FROM papers ORDER BY announced DESC LIMIT ?", (count,)
        ).fetchall()
    return [row[0] for row in rows]


def ingest_in_background(data: Path, store: Path, skip: int, count: int) -> subprocess.Popen[bytes]:
    code = (
        "import itertools, lzma, sys, tempfile, pathlib\n"
        "from paperfeed.ingest import run_ingest\n"
        "from paperfeed.sources.jsonl import JSONLSource\n"
        "from paperfeed.store import open_store\n"
        f"tmp = pathlib.Path(tempfile.mkdtemp()) / 'more.jsonl'\n"
        f"with lzma.open({str(data)!r}, 'rb') as src, tmp.open('wb') as out:\n"
        f"    out.writelines(itertools.islice(src, {skip}, {skip + count}))\n"
        f"with open_store('sqlite:///{store}') as s:\n"
        "    run_ingest(s, JSONLSource(tmp, batch_size=1000))\n"
    )
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)


def show(name: str, figures: Figures, baseline: Figures | None, target_ms: float | None) -> None:
    ratio = f"  p99 x{figures.p99_ms / baseline.p99_ms:.1f} baseline" if baseline else ""
    verdict = ""
    if target_ms is not None:
        ok = figures.p99_ms < target_ms and figures.errors == 0
        verdict = f"  target p99 < {target_ms:.0f} ms: {'met' if ok else 'MISSED'}"
    print(
        f"{name:<28} {figures.rate:7.1f} req/s  p50 {figures.p50_ms:6.2f} ms"
        f"  p99 {figures.p99_ms:6.2f} ms  errors {figures.errors}/{figures.requests}"
        f"{ratio}{verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--for-you", action="store_true", help="measure /api/v1/for-you")
    parser.add_argument("--cache", type=Path, help="precomputed vectors (.npz) for --for-you")
    parser.add_argument("--readers", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=1_000)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--store", type=Path, default=DEFAULT_STORE)
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--skip-ingest-phase", action="store_true")
    args = parser.parse_args()
    if args.for_you:
        from web_for_you import run_for_you

        build_store(args.data, args.store, args.papers)
        run_for_you(args, start_server)
        return
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    build_store(args.data, args.store, args.papers)
    with tempfile.TemporaryDirectory() as tmp:  # the import phase writes: work on a copy
        store = Path(tmp) / "papers.db"
        shutil.copyfile(args.store, store)
        run(args, store)


def run(args: argparse.Namespace, store: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(store, port, args.workers)
    try:
        ids = sample_ids(store, 200)
        latest = urllib.request.urlopen(f"{base}/api/v1/papers?order=newest&limit=1").read()
        day = re.search(rb'"announced":"([\d-]+)"', latest).group(1).decode()  # type: ignore[union-attr]
        search_paths = [f"/search?q={quote(q)}" for q in QUERIES]
        search_ok = status(f"{base}{search_paths[0]}") == 200
        plan: list[tuple[str, list[str], int, float | None]] = [
            ("baseline /favicon.ico", ["/favicon.ico"], 200, None),
            ("home /", ["/"], 200, 50),
            ("paper /papers/{id}", [f"/papers/{i}" for i in ids], 200, 50),
            ("/api/daily_papers", ["/api/daily_papers", f"/api/daily_papers?date={day}"], 200, 50),
        ]
        if search_ok:
            plan.append(("search /search?q=", search_paths, 100, 100))
        else:
            print("search is not installed on this server: search phase skipped")
        print(f"{args.papers:,} papers, {args.seconds} s per phase, {args.workers} worker(s)")
        for path in {p for _, paths, _, _ in plan for p in paths}:  # warm: first renders
            urllib.request.urlopen(base + path).read()
        baseline: Figures | None = None
        for name, paths, rate, target in plan:
            figures = wrk(base, paths, rate, args.seconds, connections=max(4, rate // 10))
            show(name, figures, baseline, target)
            baseline = baseline or figures
        if search_ok:  # what a query costs the first time (rendered, not cached)
            cold = []
            for query in QUERIES:
                started = time.perf_counter()
                urllib.request.urlopen(f"{base}/search?q={quote(query)}&mode=keyword").read()
                cold.append((time.perf_counter() - started) * 1000)
            cold.sort()
            print(
                f"{'search, first request':<28} {len(cold)} queries one at a time"
                f"  p50 {cold[len(cold) // 2]:6.2f} ms  max {cold[-1]:6.2f} ms (uncached)"
            )
        if not args.skip_ingest_phase:
            importer = ingest_in_background(args.data, store, args.papers, 20_000)
            time.sleep(1.0)
            figures = wrk(base, ["/"], 200, args.seconds, connections=20)
            show("home / during an import", figures, baseline, 50)
            importer.wait()
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
