"""Every stored paper gets a TL;DR and keywords: in the pass after an ingest (which
stores papers only), after a killed run, by ``paperfeed index update`` for papers stored
before, and again when the model changes; many at once on a pool of processes.
Runs on both engines (the ``store`` fixture)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import replace
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from paperfeed.cli import main
from paperfeed.ingest import run_ingest
from paperfeed.ingest.cli import EXIT_NOTHING_NEW
from paperfeed.papers.model import Paper
from paperfeed.sources.jsonl import JSONLSource
from paperfeed.store import PaperStore
from paperfeed.store.summaries import PaperSummary
from paperfeed.summaries import MODEL_VERSION, summarize
from paperfeed.summaries.refresh import summarize_pending
from tests.factories import make_paper

ABSTRACT = (
    "Graph neural networks struggle on heterophilous graphs. We propose a spectral"
    " rewiring method that adds edges between nodes with similar structural roles."
    " Experiments on twelve benchmarks show consistent gains over message passing."
)


def papers(count: int = 3) -> list[Paper]:
    return [
        make_paper(
            f"2604.0{n:04d}",
            title=f"Spectral Rewiring for Heterophilous Graphs, part {n}",
            abstract=ABSTRACT,
        )
        for n in range(count)
    ]


def dump(path: Path, items: list[Paper]) -> Path:
    """A JSON Lines dump of ``items`` in the import format."""
    lines = []
    for paper in items:
        record = paper.core_json()
        record["authors"] = [a.name for a in paper.authors]
        lines.append(orjson.dumps(record) + b"\n")
    path.write_bytes(b"".join(lines))
    return path


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_ingest_stores_papers_and_the_pass_after_it_summarises_them(
    store: PaperStore, store_url: str, tmp_path: Path
) -> None:
    path = dump(tmp_path / "p.jsonl", papers())
    report = run_ingest(store, JSONLSource(path))
    assert report.result.inserted == 3 and store.count_summaries() == 0  # papers only
    code, output = cli("ingest", "jsonl", str(path), "--no-embed", "--db", store_url)
    assert code == EXIT_NOTHING_NEW, output
    assert "3 papers summarised" in output
    stored = store.get_paper("2604.00001")
    assert stored is not None
    expected = summarize(stored.title_text, stored.abstract_text)
    assert stored.tldr == expected.tldr and stored.tldr.startswith("We propose a spectral")
    assert stored.keywords == expected.keywords and 3 <= len(stored.keywords) <= 8
    assert store.count_summaries(MODEL_VERSION) == 3
    # Listings carry them too, and an unchanged re-import computes nothing again.
    assert all(p.tldr for p in store.list_papers())
    code, output = cli("ingest", "jsonl", str(path), "--restart", "--no-embed", "--db", store_url)
    assert code == EXIT_NOTHING_NEW and "summarised" not in output, output
    assert summarize_pending(store) == 0


def test_a_changed_paper_is_summarised_again(
    store: PaperStore, store_url: str, tmp_path: Path
) -> None:
    path = dump(tmp_path / "a.jsonl", papers(1))
    assert cli("ingest", "jsonl", str(path), "--no-embed", "--db", store_url)[0] == 0
    changed = replace(
        papers(1)[0],
        version=2,
        abstract="Transformers forget long contexts. We introduce a recurrent memory token"
        " that carries state across segments. It extends context to a million tokens.",
    )
    path = dump(tmp_path / "b.jsonl", [changed])
    assert cli("ingest", "jsonl", str(path), "--no-embed", "--db", store_url)[0] == 0
    stored = store.get_paper(changed.id)
    assert stored is not None and stored.tldr is not None
    assert "recurrent memory token" in stored.tldr


def test_many_pending_papers_are_summarised_on_a_pool_alike(store: PaperStore) -> None:
    """A full batch pending sends the batches to worker processes; the summaries are
    the ones this process computes, written batch by batch in id order."""
    store.upsert_papers(papers(7), source="jsonl")
    written: list[int] = []
    assert summarize_pending(store, batch=3, progress=written.append) == 7
    assert written == [3, 6, 7]
    for stored in store.list_papers():
        expected = summarize(stored.title_text, stored.abstract_text)
        assert (stored.tldr, stored.keywords) == (expected.tldr, expected.keywords)
    assert store.count_papers_to_summarize(MODEL_VERSION) == 0


def test_a_killed_runs_missing_summaries_are_finished_by_the_next_run(
    store: PaperStore, store_url: str, tmp_path: Path
) -> None:
    """Papers committed by a run killed before it summarised them (stored here without
    summaries, as that run left them) get theirs from the next run, which finds nothing
    new."""
    path = dump(tmp_path / "p.jsonl", papers())
    source = JSONLSource(path)
    for page in source.pages(None):
        store.upsert_papers(
            page.papers,
            source=source.name,
            checkpoint_key=source.checkpoint_key,
            checkpoint=page.checkpoint,
        )
    assert store.count_summaries() == 0
    code, output = cli("ingest", "jsonl", str(path), "--no-embed", "--db", store_url)
    assert code == EXIT_NOTHING_NEW, output
    assert "3 papers summarised" in output
    assert store.count_summaries(MODEL_VERSION) == 3


def test_index_update_backfills_and_recomputes_when_the_model_changes(
    store: PaperStore, store_url: str, tmp_path: Path
) -> None:
    store.upsert_papers(papers(), source="jsonl")  # stored before summaries existed
    store.put_summaries(
        [PaperSummary("2604.00000", "An old model's TL;DR.", ("old",), "older-model", "x")]
    )
    assert summarize_pending(store, among=["2604.00001"]) == 1  # only the one asked for
    _, output = cli("index", "update", "--db", store_url)
    # The search part of the update may lack its model here; the summaries come first.
    assert "summarised 2 paper(s)" in output, output
    assert store.count_summaries(MODEL_VERSION) == 3
    stored = store.get_paper("2604.00000")
    assert stored is not None and stored.tldr != "An old model's TL;DR."
    assert "old" not in stored.keywords
    assert summarize_pending(store) == 0


def test_summaries_of_deleted_papers_are_not_written(store: PaperStore) -> None:
    store.upsert_papers(papers(1), source="jsonl")
    store.put_summaries([PaperSummary("2604.09999", "Gone.", (), MODEL_VERSION, "x")])
    assert store.count_summaries() == 0


def test_papers_show_json_has_tldr_and_keywords(
    store: PaperStore, store_url: str, tmp_path: Path
) -> None:
    run_ingest(store, JSONLSource(dump(tmp_path / "p.jsonl", papers(1))))
    summarize_pending(store)
    code, output = cli("papers", "show", "2604.00000", "--json", "--db", store_url)
    assert code == 0, output
    data = orjson.loads(output)
    assert isinstance(data["tldr"], str) and data["tldr"].startswith("We propose")
    assert isinstance(data["keywords"], list) and all(isinstance(k, str) for k in data["keywords"])
    assert len(data["keywords"]) >= 3


def test_the_mcp_get_paper_answer_has_the_tldr_and_keywords_pages_show(
    store: PaperStore, tmp_path: Path
) -> None:
    from paperfeed.mcp.tools import paper_summary
    from tests.factories import make_hf

    run_ingest(store, JSONLSource(dump(tmp_path / "p.jsonl", papers(1))))
    summarize_pending(store)
    stored = store.get_paper("2604.00000")
    assert stored is not None and stored.tldr
    assert paper_summary(stored) == (stored.tldr, "paperfeed", list(stored.keywords))
    featured = replace(stored, paper=replace(stored.paper, hf=make_hf(ai_summary="HF's.")))
    assert paper_summary(featured) == ("HF's.", "huggingface", list(stored.keywords))


KILLED_BACKFILL = """
import sys
from paperfeed.store import open_store
from paperfeed.summaries.refresh import summarize_pending

with open_store(sys.argv[1], migrate=False) as store:
    summarize_pending(store, batch=10, workers=2)
"""


def _processes_with(marker: str) -> list[int]:
    """Ids of the live processes whose environment carries ``marker``."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and marker.encode() in (proc / "environ").read_bytes():
                found.append(int(proc.name))
        except OSError:
            continue
    return found


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads /proc")
def test_a_killed_backfill_resumes_without_loss_or_duplicates(
    store: PaperStore, store_url: str
) -> None:
    """SIGKILL mid-way through a pooled backfill: its workers end too, the batches it
    wrote stay, and the next pass writes each of the rest once."""
    count = 800
    store.upsert_papers(papers(count), source="jsonl")
    marker = f"PAPERFEED_TEST_BACKFILL={uuid.uuid4().hex}"
    name, value = marker.split("=")
    env = {**os.environ, name: value}
    child = subprocess.Popen([sys.executable, "-c", KILLED_BACKFILL, store_url], env=env)
    try:
        deadline = time.monotonic() + 120
        while store.count_summaries() < 30 and child.poll() is None:
            assert time.monotonic() < deadline, "the backfill wrote nothing"
            time.sleep(0.02)
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait()
    written = store.count_summaries()
    if written >= count:
        pytest.skip("the backfill finished before it could be killed")
    assert written % 10 == 0  # whole batches only
    deadline = time.monotonic() + 30
    while _processes_with(marker):
        assert time.monotonic() < deadline, "the workers outlived the killed backfill"
        time.sleep(0.2)
    assert summarize_pending(store) == count - written
    assert store.count_summaries() == store.count_summaries(MODEL_VERSION) == count
    assert store.count_papers_to_summarize(MODEL_VERSION) == 0
