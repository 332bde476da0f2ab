"""What only SQLite does for search: the keyword change log the embedded keyword index
beside the database is fed from (``KeywordChangeLog``), and the DOI lookup.

Triggers (migration 0008) append to ``keyword_changes`` on every write of what the
keyword index holds, so any writer of ``papers`` keeps the log right. Scopes,
generations and vectors are the shared layer's (``store/tables/search.py``); the vector
index itself is files beside the database too (``paperfeed.search``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import orjson

from paperfeed.store.database import Database, Row
from paperfeed.store.dialect import day
from paperfeed.store.search import KeywordChangeLog, KeywordDocument
from paperfeed.store.tables.search import SearchTables

_DOCUMENT_COLUMNS = (
    "id, title_text, authors_text, abstract_text, categories_json,"
    " coalesce(announced, published) AS day"
)


def _keyword_document(row: Row) -> KeywordDocument:
    return KeywordDocument(
        paper_id=row["id"],
        title=row["title_text"],
        authors=row["authors_text"],
        abstract=row["abstract_text"],
        categories=tuple(orjson.loads(row["categories_json"])),
        day=day(row["day"] or None),
    )


class SQLiteSearch(SearchTables, KeywordChangeLog):
    """Mixed into ``SQLitePaperStore``: its keyword change log, and the shared search
    tables (vectors stored as ``BLOB``, the defaults)."""

    _db: Database

    def latest_keyword_change(self) -> int:
        return int(self._db.value("SELECT max(seq) FROM keyword_changes") or 0)

    def keyword_changes(self, *, after_seq: int, limit: int) -> list[tuple[int, str]]:
        rows = self._db.all(
            "SELECT seq, paper_id FROM keyword_changes WHERE seq > ? ORDER BY seq LIMIT ?",
            (after_seq, limit),
        )
        return [(int(row["seq"]), str(row["paper_id"])) for row in rows]

    def keyword_documents(self, paper_ids: Sequence[str]) -> dict[str, KeywordDocument]:
        dialect = self._db.dialect
        rows = self._db.read(
            lambda tx: tx.all(
                f"SELECT {_DOCUMENT_COLUMNS} FROM papers WHERE {dialect.member('id')}",
                (dialect.values(paper_ids),),
            )
        )
        return {row["id"]: _keyword_document(row) for row in rows}

    def iter_keyword_documents(self, *, batch_size: int = 5000) -> Iterator[list[KeywordDocument]]:
        after = ""
        while True:
            rows = self._db.all(
                f"SELECT {_DOCUMENT_COLUMNS} FROM papers WHERE id > ? ORDER BY id LIMIT ?",
                (after, batch_size),
            )
            if not rows:
                return
            yield [_keyword_document(row) for row in rows]
            after = rows[-1]["id"]

    def find_papers_by_doi(self, doi: str) -> list[str]:
        # DOIs are case-insensitive; the exact spelling uses the index, others scan.
        rows = self._db.all("SELECT id FROM papers WHERE doi = ? ORDER BY id", (doi,))
        if not rows:
            rows = self._db.all(
                "SELECT id FROM papers WHERE doi IS NOT NULL AND lower(doi) = lower(?) ORDER BY id",
                (doi,),
            )
        return [row["id"] for row in rows]
