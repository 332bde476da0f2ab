"""``paperfeed cite`` on a real store (both engines)."""

from __future__ import annotations

import json
from pathlib import Path

import bibtexparser
import pytest
import rispy
from click.testing import CliRunner, Result

from paperfeed.cli import main
from paperfeed.store import PaperStore
from tests.web.conftest import sample_papers


@pytest.fixture
def cli(
    filled_store: PaperStore, store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> CliRunner:
    monkeypatch.setenv("PAPERFEED_DATABASE_URL", store_url)
    monkeypatch.setenv("PAPERFEED_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("PAPERFEED_CONFIG", raising=False)
    return CliRunner()


@pytest.fixture
def filled_store(store: PaperStore) -> PaperStore:
    store.upsert_papers(sample_papers(), source="jsonl")
    return store


def invoke(cli: CliRunner, *args: str) -> Result:
    return cli.invoke(main, list(args), catch_exceptions=False)


def test_cite_prints_bibtex_for_every_id_in_order(cli: CliRunner) -> None:
    result = invoke(cli, "cite", "2603.01003", "arXiv:hep-th/9108028v1")
    assert result.exit_code == 0, result.output
    library = bibtexparser.parse_string(result.output)
    assert [e.key for e in library.entries] == ["zhang2021knowledge", "zhang1991old"]


def test_cite_in_every_format(cli: CliRunner) -> None:
    ris = invoke(cli, "cite", "2603.01001", "--format", "ris").output
    assert rispy.loads(ris)[0]["accession_number"] == "arXiv:2603.01001"
    items = json.loads(invoke(cli, "cite", "2603.01001", "--format", "csl-json").output)
    assert items[0]["id"] == "zhang2021revisiting"
    text = invoke(cli, "cite", "2603.01001", "--format", "text").output
    assert text.startswith("Zhang, Z., & Wang, X. (2021). Revisiting Transformation")


def test_cite_names_every_unknown_id_and_prints_nothing(cli: CliRunner) -> None:
    result = invoke(cli, "cite", "2603.01001", "2603.09999", "2603.09998")
    assert result.exit_code == 1
    assert "no paper 2603.09999, 2603.09998 in the store" in result.output
    assert "@misc" not in result.output


def test_cite_rejects_what_is_not_an_identifier(cli: CliRunner) -> None:
    result = invoke(cli, "cite", "not-an-id")
    assert result.exit_code == 1
    assert "not an arXiv identifier: 'not-an-id'" in result.output


def test_cite_rejects_an_unknown_format(cli: CliRunner) -> None:
    result = invoke(cli, "cite", "2603.01001", "--format", "endnote")
    assert result.exit_code == 2
    assert "bibtex" in result.output
