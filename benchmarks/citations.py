"""Citations of real arXiv papers: how many exports a strict BibTeX reader rejects, and
how fast each format is written, next to the plain export most tools produce.

The baseline writes what arXiv's and Google Scholar's buttons write: the title and the
author names copied verbatim into ``title = {...}`` and ``author = {A and B}``. For each
paper both exports go through pybtex's strict parser (a BibTeX-compatible reader) and
are checked for what breaks LaTeX afterwards: an unbalanced brace, a bare ``%`` (a
comment to the end of the line), ``&`` or ``#`` outside math. Then each of paperfeed's
four formats is timed over the same papers.

Usage (from the repo root):
    .venv/bin/python benchmarks/citations.py [-n 5000] [--data PATH]
"""

from __future__ import annotations

import argparse
import itertools
import json
import lzma
import re
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from pybtex.database import parse_string  # noqa: E402
from pybtex.scanner import PybtexError  # noqa: E402

from paperfeed.citations import cite  # noqa: E402
from paperfeed.citations.tex import braces_balance  # noqa: E402
from paperfeed.papers.model import Author, Paper  # noqa: E402
from paperfeed.papers.text import render_plain  # noqa: E402
from paperfeed.store.base import StoredPaper  # noqa: E402

DEFAULT_DATA = REPO_ROOT / ".." / "shared" / "data" / "papers-300k.jsonl.xz"
# A bare %, & or # (not escaped) outside $...$: LaTeX stops or errs on it in a .bbl.
_BARE = re.compile(r"(?<!\\)[%&#]")
_MATH = re.compile(r"\$[^$]*\$")


def load(path: Path, limit: int) -> list[StoredPaper]:
    now = datetime.now(UTC)
    out = []
    with lzma.open(path, "rt", encoding="utf-8") as fh:
        for line in itertools.islice(fh, limit):
            row = json.loads(line)
            paper = Paper(
                id=row["id"],
                title=row["title"],
                abstract=row.get("abstract") or "",
                authors=tuple(Author(a) for a in row.get("authors") or ()),
                categories=tuple(row.get("categories") or ()),
                primary_category=(row.get("categories") or [None])[0],
                published=date.fromisoformat(row["published"]) if row.get("published") else None,
            )
            text = render_plain(paper)
            out.append(StoredPaper(paper, text.title, text.abstract, text.authors, now, now))
    return out


def naive_bibtex(stored: StoredPaper, index: int) -> str:
    paper = stored.paper
    authors = " and ".join(a.name for a in paper.authors)
    return f"@misc{{k{index},\n  title = {{{paper.title}}},\n  author = {{{authors}}}\n}}\n"


def title_value(entry: str) -> str:
    start = entry.index("title = {") + len("title = {")
    depth, end = 1, start
    while end < len(entry) and depth:
        depth += {"{": 1, "}": -1}.get(entry[end], 0)
        end += 1
    return entry[start : end - 1]


def problems(entry: str) -> tuple[bool, bool]:
    """(rejected by pybtex, leaves LaTeX trouble in the title)"""
    try:
        parse_string(entry, "bibtex")
        rejected = False
    except (PybtexError, ValueError, IndexError):
        rejected = True
    title = title_value(entry) if "title = {" in entry else ""
    trouble = not braces_balance(entry) or bool(_BARE.search(_MATH.sub("", title)))
    return rejected, trouble


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=5_000, help="papers to read")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="JSONL.xz path")
    args = parser.parse_args(argv)
    papers = load(args.data, args.n)
    print(f"{len(papers):,} papers from {args.data.name}", flush=True)

    for label, write in (
        ("baseline (verbatim title and names)", naive_bibtex),
        ("paperfeed", lambda s, _i: cite([s], "bibtex")),
    ):
        rejected = trouble = 0
        for index, stored in enumerate(papers):
            bad_parse, bad_latex = problems(write(stored, index))
            rejected += bad_parse
            trouble += bad_latex
        print(
            f"  {label:<38} pybtex rejects {rejected:>5,}  "
            f"LaTeX trouble in title or braces {trouble:>5,}"
        )

    print("writing speed, one export of all papers (keys de-duplicated across it):")
    start = time.perf_counter()
    for index, stored in enumerate(papers):
        naive_bibtex(stored, index)
    seconds = time.perf_counter() - start
    print(f"  {'baseline bibtex':<16} {len(papers) / seconds:>10,.0f} papers/s")
    for name in ("bibtex", "ris", "csl-json", "text"):
        start = time.perf_counter()
        cite(papers, name)
        seconds = time.perf_counter() - start
        print(f"  {name:<16} {len(papers) / seconds:>10,.0f} papers/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
