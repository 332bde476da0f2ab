"""Build the bundled demo (paperfeed/demo/) from the shared data.

The demo is one recorded day and the week before it: the Hugging Face daily papers of
``HF_DAY`` (a real ``/api/daily_papers`` response: upvotes, AI summaries, GitHub
repositories and stars), the arXiv papers of the seven listing days up to that day in
the 300k sample (up to 40 a day), and the 35 papers of the page that started paperfeed.
Every paper the Hugging Face day names is in the corpus, so its signals attach: with
its arXiv metadata from the sample where the sample has it, else from the Hugging Face
record (which gives no categories). Run from the repository root:
``python scripts/build_demo_corpus.py [--shared ../shared]``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import lzma
from collections import defaultdict
from pathlib import Path
from typing import Any

HF_DAY = "2026-06-12"
PER_DAY = 40
DAYS = 7
FIELDS = ("id", "title", "abstract", "authors", "categories", "published")
HF_RECORDING = "data/fixtures/hf_daily_papers/hf_daily_papers.json"


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


def sample_papers(path: Path, wanted: set[str]) -> tuple[list[dict[str, object]], dict[str, Any]]:
    """The papers of the last ``DAYS`` listing days up to ``HF_DAY`` (``PER_DAY`` a day,
    in id order), and the sample's records of the ``wanted`` ids."""
    by_day: dict[str, list[dict[str, object]]] = defaultdict(list)
    found: dict[str, Any] = {}
    with lzma.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if record["id"] in wanted:
                found[record["id"]] = {key: record.get(key) for key in FIELDS}
            day = record.get("published") or ""
            if "2026-05" <= day <= HF_DAY and record.get("abstract"):
                by_day[day].append({key: record.get(key) for key in FIELDS})
    chosen = []
    for day in sorted(by_day)[-DAYS:]:
        chosen.extend(sorted(by_day[day], key=lambda r: str(r["id"]))[:PER_DAY])
    return chosen, found


def from_hugging_face(item: dict[str, Any]) -> dict[str, object]:
    paper = item["paper"]
    return {
        "id": paper["id"],
        "title": " ".join(paper["title"].split()),
        "abstract": " ".join(paper["summary"].split()),
        "authors": [a["name"] for a in paper.get("authors", []) if a.get("name")],
        "categories": [],
        "published": paper["publishedAt"][:10],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--out", type=Path, default=Path("paperfeed/demo"))
    args = parser.parse_args()
    recording = (args.shared / HF_RECORDING).read_bytes()
    items = json.loads(recording)
    assert {item["paper"]["submittedOnDailyAt"][:10] for item in items} == {HF_DAY}
    hf_ids = {item["paper"]["id"] for item in items}
    papers = seed_papers(args.shared / "seed/seed-papers.jsonl")
    days, in_sample = sample_papers(args.shared / "data/papers-300k.jsonl.xz", hf_ids)
    papers += days
    have = {str(p["id"]) for p in papers}
    for item in items:
        paper_id = item["paper"]["id"]
        if paper_id not in have:
            papers.append(in_sample.get(paper_id) or from_hugging_face(item))
            have.add(paper_id)
    with gzip.GzipFile(args.out / "papers.jsonl.gz", "wb", mtime=0) as out:
        for paper in papers:
            out.write(json.dumps(paper, ensure_ascii=False).encode("utf-8") + b"\n")
    with gzip.GzipFile(args.out / "hf_daily_papers.json.gz", "wb", mtime=0) as out:
        out.write(recording)
    print(f"wrote {len(papers)} papers and {len(items)} Hugging Face items to {args.out}")


if __name__ == "__main__":
    main()
