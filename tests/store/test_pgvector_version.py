"""`db migrate` refuses a pgvector without halfvec, naming the version needed.

The suite's PostgreSQL has a recent pgvector; this test starts a second, older server
(the PyPI package ``pgserver``: PostgreSQL 16 with pgvector 0.6.2) and migrates a real
database on it with the real command.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from paperfeed.store.base import StoreError
from paperfeed.store.postgres.pgvector import parse_version

ROOT = Path(__file__).parents[2]
CLUSTER = [sys.executable, str(ROOT / "scripts" / "pg_test_cluster.py"), "--package", "pgserver"]


@pytest.fixture(scope="module")
def old_pgvector_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a database on a server whose pgvector is 0.6.2 (already installed in
    it, as a site's administrator would have done)."""
    folder = tmp_path_factory.mktemp("old-pgvector")
    started = subprocess.run(
        [*CLUSTER, "start", str(folder)], capture_output=True, text=True, check=True
    )
    try:
        yield started.stdout.strip()
    finally:
        subprocess.run([*CLUSTER, "stop", str(folder)], check=False)


def _migrate(url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "paperfeed", "--db", url, "db", "migrate"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _fresh_database(server_url: str, name: str) -> str:
    base = server_url.rpartition("/")[0]
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    return f"{base}/{name}"


def test_an_old_pgvector_is_refused_by_name_and_nothing_is_migrated(
    old_pgvector_server: str,
) -> None:
    with psycopg.connect(old_pgvector_server) as conn:
        [version] = conn.execute(
            "SELECT extversion FROM pg_extension WHERE extname = 'vector'"
        ).fetchone() or [None]
    assert version == "0.6.2"  # the server really is older than paperfeed needs
    done = _migrate(old_pgvector_server)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "Error: pgvector 0.6.2 is too old: paperfeed needs pgvector 0.7.0 or newer (for the"
        " halfvec type); install pgvector 0.7.0 or newer on the server, then run ALTER"
        " EXTENSION vector UPDATE in this database as a superuser"
    ]
    with psycopg.connect(old_pgvector_server) as conn:
        tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        assert tables.fetchone() == (0,)  # every migration rolled back with the refusal


def test_an_ingest_on_an_old_pgvector_stops_before_storing_anything(
    old_pgvector_server: str, tmp_path: Path
) -> None:
    url = _fresh_database(old_pgvector_server, "ingest_first")
    dump = tmp_path / "one.jsonl"
    dump.write_text('{"id": "2401.00001", "title": "A paper", "abstract": "Words."}\n')
    done = subprocess.run(
        [sys.executable, "-m", "paperfeed", "--db", url, "ingest", "jsonl", str(dump)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert "pgvector 0.6.2 is too old" in done.stderr
    assert 'halfvec" does not exist' not in done.stderr
    with psycopg.connect(url) as conn:
        extension = conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'vector'")
        assert extension.fetchone() is None  # even CREATE EXTENSION was rolled back


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0.6.2", (0, 6, 2)), ("0.7.0", (0, 7, 0)), ("0.10.1", (0, 10, 1)), ("0.8.0-dev", (0, 8, 0))],
)
def test_versions_compare_as_numbers(text: str, expected: tuple[int, ...]) -> None:
    assert parse_version(text) == expected
    assert (parse_version(text) >= (0, 7, 0)) == (expected >= (0, 7, 0))


def test_an_unreadable_version_is_a_clear_error() -> None:
    with pytest.raises(StoreError, match="cannot read the pgvector version"):
        parse_version("unknown")
