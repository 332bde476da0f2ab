"""``paperfeed db copy``: SQLite -> PostgreSQL -> SQLite keeps everything, and resumes."""

from __future__ import annotations

from array import array
from pathlib import Path

import pytest
from click.testing import CliRunner

from paperfeed.community.trending_ranking import trending_ids, trending_rows
from paperfeed.store import PaperStore, open_store
from paperfeed.store.community import NewMark
from paperfeed.store.copy_cli import copy_command
from paperfeed.store.outbox import NewOutboxMessage
from paperfeed.store.search import KeywordQuery, Phrase, SearchScope
from tests.community.conftest import community_settings
from tests.factories import make_hf, make_paper

pytestmark = pytest.mark.postgresql_only
MODEL = community_settings().trending_model()
VECTOR = array("f", [1.0 + i / 8 for i in range(24)]).tobytes()


def _fill(store: PaperStore) -> None:
    store.upsert_papers(
        [make_paper("2401.00001", hf=make_hf()), make_paper("2401.00002", title="Graph nets")],
        source="jsonl",
        checkpoint_key="jsonl:x",
        checkpoint={"line": 2},
    )
    store.ensure_generation("tiny", 24)
    store.put_embeddings("tiny", [("2401.00001", VECTOR)])
    store.activate_generation("tiny")
    store.add_subscriber("ada@example.org")
    # Trending as a snapshot plus ledger rows past it: both must travel.
    store.trending_fold_rows = 2
    voters = [store.get_or_create_account(f"v{n}@example.org", f"v{n}")[0] for n in range(3)]
    votes = [
        NewMark(v.id, f"2401.0000{1 + n % 2}", 1_704_067_200.0 + n) for n, v in enumerate(voters)
    ]
    store.add_marks("upvote", votes, MODEL)
    store.enqueue_messages(
        [NewOutboxMessage("k1", "digest", "a@x.org", "b@x.org", "<m1@x>", b"Subject: hi\r\n")]
    )


def _view(store: PaperStore) -> tuple[object, ...]:
    stored = store.get_paper("2401.00001")
    assert stored is not None
    entry = store.get_outbox_entry("k1")
    subscriber = store.get_subscriber("ada@example.org")
    trending = trending_rows(store, ["2401.00001", "2401.00002"], MODEL)
    return (
        stored.paper,
        store.get_checkpoint("jsonl:x"),
        store.get_embedding("tiny", "2401.00001"),
        store.active_generation(),
        subscriber.email if subscriber else None,
        entry.state if entry else None,
        store.stats().papers,
        {p: (r.upvotes, round(r.keys["all"] or 0.0, 9)) for p, r in trending.items()},
        [paper_id for paper_id, _ in trending_ids(store, "week", MODEL, limit=5)],
    )


def test_copy_there_and_back_keeps_everything(tmp_path: Path, store_url: str) -> None:
    sqlite_url = f"sqlite:///{tmp_path / 'a.db'}"
    with open_store(sqlite_url) as source:
        _fill(source)
        expected = _view(source)
    runner = CliRunner()
    result = runner.invoke(copy_command, ["--from", sqlite_url, "--to", store_url])
    assert result.exit_code == 0, result.output
    assert "papers: 2 rows" in result.output
    with open_store(store_url) as copied:
        assert _view(copied) == expected
        graph = KeywordQuery(should=(Phrase(("graph",)),))
        assert [m.paper_id for m in copied.keyword_search(graph)] == ["2401.00002"]
        assert copied.nearest_papers("tiny", VECTOR, SearchScope(), limit=1) == [
            ("2401.00001", pytest.approx(1.0, abs=1e-3))
        ]
    again = runner.invoke(copy_command, ["--from", sqlite_url, "--to", store_url])
    assert again.exit_code == 0 and "already there" in again.output

    back_url = f"sqlite:///{tmp_path / 'b.db'}"
    result = runner.invoke(copy_command, ["--from", store_url, "--to", back_url])
    assert result.exit_code == 0, result.output
    with open_store(back_url) as back:
        assert _view(back) == expected


def test_copy_refuses_a_half_filled_destination(tmp_path: Path, store_url: str) -> None:
    sqlite_url = f"sqlite:///{tmp_path / 'a.db'}"
    with open_store(sqlite_url) as source:
        _fill(source)
    with open_store(store_url) as destination:
        destination.upsert_papers([make_paper("2401.00009")], source="jsonl")
    result = CliRunner().invoke(copy_command, ["--from", sqlite_url, "--to", store_url])
    assert result.exit_code == 1 and "empty database" in result.output
