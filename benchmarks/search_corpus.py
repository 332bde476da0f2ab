"""The 100,000-paper corpus both search benchmarks use, and its cached embeddings.

Papers are the first ``count`` distinct ids of the data file, rendered to plain text the
way the store renders them. Embedding 100,000 abstracts takes most of an hour on two
cores, so the vectors can be saved once (``--cache FILE``) and reused by later runs.
"""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from paperfeed.embedding import Embedder, document_text  # noqa: E402
from paperfeed.papers.model import Paper  # noqa: E402
from paperfeed.papers.text import render_plain  # noqa: E402
from paperfeed.sources.jsonl import JSONLSource  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "papers-300k.jsonl.xz"


@dataclass(frozen=True)
class CorpusPaper:
    paper: Paper
    title: str
    abstract: str
    authors: str


def read_papers(data: Path, count: int, *, skip: int = 0) -> list[CorpusPaper]:
    """``count`` distinct papers after the first ``skip`` distinct ones."""
    seen: dict[str, CorpusPaper] = {}
    for paper in _papers(data):
        if paper.id in seen:
            continue
        text = render_plain(paper)
        seen[paper.id] = CorpusPaper(paper, text.title, text.abstract, text.authors)
        if len(seen) >= skip + count:
            break
    return list(seen.values())[skip:]


def _papers(data: Path) -> Iterator[Paper]:
    for page in JSONLSource(data).pages(None):
        yield from page.papers


def current_rss_mb() -> float:
    """Resident memory now (Linux), to show what one step adds."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def abstract_vectors(
    papers: list[CorpusPaper], embedder: Embedder, cache: Path | None
) -> tuple[np.ndarray, float | None]:
    """Embeddings of the abstracts (no titles), from ``cache`` when it has them all.

    Returns the matrix (rows in ``papers`` order) and the embedding rate when it was
    measured in this run.
    """
    ids = [p.paper.id for p in papers]
    if cache is not None and cache.is_file():
        saved = np.load(cache)
        row_of = {str(i): n for n, i in enumerate(saved["ids"])}
        if all(i in row_of for i in ids) and str(saved["embedder"]) == embedder.name:
            rows = np.fromiter((row_of[i] for i in ids), dtype=np.int64, count=len(ids))
            print(f"embeddings: {len(ids):,} abstracts from {cache}")
            return saved["vectors"][rows], None
        print(f"embeddings: {cache} does not cover these papers; embedding again")
    start = time.perf_counter()
    vectors = embedder.embed_documents([document_text("", p.abstract) for p in papers])
    rate = len(papers) / (time.perf_counter() - start)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache, ids=np.array(ids), vectors=vectors, embedder=embedder.name)
    return vectors, rate
