"""Ranked lists with reasons: what pages, feeds, the command line and digests show.

``rank_for_reader`` serves one reader (a page after a rating); ``rank_readers`` serves a
digest run, scoring readers in chunks with one matrix product per part and explaining
only the papers each reader gets.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from paperfeed.personal.background import Background
from paperfeed.personal.model import ReaderModel
from paperfeed.personal.papers import Candidates
from paperfeed.personal.ranking import (
    DEFAULT_BLEND,
    PARTS,
    Blend,
    CompiledReader,
    compile_reader,
    score_readers,
)
from paperfeed.personal.reasons import nearest_liked, reasons_for

CHUNK = 256


@dataclass(frozen=True, slots=True)
class RankedPaper:
    """One paper in a reader's list: its id, title, score and reasons, best first."""

    id: str
    title: str
    score: float
    reasons: tuple[str, ...]


def rank_for_reader(
    model: ReaderModel,
    candidates: Candidates,
    background: Background,
    *,
    limit: int = 50,
    exclude: Collection[str] = (),
    blend: Blend = DEFAULT_BLEND,
) -> list[RankedPaper]:
    """The reader's best ``limit`` candidates; ``exclude``: ids never to show (their
    library, rated and already-sent papers)."""
    return rank_readers(
        [model], candidates, background, limit=limit, exclude=[exclude], blend=blend
    )[0]


def rank_readers(
    models: Sequence[ReaderModel],
    candidates: Candidates,
    background: Background,
    *,
    limit: int = 10,
    exclude: Sequence[Collection[str]] | None = None,
    blend: Blend = DEFAULT_BLEND,
    chunk: int = CHUNK,
    compiled: Sequence[CompiledReader] | None = None,
) -> list[list[RankedPaper]]:
    """Each reader's best ``limit`` candidates, in the order of ``models``; ``compiled``:
    the models already compiled with ``blend`` (a serving process keeps them)."""
    row_of = {paper_id: row for row, paper_id in enumerate(candidates.ids)}
    ranked: list[list[RankedPaper]] = []
    for start in range(0, len(models), chunk):
        batch = models[start : start + chunk]
        readers = (
            list(compiled[start : start + chunk])
            if compiled is not None
            else [compile_reader(m, background, blend) for m in batch]
        )
        scores, parts = score_readers(readers, candidates, parts=True)
        for i, model in enumerate(batch):
            excluded = exclude[start + i] if exclude is not None else ()
            rows = top_rows(scores[i], limit, [row_of[p] for p in excluded if p in row_of])
            liked = nearest_liked(rows, readers[i], candidates)
            ranked.append(
                [
                    _ranked(r, i, scores, parts, model, readers[i], candidates, near)
                    for r, near in zip(rows, liked, strict=True)
                ]
            )
    return ranked


def top_rows(
    scores: npt.NDArray[np.float32], limit: int, excluded: Sequence[int] = ()
) -> list[int]:
    """Rows of the ``limit`` highest scores, best first (ties: earlier row first)."""
    if limit <= 0 or len(scores) == 0:
        return []
    masked = scores.astype(np.float64)
    if excluded:
        masked[np.asarray(excluded, dtype=np.int64)] = -np.inf
    allowed = int(np.isfinite(masked).sum())
    k = min(limit, allowed)
    if k == 0:
        return []
    top = np.argpartition(-masked, k - 1)[:k]
    order = np.lexsort((top, -masked[top]))
    return [int(r) for r in top[order]]


def _ranked(
    row: int,
    i: int,
    scores: npt.NDArray[np.float32],
    parts: dict[str, npt.NDArray[np.float32]],
    model: ReaderModel,
    reader: CompiledReader,
    candidates: Candidates,
    liked: tuple[int, float],
) -> RankedPaper:
    contributions = {p: float(parts[p][i, row]) for p in PARTS}
    paper = candidates.papers[row]
    reasons = reasons_for(row, contributions, model, reader, candidates, liked)
    return RankedPaper(paper.id, paper.title, round(float(scores[i, row]), 4), tuple(reasons))
