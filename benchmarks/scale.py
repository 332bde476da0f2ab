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
- hybrid search p50/p99 without query embedding: keyword + nearest + rank fusion,
  200 real titles (of papers not in the store) as queries, query vectors precomputed;
- table and index sizes (PostgreSQL).

Targets on 2 cores at 1M papers: import >= 2,000 papers/s, hybrid p50 < 15 ms and
p99 < 60 ms, recall@10 >= 0.95.

    python benchmarks/scale.py --engine postgresql --postgres-url postgresql://... \
        --total 1000000 --vectors ../scratch/abstracts.npy
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from paperfeed.config import Settings  # noqa: E402
from paperfeed.papers.model import Paper  # noqa: E402
from paperfeed.search.fusion import reciprocal_rank_fusion  # noqa: E402
from paperfeed.search.keyword import DocumentFrequencies, build_keyword_query  # noqa: E402
from paperfeed.search.query import parse_query  # noqa: E402
from paperfeed.search.service import SearchService  # noqa: E402
from paperfeed.sources.jsonl import JSONLSource  # noqa: E402
from paperfeed.store import PaperStore, open_store  # noqa: E402
from paperfeed.store.search import SearchScope  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "papers-300k.jsonl.xz"
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
    return (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)


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
        service.generation_index(GENERATION).rebuild()
        service.close()
        print(f"  faiss HNSW built in {time.perf_counter() - built:.0f} s", flush=True)
    store.activate_generation(GENERATION)
    return time.perf_counter() - start


def _copy_vectors_postgres(store: PaperStore, ids: list[str], bases: np.ndarray) -> None:
    import psycopg

    store.ensure_generation(GENERATION, DIM)
    from paperfeed.store.postgres.search import hnsw_index_name

    with psycopg.connect(store.url, autocommit=True) as conn:
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
    """p50/p99 of keyword, semantic and hybrid (both + RRF) per query, no embedding."""
    settings = bench_settings()
    service = SearchService(store, settings)
    frequencies = DocumentFrequencies(store)
    depth = int(settings.get("search_candidates"))
    timings: dict[str, list[float]] = {"keyword": [], "semantic": [], "hybrid": []}
    for rounds in range(2):  # the first round warms caches (document frequencies, pages)
        for title, vector in zip(titles, vectors, strict=True):
            start = time.perf_counter()
            query = build_keyword_query(
                parse_query(title),
                frequencies,
                max_terms=int(settings.get("search_max_keyword_terms")),
                max_document_share=float(settings.get("search_max_term_share")),
            )
            keyword = store.keyword_search(query, limit=depth)
            middle = time.perf_counter()
            semantic = service.nearest(GENERATION, vector, SearchScope(), depth)
            end = time.perf_counter()
            reciprocal_rank_fusion(
                [([m.paper_id for m in keyword], 1.0), ([p for p, _ in semantic], 1.0)], k=60
            )
            if rounds:
                timings["keyword"].append((middle - start) * 1000)
                timings["semantic"].append((end - middle) * 1000)
                timings["hybrid"].append((time.perf_counter() - start) * 1000)
    service.close()
    return {mode: (percentile(t, 50), percentile(t, 99)) for mode, t in timings.items()}


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
    return [(str(name), int(size)) for name, size in rows] + [("(database)", int(total[0]))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engine", choices=["postgresql", "sqlite"], required=True)
    parser.add_argument("--postgres-url", help="an empty database with pgvector")
    parser.add_argument("--sqlite-path", type=Path, help="default: a temporary file")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--real", type=int, default=300_000)
    parser.add_argument("--total", type=int, default=1_000_000)
    parser.add_argument("--vectors", type=Path, help=".npy of real abstract embeddings")
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()

    if args.engine == "postgresql":
        if not args.postgres_url:
            parser.error("--engine postgresql needs --postgres-url")
        url = args.postgres_url
    else:
        path = args.sqlite_path or Path(tempfile.mkdtemp()) / "scale.db"
        url = f"sqlite:///{path}"
    store = open_store(url)
    print(f"engine: {args.engine}; {args.real:,} real + synthetic up to {args.total:,}")

    held_out = list(real_papers(args.data, args.real + args.queries))
    real, queries = held_out[: args.real], held_out[args.real :]
    count, seconds = import_papers(store, iter(real), "real")
    extra, extra_seconds = import_papers(
        store, synthetic(real, max(0, args.total - count)), "synthetic"
    )
    total = count + extra
    print(
        f"import: {total:,} papers in {seconds + extra_seconds:.0f} s ="
        f" {total / (seconds + extra_seconds):,.0f} papers/s"
        f" (real {count / seconds:,.0f}/s, synthetic {extra / max(extra_seconds, 1e-9):,.0f}/s)"
    )

    ids = [p.id for p in real] + [synthetic_id(n) for n in range(extra)]
    bases = base_vectors(args.vectors, len(ids))
    load = load_vectors(store, ids, bases)
    print(f"vectors + index: {load:.0f} s")

    rng = np.random.default_rng(3)
    picks = rng.integers(0, len(ids), args.queries)
    noise = rng.standard_normal((args.queries, DIM)).astype(np.float32) * (NOISE / np.sqrt(DIM))
    query_vectors = np.stack([paper_vectors(bases, int(i), 1)[0] for i in picks]) + noise
    query_vectors /= np.linalg.norm(query_vectors, axis=1, keepdims=True)
    recall, p50 = recall_at_10(store, ids, bases, query_vectors)
    print(f"recall@10 vs exact: {recall:.3f} (nearest p50 {p50:.1f} ms)")

    latency = hybrid_latency(store, [q.title for q in queries], query_vectors)
    for mode, (p50, p99) in latency.items():
        print(f"{mode:8s} p50 {p50:6.1f} ms  p99 {p99:6.1f} ms")
    if args.engine == "postgresql":
        for name, size in postgres_sizes(url):
            print(f"size {name:40s} {size / 2**20:9.0f} MiB")
    store.close()


if __name__ == "__main__":
    main()
