"""Search speed, in process, on 100,000 papers, against arxiv-sanity-lite's scan.

Query latency p50/p99 per mode over 200 realistic queries (titles and abstract
sentences of papers outside the corpus), excluding and including query embedding;
the baseline is arxiv-sanity-lite's scoring rule (per query word: +20 if in the title,
+10 if in the authors, + min(3, count in the abstract); a Python scan of every paper)
on the same papers in the same run. Also embedding throughput, and the time and
memory to index 100,000 papers.

Targets (2 cores): hybrid p50 <= 5 ms and p99 <= 25 ms without query embedding,
<= 40 ms with it; >= 50x faster than the baseline scan.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from relevance import split_sentences
from search_corpus import (
    DEFAULT_DATA,
    CorpusPaper,
    abstract_vectors,
    current_rss_mb,
    peak_rss_mb,
    read_papers,
)

from paperfeed.config import Settings
from paperfeed.embedding import Embedder, Vectors, load_embedder
from paperfeed.embedding.base import document_text
from paperfeed.search import SearchService
from paperfeed.search.query import parse_query
from paperfeed.search.vector_backend import EmbeddedVectors
from paperfeed.store import PaperStore, open_store

MODES = ("keyword", "semantic", "hybrid")


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def sanity_scan(papers: list[CorpusPaper], query: str) -> list[str]:
    """arxiv-sanity-lite's search rule: score every paper in Python, keep the top 10."""
    words = query.lower().strip().split()
    scored = []
    for p in papers:
        title, authors, abstract = p.title.lower(), p.authors.lower(), p.abstract.lower()
        score = 0.0
        for word in words:
            score += 20.0 * (word in title) + 10.0 * (word in authors)
            score += min(3, abstract.count(word))
        if score > 0:
            scored.append((score, p.paper.id))
    scored.sort(reverse=True)
    return [paper_id for _, paper_id in scored[:10]]


def realistic_queries(others: list[CorpusPaper], count: int, rng: random.Random) -> list[str]:
    """Half titles, half abstract sentences, of papers that are not in the corpus."""
    titles = [p.title for p in others if len(p.title.split()) >= 3]
    sentences = [s for p in others for s in split_sentences(p.abstract)[:1]]
    rng.shuffle(titles)
    rng.shuffle(sentences)
    queries = titles[: count // 2] + sentences[: count - count // 2]
    rng.shuffle(queries)
    return queries


def build_store(path: Path, papers: list[CorpusPaper]) -> tuple[PaperStore, float]:
    store = open_store(f"sqlite:///{path}")
    start = time.perf_counter()
    for first in range(0, len(papers), 2000):
        store.upsert_papers([p.paper for p in papers[first : first + 2000]], source="benchmark")
    return store, time.perf_counter() - start


def store_vectors(
    store: PaperStore, name: str, papers: list[CorpusPaper], vectors: np.ndarray
) -> float:
    start = time.perf_counter()
    store.ensure_generation(name, vectors.shape[1])
    for first in range(0, len(papers), 5000):
        chunk = papers[first : first + 5000]
        rows = [
            (p.paper.id, vectors[first + i].astype("<f4").tobytes()) for i, p in enumerate(chunk)
        ]
        store.put_embeddings(name, rows)
    store.activate_generation(name)
    return time.perf_counter() - start


def recycled_vectors(papers: list[CorpusPaper], cache: Path, rng: random.Random) -> np.ndarray:
    """Vectors for ``papers``: the cache's where it has them, else a random cached
    vector plus a little noise, unit length (real-looking neighbourhoods for timing)."""
    saved = np.load(cache)
    row_of = {str(i): n for n, i in enumerate(saved["ids"])}
    cached = saved["vectors"].astype(np.float32)
    noise = np.random.default_rng(rng.randrange(2**32))
    vectors = np.empty((len(papers), cached.shape[1]), dtype=np.float32)
    recycled = 0
    for n, paper in enumerate(papers):
        row = row_of.get(paper.paper.id)
        if row is None:
            recycled += 1
            vector = cached[noise.integers(len(cached))] + noise.normal(0, 0.02, cached.shape[1])
            vectors[n] = vector / np.linalg.norm(vector)
        else:
            vectors[n] = cached[row]
    print(
        f"embeddings: {len(papers) - recycled:,} from {cache}, {recycled:,} recycled (timing only)"
    )
    return vectors


class PrecomputedQueries:
    """The real model, with the benchmark's query vectors computed ahead: searching with
    it measures everything but the query embedding."""

    def __init__(self, embedder: Embedder, queries: list[str]) -> None:
        self.name, self.dim, self._embedder = embedder.name, embedder.dim, embedder
        # The service embeds the query's text without its operators: key by that.
        texts = {parse_query(q).text for q in queries}
        self._vectors = {t: embedder.embed_query(t) for t in texts if t}

    def embed_documents(self, texts: list[str]) -> Vectors:
        return self._embedder.embed_documents(texts)

    def embed_query(self, text: str) -> Vectors:
        vector = self._vectors.get(text)
        return vector if vector is not None else self._embedder.embed_query(text)


def time_mode(service: SearchService, queries: list[str], mode: str) -> list[float]:
    """Latency (ms) of each query, in order."""
    latencies = []
    for query in queries:
        start = time.perf_counter()
        service.search(query, mode=mode, limit=10)  # type: ignore[arg-type]
        latencies.append((time.perf_counter() - start) * 1000)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--baseline-queries", type=int, default=20)
    parser.add_argument("--cache", type=Path, help="file of saved abstract embeddings")
    parser.add_argument(
        "--recycle-vectors",
        action="store_true",
        help="latency only: papers the --cache file lacks get a cached paper's vector,"
        " slightly perturbed, instead of being embedded (semantic results are then"
        " meaningless; their speed is not)",
    )
    parser.add_argument("--embedder", default="minilm-l6-v2-int8")
    parser.add_argument("--throughput-sample", type=int, default=500)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--max-terms", type=int, help="search_max_keyword_terms to use")
    parser.add_argument("--term-share", type=float, help="search_max_term_share to use")
    args = parser.parse_args()
    rng = random.Random(args.seed)

    everything = read_papers(args.data, args.papers + 2000)
    papers, others = everything[: args.papers], everything[args.papers :]
    queries = realistic_queries(others, args.queries, rng)
    print(f"corpus: {len(papers):,} papers; {len(queries)} queries (titles and sentences)")
    with tempfile.TemporaryDirectory() as tmp:
        embedder = load_embedder(args.embedder, Path(tmp) / "models")
        sample = [document_text(p.title, p.abstract) for p in others[: args.throughput_sample]]
        start = time.perf_counter()
        embedder.embed_documents(sample)
        rate = len(sample) / (time.perf_counter() - start)
        print(f"embedding throughput ({embedder.name}): {rate:,.1f} abstracts/s (title + abstract)")
        if args.recycle_vectors and args.cache is not None:
            vectors, measured = recycled_vectors(papers, args.cache, rng), None
        else:
            vectors, measured = abstract_vectors(papers, embedder, args.cache)
        if measured:
            print(f"embedding throughput over the corpus: {measured:,.1f} abstracts/s")

        store, ingest_s = build_store(Path(tmp) / "search.db", papers)
        print(f"store: {ingest_s:.1f} s for {len(papers):,} papers")
        put_s = store_vectors(store, embedder.name, papers, vectors)
        chosen = {
            "search_max_keyword_terms": args.max_terms,
            "search_max_term_share": args.term_share,
        }
        settings = Settings(
            {"var_dir": tmp, "search_embed_timeout_ms": 60_000.0, **chosen}, environ={}
        )
        service = SearchService(store, settings, embedder=embedder)
        precomputed = SearchService(store, settings, embedder=PrecomputedQueries(embedder, queries))
        start = time.perf_counter()
        service.rebuild_keyword_index()
        keyword_s = time.perf_counter() - start
        print(f"keyword index: {keyword_s:.1f} s for {len(papers):,} papers")
        before = current_rss_mb()
        start = time.perf_counter()
        service.vectors.rebuild(embedder.name)
        build_s = time.perf_counter() - start
        index_mb = current_rss_mb() - before
        files = service.vectors
        assert isinstance(files, EmbeddedVectors)  # the benchmark's store is SQLite
        manifest = files.generation_index(embedder.name).manifest
        assert manifest is not None
        folder = service.index_root / embedder.name / manifest.version
        disk_mb = sum(f.stat().st_size for f in folder.iterdir()) / 2**20
        print(
            f"vector index: {put_s:.1f} s to store {len(papers):,} vectors, {build_s:.1f} s to"
            f" build HNSW; index files {disk_mb:,.0f} MB, resident memory +{index_mb:,.0f} MB"
            f" (process peak {peak_rss_mb():,.0f} MB, mostly the corpus held for the baseline)"
        )
        print(
            f"time to index {len(papers):,} papers from scratch: {len(papers) / rate / 60:.0f} min"
            f" embedding + {ingest_s + keyword_s + put_s + build_s:.0f} s storing and indexing"
        )
        cold = time_mode(precomputed, queries, "hybrid")
        print(
            f"\nfirst pass (cold caches: pages, word counts) hybrid without query embedding:"
            f" p50 {percentile(cold, 50):.2f} ms, p99 {percentile(cold, 99):.2f} ms"
        )
        time_mode(service, queries[:20], "hybrid")  # the real embedder's first calls

        print(f"\n{'mode':<10} {'p50 ms':>8} {'p99 ms':>8}   with query embedding: p50, p99")
        p50s: dict[str, float] = {}
        for mode in MODES:
            without = time_mode(precomputed, queries, mode)
            with_embedding = time_mode(service, queries, mode)
            p50s[mode] = percentile(without, 50)
            print(
                f"{mode:<10} {p50s[mode]:>8.2f} {percentile(without, 99):>8.2f}"
                f"   {percentile(with_embedding, 50):>8.2f} {percentile(with_embedding, 99):>8.2f}"
            )
        scan = []
        for query in queries[: args.baseline_queries]:
            start = time.perf_counter()
            sanity_scan(papers, query)
            scan.append((time.perf_counter() - start) * 1000)
        baseline = statistics.median(scan)
        print(
            f"{'baseline':<10} {baseline:>8.0f} {max(scan):>8.0f}   arxiv-sanity-lite scan,"
            f" {len(scan)} queries"
        )
        print(
            f"\nhybrid is {baseline / p50s['hybrid']:,.0f}x faster than the baseline at p50"
            " (target >= 50x)"
        )
        service.close()
        precomputed.close()
        store.close()


if __name__ == "__main__":
    main()
