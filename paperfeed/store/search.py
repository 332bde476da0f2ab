"""The store's part in search: the keyword index and stored embeddings.

Engine-neutral interface. PostgreSQL ranks keyword queries itself (tsvector) and keeps
its vectors in pgvector; SQLite keeps a change log instead, from which the search package
maintains a keyword index and a vector index in files beside the database. Keyword queries
arrive as a small syntax tree (``KeywordQuery``) that each engine compiles to its own
query language, so user text never reaches SQL or a full-text parser directly.
Vectors cross this interface as raw float32 bytes: the store needs no numpy.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

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


class SearchStore(ABC):
    """Keyword search over papers and the embeddings that semantic search indexes."""

    # -- keyword search: in the engine, or from its change log ------------------------

    def searches_keywords(self) -> bool:
        """True when the engine ranks keyword queries itself (PostgreSQL full-text);
        otherwise the search package keeps a keyword index in files beside the store,
        fed from ``keyword_changes``."""
        return False

    def keyword_search(
        self, query: KeywordQuery, scope: SearchScope = SearchScope(), *, limit: int = 20
    ) -> list[KeywordMatch]:
        """The best ``limit`` papers for ``query`` within ``scope``, best first, for an
        engine that ``searches_keywords``. Never raises for the content of the query:
        every phrase is passed as data."""
        raise NotImplementedError("this engine keeps no keyword index of its own")

    def keyword_document_frequencies(self, words: Sequence[str]) -> dict[str, int]:
        """How many papers contain each word (as the engine's tokenizer sees it)."""
        raise NotImplementedError("this engine keeps no keyword index of its own")

    def keyword_document_total(self) -> int:
        """How many papers the engine's keyword index holds."""
        raise NotImplementedError("this engine keeps no keyword index of its own")

    def refresh_keyword_statistics(self, *, force: bool = False) -> int:
        """Refresh what an engine that ranks keyword queries itself keeps of its
        documents' word counts, if they are stale (or ``force``); how many words it
        wrote (0 when nothing was due, or the engine keeps none)."""
        return 0

    def latest_keyword_change(self) -> int:
        """The newest ``seq`` of the keyword change log (cheap: checked before queries)."""
        raise NotImplementedError("this engine keeps no keyword change log")

    def keyword_changes(self, *, after_seq: int, limit: int) -> list[tuple[int, str]]:
        """Up to ``limit`` ``(seq, paper_id)`` entries after ``after_seq``, in order: a
        paper whose searchable fields were written (or which was deleted) since."""
        raise NotImplementedError("this engine keeps no keyword change log")

    def keyword_documents(self, paper_ids: Sequence[str]) -> dict[str, KeywordDocument]:
        """What a keyword index holds of each of ``paper_ids`` that exists."""
        raise NotImplementedError("this engine keeps no keyword change log")

    def iter_keyword_documents(self, *, batch_size: int = 5000) -> Iterator[list[KeywordDocument]]:
        """Every paper's keyword document, in id order, a batch at a time."""
        raise NotImplementedError("this engine keeps no keyword change log")

    @abstractmethod
    def papers_in_scope(self, paper_ids: Iterable[str], scope: SearchScope) -> set[str]:
        """Those of ``paper_ids`` that satisfy ``scope``."""

    @abstractmethod
    def paper_ids_in_scope(self, scope: SearchScope, *, limit: int) -> list[str]:
        """Up to ``limit`` ids of papers that satisfy ``scope`` (any order)."""

    @abstractmethod
    def find_papers_by_doi(self, doi: str) -> list[str]:
        """Ids of papers with this DOI (case-insensitive)."""

    @abstractmethod
    def texts_for_embedding(self, paper_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        """``(title_text, abstract_text)`` of each paper that exists."""

    # -- embeddings -------------------------------------------------------------------

    @abstractmethod
    def ensure_generation(self, name: str, dim: int) -> None:
        """Register a generation (inactive) if it is new; refuse a different ``dim``."""

    @abstractmethod
    def generations(self) -> list[Generation]:
        """Every generation, with how many papers it has embedded."""

    @abstractmethod
    def active_generation(self) -> str | None:
        """The name of the generation that answers queries (cheap)."""

    @abstractmethod
    def activate_generation(self, name: str) -> None:
        """Make ``name`` the generation that answers queries, in one transaction."""

    @abstractmethod
    def delete_generation(self, name: str) -> None:
        """Forget a generation and its vectors (refused for the active one)."""

    @abstractmethod
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

    @abstractmethod
    def count_missing_embeddings(self, generation: str) -> int:
        """How many papers have no vector in ``generation``."""

    @abstractmethod
    def put_embeddings(self, generation: str, vectors: Sequence[tuple[str, bytes]]) -> None:
        """Store (or replace) vectors of papers, in one transaction."""

    @abstractmethod
    def embedding_state(self, generation: str) -> EmbeddingState:
        """Count and newest ``seq`` of the stored vectors of ``generation``."""

    @abstractmethod
    def latest_embedding_seq(self, generation: str) -> int:
        """The newest ``seq`` of ``generation`` (cheap: checked before queries)."""

    @abstractmethod
    def iter_embeddings(
        self, generation: str, *, after_seq: int = 0, batch_size: int = 5000
    ) -> Iterator[list[StoredEmbedding]]:
        """Stored vectors of ``generation`` with ``seq > after_seq``, in ``seq`` order."""

    @abstractmethod
    def get_embedding(self, generation: str, paper_id: str) -> bytes | None:
        """The stored vector of one paper, if any."""

    # -- nearest neighbours, where the engine has its own vector index ----------------

    def searches_vectors(self) -> bool:
        """True when the engine answers nearest-neighbour queries itself (pgvector);
        otherwise the search package keeps a vector index in files beside the store."""
        return False

    def nearest_papers(
        self,
        generation: str,
        vector: bytes,
        scope: SearchScope,
        *,
        limit: int,
        exclude: Sequence[str] = (),
    ) -> list[tuple[str, float]] | None:
        """Up to ``limit`` papers within ``scope`` nearest to ``vector`` (float32 bytes)
        by cosine, best first, with cosine scores; ``None`` when the engine has no vector
        index of its own (see ``searches_vectors``)."""
        return None

    def paper_similarities(
        self, generation: str, vector: bytes, paper_ids: Sequence[str]
    ) -> dict[str, float] | None:
        """Cosine of ``vector`` (float32 bytes) with the stored vector of each of
        ``paper_ids`` that has one; ``None`` when the engine has no vector index of its
        own (see ``searches_vectors``)."""
        return None
