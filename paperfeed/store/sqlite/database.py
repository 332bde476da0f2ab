"""The store's executor on SQLite: transactions over the connection pool.

Registers how datetimes and dates are stored (ISO text, timestamps in UTC with
microseconds, so text order is time order): the store's SQL passes them as Python
objects, as it does to PostgreSQL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from paperfeed.store.database import Params, Row
from paperfeed.store.dialect import SQLITE, Dialect, iso_text
from paperfeed.store.sqlite.connection import ConnectionPool

T = TypeVar("T")

sqlite3.register_adapter(datetime, iso_text)
sqlite3.register_adapter(date, date.isoformat)


class SQLiteTransaction:
    """Statements on one connection inside its open transaction."""

    dialect: Dialect = SQLITE

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Params = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def executemany(self, sql: str, rows: Sequence[Params]) -> sqlite3.Cursor:
        return self.conn.executemany(sql, rows)

    def one(self, sql: str, params: Params = ()) -> Row | None:
        return self.conn.execute(sql, params).fetchone()

    def all(self, sql: str, params: Params = ()) -> list[Row]:
        return self.conn.execute(sql, params).fetchall()

    def tuples(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        cursor = self.conn.cursor()
        cursor.row_factory = None
        return cursor.execute(sql, params).fetchall()

    def value(self, sql: str, params: Params = ()) -> Any:
        row = self.conn.execute(sql, params).fetchone()
        return row[0] if row is not None else None


class SQLiteDatabase:
    """``Database`` over a ``ConnectionPool``: one writer at a time, readers never wait."""

    dialect: Dialect = SQLITE

    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    def read(self, work: Callable[[SQLiteTransaction], T], *, snapshot: bool = False) -> T:
        with self.pool.read() as conn:
            return work(SQLiteTransaction(conn))

    def write(self, work: Callable[[SQLiteTransaction], T], *, serial: bool = False) -> T:
        with self.pool.write() as conn:
            return work(SQLiteTransaction(conn))

    def one(self, sql: str, params: Params = ()) -> Row | None:
        return self.pool.get().execute(sql, params).fetchone()

    def all(self, sql: str, params: Params = ()) -> list[Row]:
        return self.pool.get().execute(sql, params).fetchall()

    def value(self, sql: str, params: Params = ()) -> Any:
        row = self.pool.get().execute(sql, params).fetchone()
        return row[0] if row is not None else None
