"""``SearchService``: keyword, semantic and hybrid search, pins, fallbacks, similar papers.

Keyword results come from the keyword backend chosen for the store (PostgreSQL's
full-text search, or the keyword index beside SQLite); semantic results from the active
embedding generation's vector index; hybrid fuses both by score, every candidate with
its own cosine similarity.
A failing or slow embedder degrades a search to keyword results, and says so.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

import numpy as np

from paperfeed.config import Settings
from paperfeed.embedding import Embedder, Vectors, load_embedder
from paperfeed.errors import PaperfeedError
from paperfeed.papers.ids import InvalidArxivId, parse_arxiv_id
from paperfeed.search.fusion import is_term_list, score_fusion, share_of_words_held
from paperfeed.search.generations import Progress, embed_missing
from paperfeed.search.highlight import Highlighted, Matcher, highlight, snippet
from paperfeed.search.keyword import STOPWORDS, DocumentFrequencies, build_keyword_query
from paperfeed.search.keyword_backend import keyword_backend
from paperfeed.search.pins import Pin, arxiv_reference, doi_reference, normalize_title
from paperfeed.search.query import ParsedQuery, parse_query
from paperfeed.search.query_embedding import EmbeddingUnavailable, PendingVector, QueryEmbedder
from paperfeed.search.vector_backend import vector_backend
from paperfeed.store.base import SearchableStore, StoredPaper
from paperfeed.store.search import SearchScope

Mode = Literal["keyword", "semantic", "hybrid"]
MODES: tuple[Mode, ...] = ("keyword", "semantic", "hybrid")
_TITLE_PIN_DEPTH = 10  # an exact title pins its paper when it ranks this high
# A list of terms counts as found together when the best keyword match holds this share
# of its words: all of three or four, all but one of five to nine (decision 0003).
TERM_LIST_HELD_SHARE = 0.8


class SearchError(PaperfeedError):
    """A search or indexing request cannot be carried out (bad input, no model, no index)."""


@dataclass(frozen=True)
class SearchFilters:
    """Restrictions set outside the query text (web form, CLI flags)."""

    category: str | None = None
    since: date | None = None
    until: date | None = None
    author: str | None = None


@dataclass(frozen=True)
class SearchHit:
    paper: StoredPaper
    score: float
    rank: int
    pinned: bool
    title: Highlighted
    snippet: Highlighted
    matched_by: frozenset[str]  # {"keyword", "semantic", "pin"}


@dataclass(frozen=True)
class Readiness:
    """What ``SearchService.prepare`` loaded: the generation whose model and vector
    index now answer (``None``: keyword results only, ``reason`` says why), and how
    many seconds loading took."""

    generation: str | None
    seconds: float
    reason: str | None = None


@dataclass(frozen=True)
class SearchResults:
    query: str
    hits: list[SearchHit]
    mode: str
    mode_used: str
    fallback: str | None
    pinned: str | None
    pin_kind: str | None  # "id" | "url" | "doi" | "title"
    elapsed_ms: float
    timings: dict[str, float] = field(default_factory=dict)


def index_root(store: SearchableStore, settings: Settings) -> Path:
    """Where the keyword and vector indexes live: the setting, else next to the SQLite
    file."""
    configured = str(settings.get("search_index_dir") or "")
    if configured:
        return Path(configured)
    path = getattr(store, "path", None)
    if isinstance(path, Path):
        return path.with_name(path.name + ".search")
    return settings.var_dir / "search-index"


def model_dir(settings: Settings) -> Path:
    configured = str(settings.get("search_model_dir") or "")
    return Path(configured) if configured else settings.var_dir / "models"


def _scope(parsed: ParsedQuery, filters: SearchFilters) -> SearchScope:
    """Explicit filters win over the same operator typed in the query."""
    author = filters.author
    if author is None and parsed.authors:
        author = " ".join(parsed.authors[0])
    return SearchScope(
        category=filters.category or parsed.category,
        since=filters.since or parsed.since,
        until=filters.until or parsed.until,
        author=author,
    )


class _Clock:
    def __init__(self) -> None:
        self.start = time.perf_counter()
        self._last = self.start
        self.timings: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = self.timings.get(name, 0.0) + (now - self._last) * 1000
        self._last = now

    @property
    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self.start) * 1000


class SearchService:
    """The one entry point for searching papers; safe to share between threads."""

    def __init__(
        self, store: SearchableStore, settings: Settings, *, embedder: Embedder | None = None
    ) -> None:
        self.store = store
        self.settings = settings
        self.index_root = index_root(store, settings)
        self._given = embedder
        self.keywords = keyword_backend(store, settings, self.index_root / "keyword")
        self._frequencies = DocumentFrequencies(
            self.keywords.document_frequencies, self.keywords.document_total
        )
        self.vectors = vector_backend(store, self.index_root)
        self._query_embedders: dict[str, QueryEmbedder] = {}

    # -- the keyword backend ----------------------------------------------------------

    def update_keyword_index(self, *, progress: Progress | None = None) -> int:
        """Bring keyword search up to date now (see ``KeywordBackend.update``)."""
        return self.keywords.update(progress)

    def rebuild_keyword_index(self, *, progress: Progress | None = None) -> int:
        """Rebuild keyword search from every paper (see ``KeywordBackend.rebuild``)."""
        return self.keywords.rebuild(progress)

    # -- generations ------------------------------------------------------------------

    @property
    def target_generation(self) -> str:
        """The generation new embeddings go to: the given embedder's, else the setting."""
        return self._given.name if self._given else str(self.settings.get("search_embedder"))

    def _load_embedder(self, name: str) -> Embedder:
        if self._given is not None and self._given.name == name:
            return self._given
        try:
            return load_embedder(name, model_dir(self.settings))
        except Exception as exc:  # missing extras, broken files: one message
            raise SearchError(f"cannot load embedding model {name!r}: {exc}") from exc

    def _query_embedder(self, name: str) -> QueryEmbedder:
        if name not in self._query_embedders:
            self._query_embedders[name] = QueryEmbedder(lambda: self._load_embedder(name))
        return self._query_embedders[name]

    def prepare(self) -> Readiness:
        """Load now what the first search would wait for: the keyword index, and the
        active generation's model (warmed by one embedding) and vector index.

        A server calls this before it accepts requests, so its first search is already
        hybrid. Never raises: without a usable model or semantic index, searches answer
        with keyword results and ``reason`` says why.
        """
        start = time.perf_counter()
        self.keywords.prepare()
        generation = self.store.active_generation()
        if generation is None:
            reason = "no semantic index yet (run `paperfeed index update`)"
            return Readiness(None, time.perf_counter() - start, reason)
        try:
            self._query_embedder(generation).load().embed_query("warm up")
            self.vectors.prepare(generation)
        except EmbeddingUnavailable as exc:
            return Readiness(None, time.perf_counter() - start, str(exc))
        except Exception as exc:  # a broken model or index: searches fall back, saying why
            reason = f"the semantic index is unavailable: {exc}"
            return Readiness(None, time.perf_counter() - start, reason)
        return Readiness(generation, time.perf_counter() - start)

    # -- search -----------------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        mode: Mode = "hybrid",
        filters: SearchFilters = SearchFilters(),
        limit: int = 20,
        offset: int = 0,
    ) -> SearchResults:
        """Ranked papers for ``query``; never raises for what the query text contains."""
        if mode not in MODES:
            raise SearchError(f"unknown search mode {mode!r}; choose one of {', '.join(MODES)}")
        clock = _Clock()
        parsed = parse_query(query)
        scope = _scope(parsed, filters)
        depth = max(offset + limit + 1, int(self.settings.get("search_candidates")))
        if mode != "hybrid":
            depth = offset + limit + 1
        clock.lap("parse")
        # The query is embedded on the model's thread while this one searches keywords:
        # the model releases the GIL, so hybrid costs about the slower of the two.
        fallback: str | None = None
        mode_used: str = mode
        pending: tuple[str, PendingVector] | None = None
        if mode != "keyword" and parsed.text:
            try:
                pending = self._start_embedding(parsed.text)
            except EmbeddingUnavailable as exc:
                fallback, mode_used = str(exc), "keyword"
        elif mode == "semantic":
            mode_used = "keyword"  # nothing to embed (only operators): keyword answers
        keyword: list[tuple[str, float]] = []
        searched_keywords = mode == "hybrid" or mode_used == "keyword"
        if searched_keywords:
            keyword = self.keyword_candidates(parsed, scope, depth)
            clock.lap("keyword")
        semantic: list[tuple[str, float]] = []
        embedded: tuple[str, Vectors] | None = None
        if pending is not None:
            try:
                semantic, embedded = self._semantic(*pending, scope, depth, clock)
            except EmbeddingUnavailable as exc:
                fallback, mode_used = str(exc), "keyword"
        if mode_used == "keyword" and not searched_keywords:
            keyword = self.keyword_candidates(parsed, scope, depth)
            clock.lap("keyword")
        loaded: dict[str, StoredPaper] = {}
        ranked = self._rank(mode_used, parsed, keyword, semantic, embedded, loaded)
        clock.lap("fuse")
        pin = self._pin(query, parsed, ranked, loaded)
        clock.lap("pin")
        hits = self._page(parsed, ranked, keyword, semantic, pin, limit, offset, loaded)
        clock.lap("load")
        return SearchResults(
            query=query,
            hits=hits,
            mode=mode,
            mode_used=mode_used,
            fallback=fallback,
            pinned=pin.paper_id if pin else None,
            pin_kind=pin.kind if pin else None,
            elapsed_ms=clock.elapsed_ms,
            timings=clock.timings,
        )

    def keyword_candidates(
        self, parsed: ParsedQuery, scope: SearchScope, depth: int
    ) -> list[tuple[str, float]]:
        """Keyword candidates, best first, with their scores."""
        query = build_keyword_query(
            parsed,
            self._frequencies,
            max_terms=self.keywords.max_terms,
            max_document_share=self.keywords.max_document_share,
        )
        found = self.keywords.search(query, scope, limit=depth)
        return [(m.paper_id, m.score) for m in found]

    def embed_query(self, text: str) -> tuple[str, Vectors]:
        """The serving generation and the query's vector: the model loaded first (once
        per process, waited for), then the embedding within the time limit."""
        generation, pending = self._start_embedding(text)
        return generation, pending.vector()

    def _start_embedding(self, text: str) -> tuple[str, PendingVector]:
        generation = self.store.active_generation()
        if generation is None:
            raise EmbeddingUnavailable("no semantic index yet (run `paperfeed index update`)")
        timeout = float(self.settings.get("search_embed_timeout_ms")) / 1000
        return generation, self._query_embedder(generation).start(text, timeout)

    def _semantic(
        self, generation: str, pending: PendingVector, scope: SearchScope, depth: int, clock: _Clock
    ) -> tuple[list[tuple[str, float]], tuple[str, Vectors]]:
        """The nearest papers, and the generation and vector of the query (for the
        similarity of keyword candidates the nearest papers leave out)."""
        vector = pending.vector()
        clock.lap("embed")
        try:
            found = self.nearest(generation, vector, scope, depth)
        except (PaperfeedError, ImportError, OSError) as exc:
            raise EmbeddingUnavailable(f"the semantic index is unavailable: {exc}") from exc
        clock.lap("semantic")
        return found, (generation, vector)

    def nearest(
        self,
        generation: str,
        vector: Vectors,
        scope: SearchScope,
        depth: int,
        *,
        exclude: Sequence[str] = (),
    ) -> list[tuple[str, float]]:
        """Nearest papers to ``vector`` within ``scope`` (see ``VectorBackend.nearest``)."""
        return self.vectors.nearest(generation, vector, scope, depth, exclude=exclude)

    def similarities(
        self, generation: str, vector: Vectors, paper_ids: Sequence[str]
    ) -> dict[str, float]:
        """Exact cosine of ``vector`` with the stored vector of each of ``paper_ids``
        that has one."""
        return self.vectors.similarities(generation, vector, paper_ids)

    def keyword_weight(
        self,
        parsed: ParsedQuery,
        keyword: Sequence[tuple[str, float]],
        loaded: dict[str, StoredPaper] | None = None,
    ) -> float:
        """The keyword score's weight in hybrid search for ``parsed``, whose keyword
        candidates are ``keyword``: higher when the query is a list of terms and the best
        keyword match holds nearly all of them, where a reader wants the papers with the
        words they typed (decision 0003). A list of terms no paper holds together
        ("symmetry-aware deep nets") still leans on meaning. ``loaded`` collects the
        paper read, for the page."""
        prose = float(self.settings.get("search_keyword_weight"))
        if not keyword or not is_term_list(parsed.text):
            return prose
        best = keyword[0][0]
        papers = {} if loaded is None else loaded
        if best not in papers:
            papers.update(self.store.get_papers([best]))
        paper = papers.get(best)
        if paper is None or share_of_words_held(parsed.text, paper) < TERM_LIST_HELD_SHARE:
            return prose
        return float(self.settings.get("search_term_list_keyword_weight"))

    def _rank(
        self,
        mode: str,
        parsed: ParsedQuery,
        keyword: list[tuple[str, float]],
        semantic: list[tuple[str, float]],
        embedded: tuple[str, Vectors] | None,
        loaded: dict[str, StoredPaper],
    ) -> list[tuple[str, float]]:
        if mode == "keyword":
            return keyword
        if mode == "semantic":
            return semantic
        # A keyword candidate beyond the nearest papers counts with its own similarity,
        # not the lowest one listed: a paper that has every typed term is often only a
        # little less like the query than the nearest ones.
        near = {p for p, _ in semantic}
        others = [p for p, _ in keyword if p not in near]
        similarities = self.similarities(*embedded, others) if embedded and others else {}
        return score_fusion(
            keyword,
            semantic,
            keyword_weight=self.keyword_weight(parsed, keyword, loaded),
            semantic_weight=float(self.settings.get("search_semantic_weight")),
            similarities=similarities,
        )

    def _pin(
        self,
        query: str,
        parsed: ParsedQuery,
        ranked: list[tuple[str, float]],
        papers: dict[str, StoredPaper],
    ) -> Pin | None:
        """The paper the query names (id, URL, DOI, or the exact title of one of the
        first results); ``papers`` collects what was loaded, for the page."""
        reference = arxiv_reference(query)
        if reference is not None and self.store.get_paper(reference.paper_id) is not None:
            return reference
        doi = doi_reference(query)
        if doi is not None:
            found = self.store.find_papers_by_doi(doi)
            if found:
                return Pin(found[0], "doi")
        wanted = normalize_title(query)
        if not wanted or not ranked:
            return None
        top = [p for p, _ in ranked[:_TITLE_PIN_DEPTH]]
        papers.update(self.store.get_papers([p for p in top if p not in papers]))
        for paper_id in top:
            if paper_id in papers and normalize_title(papers[paper_id].title_text) == wanted:
                return Pin(paper_id, "title")
        return None

    def _page(
        self,
        parsed: ParsedQuery,
        ranked: list[tuple[str, float]],
        keyword: list[tuple[str, float]],
        semantic: list[tuple[str, float]],
        pin: Pin | None,
        limit: int,
        offset: int,
        loaded: dict[str, StoredPaper],
    ) -> list[SearchHit]:
        scores = dict(ranked)
        order = [p for p, _ in ranked if pin is None or p != pin.paper_id]
        if pin is not None:
            order.insert(0, pin.paper_id)
        page = order[offset : offset + limit]
        papers = {p: loaded[p] for p in page if p in loaded}
        papers.update(self.store.get_papers([p for p in page if p not in loaded]))
        by_keyword = {p for p, _ in keyword}
        by_semantic = {p for p, _ in semantic}
        matcher = _matcher(parsed)
        hits: list[SearchHit] = []
        for paper_id in page:
            stored = papers.get(paper_id)
            if stored is None:
                continue  # deleted since it was indexed
            pinned = pin is not None and paper_id == pin.paper_id
            matched = {"keyword"} if paper_id in by_keyword else set()
            matched |= {"semantic"} if paper_id in by_semantic else set()
            matched |= {"pin"} if pinned else set()
            hits.append(
                SearchHit(
                    paper=stored,
                    score=scores.get(paper_id, 0.0),
                    rank=offset + len(hits) + 1,
                    pinned=pinned,
                    title=highlight(stored.title_text, matcher),
                    snippet=snippet(stored.abstract_text, matcher),
                    matched_by=frozenset(matched),
                )
            )
        return hits

    # -- similar papers ---------------------------------------------------------------

    def similar(self, paper_id: str, *, limit: int = 10) -> list[SearchHit]:
        """Nearest neighbours of a paper's stored vector, itself excluded.

        Empty when there is no semantic index yet or the paper has no vector.
        """
        try:
            paper_id = parse_arxiv_id(paper_id).id
        except InvalidArxivId:
            paper_id = paper_id.strip()
        generation = self.store.active_generation()
        if generation is None:
            return []
        blob = self.store.get_embedding(generation, paper_id)
        if blob is None:
            return []
        vector = np.frombuffer(blob, dtype="<f4").astype(np.float32)
        found = self.nearest(generation, vector, SearchScope(), limit, exclude=[paper_id])
        papers = self.store.get_papers([p for p, _ in found])
        empty = Matcher(())
        return [
            SearchHit(
                paper=papers[p],
                score=score,
                rank=rank,
                pinned=False,
                title=highlight(papers[p].title_text, empty),
                snippet=snippet(papers[p].abstract_text, empty),
                matched_by=frozenset({"semantic"}),
            )
            for rank, (p, score) in enumerate((f for f in found if f[0] in papers), start=1)
        ]

    # -- indexing ---------------------------------------------------------------------

    def index_papers(
        self, paper_ids: Sequence[str] | None = None, *, progress: Progress | None = None
    ) -> int:
        """Embed and index what the target generation lacks (of ``paper_ids``, or all).

        When the generation then covers every paper it becomes the active one: a new
        embedding model is built beside the old and switched to in one step.
        """
        embedder = self._load_embedder(self.target_generation)
        count = embed_missing(self.store, embedder, paper_ids, progress=progress)
        self.vectors.refresh(embedder.name)
        self._activate_if_complete(embedder.name)
        return count

    def vectors_behind(self) -> bool:
        """Whether ``index_papers`` has work left, asked of the store without loading a
        model: a paper without a vector in the target generation, a complete generation
        not yet active, or (engines without their own) an index behind the vectors."""
        generation = self.target_generation
        if self.store.count_papers() == 0:
            return False
        if self.store.count_missing_embeddings(generation) > 0:
            return True
        if self.store.active_generation() != generation:
            return True
        return self.vectors.behind(generation)

    def rebuild_index(self, *, progress: Progress | None = None) -> int:
        """Embed what is missing, then rebuild the vector index from the store."""
        embedder = self._load_embedder(self.target_generation)
        count = embed_missing(self.store, embedder, progress=progress)
        self.vectors.rebuild(embedder.name, progress)
        self._activate_if_complete(embedder.name)
        return count

    def _activate_if_complete(self, generation: str) -> None:
        if self.store.active_generation() == generation:
            return
        if self.store.count_missing_embeddings(generation) == 0:
            self.store.activate_generation(generation)

    def close(self) -> None:
        self.keywords.close()
        for embedder in self._query_embedders.values():
            embedder.close()


def _matcher(parsed: ParsedQuery) -> Matcher:
    words = [w for t in parsed.terms if not t.prefix for w in t.words]
    words += [w for p in parsed.phrases for w in p]
    prefixes = [t.words[-1] for t in parsed.terms if t.prefix]
    words += [w for t in parsed.terms if t.prefix for w in t.words[:-1]]
    return Matcher([w for w in words if w not in STOPWORDS], prefixes)
