"""A real store with a few real-looking papers, and the app over it (in-process HTTP)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from paperfeed.config import Settings
from paperfeed.papers.model import Author, Paper
from paperfeed.store import PaperStore
from paperfeed.web import create_app
from tests.factories import make_hf, make_paper

SECRET = "test-secret-key-that-is-long-enough-0123456789"
DAY = date(2026, 3, 12)
HOSTILE_TITLE = "<script>alert('x')</script> Attacks & Defences for $\\alpha$-Nets"


def sample_papers() -> list[Paper]:
    """Three listing days; upvotes, a hostile title, an old-style id, a paper without code."""
    return [
        make_paper(
            "2603.01001",
            title="Revisiting Transformation Invariant Geometric Deep Learning",
            announced=DAY,
            hf=make_hf(
                upvotes=42,
                ai_summary="Invariant initial representations suffice.",
                ai_keywords=("invariance", "point clouds"),
                github_repo="https://github.com/example-lab/TinvNN",
                github_stars=17,
                project_page="https://example-lab.github.io/tinvnn/",
                organization="example-lab",
                num_comments=3,
            ),
        ),
        make_paper(
            "2603.01002",
            title=HOSTILE_TITLE,
            announced=DAY,
            code_links=(),
            abstract="We study <b>bold</b> claims & $x<y$ bounds.",
        ),
        make_paper(
            "2603.01003",
            title="Knowledge Graph Embedding by Normalizing Flows",
            announced=DAY,
            hf=make_hf(upvotes=7),
        ),
        make_paper(
            "2603.00501",
            title="Subgraph Permutation Equivariant Networks",
            announced=DAY - timedelta(days=1),
            published=DAY - timedelta(days=1),
        ),
        make_paper(
            "2603.00101",
            title="Lie Group Decompositions for Equivariant Networks",
            announced=DAY - timedelta(days=8),
            published=DAY - timedelta(days=8),
            authors=(Author("Mircea Mironenco"), Author("Patrick Forré")),
        ),
        make_paper(
            "hep-th/9108028",
            title="Old-style identifiers still work",
            announced=date(1991, 8, 28),
            published=date(1991, 8, 28),
            primary_category="hep-th",
            categories=("hep-th",),
            code_links=(),
        ),
    ]


@pytest.fixture
def filled_store(store: PaperStore) -> PaperStore:
    store.upsert_papers(sample_papers(), source="jsonl")
    return store


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings({"var_dir": str(tmp_path / "var"), "secret_key": SECRET}, environ={})


@pytest.fixture
def client(filled_store: PaperStore, settings: Settings) -> Iterator[TestClient]:
    app = create_app(
        settings, store=filled_store, with_search=False, secret_key=SECRET, cache_stale_for=0
    )
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def empty_client(store: PaperStore, settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings, store=store, with_search=False, secret_key=SECRET)
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client
