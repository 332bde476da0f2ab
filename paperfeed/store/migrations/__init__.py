"""Versioned schema migrations, one folder of numbered SQL files per engine.

A number may be missing: capabilities are built side by side and each takes its number
when it starts, so a later number can ship before an earlier one. The runner applies
every script whose version is not recorded yet, whatever the order (each migration
creates its own tables and depends on no unreleased one), so a database that has 11
still gets 10 when it arrives.
"""

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
    if len(set(versions)) != len(versions) or (versions and versions[0] != 1):
        raise RuntimeError(f"{engine} migrations are not numbered 1, 2, ... once each: {versions}")
    return scripts
