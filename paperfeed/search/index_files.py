"""Where vector indexes live on disk, and how they are replaced atomically.

Layout: ``<root>/<generation>/<version>/{index.faiss, slots.json}`` plus
``<root>/<generation>/CURRENT``, a small JSON manifest naming the version folder. A new
version is written in full into a fresh folder, then ``CURRENT`` is replaced (temporary
file + rename), so a reader sees the old index or the new one, never a torn one.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import orjson

from paperfeed.search.vectors import VectorIndex

_KEEP_VERSIONS = 2  # the previous version stays while readers may still be loading it


@dataclass(frozen=True, slots=True)
class Manifest:
    """What an index version holds: enough to tell whether the store has moved on."""

    generation: str
    dim: int
    count: int
    max_seq: int
    version: str
    built_at: str


def generation_folder(root: Path, generation: str) -> Path:
    """A file-system-safe folder name for a generation."""
    return root / re.sub(r"[^A-Za-z0-9._-]", "_", generation)


def read_manifest(root: Path, generation: str) -> Manifest | None:
    path = generation_folder(root, generation) / "CURRENT"
    try:
        data = orjson.loads(path.read_bytes())
        return Manifest(**data)
    except (OSError, orjson.JSONDecodeError, TypeError):
        return None


def load_index(root: Path, generation: str, dim: int) -> tuple[VectorIndex, Manifest] | None:
    """The current index of ``generation``; ``None`` when missing or unreadable."""
    manifest = read_manifest(root, generation)
    if manifest is None or manifest.dim != dim:
        return None
    try:
        index = VectorIndex.load(generation_folder(root, generation) / manifest.version, dim)
    except (OSError, RuntimeError, ValueError):
        return None
    return index, manifest


def save_index(root: Path, generation: str, index: VectorIndex, max_seq: int) -> Manifest:
    """Write ``index`` as the new current version of ``generation``, atomically."""
    folder = generation_folder(root, generation)
    folder.mkdir(parents=True, exist_ok=True)
    version = f"v{max_seq:012d}-{uuid.uuid4().hex[:8]}"
    staging = Path(tempfile.mkdtemp(dir=folder, prefix=".tmp-"))
    try:
        index.save(staging)
        os.replace(staging, folder / version)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    manifest = Manifest(
        generation=generation,
        dim=index.dim,
        count=len(index),
        max_seq=max_seq,
        version=version,
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    switch_current(folder, orjson.dumps(asdict(manifest)), version)
    return manifest


def switch_current(folder: Path, content: bytes, version: str) -> None:
    """Make ``version`` the current one of a versioned index folder: ``CURRENT`` is
    replaced atomically (written and synced aside first), then old versions pruned."""
    fd, temp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    with os.fdopen(fd, "wb") as out:
        out.write(content)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temp, folder / "CURRENT")
    _prune(folder, keep=version)


def _prune(folder: Path, *, keep: str) -> None:
    """Old versions go, but the one before stays while other processes may read it."""
    versions = sorted(
        (p for p in folder.iterdir() if p.is_dir() and p.name.startswith("v")),
        key=lambda p: p.stat().st_mtime,
    )
    for old in versions[:-_KEEP_VERSIONS]:
        if old.name != keep:
            shutil.rmtree(old, ignore_errors=True)


def remove_generation(root: Path, generation: str) -> None:
    shutil.rmtree(generation_folder(root, generation), ignore_errors=True)
