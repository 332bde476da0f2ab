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
    """Embeddings of the abstracts (no titles), from ``cache`` as far as it has them.

    Returns the matrix (rows in ``papers`` order) and the embedding rate when it was
    measured in this run.
    """
    texts = [document_text("", p.abstract) for p in papers]
    return cached_vectors(papers, texts, embedder, cache, "abstracts")


def titled_vectors(
    papers: list[CorpusPaper], embedder: Embedder, cache: Path | None
) -> tuple[np.ndarray, float | None]:
    """Embeddings of title and abstract, as the store embeds a paper."""
    texts = [document_text(p.title, p.abstract) for p in papers]
    return cached_vectors(papers, texts, embedder, cache, "titles and abstracts")


def cached_vectors(
    papers: list[CorpusPaper],
    texts: list[str],
    embedder: Embedder,
    cache: Path | None,
    what: str,
) -> tuple[np.ndarray, float | None]:
    """``texts`` embedded, one row per paper: rows the ``cache`` file holds (for this
    embedder) are read from it, the others embedded now. A new cache file is written
    when none exists; an existing one is never replaced (it may be another job's)."""
    ids = [p.paper.id for p in papers]
    vectors = np.zeros((len(papers), embedder.dim), dtype=np.float32)
    missing = list(range(len(papers)))
    if cache is not None and cache.is_file():
        saved = np.load(cache)
        if str(saved["embedder"]) == embedder.name:
            row_of = {str(i): n for n, i in enumerate(saved["ids"])}
            found = [n for n, i in enumerate(ids) if i in row_of]
            vectors[found] = saved["vectors"][[row_of[ids[n]] for n in found]]
            missing = [n for n, i in enumerate(ids) if i not in row_of]
        print(f"embeddings: {len(papers) - len(missing):,} {what} from {cache}")
    if not missing:
        return vectors, None
    start = time.perf_counter()
    vectors[missing] = embedder.embed_documents([texts[n] for n in missing])
    rate = len(missing) / (time.perf_counter() - start)
    print(f"embeddings: {len(missing):,} {what} embedded ({rate:.1f}/s)")
    if cache is not None and not cache.exists():
        cache.parent.mkdir(parents=True, exist_ok=True)
        partial = cache.with_name(cache.name + ".partial.npz")
        np.savez(partial, ids=np.array(ids), vectors=vectors, embedder=embedder.name)
        partial.rename(cache)
    return vectors, rate
