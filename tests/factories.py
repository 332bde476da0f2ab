"""Small builders of real-looking papers for tests (metadata adapted from real arXiv records)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from paperfeed.papers.model import Author, HFInfo, Paper


def make_paper(paper_id: str = "2112.12345", **changes: Any) -> Paper:
    base = Paper(
        id=paper_id,
        version=1,
        title="Revisiting Transformation Invariant Geometric Deep Learning",
        abstract="We show that transformation-invariant initial representations suffice for "
        "$\\mathbb{R}^3$ point clouds. Code: https://github.com/example-lab/TinvNN",
        authors=(Author("Ziwei Zhang", ("Tsinghua University",)), Author("Xin Wang")),
        primary_category="cs.LG",
        categories=("cs.LG", "cs.CV"),
        published=date(2021, 12, 23),
        updated=date(2021, 12, 23),
        announced=date(2021, 12, 23),
        code_links=("github.com/example-lab/TinvNN",),
    )
    return replace(base, **changes)


def make_hf(**changes: Any) -> HFInfo:
    return replace(
        HFInfo(upvotes=12, featured_on=date(2026, 3, 12), submitter="akhaliq"), **changes
    )
