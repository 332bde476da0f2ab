"""The one executor interface the store's SQL runs through, over either engine's pool.

A store capability writes each query once (``?`` placeholders, see ``dialect.py``) and
hands it to a ``Database``: single statements through ``one``/``all``/``value``, several
in one transaction through ``read``/``write``, which call a function with a
``Transaction``. PostgreSQL may run that function again when the transaction meets a
serialization failure or a lost connection, so it must do nothing but database work.
Rows read by name (``row["column"]``; alias expressions), or as plain tuples
(``tuples``) where a hot path wants them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol, TypeVar

from paperfeed.store.dialect import Dialect

T = TypeVar("T")
Row = Any
"""A row whose values read by column name (``sqlite3.Row``, or a dict on PostgreSQL)."""
Params = Sequence[Any]


class Cursor(Protocol):
    """What a statement returns: its rows and how many rows it changed."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Row | None: ...

    def fetchall(self) -> list[Row]: ...

    def __iter__(self) -> Iterator[Row]: ...


class Transaction(Protocol):
    """Statements inside one transaction of either engine."""

    @property
    def dialect(self) -> Dialect: ...

    def execute(self, sql: str, params: Params = ()) -> Cursor:
        """Run one statement."""
        ...

    def executemany(self, sql: str, rows: Sequence[Params]) -> Cursor:
        """Run one statement per parameter row; ``rowcount`` sums them."""
        ...

    def one(self, sql: str, params: Params = ()) -> Row | None:
        """The first row of a query, if any."""
        ...

    def all(self, sql: str, params: Params = ()) -> list[Row]:
        """Every row of a query."""
        ...

    def tuples(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        """Every row of a query, as plain tuples (cheapest for many rows)."""
        ...

    def value(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row (``None`` without a row)."""
        ...


class Database(Protocol):
    """Transactions over one engine's connection pool."""

    @property
    def dialect(self) -> Dialect: ...

    def read(self, work: Callable[[Transaction], T], *, snapshot: bool = False) -> T:
        """``work`` in a read transaction; ``snapshot``: every statement sees the
        database as it was when the first one ran (SQLite's reads always do)."""
        ...

    def write(self, work: Callable[[Transaction], T], *, serial: bool = False) -> T:
        """``work`` in one write transaction, committed when it returns, rolled back
        when it raises. ``serial``: also hold the store's write lock, so writers of
        papers and signals take turns (SQLite's writers always do)."""
        ...

    def one(self, sql: str, params: Params = ()) -> Row | None:
        """The first row of one read statement."""
        ...

    def all(self, sql: str, params: Params = ()) -> list[Row]:
        """Every row of one read statement."""
        ...

    def value(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row of one read statement."""
        ...
