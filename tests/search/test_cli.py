"""The search commands, run through click on a real store and the real model."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from paperfeed.embedding import Embedder
from paperfeed.ingest import run_ingest
from paperfeed.search import SearchService
from paperfeed.search.cli import index_group, search_command, similar_command
from paperfeed.sources.jsonl import JSONLSource
from paperfeed.store import open_store
from tests.factories import make_paper
from tests.search.conftest import DEMO_CORPUS, search_settings


@pytest.fixture
def env(tmp_path: Path, model_cache: Path, embedder: Embedder) -> dict[str, str]:
    """A store with the demo corpus, not yet embedded; settings through the environment."""
    url = f"sqlite:///{tmp_path / 'paperfeed.db'}"
    import gzip

    subset = tmp_path / "subset.jsonl"
    lines = gzip.decompress(DEMO_CORPUS.read_bytes()).splitlines(keepends=True)
    subset.write_bytes(b"".join(lines[:20]))
    with open_store(url) as store:
        run_ingest(store, JSONLSource(subset))
    return {
        "PAPERFEED_DATABASE_URL": url,
        "PAPERFEED_VAR_DIR": str(tmp_path / "var"),
        "PAPERFEED_SEARCH_MODEL_DIR": str(model_cache),
        "PAPERFEED_SEARCH_EMBED_TIMEOUT_MS": "20000",
    }


def test_index_search_similar_and_status(env: dict[str, str]) -> None:
    runner = CliRunner()
    before = runner.invoke(search_command, ["invariance", "--json"], env=env)
    assert before.exit_code == 0, before.output
    assert "no semantic index yet" in before.stderr

    update = runner.invoke(index_group, ["update"], env=env)
    assert update.exit_code == 0, update.output
    assert "embedded 20 paper(s)" in update.output

    result = runner.invoke(
        search_command, ["transformation invariance", "--json", "--limit", "3"], env=env
    )
    assert result.exit_code == 0, result.output
    hits = orjson.loads(result.stdout)
    assert hits[0]["id"] == "2112.12345"
    assert [h["rank"] for h in hits] == [1, 2, 3]
    assert {"id", "title", "score"} <= set(hits[0])

    similar = runner.invoke(similar_command, ["2112.12345", "--json", "--limit", "4"], env=env)
    assert similar.exit_code == 0, similar.output
    neighbours = [h["id"] for h in orjson.loads(similar.stdout)]
    assert len(neighbours) == 4 and "2112.12345" not in neighbours

    status = runner.invoke(index_group, ["status", "--json"], env=env)
    shown = orjson.loads(status.stdout)
    generation = shown["generations"][0]
    assert generation["active"] and generation["embedded"] == generation["index_count"] == 20
    if shown["keyword"] is not None:  # the embedded store's keyword index
        assert shown["keyword"] == {"papers": 20, "pending_changes": 0}

    rebuild = runner.invoke(index_group, ["rebuild"], env=env)
    assert rebuild.exit_code == 0 and "index rebuilt" in rebuild.output


def test_plain_output_and_errors(env: dict[str, str]) -> None:
    runner = CliRunner()
    result = runner.invoke(search_command, ['"unbalanced NEAR(', "--mode", "keyword"], env=env)
    assert result.exit_code == 0
    plain = runner.invoke(search_command, ["invariance", "--mode", "keyword"], env=env)
    assert plain.stdout.startswith("  1. ")
    missing = runner.invoke(similar_command, ["2101.99999"], env=env)
    assert missing.exit_code == 1 and "no paper" in missing.output


@pytest.fixture
def indexed_env(
    store_url: str, tmp_path: Path, model_cache: Path, embedder: Embedder
) -> dict[str, str]:
    """20 demo papers, embedded and indexed, on the suite's engine; the settings a fresh
    process gets from its environment, with the default query time limit."""
    import gzip

    subset = tmp_path / "subset.jsonl"
    lines = gzip.decompress(DEMO_CORPUS.read_bytes()).splitlines(keepends=True)
    subset.write_bytes(b"".join(lines[:20]))
    with open_store(store_url) as store:
        run_ingest(store, JSONLSource(subset))
        service = SearchService(store, search_settings(tmp_path / "var"), embedder=embedder)
        service.index_papers()
        service.close()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PAPERFEED_")}
    return {
        **environ,
        "PAPERFEED_DATABASE_URL": store_url,
        "PAPERFEED_VAR_DIR": str(tmp_path / "var"),
        "PAPERFEED_SEARCH_MODEL_DIR": str(model_cache),
    }


def test_a_fresh_process_searches_by_meaning(indexed_env: dict[str, str]) -> None:
    # No word of the query is in the paper ("Crystal Diffusion Variational Autoencoder
    # for Periodic Material Generation"): only its meaning finds it. The process has to
    # load the model first, which takes longer than the query time limit.
    command = [sys.executable, "-m", "paperfeed", "search", "dreaming up new minerals"]
    found = subprocess.run(
        [*command, "--mode", "semantic", "--json", "--limit", "3"],
        env=indexed_env,
        capture_output=True,
        timeout=120,
    )
    assert found.returncode == 0, found.stderr
    assert b"keyword results only" not in found.stderr
    hits = orjson.loads(found.stdout)
    assert hits[0]["id"] == "2110.06197"
    assert all(hit["matched_by"] == ["semantic"] for hit in hits)

    hybrid = subprocess.run([*command, "--json"], env=indexed_env, capture_output=True, timeout=120)
    assert hybrid.returncode == 0 and b"keyword results only" not in hybrid.stderr
    assert "2110.06197" in [hit["id"] for hit in orjson.loads(hybrid.stdout)]


def test_a_model_that_cannot_load_still_falls_back_with_a_note(
    store_url: str, tmp_path: Path
) -> None:
    # The active generation was built by a model this installation does not have.
    with open_store(store_url) as store:
        store.upsert_papers([make_paper("2112.12345")], source="test")
        store.ensure_generation("retired-model", 4)
        store.put_embeddings("retired-model", [("2112.12345", b"\x00" * 16)])
        store.activate_generation("retired-model")
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PAPERFEED_")}
    env = {**environ, "PAPERFEED_DATABASE_URL": store_url, "PAPERFEED_VAR_DIR": str(tmp_path)}
    command = [sys.executable, "-m", "paperfeed", "search", "transformation", "--json"]
    result = subprocess.run(command, env=env, capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert b"note: keyword results only: the embedding model is unavailable" in result.stderr
    assert orjson.loads(result.stdout)[0]["id"] == "2112.12345"
