"""Relevance of keyword, semantic and hybrid search, self-supervised, on 100,000 papers.

Two tasks, each with a known right answer per query:

(a) title as query: every paper is indexed without its title; the query is one paper's
    title and the right answer is that paper;
(b) inverse cloze: the query is one sentence of a paper's abstract and that paper is
    indexed with the rest of its abstract only.

Prints MRR@10 and recall@10 per mode. Target: hybrid better than the best single mode
on both tasks. Embedding 100,000 abstracts takes most of an hour on two cores: pass
``--cache FILE`` to save the vectors once and reuse them.

The store is SQLite (with its embedded keyword index) in a temporary folder, or, with
``--postgres-url URL``, an empty PostgreSQL database with pgvector: run both on the
same ``--papers`` and ``--seed`` to compare the engines on the same queries.
"""

from __future__ import annotations

import argparse
import random
import re
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from search_corpus import DEFAULT_DATA, CorpusPaper, abstract_vectors, read_papers

from paperfeed.config import Settings
from paperfeed.embedding import load_embedder
from paperfeed.embedding.base import document_text
from paperfeed.search import SearchService
from paperfeed.store import PaperStore, open_store

MODES = ("keyword", "semantic", "hybrid")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def split_sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE.split(text) if len(s.split()) >= 6]


def cloze(paper: CorpusPaper, rng: random.Random) -> tuple[str, str] | None:
    """(query sentence, rest of the abstract), or None when the abstract is too short."""
    sentences = split_sentences(paper.abstract)
    if len(sentences) < 3:
        return None
    pick = rng.randrange(len(sentences))
    return sentences[pick], " ".join(s for i, s in enumerate(sentences) if i != pick)


def build_store(
    url: str, papers: list[CorpusPaper], rest: dict[str, str], vectors: np.ndarray, name: str
) -> PaperStore:
    """A store of ``papers`` without titles (and with ``rest`` as the abstract of the
    inverse-cloze papers), their vectors stored and active."""
    store = open_store(url)
    if store.stats().papers:
        store.close()
        raise SystemExit(f"{url} already holds papers: give an empty database")
    untitled = [
        replace(p.paper, title="", abstract=rest.get(p.paper.id, p.paper.abstract)) for p in papers
    ]
    for start in range(0, len(untitled), 2000):
        store.upsert_papers(untitled[start : start + 2000], source="benchmark")
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


def evaluate(
    service: SearchService, queries: list[tuple[str, str]], mode: str
) -> tuple[float, float]:
    """MRR@10 and recall@10 of ``mode`` over (query, right paper id) pairs."""
    reciprocal = 0.0
    found = 0
    for query, answer in queries:
        hits = service.search(query, mode=mode, limit=10).hits  # type: ignore[arg-type]
        ranked = [h.paper.paper.id for h in hits if not h.pinned]
        if answer in ranked:
            found += 1
            reciprocal += 1.0 / (ranked.index(answer) + 1)
    return reciprocal / len(queries), found / len(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=500, help="queries per task")
    parser.add_argument("--cache", type=Path, help="file of saved abstract embeddings")
    parser.add_argument("--embedder", default="minilm-l6-v2-int8")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--max-terms", type=int, help="search_max_keyword_terms to use")
    parser.add_argument("--term-share", type=float, help="search_max_term_share to use")
    parser.add_argument(
        "--postgres-url", help="an empty PostgreSQL database with pgvector (default: SQLite)"
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)

    papers = read_papers(args.data, args.papers)
    print(f"corpus: {len(papers):,} papers")
    with tempfile.TemporaryDirectory() as tmp:
        embedder = load_embedder(args.embedder, Path(tmp) / "models")
        vectors, _ = abstract_vectors(papers, embedder, args.cache)
        order = list(range(len(papers)))
        rng.shuffle(order)
        title_queries = [
            (papers[i].title, papers[i].paper.id)
            for i in order[: args.queries * 2]
            if len(papers[i].title.split()) >= 3
        ][: args.queries]
        cloze_queries: list[tuple[str, str]] = []
        rest: dict[str, str] = {}
        taken = {answer for _, answer in title_queries}
        for i in order[args.queries * 2 :]:
            if len(cloze_queries) == args.queries:
                break
            pair = cloze(papers[i], rng) if papers[i].paper.id not in taken else None
            if pair is not None:
                cloze_queries.append((pair[0], papers[i].paper.id))
                rest[papers[i].paper.id] = pair[1]
        row_of = {p.paper.id: n for n, p in enumerate(papers)}
        rest_ids = list(rest)
        rest_vectors = embedder.embed_documents([document_text("", rest[i]) for i in rest_ids])
        vectors = vectors.copy()
        vectors[[row_of[i] for i in rest_ids]] = rest_vectors

        start = time.perf_counter()
        url = args.postgres_url or f"sqlite:///{Path(tmp) / 'relevance.db'}"
        print(f"engine: {'PostgreSQL' if args.postgres_url else 'SQLite'}")
        store = build_store(url, papers, rest, vectors, embedder.name)
        chosen = {
            "search_max_keyword_terms": args.max_terms,
            "search_max_term_share": args.term_share,
        }
        settings = Settings(
            {"var_dir": tmp, "search_embed_timeout_ms": 60_000.0, **chosen}, environ={}
        )
        service = SearchService(store, settings, embedder=embedder)
        service.rebuild_keyword_index()
        service.generation_index(embedder.name).get()
        print(f"store and indexes built in {time.perf_counter() - start:.0f} s")

        every_term = SearchService(
            store,
            settings.with_values(search_max_keyword_terms=1000, search_max_term_share=1.0),
            embedder=embedder,
        )
        tasks = (("(a) title as query", title_queries), ("(b) inverse cloze", cloze_queries))
        for label, queries in tasks:
            print(f"\n{label}: {len(queries)} queries against {len(papers):,} papers")
            print(f"  {'mode':<28} {'MRR@10':>7} {'recall@10':>10}")
            for mode in MODES:
                mrr, recall = evaluate(service, queries, mode)
                print(f"  {mode:<28} {mrr:>7.3f} {recall:>10.3f}")
            # The embedded keyword index always ranks by every word; only an engine that
            # shapes queries for speed (PostgreSQL) has another setting to compare.
            shaped = ("keyword", "hybrid") if store.searches_keywords() else ()
            for mode in shaped:
                mrr, recall = evaluate(every_term, queries, mode)
                print(f"  {mode + ', every query word':<28} {mrr:>7.3f} {recall:>10.3f}")
        every_term.close()
        service.close()
        store.close()


if __name__ == "__main__":
    main()
