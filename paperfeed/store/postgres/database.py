"""The store's executor on PostgreSQL: transactions over the pool, retried whole.

The store's SQL uses ``?`` placeholders; they become psycopg's ``%s`` here (once per
distinct statement), outside string literals, with a literal ``%`` doubled.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any, TypeVar

from psycopg import Cursor
from psycopg.rows import tuple_row

from paperfeed.store.database import Params, Row
from paperfeed.store.dialect import POSTGRESQL, Dialect
from paperfeed.store.postgres.connection import Connection, PostgresPool

T = TypeVar("T")


@lru_cache(maxsize=2048)
def pyformat(sql: str) -> str:
    """``?`` placeholders as ``%s`` and ``%`` as ``%%``, leaving quoted text alone."""
    out: list[str] = []
    quote = ""
    for char in sql:
        if quote:
            out.append("%%" if char == "%" else char)
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
            out.append(char)
        elif char == "?":
            out.append("%s")
        else:
            out.append("%%" if char == "%" else char)
    return "".join(out)


class PostgresTransaction:
    """Statements on one pooled connection inside its open transaction."""

    dialect: Dialect = POSTGRESQL

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Params = ()) -> Cursor[Row]:
        return self.conn.execute(pyformat(sql), params)

    def executemany(self, sql: str, rows: Sequence[Params]) -> Cursor[Row]:
        cursor = self.conn.cursor()
        cursor.executemany(pyformat(sql), rows)
        return cursor

    def one(self, sql: str, params: Params = ()) -> Row | None:
        return self.conn.execute(pyformat(sql), params).fetchone()

    def all(self, sql: str, params: Params = ()) -> list[Row]:
        return self.conn.execute(pyformat(sql), params).fetchall()

    def tuples(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        cursor = self.conn.cursor(row_factory=tuple_row)
        return cursor.execute(pyformat(sql), params).fetchall()

    def value(self, sql: str, params: Params = ()) -> Any:
        cursor = self.conn.cursor(row_factory=tuple_row)
        row = cursor.execute(pyformat(sql), params).fetchone()
        return row[0] if row is not None else None


class PostgresDatabase:
    """``Database`` over a ``PostgresPool``: every call one transaction, retried whole
    on transient failures."""

    dialect: Dialect = POSTGRESQL

    def __init__(self, pool: PostgresPool) -> None:
        self.pool = pool

    def read(self, work: Callable[[PostgresTransaction], T], *, snapshot: bool = False) -> T:
        def run(conn: Connection) -> T:
            if snapshot:
                conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            return work(PostgresTransaction(conn))

        return self.pool.run(run)

    def write(self, work: Callable[[PostgresTransaction], T], *, serial: bool = False) -> T:
        return self.pool.run(lambda conn: work(PostgresTransaction(conn)), write=serial)

    def one(self, sql: str, params: Params = ()) -> Row | None:
        return self.read(lambda tx: tx.one(sql, params))

    def all(self, sql: str, params: Params = ()) -> list[Row]:
        return self.read(lambda tx: tx.all(sql, params))

    def value(self, sql: str, params: Params = ()) -> Any:
        return self.read(lambda tx: tx.value(sql, params))
