"""paperfeed at scale: up to 1,000,000 papers on PostgreSQL + pgvector, beside SQLite.

The real papers of the data file, then synthetic ones up to ``--total`` (the title of
one real paper with the abstract and authors of another, under ids of 2018-2023, which
the data file has none of). Vectors: every paper gets a real MiniLM vector
(``--vectors``: a saved matrix of abstract embeddings, the first rows of the data
file) plus Gaussian noise, L2-normalised; without ``--vectors`` the bases are random.

Measured per engine, in this order:
- bulk import rate through ``upsert_papers`` (no embeddings), papers/s;
- vector load and index build time (pgvector HNSW over halfvec; faiss HNSW on SQLite);
- recall@10 of the engine's vector index against exact search, over 200 queries;
- hybrid search p50/p99 without query embedding: keyword (on a worker thread, as the
  search service runs it) beside nearest, then rank fusion; 200 real titles (of papers
  not in the store) as queries, query vectors precomputed;
- table and index sizes (PostgreSQL).

- with ``--web-workers N``: ``paperfeed serve`` with N worker processes, /search (keyword
  mode) driven by wrk at ``--web-rate`` requests/s, p50/p99.

Targets on 2 cores at 1M papers: import >= 2,000 papers/s, hybrid p50 < 15 ms and
p99 < 60 ms, recall@10 >= 0.95.

At a million papers the run takes hours, so it can go in stages (``--stage import``,
then ``vectors``, then ``queries``; ``all`` does the three), each adding its figures to
``--results`` (JSON), and every stage prints the table of both engines so far.
``--engine both`` runs SQLite after PostgreSQL on the same papers (``--sqlite-total``
to stop SQLite at fewer papers when its 1M build is too slow):

    python benchmarks/scale.py --engine both --postgres-url postgresql://... \
        --total 1000000 --stage import
    python benchmarks/scale.py --engine both --postgres-url postgresql://... \
        --total 1000000 --stage vectors
    python benchmarks/scale.py --engine both --postgres-url postgresql://... \
        --total 1000000 --stage queries --web-workers 4
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from paperfeed.config import Settings  # noqa: E402
from paperfeed.papers.model import Paper  # noqa: E402
from paperfeed.search.fusion import score_fusion  # noqa: E402
from paperfeed.search.query import parse_query  # noqa: E402
from paperfeed.search.service import SearchService  # noqa: E402
from paperfeed.sources.jsonl import JSONLSource  # noqa: E402
from paperfeed.store import PaperStore, open_store  # noqa: E402
from paperfeed.store.search import SearchScope  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "papers-300k.jsonl.xz"
DEFAULT_RESULTS = ROOT / "var" / "bench" / "scale-results.json"
DEFAULT_SQLITE = ROOT / "var" / "bench" / "scale.db"
GENERATION = "bench-minilm"
DIM = 384
BATCH = 2000
VECTOR_BLOCK = 10_000
NOISE = 0.45  # norm of the noise added to a unit base vector (cosine to it about 0.9)


def bench_settings() -> Settings:
    """Defaults only (no environment), with indexes in a temporary folder."""
    return Settings({"var_dir": str(Path(tempfile.gettempdir()) / "paperfeed-scale")}, environ={})


def real_papers(data: Path, limit: int) -> Iterator[Paper]:
    seen: set[str] = set()
    for page in JSONLSource(data, batch_size=BATCH).pages(None):
        for paper in page.papers:
            if paper.id not in seen:
                seen.add(paper.id)
                yield paper
                if len(seen) >= limit:
                    return


def synthetic_id(n: int) -> str:
    """Distinct new-style ids in 2018-2023 (absent from the data file)."""
    month, number = divmod(n, 99_999)
    year, month = divmod(month, 12)
    return f"{18 + year:02d}{month + 1:02d}.{number + 1:05d}"


def synthetic(papers: list[Paper], count: int, seed: int = 7) -> Iterator[Paper]:
    from dataclasses import replace

    rng = random.Random(seed)
    for n in range(count):
        a, b = rng.choice(papers), rng.choice(papers)
        yield replace(b, id=synthetic_id(n), version=1, title=a.title, hf=None)


def base_vectors(path: Path | None, count: int, seed: int = 11) -> np.ndarray:
    if path is not None and path.exists():
        matrix = np.load(path, mmap_mode="r")
        done = Path(str(path) + ".done")
        rows = int(done.read_text()) if done.exists() else len(matrix)
        print(f"vectors: {rows:,} real bases from {path}")
        return np.asarray(matrix[:rows], dtype=np.float32)
    print("vectors: random bases (no --vectors given)")
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((256, DIM)).astype(np.float32)
    bases = centres[rng.integers(0, 256, count)] + 0.5 * rng.standard_normal((count, DIM))
    return bases.astype(np.float32)


def paper_vectors(bases: np.ndarray, start: int, count: int) -> np.ndarray:
    """Vectors of papers ``start .. start+count``: a base (cycled) plus noise, unit length.

    Noise is drawn per block of ``VECTOR_BLOCK`` papers, so any slice gives the same
    vectors however it is cut.
    """
    first, last = start // VECTOR_BLOCK, (start + count - 1) // VECTOR_BLOCK
    blocks = [_vector_block(bases, b) for b in range(first, last + 1)]
    joined = np.concatenate(blocks)
    offset = start - first * VECTOR_BLOCK
    return joined[offset : offset + count]


def _vector_block(bases: np.ndarray, block: int) -> np.ndarray:
    rng = np.random.default_rng(block)
    index = np.arange(block * VECTOR_BLOCK, (block + 1) * VECTOR_BLOCK) % len(bases)
    rows = bases[index]
    rows = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    noisy = rows + rng.standard_normal(rows.shape).astype(np.float32) * (NOISE / np.sqrt(DIM))
    unit: np.ndarray = (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)
    return unit


def import_papers(store: PaperStore, papers: Iterator[Paper], label: str) -> tuple[int, float]:
    count, start, batch = 0, time.perf_counter(), []
    for paper in papers:
        batch.append(paper)
        if len(batch) == BATCH:
            count += store.upsert_papers(batch, source="bench").inserted
            batch = []
            if count % 100_000 == 0:
                rate = count / (time.perf_counter() - start)
                print(f"  {label}: {count:,} papers, {rate:,.0f}/s", flush=True)
    if batch:
        count += store.upsert_papers(batch, source="bench").inserted
    return count, time.perf_counter() - start


def load_vectors(store: PaperStore, ids: list[str], bases: np.ndarray) -> float:
    """Store every paper's vector and build the engine's index; seconds taken."""
    start = time.perf_counter()
    if store.url.startswith("postgresql"):
        _copy_vectors_postgres(store, ids, bases)
        print(f"  vectors copied in {time.perf_counter() - start:.0f} s", flush=True)
        built = time.perf_counter()
        store.build_vector_indexes()  # type: ignore[attr-defined]
        print(f"  HNSW built in {time.perf_counter() - built:.0f} s", flush=True)
    else:
        store.ensure_generation(GENERATION, DIM)
        for offset in range(0, len(ids), 10_000):
            chunk = ids[offset : offset + 10_000]
            vectors = paper_vectors(bases, offset, len(chunk))
            store.put_embeddings(
                GENERATION, [(i, v.tobytes()) for i, v in zip(chunk, vectors, strict=True)]
            )
        print(f"  vectors stored in {time.perf_counter() - start:.0f} s", flush=True)
        built = time.perf_counter()
        service = SearchService(store, bench_settings())
        service.vectors.rebuild(GENERATION)
        service.close()
        print(f"  faiss HNSW built in {time.perf_counter() - built:.0f} s", flush=True)
    store.activate_generation(GENERATION)
    return time.perf_counter() - start


def _copy_vectors_postgres(store: PaperStore, ids: list[str], bases: np.ndarray) -> None:
    import psycopg

    from paperfeed.store.postgres.search import hnsw_index_name

    with psycopg.connect(store.url, autocommit=True) as conn:
        # A stage run again starts the generation's vectors afresh.
        conn.execute("DELETE FROM paper_embeddings WHERE generation = %s", (GENERATION,))
        store.ensure_generation(GENERATION, DIM)
        # Build the graph once after the load: far faster than growing it row by row.
        conn.execute(f"DROP INDEX IF EXISTS {hnsw_index_name(GENERATION)}")
        with conn.cursor().copy(
            "COPY paper_embeddings (generation, paper_id, vector) FROM STDIN"
        ) as copy:
            for offset in range(0, len(ids), 10_000):
                chunk = ids[offset : offset + 10_000]
                vectors = paper_vectors(bases, offset, len(chunk))
                for paper_id, vector in zip(chunk, vectors, strict=True):
                    text = "[" + ",".join(f"{x:.7g}" for x in vector.tolist()) + "]"
                    copy.write_row((GENERATION, paper_id, text))
        conn.execute("VACUUM ANALYZE paper_embeddings")
        conn.execute("VACUUM ANALYZE paper_search")
        conn.execute("VACUUM ANALYZE papers")


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def recall_at_10(
    store: PaperStore, ids: list[str], bases: np.ndarray, queries: np.ndarray
) -> tuple[float, float]:
    """Mean recall@10 of the engine's index vs exact search, and its p50 in ms."""
    exact_top: list[set[str]] = [set() for _ in queries]
    best: list[list[tuple[float, int]]] = [[] for _ in queries]
    for offset in range(0, len(ids), 10 * VECTOR_BLOCK):
        vectors = paper_vectors(bases, offset, min(10 * VECTOR_BLOCK, len(ids) - offset))
        scores = queries @ vectors.T
        for q in range(len(queries)):
            top = np.argpartition(-scores[q], 10)[:10]
            best[q].extend((float(scores[q, t]), offset + int(t)) for t in top)
    for q in range(len(queries)):
        exact_top[q] = {ids[i] for _, i in sorted(best[q], reverse=True)[:10]}
    service = SearchService(store, bench_settings())
    hits, times = 0, []
    for q, vector in enumerate(queries):
        start = time.perf_counter()
        found = service.nearest(GENERATION, vector, SearchScope(), 10)
        times.append((time.perf_counter() - start) * 1000)
        hits += len({p for p, _ in found} & exact_top[q])
    service.close()
    return hits / (10 * len(queries)), percentile(times, 50)


def hybrid_latency(
    store: PaperStore, titles: list[str], vectors: np.ndarray
) -> dict[str, tuple[float, float]]:
    """p50/p99 of keyword, semantic and hybrid (both + RRF) per query, no embedding.

    Keyword candidates come the way the search service gets them (the engine's own
    full-text search on PostgreSQL, the index beside the database on SQLite). Hybrid
    runs as ``SearchService.search`` does: keyword search on a worker thread while the
    vector search runs, then fusion; keyword and semantic are also timed alone.
    """
    settings = bench_settings()
    service = SearchService(store, settings)
    start = time.perf_counter()
    # What `paperfeed ingest` does after a load: SQLite catches its keyword index up,
    # PostgreSQL refreshes its lexicon of word counts.
    if service.update_keyword_index():
        print(f"keyword index caught up in {time.perf_counter() - start:.0f} s", flush=True)
    depth = int(settings.get("search_candidates"))
    timings: dict[str, list[float]] = {"keyword": [], "semantic": [], "hybrid": []}

    def keyword(title: str) -> list[tuple[str, float]]:
        return service.keyword_candidates(parse_query(title), SearchScope(), depth)

    with ThreadPoolExecutor(max_workers=1) as worker:
        for rounds in range(2):  # the first round warms caches (document frequencies, pages)
            for title, vector in zip(titles, vectors, strict=True):
                start = time.perf_counter()
                keyword(title)
                middle = time.perf_counter()
                service.nearest(GENERATION, vector, SearchScope(), depth)
                end = time.perf_counter()
                job = worker.submit(keyword, title)
                semantic = service.nearest(GENERATION, vector, SearchScope(), depth)
                score_fusion(job.result(), semantic, keyword_weight=0.2, semantic_weight=1.0)
                if rounds:
                    timings["keyword"].append((middle - start) * 1000)
                    timings["semantic"].append((end - middle) * 1000)
                    timings["hybrid"].append((time.perf_counter() - end) * 1000)
    service.close()
    return {mode: (percentile(t, 50), percentile(t, 99)) for mode, t in timings.items()}


def web_search_latency(
    url: str, titles: list[str], workers: int, rate: int, seconds: int
) -> tuple[float, float, float, int]:
    """``paperfeed serve`` with ``workers`` processes; /search (keyword mode) under wrk:
    requests/s, p50, p99 (ms), errors."""
    from web import free_port, wrk

    port = free_port()
    env = {**os.environ, "PAPERFEED_VAR_DIR": str(bench_settings().get("var_dir"))}
    command = [
        sys.executable, "-c", "from paperfeed.web.cli import serve; serve()", "--db", url,
        "--port", str(port), "--workers", str(workers), "--no-access-log",
        "--log-level", "warning",
    ]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{base}/favicon.ico", timeout=1).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("paperfeed serve did not start") from None
                time.sleep(0.5)
        paths = [f"/search?mode=keyword&q={quote(t)}" for t in titles]
        # A first run, not counted, fills every worker's caches (document frequencies).
        wrk(base, paths, rate, seconds, connections=max(8, 2 * workers))
        figures = wrk(base, paths, rate, seconds, connections=max(8, 2 * workers))
        return figures.rate, figures.p50_ms, figures.p99_ms, figures.errors
    finally:
        server.terminate()
        server.wait(timeout=30)


def postgres_sizes(url: str) -> list[tuple[str, int]]:
    import psycopg

    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i')"
            " ORDER BY 2 DESC LIMIT 14"
        ).fetchall()
        total = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    database = int(total[0]) if total else 0
    return [(str(name), int(size)) for name, size in rows] + [("(database)", database)]


def engine_url(engine: str, args: argparse.Namespace) -> str:
    if engine == "postgresql":
        return str(args.postgres_url)
    path = args.sqlite_path or DEFAULT_SQLITE
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def run_stages(
    engine: str,
    url: str,
    total: int,
    args: argparse.Namespace,
    figures: dict[str, Any],
    save: Callable[[], None],
) -> None:
    """The chosen stages on one engine; figures (by name) go into ``figures``, saved
    after each stage (a later stage may fail hours in)."""
    store = open_store(url)
    held_out = list(real_papers(args.data, args.real + args.queries))
    real, queries = held_out[: args.real], held_out[args.real :]
    real = real[:total]
    extra = max(0, total - len(real))
    ids = [p.id for p in real] + [synthetic_id(n) for n in range(extra)]
    print(f"{engine}: {len(real):,} real + synthetic up to {total:,}", flush=True)
    if args.stage in ("all", "import"):
        count, seconds = import_papers(store, iter(real), f"{engine} real")
        added, added_seconds = import_papers(store, synthetic(real, extra), f"{engine} synthetic")
        rate = (count + added) / (seconds + added_seconds)
        print(
            f"import: {count + added:,} papers in {seconds + added_seconds:.0f} s = {rate:,.0f}/s"
        )
        figures.update(papers=count + added, import_rate=rate, import_s=seconds + added_seconds)
        save()
    if args.stage in ("all", "vectors"):
        bases = base_vectors(args.vectors, len(ids))
        figures["vectors_s"] = load_vectors(store, ids, bases)
        print(f"vectors + index: {figures['vectors_s']:.0f} s")
        save()
    if args.stage in ("all", "queries"):
        bases = base_vectors(args.vectors, len(ids))
        rng = np.random.default_rng(3)
        picks = rng.integers(0, len(ids), args.queries)
        noise = rng.standard_normal((args.queries, DIM)).astype(np.float32) * (NOISE / np.sqrt(DIM))
        query_vectors = np.stack([paper_vectors(bases, int(i), 1)[0] for i in picks]) + noise
        query_vectors /= np.linalg.norm(query_vectors, axis=1, keepdims=True)
        recall, p50 = recall_at_10(store, ids, bases, query_vectors)
        print(f"recall@10 vs exact: {recall:.3f} (nearest p50 {p50:.1f} ms)")
        figures.update(recall=recall, nearest_p50=p50)
        save()
        # The data file may hold fewer distinct papers than --real + --queries: then the
        # last real papers' titles make up the rest (they are in the store; nothing pins
        # them here, so they cost what any title does).
        titles = [q.title for q in queries]
        borrowed = [p.title for p in real[len(real) - (args.queries - len(titles)) :]]
        titles = (titles + borrowed)[: args.queries]
        print(
            f"hybrid latency over {len(titles)} real titles"
            f" ({len(titles) - len(borrowed)} of papers not in the store)"
        )
        vectors = query_vectors[: len(titles)]
        for mode, (p50, p99) in hybrid_latency(store, titles, vectors).items():
            print(f"{mode:8s} p50 {p50:6.1f} ms  p99 {p99:6.1f} ms")
            figures[f"{mode}_p50"], figures[f"{mode}_p99"] = p50, p99
        if args.web_workers:
            rate, p50, p99, errors = web_search_latency(
                url, titles, args.web_workers, args.web_rate, args.web_seconds
            )
            print(
                f"web /search ({args.web_workers} workers): {rate:.0f} req/s"
                f"  p50 {p50:.1f} ms  p99 {p99:.1f} ms  errors {errors}"
            )
            figures.update(web_rate=rate, web_p50=p50, web_p99=p99, web_errors=errors)
        if engine == "postgresql":
            for name, size in postgres_sizes(url):
                print(f"size {name:40s} {size / 2**20:9.0f} MiB")
    store.close()


ROWS = (
    ("papers", "papers", "{:,.0f}"),
    ("import_rate", "import papers/s (target >= 2,000)", "{:,.0f}"),
    ("vectors_s", "vectors + index build s", "{:,.0f}"),
    ("recall", "recall@10 (target >= 0.95)", "{:.3f}"),
    ("keyword_p50", "keyword p50 ms", "{:.1f}"),
    ("keyword_p99", "keyword p99 ms", "{:.1f}"),
    ("semantic_p50", "semantic p50 ms", "{:.1f}"),
    ("semantic_p99", "semantic p99 ms", "{:.1f}"),
    ("hybrid_p50", "hybrid p50 ms (target < 15)", "{:.1f}"),
    ("hybrid_p99", "hybrid p99 ms (target < 60)", "{:.1f}"),
    ("web_rate", "web /search req/s", "{:.0f}"),
    ("web_p99", "web /search p99 ms", "{:.1f}"),
    ("web_errors", "web /search errors", "{:.0f}"),
)


def print_table(results: dict[str, dict[str, Any]]) -> None:
    engines = [e for e in ("postgresql", "sqlite") if e in results]
    print("\n" + f"{'':38s}" + "".join(f"{e:>14s}" for e in engines))
    for key, label, spec in ROWS:
        cells = [results[e].get(key) for e in engines]
        if all(c is None for c in cells):
            continue
        print(
            f"{label:38s}"
            + "".join(f"{spec.format(c) if c is not None else '-':>14s}" for c in cells)
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engine", choices=["postgresql", "sqlite", "both"], required=True)
    parser.add_argument("--stage", choices=["all", "import", "vectors", "queries"], default="all")
    parser.add_argument("--postgres-url", help="an empty database with pgvector")
    parser.add_argument("--sqlite-path", type=Path, help=f"default: {DEFAULT_SQLITE}")
    parser.add_argument("--sqlite-total", type=int, help="papers on SQLite (default --total)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--real", type=int, default=300_000)
    parser.add_argument("--total", type=int, default=1_000_000)
    parser.add_argument("--vectors", type=Path, help=".npy of real abstract embeddings")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--results", type=Path, default=DEFAULT_RESULTS)
    parser.add_argument("--web-workers", type=int, default=0, help="0: no web phase")
    parser.add_argument("--web-rate", type=int, default=100, help="requests/s")
    parser.add_argument("--web-seconds", type=int, default=20)
    args = parser.parse_args()
    engines = ["postgresql", "sqlite"] if args.engine == "both" else [args.engine]
    if "postgresql" in engines and not args.postgres_url:
        parser.error("PostgreSQL needs --postgres-url")

    results: dict[str, dict[str, Any]] = {}
    if args.results.exists():
        results = json.loads(args.results.read_text())
    if args.stage in ("all", "import"):
        for engine in engines:  # a fresh import: that engine's old figures no longer hold
            results.pop(engine, None)

    def save() -> None:
        args.results.parent.mkdir(parents=True, exist_ok=True)
        args.results.write_text(json.dumps(results, indent=1))

    for engine in engines:
        total = args.total if engine == "postgresql" else (args.sqlite_total or args.total)
        figures = results.setdefault(engine, {})
        run_stages(engine, engine_url(engine, args), total, args, figures, save)
        save()
    print_table(results)


if __name__ == "__main__":
    main()
