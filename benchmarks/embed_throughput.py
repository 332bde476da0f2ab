"""Embedding throughput, query latency and a relevance proxy for every available embedder.

Run from the repo root:  python benchmarks/embed_throughput.py [--data PATH] [--n 256]

- throughput: abstracts/s over `--n` real "title. abstract" texts (cut at 256 tokens), best
  of `--repeat` runs (other load on a 2-core machine skews single runs), in batches of
  `--batch-size` (default: the embedder's own, 1 for MiniLM);
- query latency: p50/p99 of `embed_query` on short real titles (first 6 words);
- relevance proxy (`--relevance N`): each paper's title is the query and its own abstract must be
  found among N abstracts; recall@1, recall@10 and MRR (higher is better).
"""

from __future__ import annotations

import argparse
import json
import lzma
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from paperfeed.embedding import (  # noqa: E402 - after the path tweak above
    EMBEDDER_NAMES,
    EmbeddingError,
    document_text,
    load_embedder,
)

DEFAULT_DATA = REPO / ".." / "shared" / "data" / "papers-300k.jsonl.xz"


def read_papers(path: Path, count: int) -> list[dict[str, Any]]:
    """Stream the first `count` papers that have both a title and an abstract."""
    papers: list[dict[str, Any]] = []
    with lzma.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            paper = json.loads(line)
            if paper.get("title") and paper.get("abstract"):
                papers.append(paper)
                if len(papers) >= count:
                    break
    return papers


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--n", type=int, default=256, help="abstracts for throughput")
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--relevance", type=int, default=0, help="papers for the relevance proxy")
    parser.add_argument("--cache-dir", type=Path, default=None, help="ONNX cache (default: tmp)")
    parser.add_argument("--embedders", nargs="*", default=list(EMBEDDER_NAMES))
    args = parser.parse_args()

    papers = read_papers(args.data, max(args.n, args.relevance, args.queries))
    texts = [document_text(p["title"], p["abstract"]) for p in papers[: args.n]]
    queries = [" ".join(p["title"].split()[:6]) for p in papers[: args.queries]]
    print(
        f"{len(texts)} abstracts, mean {statistics.mean(len(t.split()) for t in texts):.0f} words"
    )

    with tempfile.TemporaryDirectory() as tmp:
        cache_dir = args.cache_dir or Path(tmp)
        for name in args.embedders:
            try:
                start = time.perf_counter()
                embedder = load_embedder(name, cache_dir)
                load_s = time.perf_counter() - start
            except EmbeddingError as exc:
                print(f"{name}: unavailable ({exc})")
                continue
            if args.batch_size and hasattr(embedder, "batch_size"):
                embedder.batch_size = args.batch_size
            embedder.embed_documents(texts[:8])  # warm-up
            rate = 0.0
            for _ in range(args.repeat):
                start = time.perf_counter()
                embedder.embed_documents(texts)
                rate = max(rate, len(texts) / (time.perf_counter() - start))
            latencies = []
            for query in queries:
                start = time.perf_counter()
                embedder.embed_query(query)
                latencies.append((time.perf_counter() - start) * 1000)
            print(
                f"{name:28s} load {load_s:5.2f} s  {rate:8.1f} abstracts/s  "
                f"query p50 {percentile(latencies, 0.5):6.2f} ms  "
                f"p99 {percentile(latencies, 0.99):6.2f} ms"
            )
            if args.relevance:
                subset = papers[: args.relevance]
                docs = embedder.embed_documents([p["abstract"] for p in subset])
                q = embedder.embed_documents([p["title"] for p in subset])
                scores = q @ docs.T
                ranks = (scores > np.diag(scores)[:, None]).sum(axis=1) + 1
                print(
                    f"{'':28s} title->abstract among {len(subset)}: "
                    f"R@1 {np.mean(ranks == 1):.3f}  R@10 {np.mean(ranks <= 10):.3f}  "
                    f"MRR {np.mean(1.0 / ranks):.3f}"
                )


if __name__ == "__main__":
    main()
