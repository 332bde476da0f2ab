"""What ingest stores: no control characters, and abstracts kept to a size a page can show.

Real parts: a JSON Lines file written here, the ``paperfeed ingest jsonl`` command and
a real store on the suite's engine (PostgreSQL refuses NUL in text outright).
"""

from __future__ import annotations

from pathlib import Path

import orjson
from click.testing import CliRunner

from paperfeed.cli import main
from paperfeed.ingest import run_ingest
from paperfeed.papers.clean import MAX_ABSTRACT_CHARS
from paperfeed.sources.jsonl import JSONLSource
from paperfeed.store import PaperStore, open_store

HOSTILE = "Graph\x00 Networks \x1b[31mred\x1b[0m and\x7f \x85C1\x9b codes\tkept\nlines"
HUGE = "We show that " + "graph networks generalise well. " * 30_000  # about 960 KB


def write_dump(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_bytes(b"\n".join(orjson.dumps(r) for r in records) + b"\n")
    return path


def record(paper_id: str, **fields: object) -> dict[str, object]:
    return {
        "id": paper_id,
        "title": "A title",
        "abstract": "An abstract.",
        "authors": ["Ada Lovelace"],
        "categories": ["cs.LG"],
        "published": "2026-03-12",
        **fields,
    }


def test_control_characters_never_reach_the_store(store: PaperStore, tmp_path: Path) -> None:
    dump = write_dump(
        tmp_path / "papers.jsonl",
        [record("2603.01001", title=HOSTILE, abstract=HOSTILE, authors=["Ada\x00 Lovelace"])],
    )
    run_ingest(store, JSONLSource(dump))
    stored = store.get_paper("2603.01001")
    assert stored is not None
    for text in (stored.paper.title, stored.paper.abstract, stored.title_text, stored.authors_text):
        assert not any((ord(c) < 32 and c not in "\t\n") or 0x7F <= ord(c) <= 0x9F for c in text)
    assert stored.paper.title.startswith("Graph Networks [31mred[0m and")
    assert "\tkept\nlines" in stored.paper.abstract
    assert stored.paper.authors[0].name == "Ada Lovelace"


def test_an_oversized_abstract_is_cut_and_the_ingest_says_so(
    store_url: str, tmp_path: Path
) -> None:
    dump = write_dump(
        tmp_path / "papers.jsonl",
        [record("2603.01001", abstract=HUGE), record("2603.01002")],
    )
    result = CliRunner().invoke(
        main,
        ["--db", store_url, "ingest", "jsonl", "--no-embed", str(dump)],
        env={"PAPERFEED_VAR_DIR": str(tmp_path / "var")},
    )
    assert result.exit_code == 0, result.output
    assert f"2603.01001: abstract of {len(HUGE):,} characters cut to {MAX_ABSTRACT_CHARS:,}" in (
        result.output
    )
    store = open_store(store_url)
    try:
        stored = store.get_paper("2603.01001")
        assert stored is not None
        assert len(stored.paper.abstract) <= MAX_ABSTRACT_CHARS
        assert stored.paper.abstract.startswith("We show that graph networks")
        assert stored.paper.abstract.endswith("…")
        assert store.get_paper("2603.01002") is not None  # the rest of the file is stored
    finally:
        store.close()
