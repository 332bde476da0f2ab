"""What the browser tests of the web share: the app on a real server over the filled store."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from paperfeed.config import Settings
from paperfeed.store import PaperStore
from paperfeed.web import create_app
from tests.web.conftest import SECRET
from tests.web.live_server import live_server


@pytest.fixture
def site(filled_store: PaperStore, settings: Settings) -> Iterator[str]:
    """The base URL of the app serving the filled store, caches off."""
    app = create_app(settings, store=filled_store, secret_key=SECRET, cache_stale_for=0)
    with live_server(app) as url:
        yield url
