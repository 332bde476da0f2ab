"""``paperfeed db copy``: move an instance between SQLite and PostgreSQL, either way.

Every table is copied in batches inside one destination transaction per table, and its
row count is checked against the source before the next one starts. A table that is
already complete in the destination is skipped, so an interrupted copy is resumed by
running the same command again. Derived data is not copied but rebuilt by the
destination itself: the keyword index (by its triggers as papers arrive), the
pgvector HNSW indexes (built once after the vectors are in) and, for a large
collection on PostgreSQL, the lexicon of word counts.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

import click

from paperfeed.cli_context import PaperfeedCommand
from paperfeed.store import PaperStore, StoreError, open_store

# Parents before children (foreign keys); tables not listed here but present in both
# databases are copied after these, in name order.
TABLE_ORDER = (
    "papers", "paper_categories", "hf_papers", "paper_sources", "checkpoints",
    "embedding_generations", "paper_embeddings",
    "subscribers", "subscriber_interests", "subscriber_feedback", "digests", "digest_sent",
    "used_link_tokens", "topic_vectors",
    "outbox", "mail_bounces", "suppressed_addresses", "job_leases",
    "accounts", "sessions", "used_signin_tokens", "rate_limit_hits", "paper_marks",
    "submissions", "paper_repos", "github_repos", "star_history", "hf_observed",
    "trending_signals", "trending_scores", "trending_fold", "trending_params",
)  # fmt: skip
# Kept by the engine itself (migrations, search indexes, change counters).
DERIVED = frozenset(
    {
        "schema_migrations",
        "search_docs",
        "paper_search",
        "keyword_changes",
        "keyword_lexicon",
        "keyword_lexicon_state",
        "trending_generation",
        "store_version",
        "sqlite_sequence",
    }
)
DEFAULT_BATCH = 5000
Rows = list[tuple[Any, ...]]


@dataclass(frozen=True)
class TableCopy:
    table: str
    rows: int
    skipped: bool


class Database:
    """Raw rows of one store's tables, whichever the engine."""

    def __init__(self, store: PaperStore) -> None:
        self.store = store
        self.postgres = store.url.startswith("postgres")
        if self.postgres:
            import psycopg

            from paperfeed.store.postgres.vectors import PgVector, PgVectorDumper

            self._pg = psycopg.connect(store.url)
            self._pg.adapters.register_dumper(PgVector, PgVectorDumper)
        else:
            self._sqlite = sqlite3.connect(getattr(store, "path"), isolation_level=None)  # noqa: B009

    def tables(self) -> list[str]:
        if self.postgres:
            rows = self._pg.execute(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
            ).fetchall()
            self._pg.commit()
            return [str(r[0]) for r in rows]
        rows = self._sqlite.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
            " AND name NOT LIKE 'sqlite_%' AND sql NOT LIKE 'CREATE VIRTUAL%'"
        ).fetchall()
        return [str(r[0]) for r in rows if "_fts" not in str(r[0])]

    def columns(self, table: str) -> dict[str, str]:
        """Column name -> type, in table order."""
        if self.postgres:
            rows = self._pg.execute(
                "SELECT column_name, udt_name FROM information_schema.columns"
                " WHERE table_schema = current_schema() AND table_name = %s"
                " ORDER BY ordinal_position",
                (table,),
            ).fetchall()
            self._pg.commit()
            return {str(name): str(kind) for name, kind in rows}
        rows = self._sqlite.execute(f'PRAGMA table_info("{table}")').fetchall()
        return {str(r[1]): str(r[2]).lower() for r in rows}

    def count(self, table: str) -> int:
        if self.postgres:
            row = self._pg.execute(f'SELECT count(*) FROM "{table}"').fetchone()
            self._pg.commit()
        else:
            row = self._sqlite.execute(f'SELECT count(*) FROM "{table}"').fetchone()
        return int(row[0]) if row else 0

    def read(
        self, table: str, columns: dict[str, str], batch: int
    ) -> Iterator[list[tuple[Any, ...]]]:
        """Every row, in batches (vectors as float32 little-endian bytes)."""
        if self.postgres:
            from paperfeed.store.postgres.vectors import from_vector_send

            selected = ", ".join(
                f'vector_send("{c}")' if kind == "vector" else f'"{c}"'
                for c, kind in columns.items()
            )
            vectors = [i for i, kind in enumerate(columns.values()) if kind == "vector"]
            with self._pg.transaction(), self._pg.cursor(name=f"copy_{table}") as cursor:
                cursor.execute(f'SELECT {selected} FROM "{table}"')
                while rows := cursor.fetchmany(batch):
                    yield [_replace_at(row, vectors, from_vector_send) for row in rows]
            return
        quoted = ", ".join(f'"{c}"' for c in columns)
        lines = self._sqlite.execute(f'SELECT {quoted} FROM "{table}"')
        while rows := lines.fetchmany(batch):
            yield [tuple(row) for row in rows]

    def write(
        self, table: str, columns: dict[str, str], batches: Iterator[list[tuple[Any, ...]]]
    ) -> None:
        """Insert every batch in one transaction (all or nothing for the table)."""
        names = ", ".join(f'"{c}"' for c in columns)
        if self.postgres:
            from paperfeed.store.postgres.vectors import PgVector

            convert = [_to_postgres(kind, PgVector) for kind in columns.values()]
            marks = ", ".join("%s" for _ in columns)
            with self._pg.transaction(), self._pg.cursor() as cursor:
                for rows in batches:
                    cursor.executemany(
                        f'INSERT INTO "{table}" ({names}) VALUES ({marks})',
                        [tuple(f(v) for f, v in zip(convert, row, strict=True)) for row in rows],
                    )
            return
        marks = ", ".join("?" for _ in columns)
        self._sqlite.execute("BEGIN IMMEDIATE")
        try:
            for rows in batches:
                self._sqlite.executemany(
                    f'INSERT INTO "{table}" ({names}) VALUES ({marks})',
                    [tuple(_to_sqlite(v) for v in row) for row in rows],
                )
        except BaseException:
            self._sqlite.execute("ROLLBACK")
            raise
        self._sqlite.execute("COMMIT")

    def finish(self) -> None:
        """After all tables: move id sequences past the copied ids, build vector indexes
        and (in a large collection) the keyword lexicon."""
        if not self.postgres:
            return
        rows = self._pg.execute(
            "SELECT table_name, column_name, pg_get_serial_sequence(table_name, column_name)"
            " FROM information_schema.columns WHERE table_schema = current_schema()"
            " AND column_default LIKE 'nextval(%%'"
        ).fetchall()
        for table, column, sequence in rows:
            if sequence:
                self._pg.execute(
                    f'SELECT setval(%s, coalesce((SELECT max("{column}") FROM "{table}"), 0) + 1,'
                    " false)",
                    (sequence,),
                )
        self._pg.commit()
        from paperfeed.store.postgres.store import PostgresPaperStore

        target = cast(PostgresPaperStore, self.store)
        target.build_vector_indexes()
        target.refresh_keyword_statistics()  # word counts of a large collection

    def close(self) -> None:
        if self.postgres:
            self._pg.close()
        else:
            self._sqlite.close()


def _replace_at(
    row: Sequence[Any], positions: list[int], convert: Callable[[bytes], bytes]
) -> tuple[Any, ...]:
    if not positions:
        return tuple(row)
    values = list(row)
    for index in positions:
        if values[index] is not None:
            values[index] = convert(values[index])
    return tuple(values)


def _to_postgres(kind: str, vector: Callable[[bytes], Any]) -> Callable[[Any], Any]:
    """How an SQLite value becomes the destination column's value."""
    if kind == "bool":
        return lambda v: None if v is None else bool(v)
    if kind == "vector":
        return lambda v: None if v is None else vector(bytes(v))
    return lambda v: v  # ISO text goes as "unknown": the server parses dates itself


def _to_sqlite(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, memoryview):
        return bytes(value)
    return value


def copy_tables(
    source: PaperStore,
    destination: PaperStore,
    *,
    batch: int = DEFAULT_BATCH,
    progress: Callable[[TableCopy], None] | None = None,
) -> list[TableCopy]:
    """Copy every table of ``source`` into ``destination``; resumable per table."""
    reader, writer = Database(source), Database(destination)
    try:
        shared = set(reader.tables()) & set(writer.tables())
        order = [t for t in TABLE_ORDER if t in shared]
        order += sorted(shared - set(order) - DERIVED)
        done = []
        for table in order:
            copied = _copy_table(reader, writer, table, batch)
            done.append(copied)
            if progress is not None:
                progress(copied)
        writer.finish()
        return done
    finally:
        reader.close()
        writer.close()


def _copy_table(reader: Database, writer: Database, table: str, batch: int) -> TableCopy:
    expected = reader.count(table)
    present = writer.count(table)
    if present == expected:
        return TableCopy(table, expected, skipped=True)
    if present:
        raise StoreError(
            f"table {table} already has {present} rows in the destination (the source has"
            f" {expected}): copy into an empty database"
        )
    wanted = writer.columns(table)
    have = {c: kind for c, kind in reader.columns(table).items() if c in wanted}
    writer.write(table, {c: wanted[c] for c in have}, reader.read(table, have, batch))
    copied = writer.count(table)
    if copied != expected:
        raise StoreError(f"table {table}: copied {copied} rows, the source has {expected}")
    return TableCopy(table, copied, skipped=False)


@click.command("copy", cls=PaperfeedCommand)
@click.option("--from", "source_url", required=True, help="Database URL to copy from.")
@click.option("--to", "destination_url", required=True, help="Database URL to copy into.")
@click.option("--batch", default=DEFAULT_BATCH, show_default=True, help="Rows per batch.")
def copy_command(source_url: str, destination_url: str, batch: int) -> None:
    """Copy every table from one database to another (SQLite <-> PostgreSQL).

    Each table is copied in one transaction and its row count verified; run the
    same command again to resume after an interruption.
    """
    with open_store(source_url) as source, open_store(destination_url) as destination:
        copy_tables(
            source,
            destination,
            batch=batch,
            progress=lambda t: click.echo(
                f"{t.table}: {t.rows:,} rows" + (" (already there)" if t.skipped else "")
            ),
        )
    click.echo("copy complete; row counts verified")
