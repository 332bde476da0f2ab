"""The search commands, run through click on a real store and the real model."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from paperfeed.embedding import Embedder
from paperfeed.ingest import run_ingest
from paperfeed.search.cli import index_group, search_command, similar_command
from paperfeed.sources.jsonl import JSONLSource
from paperfeed.store import open_store
from tests.search.conftest import DEMO_CORPUS


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
