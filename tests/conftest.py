"""Shared fixtures: real servers on loopback and real stores in temporary folders."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from paperfeed.store import PaperStore, open_store
from tests.recorded_server import RecordedServer

FIXTURES = Path(__file__).parent / "fixtures"


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
def store_url(tmp_path: Path) -> str:
    """A database URL for a fresh, empty store in a temporary folder."""
    return f"sqlite:///{tmp_path / 'var' / 'paperfeed.db'}"


@pytest.fixture
def store(store_url: str) -> Iterator[PaperStore]:
    """A real, migrated, empty store."""
    opened = open_store(store_url)
    try:
        yield opened
    finally:
        opened.close()
