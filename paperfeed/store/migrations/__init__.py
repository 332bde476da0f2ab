"""Versioned schema migrations, one folder of numbered SQL files per engine."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True, slots=True)
class MigrationScript:
    version: int
    name: str
    sql: str


def load_migrations(engine: str) -> list[MigrationScript]:
    """The migration scripts shipped for ``engine`` ("sqlite", "postgresql"), in order."""
    folder = resources.files("paperfeed.store.migrations").joinpath(engine)
    scripts = []
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match:
            scripts.append(
                MigrationScript(int(match[1]), match[2], entry.read_text(encoding="utf-8"))
            )
    scripts.sort(key=lambda s: s.version)
    versions = [s.version for s in scripts]
    if versions != list(range(1, len(versions) + 1)):
        raise RuntimeError(f"{engine} migrations are not numbered 1..n: {versions}")
    return scripts
