"""``CollectionStore`` in SQL both engines run (mixed into the store)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from paperfeed.store.collections import Collection, CollectionEntry
from paperfeed.store.database import Database, Row, Transaction
from paperfeed.store.dialect import stored_moment

_COLUMNS = (
    "c.id, c.account_id, c.name, c.description, c.public, c.created_at, c.updated_at,"
    " a.display_name AS owner_name,"
    " (SELECT count(*) FROM collection_papers e WHERE e.collection_id = c.id) AS papers"
)
_FROM = "FROM collections c JOIN accounts a ON a.id = c.account_id"


def _collection(row: Row) -> Collection:
    return Collection(
        id=int(row["id"]),
        account_id=int(row["account_id"]),
        name=row["name"],
        description=row["description"],
        public=bool(row["public"]),
        created_at=stored_moment(row["created_at"]),
        updated_at=stored_moment(row["updated_at"]),
        papers=int(row["papers"]),
        owner_name=row["owner_name"],
    )


def _touch(tx: Transaction, collection_id: int, at: datetime) -> None:
    tx.execute("UPDATE collections SET updated_at = ? WHERE id = ?", (at, collection_id))


class CollectionTables:
    """``CollectionStore`` in SQL both engines run (mixed into the store)."""

    _db: Database

    def create_collection(
        self, account_id: int, name: str, name_key: str, *, public: bool, at: datetime
    ) -> Collection | None:
        def create(tx: Transaction) -> Collection | None:
            new_id = tx.value(
                "INSERT INTO collections"
                " (account_id, name, name_key, public, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (account_id, name_key) DO NOTHING"
                " RETURNING id",
                (account_id, name, name_key, public, at, at),
            )
            if new_id is None:
                return None
            row = tx.one(f"SELECT {_COLUMNS} {_FROM} WHERE c.id = ?", (new_id,))
            return _collection(row) if row else None

        return self._db.write(create)

    def collection(self, collection_id: int) -> Collection | None:
        row = self._db.one(f"SELECT {_COLUMNS} {_FROM} WHERE c.id = ?", (collection_id,))
        return _collection(row) if row else None

    def collection_named(self, account_id: int, name_key: str) -> Collection | None:
        row = self._db.one(
            f"SELECT {_COLUMNS} {_FROM} WHERE c.account_id = ? AND c.name_key = ?",
            (account_id, name_key),
        )
        return _collection(row) if row else None

    def collections_of(self, account_id: int) -> list[Collection]:
        rows = self._db.all(
            f"SELECT {_COLUMNS} {_FROM} WHERE c.account_id = ?"
            " ORDER BY c.updated_at DESC, c.id DESC",
            (account_id,),
        )
        return [_collection(row) for row in rows]

    def update_collection(
        self,
        collection_id: int,
        account_id: int,
        *,
        name: str,
        name_key: str,
        description: str,
        public: bool,
        at: datetime,
    ) -> bool:
        cursor = self._db.write(
            lambda tx: tx.execute(
                "UPDATE collections SET name = ?, name_key = ?, description = ?, public = ?,"
                " updated_at = ? WHERE id = ? AND account_id = ?",
                (name, name_key, description, public, at, collection_id, account_id),
            )
        )
        return cursor.rowcount > 0

    def delete_collection(self, collection_id: int, account_id: int) -> bool:
        cursor = self._db.write(
            lambda tx: tx.execute(
                "DELETE FROM collections WHERE id = ? AND account_id = ?",
                (collection_id, account_id),
            )
        )
        return cursor.rowcount > 0

    def add_to_collection(
        self, collection_id: int, entries: Sequence[tuple[str, str]], at: datetime
    ) -> int:
        rows = list({paper_id: (paper_id, note) for paper_id, note in entries}.values())
        if not rows:
            return 0

        def add(tx: Transaction) -> int:
            count = "SELECT count(*) FROM collection_papers WHERE collection_id = ?"
            before = int(tx.value(count, (collection_id,)))
            tx.executemany(
                "INSERT INTO collection_papers (collection_id, paper_id, note, added_at)"
                " SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM papers WHERE id = ?)"
                " ON CONFLICT (collection_id, paper_id) DO UPDATE SET note ="
                " CASE WHEN excluded.note = '' THEN collection_papers.note"
                " ELSE excluded.note END",
                [(collection_id, paper_id, note, at, paper_id) for paper_id, note in rows],
            )
            _touch(tx, collection_id, at)
            return int(tx.value(count, (collection_id,))) - before

        return self._db.write(add)

    def set_collection_note(self, collection_id: int, paper_id: str, note: str) -> bool:
        cursor = self._db.write(
            lambda tx: tx.execute(
                "UPDATE collection_papers SET note = ? WHERE collection_id = ? AND paper_id = ?",
                (note, collection_id, paper_id),
            )
        )
        return cursor.rowcount > 0

    def remove_from_collection(self, collection_id: int, paper_id: str) -> bool:
        cursor = self._db.write(
            lambda tx: tx.execute(
                "DELETE FROM collection_papers WHERE collection_id = ? AND paper_id = ?",
                (collection_id, paper_id),
            )
        )
        return cursor.rowcount > 0

    def collection_entries(
        self, collection_id: int, *, limit: int, offset: int = 0
    ) -> list[CollectionEntry]:
        rows = self._db.all(
            "SELECT paper_id, note, added_at FROM collection_papers WHERE collection_id = ?"
            " ORDER BY added_at DESC, paper_id LIMIT ? OFFSET ?",
            (collection_id, limit, offset),
        )
        return [
            CollectionEntry(row["paper_id"], row["note"], stored_moment(row["added_at"]))
            for row in rows
        ]

    def collections_holding(self, account_id: int, paper_ids: Sequence[str]) -> dict[str, set[int]]:
        if not paper_ids:
            return {}
        d = self._db.dialect
        rows = self._db.all(
            "SELECT e.paper_id, e.collection_id FROM collection_papers e"
            " JOIN collections c ON c.id = e.collection_id"
            f" WHERE c.account_id = ? AND {d.member('e.paper_id')}",
            (account_id, d.values(paper_ids)),
        )
        held: dict[str, set[int]] = {}
        for row in rows:
            held.setdefault(row["paper_id"], set()).add(int(row["collection_id"]))
        return held
