"""Which database engine the suite runs on, and fresh databases for each test.

``pytest --backend postgresql`` (with ``PAPERFEED_TEST_POSTGRES_URL`` pointing at a server
with pgvector, as ``make test`` provides) runs the whole suite on PostgreSQL; the default
is SQLite files in temporary folders.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

POSTGRES_URL_ENV = "PAPERFEED_TEST_POSTGRES_URL"
POSTGRES_DIR_ENV = "PAPERFEED_TEST_POSTGRES_DIR"  # the cluster folder, for restarts
THROWAWAY_ENV = "PAPERFEED_TEST_POSTGRES_THROWAWAY"  # the cluster is deleted afterwards
TEMPLATE = "paperfeed_template"


class PostgresDatabases:
    """Creates a database per test from a template that has the vector extension."""

    def __init__(self, server_url: str) -> None:
        import psycopg

        self._psycopg = psycopg
        self.server_url = server_url
        base, _, _ = server_url.rpartition("/")
        self._base = base
        with self._admin() as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (TEMPLATE,)
            ).fetchone()
            if not exists:
                conn.execute(f"CREATE DATABASE {TEMPLATE}")
                with psycopg.connect(f"{base}/{TEMPLATE}", autocommit=True) as template:
                    template.execute("CREATE EXTENSION IF NOT EXISTS vector")
        self._created: list[str] = []

    @contextmanager
    def _admin(self) -> Iterator[object]:
        with self._psycopg.connect(f"{self._base}/postgres", autocommit=True) as conn:
            yield conn

    def create(self) -> str:
        name = f"t_{uuid.uuid4().hex[:16]}"
        with self._admin() as conn:
            conn.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")  # type: ignore[attr-defined]
        self._created.append(name)
        return f"{self._base}/{name}"

    def drop_all(self) -> None:
        # Each DROP DATABASE forces a checkpoint (about a second); a throwaway cluster is
        # deleted whole afterwards, so its databases are left alone.
        if os.environ.get(THROWAWAY_ENV):
            self._created.clear()
            return
        with self._admin() as conn:
            for name in self._created:
                conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")  # type: ignore[attr-defined]
        self._created.clear()


def sqlite_url(folder: Path, name: str = "paperfeed.db") -> str:
    return f"sqlite:///{folder / 'var' / name}"


def postgres_server_url() -> str | None:
    return os.environ.get(POSTGRES_URL_ENV)


def postgres_cluster_dir() -> Path | None:
    """The test cluster's folder when ``scripts/pg_test_cluster.py run`` started it."""
    folder = os.environ.get(POSTGRES_DIR_ENV)
    return Path(folder) if folder else None
