"""The demo corpus (344 real arXiv papers) with their real MiniLM int8 vectors.

The vectors were computed once by paperfeed's own embedder (``minilm-l6-v2-int8``, the
store's ``title. abstract`` text) and are kept in tests/fixtures/personal/ (see
tests/fixtures/README.md), so these tests need no model and run in a second.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest

from paperfeed.papers.model import Paper
from paperfeed.papers.text import render_plain
from paperfeed.personal import Background, Candidates, PaperFacts, fit_background
from paperfeed.sources.jsonl import JSONLSource
from paperfeed.store import PaperStore

ROOT = Path(__file__).parents[2]
DEMO_CORPUS = ROOT / "paperfeed" / "demo" / "papers.jsonl.gz"
VECTORS = ROOT / "tests" / "fixtures" / "personal" / "demo-minilm-int8.npz"
DAY = 86_400.0
T0 = 1_780_000_000.0  # a fixed "now" for signals

EQUIVARIANT = ("2111.11840", "2310.11366", "2401.10216", "2306.00356")
"""Four demo papers on equivariant networks: a clear taste among many LLM papers."""


@dataclass(frozen=True)
class Corpus:
    papers: list[PaperFacts]
    background: Background

    def by_id(self, paper_id: str) -> PaperFacts:
        return next(p for p in self.papers if p.id == paper_id)

    def candidates(self, exclude: tuple[str, ...] = ()) -> Candidates:
        return Candidates.build([p for p in self.papers if p.id not in exclude], self.background)


@pytest.fixture(scope="session")
def corpus() -> Corpus:
    saved = np.load(VECTORS)
    vectors = {
        str(i): v.astype(np.float32) for i, v in zip(saved["ids"], saved["vectors"], strict=True)
    }
    papers = []
    for page in JSONLSource(DEMO_CORPUS).pages(None):
        for paper in page.papers:
            plain = render_plain(paper)
            vector = vectors[paper.id]
            papers.append(
                PaperFacts(
                    id=paper.id,
                    title=plain.title,
                    vector=vector / np.linalg.norm(vector),
                    text=f"{plain.title}. {plain.abstract}",
                    categories=tuple(paper.categories),
                    authors=tuple(a.name for a in paper.authors),
                )
            )
    background = fit_background(
        np.stack([p.vector for p in papers if p.vector is not None]),
        (p.text for p in papers),
        (p.categories for p in papers),
    )
    return Corpus(papers, background)


SOFT_EQUIVARIANCE_DOI = "10.5555/soft-equivariance"
"""An invented DOI given to demo paper 2306.00356 in the store, for DOI matching."""
GENERATION = "minilm-l6-v2-int8"


def demo_papers() -> list[Paper]:
    papers = [p for page in JSONLSource(DEMO_CORPUS).pages(None) for p in page.papers]
    return [replace(p, doi=SOFT_EQUIVARIANCE_DOI) if p.id == EQUIVARIANT[3] else p for p in papers]


def fill_demo_store(store: PaperStore) -> None:
    """The demo corpus and its saved vectors as the active generation."""
    store.upsert_papers(demo_papers(), source="demo")
    saved = np.load(VECTORS)
    vectors = saved["vectors"].astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    store.ensure_generation(GENERATION, vectors.shape[1])
    store.put_embeddings(
        GENERATION, [(str(i), v.tobytes()) for i, v in zip(saved["ids"], vectors, strict=True)]
    )
    store.activate_generation(GENERATION)


@pytest.fixture
def demo_store(store: PaperStore) -> PaperStore:
    """A store on the suite's engine holding the demo corpus with its vectors."""
    fill_demo_store(store)
    return store
