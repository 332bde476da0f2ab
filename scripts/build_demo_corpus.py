"""Build the bundled demo corpus (paperfeed/demo/papers.jsonl.gz) from the shared data.

The corpus is the 35 papers of the page that started paperfeed plus the papers of the
last seven listing days in the 300k arXiv sample (up to 40 a day), so that a fresh
instance has days to browse and a search that means something. Run from the repository
root: ``python scripts/build_demo_corpus.py [--shared ../shared]``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import lzma
from collections import defaultdict
from pathlib import Path

PER_DAY = 40
DAYS = 7
FIELDS = ("id", "title", "abstract", "authors", "categories", "published")


def seed_papers(path: Path) -> list[dict[str, object]]:
    papers = []
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if not record.get("published"):
            # No public record gave a date: the id's YYMM gives the month of version 1.
            yymm = record["id"].split("/")[-1][:4]
            record["published"] = f"20{yymm[:2]}-{yymm[2:]}-01"
        papers.append({key: record.get(key) for key in FIELDS})
    return papers


def latest_days(path: Path) -> list[dict[str, object]]:
    by_day: dict[str, list[dict[str, object]]] = defaultdict(list)
    with lzma.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if (
                record.get("published")
                and record.get("abstract")
                and record["published"] >= "2026-06"
            ):
                by_day[record["published"]].append({key: record.get(key) for key in FIELDS})
    chosen = []
    for day in sorted(by_day)[-DAYS:]:
        chosen.extend(sorted(by_day[day], key=lambda r: str(r["id"]))[:PER_DAY])
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--out", type=Path, default=Path("paperfeed/demo/papers.jsonl.gz"))
    args = parser.parse_args()
    papers = seed_papers(args.shared / "seed/seed-papers.jsonl")
    papers += latest_days(args.shared / "data/papers-300k.jsonl.xz")
    with gzip.GzipFile(args.out, "wb", mtime=0) as out:
        for paper in papers:
            out.write(json.dumps(paper, ensure_ascii=False).encode("utf-8") + b"\n")
    print(f"wrote {len(papers)} papers to {args.out}")


if __name__ == "__main__":
    main()
