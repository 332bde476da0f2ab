"""A store with a few papers and accounts, and the trending model built from settings."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from paperfeed.community.scoring import TrendingModel
from paperfeed.community.settings import CommunitySettings
from paperfeed.config import Settings
from paperfeed.store import PaperStore
from paperfeed.store.community import Account
from tests.factories import make_paper
from tests.smtp_server import SMTPSink

PAPERS = ("2603.01001", "2603.01002", "2603.01003", "2603.01004")


def community_settings(**values: Any) -> CommunitySettings:
    return CommunitySettings.from_settings(Settings(values, environ={}))


@pytest.fixture
def community() -> CommunitySettings:
    return community_settings()


@pytest.fixture
def model(community: CommunitySettings) -> TrendingModel:
    return community.trending_model()


def fill_papers(store: PaperStore) -> PaperStore:
    """Four papers in cs.LG, cs.CV, cs.CL and hep-th."""
    store.upsert_papers(
        [
            make_paper("2603.01001", categories=("cs.LG", "cs.CV")),
            make_paper("2603.01002", primary_category="hep-th", categories=("hep-th",)),
            make_paper("2603.01003", categories=("cs.LG",)),
            make_paper("2603.01004", categories=("cs.CL", "cs.LG")),
        ],
        source="jsonl",
    )
    return store


def new_account(store: PaperStore, name: str) -> Account:
    account, _ = store.get_or_create_account(f"{name}@example.org", name)
    return account


@pytest.fixture
def papers_store(store: PaperStore) -> PaperStore:
    return fill_papers(store)


@pytest.fixture
def make_account(papers_store: PaperStore) -> Callable[[str], Account]:
    return lambda name: new_account(papers_store, name)


@pytest.fixture
def smtp_sink() -> Iterator[SMTPSink]:
    """A real SMTP server on 127.0.0.1 recording what it accepts."""
    with SMTPSink() as sink:
        yield sink
