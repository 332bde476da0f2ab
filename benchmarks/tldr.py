"""TL;DR and keyword quality on SciTLDR-A dev, and the speed of the step, against baselines.

TL;DRs: ROUGE-1/2/L F1 (rouge-score, Porter stemming, best over each paper's reference
TL;DRs) of paperfeed's TL;DR beside the first sentence, the first "we propose / this paper"
sentence and the best single sentence (an upper bound for picking one sentence), all in
this run; once on SciTLDR's own sentence split and once on the abstract re-split by
paperfeed, which is what ingest sees. Keywords: precision and recall of their words
against the content words of the reference TL;DRs (and the title), beside a plain tf-idf
top-k. Speed: papers/s of the whole TL;DR + keywords step, one process and two.

Reads ../shared/data/scitldr/dev.jsonl (SciTLDR-A, Apache-2.0); --data points elsewhere.
The models were trained on the train split only (scripts/train_summaries.py).

Usage (from the repo root):
    .venv/bin/python benchmarks/tldr.py [--data PATH] [--repeat 3] [--arxiv PATH -n 2000]
"""

from __future__ import annotations

import argparse
import itertools
import json
import lzma
import math
import multiprocessing
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rouge_score import rouge_scorer

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from paperfeed.papers.latex import latex_to_text  # noqa: E402
from paperfeed.summaries import Summarizer, split_sentences  # noqa: E402
from paperfeed.summaries.rarity import rarity_lookup  # noqa: E402
from paperfeed.summaries.summarizer import _shipped_models  # noqa: E402
from paperfeed.summaries.tldr import choose_tldr  # noqa: E402
from paperfeed.summaries.words import STOPWORDS, WORD, word_key  # noqa: E402

DEFAULT_DATA = REPO_ROOT / ".." / "shared" / "data" / "scitldr" / "dev.jsonl"
DEFAULT_ARXIV = REPO_ROOT / ".." / "shared" / "data" / "papers-300k.jsonl.xz"
PUBLISHED = "BERTSumExt 38.5, MatchSum 42.7, BART 43.3, CATTS 43.8 (ROUGE-1, abstract only)"
# The plain cue baseline: the first sentence that says what the paper does.
CUE = re.compile(
    r"\b(?:we (?:propose|present|introduce|show)|this paper|in this work)\b", re.IGNORECASE
)
METRICS = ("rouge1", "rouge2", "rougeL")


class Paper:
    def __init__(self, row: dict[str, Any]) -> None:
        self.title = latex_to_text(row["title"])
        self.given = [s for s in (latex_to_text(x) for x in row["source"]) if s]
        self.abstract = latex_to_text(" ".join(row["source"]))
        self.resplit = split_sentences(self.abstract)
        self.references: list[str] = list(row["target"])


SCORER = rouge_scorer.RougeScorer(list(METRICS), use_stemmer=True)


def rouge(candidate: str, references: Sequence[str]) -> dict[str, float]:
    """Each metric's F1, best over the references."""
    scores = [SCORER.score(r, candidate) for r in references]
    return {m: max(s[m].fmeasure for s in scores) for m in METRICS}


def mean_rouge(candidates: Sequence[str], papers: Sequence[Paper]) -> dict[str, float]:
    rows = [rouge(c, p.references) for c, p in zip(candidates, papers, strict=True)]
    return {m: 100 * statistics.fmean(r[m] for r in rows) for m in METRICS}


def first_sentence(sentences: Sequence[str]) -> str:
    return sentences[0] if sentences else ""


def cue_sentence(sentences: Sequence[str]) -> str:
    return next((s for s in sentences if CUE.search(s)), first_sentence(sentences))


def oracle_sentence(sentences: Sequence[str], references: Sequence[str]) -> str:
    return max(sentences, key=lambda s: rouge(s, references)["rouge1"], default="")


def paperfeed_tldr(title: str, sentences: Sequence[str]) -> str:
    models = _shipped_models()
    return choose_tldr(title, sentences, models.words, models.ranker)


def tldr_table(papers: list[Paper]) -> None:
    summarizer = Summarizer()
    systems: list[tuple[str, Callable[[Paper, list[str]], str]]] = [
        ("first sentence", lambda p, s: first_sentence(s)),
        ('first "we propose / this paper" sentence', lambda p, s: cue_sentence(s)),
        ("paperfeed TL;DR", lambda p, s: paperfeed_tldr(p.title, s)),
        ("best single sentence (upper bound)", lambda p, s: oracle_sentence(s, p.references)),
    ]
    print(f"TL;DR on SciTLDR-A dev ({len(papers)} papers, ROUGE F1 x100, best over references)")
    print(f"{'':44} {'SciTLDR split':>22}   {'paperfeed split':>22}")
    print(f"{'method':44} {'R-1':>6} {'R-2':>6} {'R-L':>6}   {'R-1':>6} {'R-2':>6} {'R-L':>6}")
    for name, system in systems:
        given = mean_rouge([system(p, p.given) for p in papers], papers)
        resplit = mean_rouge([system(p, p.resplit) for p in papers], papers)
        print(
            f"{name:44} "
            + " ".join(f"{given[m]:6.1f}" for m in METRICS)
            + "   "
            + " ".join(f"{resplit[m]:6.1f}" for m in METRICS)
        )
    ingest = mean_rouge([summarizer.summarize(p.title, p.abstract).tldr for p in papers], papers)
    print(
        f"{'paperfeed Summarizer.summarize (as ingest)':44} {'':20}     "
        + " ".join(f"{ingest[m]:6.1f}" for m in METRICS)
    )
    lengths = [len(WORD.findall(summarizer.summarize(p.title, p.abstract).tldr)) for p in papers]
    refs = [len(WORD.findall(r)) for p in papers for r in p.references]
    print(
        f"TL;DR length: median {statistics.median(lengths):.0f} words "
        f"(references: median {statistics.median(refs):.0f})"
    )
    print(f"published, abstract only: {PUBLISHED}")


def content_keys(texts: Sequence[str]) -> set[str]:
    return {
        word_key(w)
        for t in texts
        for w in WORD.findall(t)
        if w.lower() not in STOPWORDS and not w.isdigit()
    }


def tfidf_keywords(paper: Paper, k: int, rarity: Callable[[Sequence[str]], Any]) -> list[str]:
    """Plain tf-idf: the k words of title and abstract with the highest tf x idf."""
    words = [
        w
        for w in WORD.findall(f"{paper.title} {paper.abstract}")
        if w.lower() not in STOPWORDS and not w.isdigit()
    ]
    counts = Counter(word_key(w) for w in words)
    idf = rarity(sorted(counts))
    spelling: dict[str, str] = {}
    for w in words:
        spelling.setdefault(word_key(w), w.lower())
    top = sorted(counts, key=lambda key: (-counts[key] * idf[key], key))[:k]
    return [spelling[key] for key in top]


def precision_recall(
    keyword_lists: Sequence[Sequence[str]], papers: Sequence[Paper], with_title: bool
) -> tuple[float, float, float]:
    precisions, recalls = [], []
    for keywords, paper in zip(keyword_lists, papers, strict=True):
        gold = content_keys([*paper.references, paper.title] if with_title else paper.references)
        got = content_keys(keywords)
        hits = len(got & gold)
        precisions.append(hits / len(got) if got else 0.0)
        recalls.append(hits / len(gold) if gold else 0.0)
    p, r = statistics.fmean(precisions), statistics.fmean(recalls)
    return 100 * p, 100 * r, (200 * p * r / (p + r) if p + r else 0.0)


def keyword_table(papers: list[Paper]) -> None:
    summarizer = Summarizer()
    rarity = rarity_lookup()
    ours = [list(summarizer.summarize(p.title, p.abstract).keywords) for p in papers]
    budget = round(statistics.fmean(len(content_keys(k)) for k in ours))
    rows = [
        ("paperfeed keywords", ours),
        ("tf-idf top 8 words", [tfidf_keywords(p, 8, rarity) for p in papers]),
        (
            f"tf-idf top {budget} words (same word count)",
            [tfidf_keywords(p, budget, rarity) for p in papers],
        ),
    ]
    print()
    print("Keywords: word precision / recall / F1 x100 against the content words of")
    print(f"{'':44} {'references + title':>22}   {'references only':>22}")
    print(f"{'method':44} {'P':>6} {'R':>6} {'F1':>6}   {'P':>6} {'R':>6} {'F1':>6}")
    for name, lists in rows:
        a = precision_recall(lists, papers, with_title=True)
        b = precision_recall(lists, papers, with_title=False)
        print(
            f"{name:44} "
            + " ".join(f"{x:6.1f}" for x in a)
            + "   "
            + " ".join(f"{x:6.1f}" for x in b)
        )
    counts = Counter(len(k) for k in ours)
    print(
        f"keywords per paper: {statistics.fmean(len(k) for k in ours):.1f} "
        f"(min {min(counts)}, max {max(counts)}); "
        f"{statistics.fmean(len(content_keys(k)) for k in ours):.1f} content words"
    )
    for paper, keywords in itertools.islice(zip(papers, ours, strict=True), 3):
        print(f"  {paper.title[:70]}: {'; '.join(keywords)}")


def _summarize_all(texts: list[tuple[str, str]]) -> int:
    summarizer = Summarizer()
    for title, abstract in texts:
        summarizer.summarize(title, abstract)
    return len(texts)


def _split_all(texts: list[tuple[str, str]]) -> int:
    for _, abstract in texts:
        first_sentence(split_sentences(abstract))
    return len(texts)


def rate(
    work: Callable[[list[tuple[str, str]]], int],
    texts: list[tuple[str, str]],
    repeat: int,
    processes: int = 1,
) -> float:
    """Papers per second, best of ``repeat`` runs, over ``processes`` worker processes."""
    best = math.inf
    if processes == 1:
        work(texts[:50])  # load the models outside the timing
        for _ in range(repeat):
            start = time.perf_counter()
            work(texts)
            best = min(best, time.perf_counter() - start)
        return len(texts) / best
    chunks = [texts[i::processes] for i in range(processes)]
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        pool.map(work, [c[:50] for c in chunks])
        for _ in range(repeat):
            start = time.perf_counter()
            pool.map(work, chunks)
            best = min(best, time.perf_counter() - start)
    return len(texts) / best


def load_arxiv(path: Path, limit: int) -> list[tuple[str, str]]:
    out = []
    with lzma.open(path, "rt", encoding="utf-8") as fh:
        for line in itertools.islice(fh, limit):
            row = json.loads(line)
            out.append(
                (latex_to_text(row.get("title") or ""), latex_to_text(row.get("abstract") or ""))
            )
    return out


def speed_table(papers: list[Paper], arxiv: Path, limit: int, repeat: int) -> None:
    corpora = [("SciTLDR-A dev", [(p.title, p.abstract) for p in papers])]
    if limit and arxiv.is_file():
        corpora.append((f"arXiv sample, first {limit:,}", load_arxiv(arxiv, limit)))
    print()
    print(f"Speed (papers/s, best of {repeat} runs; other work on the machine lowers them)")
    for name, texts in corpora:
        mean_chars = statistics.fmean(len(a) for _, a in texts)
        print(f"  {name} ({len(texts):,} papers, abstracts of {mean_chars:,.0f} characters):")
        baseline = rate(_split_all, texts, repeat)
        print(f"    baseline, split + first sentence, 1 process:  {baseline:8,.0f}")
        one = rate(_summarize_all, texts, repeat)
        two = rate(_summarize_all, texts, repeat, processes=2)
        print(f"    TL;DR + keywords, 1 process:                  {one:8,.0f}")
        print(f"    TL;DR + keywords, 2 processes:                {two:8,.0f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="SciTLDR-A dev.jsonl")
    parser.add_argument("--arxiv", type=Path, default=DEFAULT_ARXIV, help="JSONL.xz of papers")
    parser.add_argument("-n", type=int, default=2_000, help="arXiv papers to time (0: none)")
    parser.add_argument("--repeat", type=int, default=3, help="best of N timing runs")
    args = parser.parse_args(argv)
    with args.data.open(encoding="utf-8") as f:
        papers = [Paper(json.loads(line)) for line in f if line.strip()]
    tldr_table(papers)
    keyword_table(papers)
    speed_table(papers, args.arxiv, args.n, args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
