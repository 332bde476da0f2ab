"""The store's part in search: scopes, stored embeddings, and what keyword search needs.

``SearchStore`` is what both engines offer. Keyword and vector search are engine-specific:
PostgreSQL ranks keyword queries itself (``FullTextSearch``: tsvector) and answers
nearest-neighbour queries itself (``VectorSearch``: pgvector); SQLite keeps a change log
instead (``KeywordChangeLog``), from which the search package maintains a keyword index
and a vector index in files beside the database. The search package picks its keyword
and vector backends from what the store is, once.
Keyword queries arrive as a small syntax tree (``KeywordQuery``) that each engine
compiles to its own query language, so user text never reaches SQL or a full-text
parser directly.
Vectors cross this interface as raw float32 bytes: the store needs no numpy.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, Protocol, runtime_checkable

Field = Literal["title", "authors", "abstract"]


@dataclass(frozen=True, slots=True)
class Phrase:
    """Words that must appear in this order (one word is a term).

    ``prefix`` lets the last word match any longer word (``trans`` matches
    ``transformer``); ``field`` restricts the match to one column.
    """

    words: tuple[str, ...]
    prefix: bool = False
    field: Field | None = None


@dataclass(frozen=True, slots=True)
class KeywordQuery:
    """A keyword query: ranked by BM25 over ``should`` and ``must``.

    A paper matches when it has every ``must`` phrase, none of the ``must_not`` phrases,
    and (if there are any) at least one ``should`` phrase or a ``must`` phrase.
    """

    should: tuple[Phrase, ...] = ()
    must: tuple[Phrase, ...] = ()
    must_not: tuple[Phrase, ...] = ()

    @property
    def is_empty(self) -> bool:
        """True when nothing positive is asked for (such a query matches nothing)."""
        return not self.should and not self.must


@dataclass(frozen=True, slots=True)
class SearchScope:
    """Restrictions applied to every search mode; ``None`` means no restriction.

    Dates compare with the announcement day (or the first-version date when a paper
    has no announcement day); ``author`` is a case-insensitive substring of the authors
    in SQL, and the name's words in order in the embedded keyword index.
    """

    category: str | None = None
    since: date | None = None
    until: date | None = None
    author: str | None = None

    @property
    def is_empty(self) -> bool:
        return self == SearchScope()


@dataclass(frozen=True, slots=True)
class KeywordMatch:
    """One keyword hit; higher ``score`` is better (engines normalise their sign)."""

    paper_id: str
    score: float


@dataclass(frozen=True, slots=True)
class KeywordDocument:
    """What a keyword index outside the store holds of one paper."""

    paper_id: str
    title: str
    authors: str
    abstract: str
    categories: tuple[str, ...]
    day: date | None  # the announcement day, else the first-version date


@dataclass(frozen=True, slots=True)
class StoredEmbedding:
    """One stored vector; ``seq`` grows with every write, across generations."""

    seq: int
    paper_id: str
    vector: bytes


@dataclass(frozen=True, slots=True)
class EmbeddingState:
    """What the store holds for one generation, to tell whether an index is stale."""

    count: int
    max_seq: int


@dataclass(frozen=True, slots=True)
class Generation:
    """One embedding model's vectors; the active one answers queries."""

    name: str
    dim: int
    active: bool
    created_at: datetime
    activated_at: datetime | None
    embedded: int


@runtime_checkable
class KeywordChangeLog(Protocol):
    """What an engine without full-text search of its own (SQLite) offers the keyword
    index kept in files beside it: a log of the papers whose searchable fields changed,
    and their documents."""

    def latest_keyword_change(self) -> int:
        """The newest ``seq`` of the keyword change log (cheap: checked before queries)."""
        ...

    def keyword_changes(self, *, after_seq: int, limit: int) -> list[tuple[int, str]]:
        """Up to ``limit`` ``(seq, paper_id)`` entries after ``after_seq``, in order: a
        paper whose searchable fields were written (or which was deleted) since."""
        ...

    def keyword_documents(self, paper_ids: Sequence[str]) -> dict[str, KeywordDocument]:
        """What a keyword index holds of each of ``paper_ids`` that exists."""
        ...

    def iter_keyword_documents(self, *, batch_size: int = 5000) -> Iterator[list[KeywordDocument]]:
        """Every paper's keyword document, in id order, a batch at a time."""
        ...


@runtime_checkable
class VectorSearch(Protocol):
    """Nearest neighbours an engine answers itself (PostgreSQL: pgvector HNSW)."""

    def nearest_papers(
        self,
        generation: str,
        vector: bytes,
        scope: SearchScope,
        *,
        limit: int,
        exclude: Sequence[str] = (),
    ) -> list[tuple[str, float]]:
        """Up to ``limit`` papers within ``scope`` nearest to ``vector`` (float32 bytes)
        by cosine, best first, with cosine scores."""
        ...

    def paper_similarities(
        self, generation: str, vector: bytes, paper_ids: Sequence[str]
    ) -> dict[str, float]:
        """Cosine of ``vector`` (float32 bytes) with the stored vector of each of
        ``paper_ids`` that has one."""
        ...


@runtime_checkable
class FullTextSearch(Protocol):
    """Keyword search an engine ranks itself (PostgreSQL: tsvector and GIN)."""

    def keyword_search(
        self,
        query: KeywordQuery,
        scope: SearchScope = SearchScope(),
        *,
        limit: int = 20,
    ) -> list[KeywordMatch]:
        """The best ``limit`` papers for ``query`` within ``scope``, best first. Never
        raises for the content of the query: every phrase is passed as data."""
        ...

    def keyword_document_frequencies(self, words: Sequence[str]) -> dict[str, int]:
        """How many papers contain each word (as the engine's tokenizer sees it)."""
        ...

    def keyword_document_total(self) -> int:
        """How many papers the engine's keyword index holds."""
        ...

    def refresh_keyword_statistics(self, *, force: bool = False) -> int:
        """Refresh what the engine keeps of its documents' word counts, if they are
        stale (or ``force``); how many words it wrote (0 when nothing was due)."""
        ...


class SearchStore(Protocol):
    """What search asks of the store on either engine: scopes, texts to embed, the
    embedding generations and their vectors. Keyword search is the engine's own
    (``FullTextSearch``) or an index fed by its ``KeywordChangeLog``."""

    def papers_in_scope(self, paper_ids: Iterable[str], scope: SearchScope) -> set[str]:
        """Those of ``paper_ids`` that satisfy ``scope``."""
        ...

    def paper_ids_in_scope(self, scope: SearchScope, *, limit: int) -> list[str]:
        """Up to ``limit`` ids of papers that satisfy ``scope`` (any order)."""
        ...

    def find_papers_by_doi(self, doi: str) -> list[str]:
        """Ids of papers with this DOI (case-insensitive)."""
        ...

    def texts_for_embedding(self, paper_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        """``(title_text, abstract_text)`` of each paper that exists."""
        ...

    # -- embeddings -------------------------------------------------------------------

    def ensure_generation(self, name: str, dim: int) -> None:
        """Register a generation (inactive) if it is new; refuse a different ``dim``."""
        ...

    def generations(self) -> list[Generation]:
        """Every generation, with how many papers it has embedded."""
        ...

    def active_generation(self) -> str | None:
        """The name of the generation that answers queries (cheap)."""
        ...

    def activate_generation(self, name: str) -> None:
        """Make ``name`` the generation that answers queries, in one transaction."""
        ...

    def delete_generation(self, name: str) -> None:
        """Forget a generation and its vectors (refused for the active one)."""
        ...

    def papers_missing_embeddings(
        self,
        generation: str,
        paper_ids: Sequence[str] | None = None,
        *,
        after: str = "",
        limit: int,
    ) -> list[str]:
        """Up to ``limit`` papers (of ``paper_ids``, or of all) without a vector in
        ``generation``, in id order, starting after the id ``after``."""
        ...

    def count_missing_embeddings(self, generation: str) -> int:
        """How many papers have no vector in ``generation``."""
        ...

    def put_embeddings(self, generation: str, vectors: Sequence[tuple[str, bytes]]) -> None:
        """Store (or replace) vectors of papers, in one transaction."""
        ...

    def embedding_state(self, generation: str) -> EmbeddingState:
        """Count and newest ``seq`` of the stored vectors of ``generation``."""
        ...

    def latest_embedding_seq(self, generation: str) -> int:
        """The newest ``seq`` of ``generation`` (cheap: checked before queries)."""
        ...

    def iter_embeddings(
        self, generation: str, *, after_seq: int = 0, batch_size: int = 5000
    ) -> Iterator[list[StoredEmbedding]]:
        """Stored vectors of ``generation`` with ``seq > after_seq``, in ``seq`` order."""
        ...

    def get_embedding(self, generation: str, paper_id: str) -> bytes | None:
        """The stored vector of one paper, if any."""
        ...
