"""The For-you phase of benchmarks/web.py: readers with models, their API tokens, and
/api/v1/for-you timed through a real server process (see web.py's docstring)."""

from __future__ import annotations

import argparse
import http.client
import json
import random
import shutil
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from paperfeed.embedding import document_text, load_embedder
from paperfeed.personal.readers import background_for, reader_models
from paperfeed.personal.tokens import issue_token
from paperfeed.store import PaperFilter, PaperStore, open_store

ROOT = Path(__file__).resolve().parents[1]
MODEL = "minilm-l6-v2-int8"
WINDOW = 3_000
"""Candidates in the ranked window: about one day of new arXiv papers."""
RATED = (5, 1)
""""More like this" and "not for me" ratings per reader."""

StartServer = Callable[[Path, int, int, float], "subprocess.Popen[bytes]"]


def add_vectors(store: PaperStore, cache: Path | None) -> int:
    """Vectors of the store's papers as the active generation: read from ``cache`` (the
    store's own embedder's vectors, computed once elsewhere) or embedded here."""
    if store.active_generation():
        return 0
    if cache is not None:
        data = np.load(cache)
        name = str(data["embedder"])
        ids = [str(i) for i in data["ids"]]
        vectors = data["vectors"].astype(np.float32)
        present = store.get_papers(ids)
        rows = [(pid, vectors[i].tobytes()) for i, pid in enumerate(ids) if pid in present]
    else:
        name = MODEL
        papers = store.list_papers(limit=1_000_000, order="newest")
        embedder = load_embedder(MODEL, ROOT / "var" / "models")
        texts = [document_text(p.paper.title, p.paper.abstract) for p in papers]
        vectors = embedder.embed_documents(texts).astype(np.float32)
        rows = [(p.paper.id, v.tobytes()) for p, v in zip(papers, vectors, strict=True)]
    store.ensure_generation(name, vectors.shape[1])
    for start in range(0, len(rows), 5_000):
        store.put_embeddings(name, rows[start : start + 5_000])
    store.activate_generation(name)
    return len(rows)


def add_readers(store: PaperStore, count: int, rng: random.Random) -> list[tuple[int, str]]:
    """``count`` readers, each with a few ratings of papers from one category (a taste),
    a kept model and an API token; (account, token) pairs."""
    papers = store.list_papers(limit=50_000, order="newest")
    by_category: dict[str, list[str]] = {}
    for paper in papers:
        by_category.setdefault(paper.paper.categories[0], []).append(paper.paper.id)
    categories = [c for c, ids in by_category.items() if len(ids) >= 20]
    now = datetime.now(UTC)
    readers = []
    for number in range(count):
        account = store.ensure_account(f"reader{number}@example.org", f"reader {number}")
        liked = rng.sample(by_category[rng.choice(categories)], RATED[0])
        for paper_id in liked:
            store.rate(account, paper_id, "more", now)
        for paper_id in rng.sample(by_category[rng.choice(categories)], RATED[1]):
            store.rate(account, paper_id, "less", now)
        readers.append((account, issue_token(store, account, "api", "benchmark", now=now)))
    generation, background = background_for(store)
    for start in range(0, count, 500):
        accounts = [a for a, _ in readers[start : start + 500]]
        profiles = store.profiles(accounts)
        reader_models(store, [profiles[a] for a in accounts], generation, background)
    return readers


def finish_index(store: PaperStore, prepared: Path) -> None:
    """The keyword index and summaries a server would otherwise build at its start."""
    from paperfeed.config import Settings
    from paperfeed.derived import finish_derived_work

    settings = Settings(
        {"database_url": f"sqlite:///{prepared}", "var_dir": str(prepared.parent)}, environ={}
    )
    finish_derived_work(store, settings, embed=False)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def show(name: str, times: list[float], target: float | None) -> None:
    goal = f" (target p99 <= {target:.0f} ms)" if target else ""
    print(
        f"{name:<44} n={len(times):5d}  p50 {percentile(times, 0.5):7.2f} ms"
        f"  p99 {percentile(times, 0.99):7.2f} ms  max {max(times):7.2f} ms{goal}"
    )


def get(conn: http.client.HTTPConnection, path: str, token: str | None) -> tuple[float, bytes]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    started = time.perf_counter()
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status != 200:
        raise SystemExit(f"{path}: HTTP {response.status} {body[:200]!r}")
    return elapsed, body


def run_for_you(args: argparse.Namespace, start_server: StartServer) -> None:
    rng = random.Random(20261208)
    prepared = args.store.with_name(f"{args.store.stem}-for-you-{args.readers}.db")
    tokens_file = prepared.with_suffix(".tokens.json")
    if not prepared.exists():
        started = time.perf_counter()
        shutil.copyfile(args.store, prepared)
        with open_store(f"sqlite:///{prepared}") as store:
            vectors = add_vectors(store, args.cache)
            readers = add_readers(store, args.readers, rng)
            finish_index(store, prepared)
        tokens_file.write_text(json.dumps(readers))
        print(
            f"prepared {prepared}: {vectors:,} vectors, {len(readers):,} readers with"
            f" models and tokens in {time.perf_counter() - started:.0f} s"
        )
    readers = [(int(a), str(t)) for a, t in json.loads(tokens_file.read_text())]
    with open_store(f"sqlite:///{prepared}", migrate=False) as store:
        papers = store.count_papers()
        latest = store.latest_day()
        assert latest is not None
        since = latest
        window = store.count_papers(PaperFilter(since=since, until=latest))
        while window < WINDOW:  # the newest days holding about a day's arXiv papers
            earlier, _ = store.neighbour_days(since)
            if earlier is None:
                break
            since = earlier
            window = store.count_papers(PaperFilter(since=since, until=latest))
        models = len(store.reader_models([a for a, _ in readers]))
        pool = store.list_papers(PaperFilter(since=since, until=latest), limit=5_000)
    query = f"limit=20&since={since}&until={latest}"
    print(
        f"store: {papers:,} papers, {models:,} readers with kept models; window"
        f" {since}..{latest}: {window:,} candidates; {args.workers} server worker(s)"
    )
    port = 0
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = start_server(prepared, port, args.workers, 600)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        first, _ = get(conn, f"/api/v1/for-you?{query}", readers[0][1])
        print(f"first /api/v1/for-you of the process (window prepared): {first:.1f} ms")
        baseline = [
            get(conn, f"/api/v1/papers?limit=20&date={latest}", None)[0]
            for _ in range(min(args.requests, 300))
        ]
        show("baseline /api/v1/papers?limit=20 (latest day)", baseline, None)
        page = [
            get(conn, f"/api/v1/for-you?{query}", rng.choice(readers)[1])[0]
            for _ in range(args.requests)
        ]
        show(f"/api/v1/for-you?limit=20, {len(readers):,} readers", page, 50)
        rated, changed = [], 0
        with open_store(f"sqlite:///{prepared}", migrate=False) as store:
            for _ in range(min(args.requests, 300)):
                account, token = rng.choice(readers)
                _, before = get(conn, f"/api/v1/for-you?{query}", token)
                top = json.loads(before)["papers"]
                paper = rng.choice(pool).paper.id if not top else top[-1]["id"]
                verdict = "more" if rng.random() < 0.5 else "less"
                started = time.perf_counter()
                store.rate(account, paper, verdict, datetime.now(UTC))  # what the form writes
                _, after = get(conn, f"/api/v1/for-you?{query}", token)
                rated.append((time.perf_counter() - started) * 1000)
                changed += after != before
        show("rating -> re-ranked /api/v1/for-you", rated, 100)
        print(f"pages changed by the rating: {changed} of {len(rated)}")
        conn.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
