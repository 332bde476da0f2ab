"""Database URLs: ``sqlite:///relative/path.db``, ``sqlite:////absolute.db``, ``postgresql://...``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from paperfeed.store.base import StoreError

DEFAULT_DATABASE_URL = "sqlite:///./var/paperfeed.db"


@dataclass(frozen=True, slots=True)
class DatabaseURL:
    scheme: str
    path: Path | None
    raw: str


def parse_database_url(url: str) -> DatabaseURL:
    """Split a database URL; a bare file path is taken as an SQLite database."""
    if url.startswith("sqlite:///"):
        rest = url[len("sqlite:///") :]
        if not rest:
            raise StoreError(f"no file in database URL {url!r}")
        return DatabaseURL("sqlite", Path(rest), url)
    if url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        return DatabaseURL("postgresql", None, url)
    if "://" not in url:
        return DatabaseURL("sqlite", Path(url), f"sqlite:///{url}")
    raise StoreError(
        f"unsupported database URL {url.split('://')[0]!r}://... (use sqlite:/// or postgresql://)"
    )
