"""The pgvector version a database has, checked when it is migrated.

paperfeed indexes vectors as ``halfvec`` (pgvector 0.7.0 and later). An older pgvector
accepts every migration and fails only at the first ingest, with ``type "halfvec" does
not exist``; checking at migrate time names the version needed instead. The check runs
before any migration: on a database without the extension yet, it reads the version
that ``CREATE EXTENSION`` (in the migrations) would install.
"""

from __future__ import annotations

import re

from paperfeed.store.base import StoreError
from paperfeed.store.database import Transaction

MINIMUM = (0, 7, 0)
MINIMUM_TEXT = ".".join(map(str, MINIMUM))


def parse_version(text: str) -> tuple[int, ...]:
    """``"0.6.2"`` as ``(0, 6, 2)``; a suffix such as ``-dev`` is ignored."""
    match = re.match(r"\s*(\d+(?:\.\d+)*)", text)
    if match is None:
        raise StoreError(f"cannot read the pgvector version {text!r}")
    return tuple(int(part) for part in match[1].split("."))


def require_pgvector(tx: Transaction) -> None:
    """Raise ``StoreError`` naming the version needed unless the database's ``vector``
    extension (installed, or the one the server would install) is at least ``MINIMUM``."""
    installed = tx.value("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
    available = tx.value(
        "SELECT default_version FROM pg_available_extensions WHERE name = 'vector'"
    )
    if installed is None and available is None:
        raise StoreError(
            f"the database lacks the pgvector extension: install pgvector {MINIMUM_TEXT} or"
            " newer on the server and run CREATE EXTENSION vector as a superuser"
        )
    version = str(installed if installed is not None else available)
    if parse_version(version) >= MINIMUM:
        return
    if installed is not None and available is not None and parse_version(str(available)) >= MINIMUM:
        fix = "run ALTER EXTENSION vector UPDATE in this database as a superuser"
    elif installed is not None:
        fix = (
            f"install pgvector {MINIMUM_TEXT} or newer on the server, then run"
            " ALTER EXTENSION vector UPDATE in this database as a superuser"
        )
    else:
        fix = f"install pgvector {MINIMUM_TEXT} or newer on the server"
    raise StoreError(
        f"pgvector {version} is too old: paperfeed needs pgvector {MINIMUM_TEXT} or newer"
        f" (for the halfvec type); {fix}"
    )
