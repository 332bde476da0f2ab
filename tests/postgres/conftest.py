"""Fixtures for the PostgreSQL concurrency and fault tests: real processes, real servers."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.backends import postgres_cluster_dir
from tests.smtp_server import SMTPSink

ROOT = Path(__file__).parents[2]


@pytest.fixture
def smtp_sink() -> Iterator[SMTPSink]:
    with SMTPSink() as sink:
        yield sink


def start_child(module: str, *args: str) -> subprocess.Popen[bytes]:
    """``python -m module args...`` from the repository root."""
    return subprocess.Popen(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def restart_server() -> None:
    """pg_ctl restart on the test cluster: every open connection is dropped."""
    folder = postgres_cluster_dir()
    if folder is None:
        pytest.skip("restarting needs the cluster of scripts/pg_test_cluster.py run")
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "pg_test_cluster.py"), "restart", str(folder)],
        check=True,
    )
