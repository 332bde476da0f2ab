"""Digest fixtures: a real store with a day of papers, settings, links, a real SMTP sink."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from paperfeed.config import Settings
from paperfeed.digest.links import DigestLinks
from paperfeed.digest.settings import DigestSettings
from paperfeed.digest.subscriptions import SubscriptionService
from paperfeed.papers.model import Author, Paper
from paperfeed.security import TokenSigner
from paperfeed.store import PaperStore
from paperfeed.store.subscriptions import DigestPreferences, Interests, Subscriber
from tests.factories import make_hf, make_paper
from tests.smtp_server import SMTPSink

SECRET = "digest-test-secret-key-0123456789-abcdefghij"
PUBLIC_URL = "https://paperfeed.example"
EVERY_DAY = tuple(range(7))


def digest_settings(var_dir: Path, **values: Any) -> Settings:
    explicit = {
        "var_dir": str(var_dir),
        "public_url": PUBLIC_URL,
        "mail_from": "paperfeed <digest@paperfeed.example>",
        "mail_retry_delay": 0.0,
        "digest_workers": 1,
        **values,
    }
    return Settings(explicit, environ={})


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return digest_settings(tmp_path / "var")


@pytest.fixture
def digest(settings: Settings) -> DigestSettings:
    return DigestSettings.from_settings(settings)


@pytest.fixture
def links(digest: DigestSettings) -> DigestLinks:
    return DigestLinks(TokenSigner(SECRET), digest)


@pytest.fixture
def service(store: PaperStore, digest: DigestSettings, links: DigestLinks) -> SubscriptionService:
    return SubscriptionService(store, digest, links)


@pytest.fixture
def smtp_sink() -> Iterator[SMTPSink]:
    with SMTPSink() as sink:
        yield sink


def day_papers(day: date, prefix: str, count: int = 6) -> list[Paper]:
    """Papers announced on ``day``: graph networks, diffusion, a followed author, upvotes."""
    titles = [
        "Equivariant Graph Neural Networks for Molecules",
        "Diffusion Models for Protein Design",
        "Message Passing on Graph Neural Networks at Scale",
        "Sparse Attention for Long Documents",
        "A Survey of Reinforcement Learning from Human Feedback",
        "Convolutional Networks Revisited",
    ]
    papers = []
    for i in range(count):
        authors = (Author("Yann LeCun"), Author("Ada Lovelace")) if i == 5 else None
        papers.append(
            make_paper(
                f"{prefix}.{i:05d}",
                title=titles[i % len(titles)] + ("" if i < len(titles) else f" {i}"),
                abstract=f"We study {titles[i % len(titles)].lower()}. It works well. "
                "Experiments confirm it. A fourth sentence should not be shown.",
                announced=day,
                published=day,
                primary_category="cs.CV" if i == 3 else "cs.LG",
                categories=("cs.CV",) if i == 3 else ("cs.LG", "stat.ML"),
                hf=make_hf(upvotes=10 * (i + 1)),
                **({"authors": authors} if authors else {}),
            )
        )
    return papers


def add_papers(store: PaperStore, papers: list[Paper]) -> None:
    store.upsert_papers(papers, source="test")


def later(minutes: float = 5) -> datetime:
    """A moment after everything stored so far has settled."""
    return datetime.now(UTC) + timedelta(minutes=minutes)


@pytest.fixture
def make_subscriber(
    service: SubscriptionService, links: DigestLinks, store: PaperStore
) -> Callable[..., Subscriber]:
    """A confirmed subscriber, due every day from midnight UTC, with given interests."""

    def make(
        email: str = "ada@example.org",
        interests: Interests | None = None,
        **prefs: Any,
    ) -> Subscriber:
        result = service.subscribe(email, interests=interests)
        service.confirm(links.confirm_token(result.subscriber.id))
        values: dict[str, Any] = {"weekdays": EVERY_DAY, "send_hour": 0}
        values["trending_only"] = interests is None or interests.is_empty
        values.update(prefs)
        store.set_preferences(result.subscriber.id, DigestPreferences(**values))
        found = store.get_subscriber_by_id(result.subscriber.id)
        assert found is not None
        return found

    return make
