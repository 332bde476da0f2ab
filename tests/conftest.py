"""Shared fixtures: real servers on loopback and real stores (SQLite or PostgreSQL)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from paperfeed.store import PaperStore, open_store
from tests.backends import PostgresDatabases, postgres_server_url, sqlite_url
from tests.recorded_server import RecordedServer

FIXTURES = Path(__file__).parent / "fixtures"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend",
        choices=["sqlite", "postgresql"],
        default="sqlite",
        help="database engine the store fixtures use (postgresql needs"
        " PAPERFEED_TEST_POSTGRES_URL)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: checks an SQLite-specific behaviour")
    config.addinivalue_line("markers", "postgresql_only: checks a PostgreSQL-specific behaviour")


DATABASE_FIXTURES = frozenset({"store", "store_url", "new_store_url", "postgres_databases"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    backend = config.getoption("--backend")
    if backend == "postgresql":
        # Tests that never open a store say nothing new on another engine: run them once.
        unrelated = [
            i for i in items if not DATABASE_FIXTURES & set(getattr(i, "fixturenames", ()))
        ]
        if unrelated:
            config.hook.pytest_deselected(items=unrelated)
            items[:] = [i for i in items if i not in unrelated]
    for item in items:
        if backend != "sqlite" and "sqlite_only" in item.keywords:
            item.add_marker(pytest.mark.skip(reason="SQLite-specific behaviour"))
        if backend != "postgresql" and "postgresql_only" in item.keywords:
            item.add_marker(pytest.mark.skip(reason="PostgreSQL-specific behaviour"))


@pytest.fixture(scope="session", autouse=True)
def shared_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the embedding model once per test session, not once per test's var folder."""
    path = tmp_path_factory.mktemp("models")
    os.environ.setdefault("PAPERFEED_SEARCH_MODEL_DIR", str(path))
    return path


@pytest.fixture(scope="session")
def backend(pytestconfig: pytest.Config) -> str:
    return str(pytestconfig.getoption("--backend"))


@pytest.fixture(scope="session")
def postgres_databases(backend: str) -> Iterator[PostgresDatabases | None]:
    if backend != "postgresql":
        yield None
        return
    server = postgres_server_url()
    if not server:
        pytest.exit("--backend postgresql needs PAPERFEED_TEST_POSTGRES_URL", returncode=4)
    databases = PostgresDatabases(server)
    try:
        yield databases
    finally:
        databases.drop_all()


@pytest.fixture
def new_store_url(
    tmp_path: Path, postgres_databases: PostgresDatabases | None
) -> Callable[[str], str]:
    """Make URLs of fresh, empty databases on the suite's backend (name: an SQLite file)."""

    def make(name: str = "paperfeed.db") -> str:
        if postgres_databases is not None:
            return postgres_databases.create()
        return sqlite_url(tmp_path, name)

    return make


@pytest.fixture
def recorded_server() -> Iterator[RecordedServer]:
    """A real HTTP server on 127.0.0.1 replaying recorded upstream responses."""
    server = RecordedServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture
def store_url(new_store_url: Callable[[str], str]) -> str:
    """The URL of a fresh, empty database on the suite's backend."""
    return new_store_url("paperfeed.db")


@pytest.fixture
def store(store_url: str) -> Iterator[PaperStore]:
    """A real, migrated, empty store."""
    opened = open_store(store_url)
    try:
        yield opened
    finally:
        opened.close()
