"""``paperfeed collections`` as operators run it: a fresh process, a real store."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import bibtexparser
import pytest

from paperfeed.store import open_store
from tests.web.conftest import sample_papers


def paperfeed(store_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "paperfeed", "--db", store_url, "collections", *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.fixture
def filled_url(store_url: str) -> str:
    with open_store(store_url) as store:
        store.upsert_papers(sample_papers(), source="jsonl")
    return store_url


def test_add_list_export_and_delete(filled_url: str, tmp_path: Path) -> None:
    added = paperfeed(
        filled_url, "add", "ada@example.org", "Reading group", "2603.01001", "arXiv:2603.01003v2",
        "--note", "week 1",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith("added 2 of 2 papers to “Reading group”")
    listed = paperfeed(filled_url, "list", "ada@example.org", "--json")
    assert [(c["name"], c["papers"], c["public"]) for c in json.loads(listed.stdout)] == [
        ("Reading group", 2, False)
    ]
    library = tmp_path / "ids.txt"
    library.write_text("hep-th/9108028\n10.1234/not-here\n", encoding="utf-8")
    imported = paperfeed(filled_url, "import", "ada@example.org", "reading GROUP", str(library))
    assert imported.returncode == 0, imported.stderr
    assert "matched 1 papers, 1 new" in imported.stdout
    exported = paperfeed(filled_url, "export", "ada@example.org", "Reading group")
    bib = bibtexparser.parse_string(exported.stdout)
    assert not bib.failed_blocks and len(bib.entries) == 3
    removed = paperfeed(filled_url, "remove", "ada@example.org", "Reading group", "2603.01001")
    assert "removed 1 papers" in removed.stdout
    deleted = paperfeed(filled_url, "delete", "ada@example.org", "Reading group")
    assert deleted.returncode == 0
    assert json.loads(paperfeed(filled_url, "list", "ada@example.org", "--json").stdout) == []


def test_bad_input_is_one_line_and_changes_nothing(filled_url: str, tmp_path: Path) -> None:
    unknown = paperfeed(filled_url, "add", "ada@example.org", "L", "2603.09999")
    assert unknown.returncode == 1 and "no paper 2603.09999" in unknown.stderr
    broken = tmp_path / "broken.bib"
    broken.write_bytes(b"@article{a, title={unclosed")
    refused = paperfeed(filled_url, "import", "ada@example.org", "New", str(broken))
    assert refused.returncode == 1 and "Error: the BibTeX file is malformed" in refused.stderr
    missing = paperfeed(filled_url, "export", "ada@example.org", "Nope")
    assert missing.returncode == 1 and "no list 'Nope'" in missing.stderr
    assert json.loads(paperfeed(filled_url, "list", "ada@example.org", "--json").stdout) == []
