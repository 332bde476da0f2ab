"""Deciding what an upsert writes: the same for every engine, so they cannot disagree."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from paperfeed.papers.model import Paper
from paperfeed.store.base import UpsertResult
from paperfeed.store.rows import merge_papers


def freshest_by_id(papers: Sequence[Paper]) -> dict[str, Paper]:
    """One paper per id: duplicates within a batch are merged by freshness."""
    latest: dict[str, Paper] = {}
    for paper in papers:
        seen = latest.get(paper.id)
        latest[paper.id] = merge_papers(seen, paper) if seen else paper
    return latest


@dataclass
class UpsertPlan:
    """Rows to insert and update (each with its content hash) and what the source said."""

    inserts: list[tuple[Paper, str]] = field(default_factory=list)
    updates: list[tuple[Paper, str]] = field(default_factory=list)
    unchanged: int = 0
    source_hashes: list[tuple[str, str]] = field(default_factory=list)

    @property
    def result(self) -> UpsertResult:
        return UpsertResult(len(self.inserts), len(self.updates), self.unchanged)


def changed_since_last_time(
    papers: Mapping[str, Paper], said_before: Mapping[str, str]
) -> tuple[list[Paper], dict[str, str]]:
    """Papers whose content differs from what this source last delivered, with hashes."""
    hashes = {paper_id: paper.content_hash() for paper_id, paper in papers.items()}
    fresh = [p for p in papers.values() if said_before.get(p.id) != hashes[p.id]]
    return fresh, hashes


def plan_upsert(
    fresh: Sequence[Paper],
    hashes: Mapping[str, str],
    stored: Mapping[str, Paper],
    *,
    already_unchanged: int = 0,
) -> UpsertPlan:
    """Merge each fresh paper with what is stored; keep only real changes."""
    plan = UpsertPlan(unchanged=already_unchanged)
    for paper in fresh:
        plan.source_hashes.append((paper.id, hashes[paper.id]))
        old = stored.get(paper.id)
        if old is None:
            plan.inserts.append((paper, hashes[paper.id]))
            continue
        merged = merge_papers(old, paper)
        merged_hash = merged.content_hash()
        if merged_hash != old.content_hash():
            plan.updates.append((merged, merged_hash))
        else:
            plan.unchanged += 1
    return plan
