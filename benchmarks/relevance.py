"""Relevance of keyword, semantic and hybrid search, beside a plain BM25 baseline.

Four tasks, each query with one right paper:

(a) title as query: every paper is indexed without its title; the query is one paper's
    title and the right answer is that paper;
(b) inverse cloze: the query is one sentence of a paper's abstract and that paper is
    indexed with the rest of its abstract only;
(c) paraphrase: a reader's description of a paper in their own words, written by hand
    (``human_queries.jsonl``; see README.md for how), over the papers as they are;
(d) keyword: the terms a reader would type to find a paper, written the same way.

(a) and (b) are self-supervised: many queries, but they reward matching the paper's own
words. (c) and (d) are what people type. Every target of (c) and (d) is among the first
20,000 papers, so they run at any ``--papers`` from 20,000 up.

For every task: MRR@10 and recall@10 of keyword, semantic and hybrid search, of plain
SQLite FTS5 ``bm25()`` over the same papers (``plain_bm25.py``), and of that baseline
fused with semantic search as hybrid search fuses (by score), all in the same run. The human
tasks also show their held-out split: the queries never looked at while tuning.

The store is SQLite (with its embedded keyword index) in a temporary folder, or, with
``--postgres-url URL``, PostgreSQL with pgvector: the benchmark creates its scratch
databases on that server and drops them afterwards. Run both on the same ``--papers``
and ``--seed`` to compare the engines on the same queries.

Embedding 100,000 papers takes most of an hour on two cores: ``--cache FILE`` keeps the
abstract-only vectors of (a) and (b), ``--titled-cache FILE`` the title-and-abstract
vectors of (c) and (d) (as ``paperfeed index update`` computes them); rows a file lacks
are embedded in the run.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from plain_bm25 import PlainBM25
from search_corpus import (
    DEFAULT_DATA,
    CorpusPaper,
    abstract_vectors,
    read_papers,
    titled_vectors,
)

from paperfeed.config import Settings
from paperfeed.embedding import Embedder, load_embedder
from paperfeed.embedding.base import document_text
from paperfeed.search import SearchService
from paperfeed.search.fusion import score_fusion
from paperfeed.search.query import parse_query
from paperfeed.store import PaperStore, open_store

HUMAN_QUERIES = Path(__file__).with_name("human_queries.jsonl")
MODES = ("keyword", "semantic", "hybrid")
DEPTH = 10
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


@dataclass(frozen=True)
class Query:
    text: str
    answer: str
    held_out: bool = False


@dataclass(frozen=True)
class Task:
    label: str
    queries: list[Query]
    human: bool = False


def split_sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE.split(text) if len(s.split()) >= 6]


def cloze(paper: CorpusPaper, rng: random.Random) -> tuple[str, str] | None:
    """(query sentence, rest of the abstract), or None when the abstract is too short."""
    sentences = split_sentences(paper.abstract)
    if len(sentences) < 3:
        return None
    pick = rng.randrange(len(sentences))
    return sentences[pick], " ".join(s for i, s in enumerate(sentences) if i != pick)


def human_tasks(papers: list[CorpusPaper], split: str) -> list[Task]:
    """Tasks (c) and (d): the hand-written queries whose paper is in the corpus."""
    present = {p.paper.id for p in papers}
    rows = [json.loads(line) for line in HUMAN_QUERIES.read_text().splitlines() if line]
    rows = [r for r in rows if r["paper"] in present and split in ("all", r["split"])]
    return [
        Task(
            label,
            [
                Query(r["query"], r["paper"], r["split"] == "test")
                for r in rows
                if r["kind"] == kind
            ],
            human=True,
        )
        for label, kind in (("(c) paraphrase", "paraphrase"), ("(d) keyword", "keyword"))
    ]


def self_supervised_tasks(
    papers: list[CorpusPaper], count: int, rng: random.Random
) -> tuple[list[Task], dict[str, str]]:
    """Tasks (a) and (b), and the shortened abstracts of the inverse-cloze papers."""
    order = list(range(len(papers)))
    rng.shuffle(order)
    titles = [
        Query(papers[i].title, papers[i].paper.id)
        for i in order[: count * 2]
        if len(papers[i].title.split()) >= 3
    ][:count]
    sentences: list[Query] = []
    rest: dict[str, str] = {}
    taken = {q.answer for q in titles}
    for i in order[count * 2 :]:
        if len(sentences) == count:
            break
        pair = cloze(papers[i], rng) if papers[i].paper.id not in taken else None
        if pair is not None:
            sentences.append(Query(pair[0], papers[i].paper.id))
            rest[papers[i].paper.id] = pair[1]
    tasks = [Task("(a) title as query", titles), Task("(b) inverse cloze", sentences)]
    return tasks, rest


# -- stores ---------------------------------------------------------------------------


@contextmanager
def scratch_database(postgres_url: str | None, folder: Path, name: str) -> Iterator[str]:
    """The URL of an empty database: an SQLite file in ``folder``, or a database created
    on the PostgreSQL server of ``postgres_url`` and dropped afterwards."""
    if postgres_url is None:
        yield f"sqlite:///{folder / (name + '.db')}"
        return
    import psycopg

    base, _, _ = postgres_url.rpartition("/")
    database = f"relevance_{name}_{random.randrange(16**8):08x}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {database}")
    try:
        yield f"{base}/{database}"
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def build_store(
    url: str, papers: list[CorpusPaper], vectors: np.ndarray | None, name: str, *, titled: bool
) -> PaperStore:
    """A store of ``papers`` (without their titles unless ``titled``), their vectors
    (if any) stored and active."""
    store = open_store(url)
    rows = [p.paper if titled else replace(p.paper, title="") for p in papers]
    for start in range(0, len(rows), 2000):
        store.upsert_papers(rows[start : start + 2000], source="benchmark")
    if vectors is None:
        if url.startswith("postgresql"):
            _analyze(url)
        return store
    store.ensure_generation(name, vectors.shape[1])
    postgres = url.startswith("postgresql")
    if postgres:
        # One HNSW build after the load is far faster than growing the graph row by row.
        _drop_vector_index(url, name)
    ids = [p.paper.id for p in papers]
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        blobs = [vectors[start + i].astype("<f4").tobytes() for i in range(len(chunk))]
        store.put_embeddings(name, list(zip(chunk, blobs, strict=True)))
    if postgres:
        store.build_vector_indexes()  # type: ignore[attr-defined]
        _analyze(url)
    store.activate_generation(name)
    return store


def _drop_vector_index(url: str, generation: str) -> None:
    import psycopg

    from paperfeed.store.postgres.search import hnsw_index_name

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP INDEX IF EXISTS "{hnsw_index_name(generation)}"')


def _analyze(url: str) -> None:
    """Fresh planner statistics, as autovacuum would give a long-lived database."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        for table in ("papers", "paper_search", "paper_embeddings"):
            conn.execute(f"VACUUM ANALYZE {table}")


# -- measuring ------------------------------------------------------------------------

Ranker = Callable[[str], list[str]]


def score(rank: Ranker, queries: Sequence[Query]) -> tuple[float, float]:
    """MRR@10 and recall@10 of ``rank`` over ``queries``."""
    if not queries:
        return float("nan"), float("nan")
    reciprocal = 0.0
    found = 0
    for query in queries:
        ranked = rank(query.text)[:DEPTH]
        if query.answer in ranked:
            found += 1
            reciprocal += 1.0 / (ranked.index(query.answer) + 1)
    return reciprocal / len(queries), found / len(queries)


def rankers(service: SearchService, baseline: PlainBM25, *, semantic: bool) -> dict[str, Ranker]:
    """Every ranking compared, by name: the service's three modes, the plain baseline,
    and the baseline fused with semantic search (without ``semantic``: keyword search
    and the baseline only)."""

    def mode(name: str) -> Ranker:
        def rank(text: str) -> list[str]:
            hits = service.search(text, mode=name, limit=DEPTH).hits  # type: ignore[arg-type]
            return [h.paper.paper.id for h in hits if not h.pinned]

        return rank

    def fused(text: str) -> list[str]:
        depth = int(service.settings.get("search_candidates"))
        hits = service.search(text, mode="semantic", limit=depth).hits
        keyword = baseline.scored(text, depth)
        near = {h.paper.paper.id for h in hits}
        generation, vector = service.embed_query(parse_query(text).text or text)
        ranked = score_fusion(
            keyword,
            [(h.paper.paper.id, h.score) for h in hits],
            keyword_weight=float(service.settings.get("search_keyword_weight")),
            semantic_weight=float(service.settings.get("search_semantic_weight")),
            similarities=service.similarities(
                generation, vector, [p for p, _ in keyword if p not in near]
            ),
        )
        return [paper_id for paper_id, _ in ranked]

    if not semantic:
        return {"keyword": mode("keyword"), "plain BM25 (FTS5)": baseline.search}
    named: dict[str, Ranker] = {name: mode(name) for name in MODES}
    named["plain BM25 (FTS5)"] = baseline.search
    named["plain BM25 + semantic"] = fused
    return named


def report(task: Task, named: dict[str, Ranker], papers: int) -> None:
    held_out = [q for q in task.queries if q.held_out]
    print(f"\n{task.label}: {len(task.queries)} queries against {papers:,} papers")
    header = f"  {'ranking':<24} {'MRR@10':>7} {'recall@10':>10}"
    if task.human:
        header += f"   held-out ({len(held_out)}): {'MRR@10':>7} {'recall@10':>10}"
    print(header)
    for name, rank in named.items():
        mrr, recall = score(rank, task.queries)
        line = f"  {name:<24} {mrr:>7.3f} {recall:>10.3f}"
        if task.human:
            mrr_h, recall_h = score(rank, held_out)
            line += f"   {'':>{len(str(len(held_out))) + 13}} {mrr_h:>7.3f} {recall_h:>10.3f}"
        print(line)


def run_tasks(
    url: str,
    papers: list[CorpusPaper],
    vectors: np.ndarray | None,
    embedder: Embedder | None,
    settings: Settings,
    tasks: list[Task],
    *,
    titled: bool,
) -> None:
    start = time.perf_counter()
    name = embedder.name if embedder else "none"
    store = build_store(url, papers, vectors, name, titled=titled)
    service = SearchService(store, settings, embedder=embedder)
    service.rebuild_keyword_index()
    if embedder is not None:
        service.prepare()
    baseline = PlainBM25((p.paper.id, p.title if titled else "", p.abstract) for p in papers)
    print(f"\nstore, indexes and baseline built in {time.perf_counter() - start:.0f} s")
    named = rankers(service, baseline, semantic=embedder is not None)
    for task in tasks:
        report(task, named, len(papers))
    baseline.close()
    service.close()
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=500, help="queries per task (a), (b)")
    parser.add_argument("--cache", type=Path, help="file of abstract-only embeddings")
    parser.add_argument("--titled-cache", type=Path, help="file of title+abstract embeddings")
    parser.add_argument("--embedder", default="minilm-l6-v2-int8")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--tasks", choices=["all", "self-supervised", "human"], default="all", help="which tasks"
    )
    parser.add_argument(
        "--split",
        choices=["all", "dev", "test"],
        default="all",
        help="human queries used: all, or only the tuning (dev) or held-out (test) split",
    )
    parser.add_argument(
        "--keyword-only",
        action="store_true",
        help="keyword search and the plain baseline only: nothing embedded (large corpora"
        " without cached vectors)",
    )
    parser.add_argument("--max-terms", type=int, help="search_max_keyword_terms to use")
    parser.add_argument("--term-share", type=float, help="search_max_term_share to use")
    parser.add_argument(
        "--postgres-url",
        help="a PostgreSQL server with pgvector (any database's URL): the benchmark creates"
        " its scratch databases there (default: SQLite)",
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)

    papers = read_papers(args.data, args.papers)
    print(f"corpus: {len(papers):,} papers")
    print(f"engine: {'PostgreSQL' if args.postgres_url else 'SQLite'}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        embedder = None if args.keyword_only else load_embedder(args.embedder, folder / "models")
        chosen = {
            "search_max_keyword_terms": args.max_terms,
            "search_max_term_share": args.term_share,
        }
        settings = Settings(
            {"var_dir": tmp, "search_embed_timeout_ms": 60_000.0, **chosen}, environ={}
        )
        if args.tasks in ("all", "self-supervised"):
            tasks, rest = self_supervised_tasks(papers, args.queries, rng)
            vectors = None
            if embedder is not None:
                vectors, _ = abstract_vectors(papers, embedder, args.cache)
                row_of = {p.paper.id: n for n, p in enumerate(papers)}
                rest_ids = list(rest)
                vectors = vectors.copy()
                vectors[[row_of[i] for i in rest_ids]] = embedder.embed_documents(
                    [document_text("", rest[i]) for i in rest_ids]
                )
            shortened = [replace_abstract(p, rest.get(p.paper.id)) for p in papers]
            with scratch_database(args.postgres_url, folder, "untitled") as url:
                run_tasks(url, shortened, vectors, embedder, settings, tasks, titled=False)
        if args.tasks in ("all", "human"):
            tasks = human_tasks(papers, args.split)
            vectors = None
            if embedder is not None:
                vectors, _ = titled_vectors(papers, embedder, args.titled_cache)
            with scratch_database(args.postgres_url, folder, "titled") as url:
                run_tasks(url, papers, vectors, embedder, settings, tasks, titled=True)


def replace_abstract(paper: CorpusPaper, abstract: str | None) -> CorpusPaper:
    """``paper`` with another abstract (the inverse-cloze papers lose a sentence)."""
    if abstract is None:
        return paper
    return replace(paper, paper=replace(paper.paper, abstract=abstract), abstract=abstract)


if __name__ == "__main__":
    main()
