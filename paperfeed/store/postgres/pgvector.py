"""The pgvector version a database has, checked when it is migrated.

paperfeed indexes vectors as ``halfvec`` (pgvector 0.7.0 and later). An older pgvector
accepts every migration and fails only at the first ingest, with ``type "halfvec" does
not exist``; checking at migrate time names the version needed instead.
"""

from __future__ import annotations

import re

from paperfeed.store.base import StoreError
from paperfeed.store.postgres.connection import Connection

MINIMUM = (0, 7, 0)
MINIMUM_TEXT = ".".join(map(str, MINIMUM))


def parse_version(text: str) -> tuple[int, ...]:
    """``"0.6.2"`` as ``(0, 6, 2)``; a suffix such as ``-dev`` is ignored."""
    match = re.match(r"\s*(\d+(?:\.\d+)*)", text)
    if match is None:
        raise StoreError(f"cannot read the pgvector version {text!r}")
    return tuple(int(part) for part in match[1].split("."))


def require_pgvector(conn: Connection) -> None:
    """Raise ``StoreError`` naming the version needed unless the database's ``vector``
    extension is at least ``MINIMUM`` (run after the migrations that create it)."""
    row = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()
    if row is None:
        raise StoreError(
            f"the database lacks the pgvector extension: install pgvector {MINIMUM_TEXT} or"
            " newer on the server and run CREATE EXTENSION vector as a superuser"
        )
    installed = str(row["extversion"])
    if parse_version(installed) >= MINIMUM:
        return
    available = conn.execute(
        "SELECT default_version FROM pg_available_extensions WHERE name = 'vector'"
    ).fetchone()
    if available is not None and parse_version(str(available["default_version"])) >= MINIMUM:
        fix = "run ALTER EXTENSION vector UPDATE in this database as a superuser"
    else:
        fix = (
            f"install pgvector {MINIMUM_TEXT} or newer on the server, then run"
            " ALTER EXTENSION vector UPDATE in this database as a superuser"
        )
    raise StoreError(
        f"pgvector {installed} is too old: paperfeed needs pgvector {MINIMUM_TEXT} or newer"
        f" (for the halfvec type); {fix}"
    )
