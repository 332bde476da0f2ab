"""The in-process scheduler: started by the app when asked, it composes and sends due
digests by itself; only one of two servers works at a time."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from paperfeed.config import Settings
from paperfeed.digest import scheduler as scheduler_module
from paperfeed.digest.scheduler import DigestScheduler
from paperfeed.digest.settings import DigestSettings
from paperfeed.store import PaperStore
from paperfeed.store.subscriptions import Subscriber
from paperfeed.web import create_app
from tests.digest.conftest import SECRET, digest_settings


def test_the_app_runs_due_digests_in_the_background(
    tmp_path: Path, store: PaperStore, make_subscriber: Callable[..., Subscriber]
) -> None:
    ada = make_subscriber(send_empty=True)  # due now, and wants a mail even with no papers
    settings: Settings = digest_settings(tmp_path / "var", digest_scheduler_interval=1.0)
    outbox = tmp_path / "var" / "outbox" / "new"
    first = create_app(
        settings, store=store, with_search=False, secret_key=SECRET, digest_scheduler=True
    )
    second = create_app(
        settings, store=store, with_search=False, secret_key=SECRET, digest_scheduler=True
    )
    with TestClient(first), TestClient(second):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not list(outbox.glob("digest.*.eml")):
            time.sleep(0.2)
    digests = list(outbox.glob("digest.*.eml"))
    assert [p.name.split(".")[1] for p in digests] == [str(ada.id)]
    assert len(store.digest_plans(state="queued")) == 1


def test_apps_given_a_store_start_no_scheduler_by_default(
    tmp_path: Path, store: PaperStore
) -> None:
    app = create_app(
        digest_settings(tmp_path / "var"), store=store, with_search=False, secret_key=SECRET
    )
    with TestClient(app):
        assert not [t for t in __import__("threading").enumerate() if t.name == "paperfeed-digests"]


def test_a_failing_run_does_not_stop_the_scheduler(
    tmp_path: Path, store: PaperStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs: list[int] = []

    def flaky(*args: object, **kwargs: object) -> object:
        runs.append(len(runs))
        if len(runs) == 1:
            raise sqlite3.OperationalError("database is locked")
        return real_run(*args, **kwargs)

    real_run = scheduler_module.run_digests
    monkeypatch.setattr(scheduler_module, "run_digests", flaky)
    settings = digest_settings(tmp_path / "var", digest_scheduler_interval=1.0)
    scheduler = DigestScheduler(settings, DigestSettings.from_settings(settings), SECRET, store.url)
    scheduler.start()
    try:
        deadline = time.monotonic() + 20
        while len(runs) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        scheduler.stop()
    assert len(runs) >= 2  # it went on after the first run failed
