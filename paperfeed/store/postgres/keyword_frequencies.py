"""How many papers hold each query word, cheaply at any size, for BM25 on PostgreSQL.

Counting the papers of a word through the GIN index visits every one of them in the
table: little for a rare word in cache, seconds for a common one, and hundreds of
milliseconds even for a rare one when its papers are not cached (a million papers
rarely are). So a large collection keeps a lexicon (``keyword_lexicon``: every lexeme
and its papers, from ``ts_stat``), refreshed by ``paperfeed ingest`` and ``paperfeed
index update`` once the number of papers moved by a tenth (``refresh_lexicon``), and
shared by every process. A phrase is sized from its rarest word (an upper bound), a
prefix from the lexemes it starts. A word the lexicon lacks is new since its refresh,
so counting it visits only newer papers. Until the first refresh, common words are
sized from the planner statistics (``pg_stats.most_common_elems``) and the others
counted. Small collections are always counted exactly: it is cheap there, and exact.

Counts, the lexicon's state, words' lexemes and the collection's size and average
length are cached per process for ``FREQUENCY_TTL_S``: they move slowly.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from paperfeed.store.postgres.connection import Connection, lock_key

TEXT_CONFIG = "paperfeed_english"
FREQUENCY_TTL_S = 600.0
FREQUENCY_CACHE_SIZE = 50_000
LENGTH_SAMPLE = 2_000  # papers whose lengths give the average
# From this many papers up, sizes come from the planner's statistics: the collection's
# from pg_class.reltuples, common words' from pg_stats.
STATISTICS_FROM = 100_000
# The lexicon is rebuilt once the number of papers moved by this share since.
LEXICON_REFRESH_CHANGE = 0.1
# One part of a compiled (loose) tsquery: a quoted word, perhaps a prefix.
_PART = re.compile(r"'(\w+)'(:\*)?")
_LAST_CHARACTER = "\U0010ffff"  # above every character: ends a prefix's range
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Collection:
    """What BM25 needs of the whole collection."""

    papers: int
    average_length: float


class TermFrequencies:
    """Papers per phrase, words' lexemes, and the collection's size and average length,
    from the database, cached for a while (lexemes for good: stemming never changes)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: OrderedDict[str, tuple[int, float]] = OrderedDict()
        self._lexemes: OrderedDict[str, tuple[str, ...]] = OrderedDict()
        self._collection: _Expiring[Collection] = _Expiring()
        self._common: _Expiring[dict[str, float]] = _Expiring()
        self._built: _Expiring[bool] = _Expiring()

    def get(self, conn: Connection, expressions: Sequence[str]) -> dict[str, int]:
        """Papers matching each loose ``tsquery`` text (as ``compile_phrase`` writes
        them): from the lexicon or the statistics in a large collection, else counted."""
        now = time.monotonic()
        found: dict[str, int] = {}
        with self._lock:
            for expression in expressions:
                cached = self._counts.get(expression)
                if cached is not None and now - cached[1] < FREQUENCY_TTL_S:
                    found[expression] = cached[0]
        missing = [e for e in dict.fromkeys(expressions) if e not in found]
        if missing:
            sizes = self._sizer(conn, missing)
            for expression in missing:
                estimate = sizes(expression) if sizes is not None else None
                found[expression] = (
                    estimate if estimate is not None else count_matches(conn, expression)
                )
            self.remember({e: found[e] for e in missing}, now)
        return found

    def _sizer(
        self, conn: Connection, expressions: list[str]
    ) -> Callable[[str], int | None] | None:
        """A function sizing an expression without counting (``None`` where it cannot),
        or ``None`` when the collection is small enough to count everything."""
        papers = self.collection(conn).papers
        if papers < STATISTICS_FROM:
            return None
        parts = {e: _PART.findall(e) for e in expressions}
        lexemes = self.lexemes(conn, [w for found in parts.values() for w, _ in found])
        if self.lexicon_built(conn):
            plain = [lx for found in parts.values() for w, p in found if not p for lx in lexemes[w]]
            counts = lexicon_counts(conn, plain)
            prefixes = {lx for found in parts.values() for w, p in found if p for lx in lexemes[w]}
            counts.update({f"{lx}:*": lexicon_prefix_count(conn, lx) for lx in prefixes})

            def size(lexeme: str, prefix: bool) -> int | None:
                return counts.get(f"{lexeme}:*" if prefix else lexeme) or None

        else:
            common = self.common_lexemes(conn)

            def size(lexeme: str, prefix: bool) -> int | None:
                if prefix:
                    share = sum(s for lx, s in common.items() if lx.startswith(lexeme))
                else:
                    share = common.get(lexeme, 0.0)
                return round(papers * min(share, 1.0)) or None

        def sized(expression: str) -> int | None:
            smallest = 0  # a phrase of stopwords only matches nothing
            for word, prefix in parts[expression]:
                for lexeme in lexemes.get(word, ()):
                    found = size(lexeme, bool(prefix))
                    if found is None:
                        return None  # a word too rare to be listed, or new: count it
                    smallest = found if not smallest else min(smallest, found)
            return smallest

        return sized

    def remember(self, counts: dict[str, int], now: float | None = None) -> None:
        stamp = time.monotonic() if now is None else now
        with self._lock:
            for expression, count in counts.items():
                self._counts[expression] = (count, stamp)
                self._counts.move_to_end(expression)
            while len(self._counts) > FREQUENCY_CACHE_SIZE:
                self._counts.popitem(last=False)

    def lexemes(self, conn: Connection, words: Sequence[str]) -> dict[str, tuple[str, ...]]:
        """Each word's lexemes under the text search configuration (usually one)."""
        with self._lock:
            found = {w: self._lexemes[w] for w in words if w in self._lexemes}
        missing = [w for w in dict.fromkeys(words) if w not in found]
        if missing:
            rows = conn.execute(
                f"SELECT w AS word, tsvector_to_array(to_tsvector('{TEXT_CONFIG}', w)) AS lexemes"
                " FROM unnest(%s::text[]) AS w",
                (missing,),
            ).fetchall()
            fresh = {row["word"]: tuple(row["lexemes"]) for row in rows}
            found.update(fresh)
            with self._lock:
                self._lexemes.update(fresh)
                while len(self._lexemes) > FREQUENCY_CACHE_SIZE:
                    self._lexemes.popitem(last=False)
        return found

    def collection(self, conn: Connection) -> Collection:
        return self._collection.get(lambda: measure_collection(conn))

    def common_lexemes(self, conn: Connection) -> dict[str, float]:
        """The lexemes the planner statistics list, with the share of papers of each."""
        return self._common.get(lambda: read_common_lexemes(conn))

    def lexicon_built(self, conn: Connection) -> bool:
        """Whether ``keyword_lexicon`` was ever refreshed."""
        return self._built.get(lambda: read_lexicon_built(conn))

    def forget(self) -> None:
        """Drop every cached figure (after a refresh of the lexicon)."""
        with self._lock:
            self._counts.clear()
        for slot in (self._collection, self._common, self._built):
            slot.clear()


class _Expiring(Generic[T]):
    """One figure read from the database, kept for ``FREQUENCY_TTL_S``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value: tuple[T, float] | None = None

    def get(self, load: Callable[[], T]) -> T:
        now = time.monotonic()
        with self._lock:
            cached = self._value
        if cached is not None and now - cached[1] < FREQUENCY_TTL_S:
            return cached[0]
        fresh = load()
        with self._lock:
            self._value = (fresh, now)
        return fresh

    def clear(self) -> None:
        with self._lock:
            self._value = None


def read_lexicon_built(conn: Connection) -> bool:
    row = conn.execute("SELECT 1 AS one FROM keyword_lexicon_state WHERE id = 1").fetchone()
    return row is not None


def lexicon_counts(conn: Connection, lexemes: Sequence[str]) -> dict[str, int]:
    """Papers per lexeme, as of the lexicon's last refresh (absent: not seen then)."""
    rows = conn.execute(
        "SELECT lexeme, papers FROM keyword_lexicon WHERE lexeme = ANY(%s)", (list(lexemes),)
    ).fetchall()
    return {row["lexeme"]: int(row["papers"]) for row in rows}


def lexicon_prefix_count(conn: Connection, prefix: str) -> int:
    """Papers of the lexemes starting with ``prefix``, added up (a union's upper bound)."""
    row = conn.execute(
        "SELECT coalesce(sum(papers), 0) AS n FROM keyword_lexicon"
        " WHERE lexeme >= %s AND lexeme < %s",
        (prefix, prefix + _LAST_CHARACTER),
    ).fetchone()
    return int(row["n"]) if row else 0


def refresh_lexicon(conn: Connection, *, force: bool) -> int | None:
    """Rebuild ``keyword_lexicon`` from the search documents when the collection is
    large and its papers moved by ``LEXICON_REFRESH_CHANGE`` since the last time (or
    ``force``); ``None`` when not needed or another process is at it, else the number
    of lexemes. Readers keep the old lexicon until this transaction commits."""
    papers = count_papers(conn)
    if not force:
        if papers < STATISTICS_FROM:
            return None
        row = conn.execute("SELECT papers FROM keyword_lexicon_state WHERE id = 1").fetchone()
        if row is not None and abs(papers - row["papers"]) < LEXICON_REFRESH_CHANGE * row["papers"]:
            return None
    locked = conn.execute(
        "SELECT pg_try_advisory_xact_lock(%s) AS ok", (lock_key("keyword", "lexicon"),)
    ).fetchone()
    if locked is None or not locked["ok"]:
        return None
    conn.execute("SET LOCAL statement_timeout = 0")  # ~30 s at a million papers
    conn.execute("DELETE FROM keyword_lexicon")
    written = conn.execute(
        "INSERT INTO keyword_lexicon (lexeme, papers)"
        " SELECT word, ndoc FROM ts_stat('SELECT document FROM paper_search')"
    ).rowcount
    conn.execute(
        "INSERT INTO keyword_lexicon_state (id, papers, refreshed_at) VALUES (1, %s, now())"
        " ON CONFLICT (id) DO UPDATE SET papers = excluded.papers,"
        " refreshed_at = excluded.refreshed_at",
        (papers,),
    )
    return written


def read_common_lexemes(conn: Connection) -> dict[str, float]:
    """``pg_stats``' most common lexemes of the search documents and their shares;
    empty before the table was first analysed."""
    row = conn.execute(
        "SELECT most_common_elems::text::text[] AS lexemes, most_common_elem_freqs AS shares"
        " FROM pg_stats WHERE schemaname = current_schema() AND tablename = 'paper_search'"
        " AND attname = 'document'"
    ).fetchone()
    if row is None or row["lexemes"] is None or row["shares"] is None:
        return {}
    # The shares list ends with three summary figures (minimum, maximum, nulls).
    lexemes: list[str] = row["lexemes"]
    shares = row["shares"][: len(lexemes)]
    return {lexeme: float(share) for lexeme, share in zip(lexemes, shares, strict=True)}


def count_matches(conn: Connection, expression: str) -> int:
    row = conn.execute(
        f"SELECT count(*) AS n FROM paper_search WHERE document @@ to_tsquery('{TEXT_CONFIG}', %s)",
        (expression,),
    ).fetchone()
    return int(row["n"]) if row else 0


def measure_collection(conn: Connection) -> Collection:
    """The papers searched and their average length in words, over a sample."""
    row = conn.execute(
        "SELECT avg((SELECT sum(cardinality(positions)) FROM unnest(document)))::float8"
        f" AS average FROM (SELECT document FROM paper_search LIMIT {LENGTH_SAMPLE}) sample"
    ).fetchone()
    average = float(row["average"]) if row and row["average"] else 1.0
    return Collection(count_papers(conn), max(average, 1.0))


def count_papers(conn: Connection) -> int:
    """Papers searched: the planner's estimate when large (counting reads the table)."""
    row = conn.execute(
        "SELECT reltuples::bigint AS n FROM pg_class WHERE oid = 'paper_search'::regclass"
    ).fetchone()
    papers = int(row["n"]) if row else -1
    if papers < STATISTICS_FROM:
        row = conn.execute("SELECT count(*) AS n FROM paper_search").fetchone()
        papers = int(row["n"]) if row else 0
    return papers
