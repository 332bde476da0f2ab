"""Ratings, follows, library, reader models and personal tokens, in SQL (both engines).

A reader's profile is read from every table that holds part of it, in one snapshot:
this capability's own rows, saves and upvotes, and the digest's thumbs and interests of
the subscriber with the same address (see migration 0011).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, cast

from paperfeed.store.database import Database, Transaction
from paperfeed.store.dialect import Dialect, stored_moment
from paperfeed.store.personal import (
    EventKind,
    Follow,
    FollowKind,
    PersonalToken,
    Profile,
    ProfileEvent,
    Rating,
    StoredBackground,
    StoredModel,
    TokenKind,
)

_NEWEST_FIRST = "announced DESC NULLS LAST, first_seen_at DESC, id DESC"
_SAME_PERSON = "SELECT s.id FROM subscribers s JOIN accounts a ON a.email = s.email WHERE a.id = ?"


class PersonalTables:
    """``PersonalStore`` over the executor; mixed into both engines' stores."""

    _db: Database

    # -- accounts -----------------------------------------------------------------------

    def ensure_account(self, email: str, display_name: str) -> int:
        now = datetime.now(UTC)

        def ensure(tx: Transaction) -> int:
            tx.execute(
                "INSERT INTO accounts (email, display_name, created_at) VALUES (?, ?, ?)"
                " ON CONFLICT (email) DO NOTHING",
                (email, display_name, now),
            )
            return int(tx.value("SELECT id FROM accounts WHERE email = ?", (email,)))

        return self._db.write(ensure)

    def account_id(self, email: str) -> int | None:
        found = self._db.value("SELECT id FROM accounts WHERE email = ?", (email,))
        return None if found is None else int(found)

    def account_ids(self, emails: Sequence[str]) -> dict[str, int]:
        if not emails:
            return {}
        dialect = self._db.dialect
        rows = self._db.all(
            f"SELECT email, id FROM accounts WHERE {dialect.member('email')}",
            (dialect.values(emails),),
        )
        return {row["email"]: int(row["id"]) for row in rows}

    # -- ratings, follows, library ------------------------------------------------------

    def rate(self, account_id: int, paper_id: str, rating: Rating, at: datetime) -> None:
        self._db.write(
            lambda tx: tx.execute(
                "INSERT INTO reader_ratings (account_id, paper_id, rating, rated_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (account_id, paper_id)"
                " DO UPDATE SET rating = excluded.rating, rated_at = excluded.rated_at",
                (account_id, paper_id, rating, at),
            )
        )

    def unrate(self, account_id: int, paper_id: str) -> bool:
        cursor = self._db.write(
            lambda tx: tx.execute(
                "DELETE FROM reader_ratings WHERE account_id = ? AND paper_id = ?",
                (account_id, paper_id),
            )
        )
        return cursor.rowcount > 0

    def ratings_of(self, account_id: int, paper_ids: Sequence[str]) -> dict[str, Rating]:
        if not paper_ids:
            return {}
        dialect = self._db.dialect
        rows = self._db.all(
            "SELECT paper_id, rating FROM reader_ratings WHERE account_id = ?"
            f" AND {dialect.member('paper_id')}",
            (account_id, dialect.values(paper_ids)),
        )
        return {row["paper_id"]: cast(Rating, row["rating"]) for row in rows}

    def papers_by_author_text(self, fragment: str, limit: int) -> list[str]:
        escaped = fragment.replace("\\", "\\\\").replace("%", "\\%")
        rows = self._db.all(
            "SELECT id FROM papers WHERE lower(authors_text) LIKE ? ESCAPE '\\'"
            f" ORDER BY {_NEWEST_FIRST} LIMIT ?",
            (f"%{escaped}%", limit),
        )
        return [row["id"] for row in rows]

    def follow(self, account_id: int, kind: FollowKind, value: str, at: datetime) -> bool:
        cursor = self._db.write(
            lambda tx: tx.execute(
                "INSERT INTO reader_follows (account_id, kind, value, followed_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (account_id, kind, value, at),
            )
        )
        return cursor.rowcount > 0

    def unfollow(self, account_id: int, kind: FollowKind, values: Sequence[str]) -> int:
        dialect = self._db.dialect

        def remove(tx: Transaction) -> int:
            own = tx.execute(
                "DELETE FROM reader_follows WHERE account_id = ? AND kind = ?"
                f" AND {dialect.member('value')}",
                (account_id, kind, dialect.values(values)),
            ).rowcount
            digest = tx.execute(
                "DELETE FROM subscriber_interests WHERE kind = ?"
                f" AND {dialect.member('value')} AND subscriber_id IN ({_SAME_PERSON})",
                (kind, dialect.values(values), account_id),
            ).rowcount
            return own + digest

        return self._db.write(remove)

    def add_to_library(
        self, account_id: int, paper_ids: Sequence[str], source: str, at: datetime
    ) -> int:
        rows = [(account_id, paper_id, source, at) for paper_id in dict.fromkeys(paper_ids)]
        if not rows:
            return 0
        cursor = self._db.write(
            lambda tx: tx.executemany(
                "INSERT INTO reader_library (account_id, paper_id, source, added_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                rows,
            )
        )
        return cursor.rowcount

    def profile(self, account_id: int) -> Profile:
        return self.profiles([account_id])[account_id]

    def profiles(self, account_ids: Sequence[int]) -> dict[int, Profile]:
        if not account_ids:
            return {}
        dialect = self._db.dialect
        return self._db.read(lambda tx: _profiles(tx, dialect, account_ids), snapshot=True)

    def papers_titled(self, titles: Sequence[str]) -> dict[str, list[str]]:
        if not titles:
            return {}
        dialect = self._db.dialect
        rows = self._db.all(
            "SELECT id, lower(title_text) AS title FROM papers"
            f" WHERE {dialect.member('lower(title_text)')} ORDER BY id",
            (dialect.values(titles),),
        )
        found: dict[str, list[str]] = {}
        for row in rows:
            found.setdefault(row["title"], []).append(row["id"])
        return found

    # -- derived state ------------------------------------------------------------------

    def reader_model(self, account_id: int) -> StoredModel | None:
        return self.reader_models([account_id]).get(account_id)

    def reader_models(self, account_ids: Sequence[int]) -> dict[int, StoredModel]:
        if not account_ids:
            return {}
        dialect = self._db.dialect
        rows = self._db.all(
            "SELECT account_id, generation, format, fingerprint, state, updated_at"
            f" FROM reader_models WHERE {dialect.member('account_id')}",
            (dialect.values(sorted(set(account_ids))),),
        )
        return {
            int(row["account_id"]): StoredModel(
                row["generation"],
                int(row["format"]),
                row["fingerprint"],
                bytes(row["state"]),
                stored_moment(row["updated_at"]),
            )
            for row in rows
        }

    def save_reader_model(self, account_id: int, model: StoredModel) -> None:
        self.save_reader_models({account_id: model})

    def save_reader_models(self, models: Mapping[int, StoredModel]) -> None:
        rows = [
            (account, m.generation, m.format, m.fingerprint, m.state, m.updated_at)
            for account, m in sorted(models.items())
        ]
        if not rows:
            return
        self._db.write(
            lambda tx: tx.executemany(
                "INSERT INTO reader_models"
                " (account_id, generation, format, fingerprint, state, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (account_id) DO UPDATE SET"
                " generation = excluded.generation, format = excluded.format,"
                " fingerprint = excluded.fingerprint, state = excluded.state,"
                " updated_at = excluded.updated_at",
                rows,
            )
        )

    def reader_background(self, generation: str) -> StoredBackground | None:
        row = self._db.one(
            "SELECT generation, papers, state, fitted_at FROM reader_backgrounds"
            " WHERE generation = ?",
            (generation,),
        )
        if row is None:
            return None
        return StoredBackground(
            row["generation"],
            int(row["papers"]),
            bytes(row["state"]),
            stored_moment(row["fitted_at"]),
        )

    def save_reader_background(self, background: StoredBackground) -> None:
        self._db.write(
            lambda tx: tx.execute(
                "INSERT INTO reader_backgrounds (generation, papers, state, fitted_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (generation) DO UPDATE SET"
                " papers = excluded.papers, state = excluded.state,"
                " fitted_at = excluded.fitted_at",
                (background.generation, background.papers, background.state, background.fitted_at),
            )
        )

    # -- tokens -------------------------------------------------------------------------

    def add_personal_token(
        self, account_id: int, kind: TokenKind, token_hash: str, label: str, at: datetime
    ) -> None:
        self._db.write(
            lambda tx: tx.execute(
                "INSERT INTO personal_tokens (token_hash, account_id, kind, label, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (token_hash, account_id, kind, label, at),
            )
        )

    def personal_token_account(self, kind: TokenKind, token_hash: str, now: datetime) -> int | None:
        found = self._db.write(
            lambda tx: tx.value(
                "UPDATE personal_tokens SET last_used_at = ?"
                " WHERE token_hash = ? AND kind = ? AND revoked_at IS NULL RETURNING account_id",
                (now, token_hash, kind),
            )
        )
        return None if found is None else int(found)

    def revoke_personal_tokens(self, account_id: int, kind: TokenKind, now: datetime) -> int:
        cursor = self._db.write(
            lambda tx: tx.execute(
                "UPDATE personal_tokens SET revoked_at = ?"
                " WHERE account_id = ? AND kind = ? AND revoked_at IS NULL",
                (now, account_id, kind),
            )
        )
        return cursor.rowcount

    def replace_personal_token(
        self, account_id: int, kind: TokenKind, token_hash: str, label: str, at: datetime
    ) -> int:
        def replace(tx: Transaction) -> int:
            revoked = tx.execute(
                "UPDATE personal_tokens SET revoked_at = ?"
                " WHERE account_id = ? AND kind = ? AND revoked_at IS NULL",
                (at, account_id, kind),
            ).rowcount
            tx.execute(
                "INSERT INTO personal_tokens (token_hash, account_id, kind, label, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (token_hash, account_id, kind, label, at),
            )
            return revoked

        return self._db.write(replace)

    def revoke_personal_token(self, account_id: int, token_hash: str, now: datetime) -> bool:
        cursor = self._db.write(
            lambda tx: tx.execute(
                "UPDATE personal_tokens SET revoked_at = ?"
                " WHERE account_id = ? AND token_hash = ? AND revoked_at IS NULL",
                (now, account_id, token_hash),
            )
        )
        return cursor.rowcount > 0

    def personal_tokens(self, account_id: int) -> list[PersonalToken]:
        rows = self._db.all(
            "SELECT token_hash, kind, label, created_at, last_used_at, revoked_at"
            " FROM personal_tokens WHERE account_id = ? ORDER BY created_at DESC, token_hash",
            (account_id,),
        )
        return [
            PersonalToken(
                row["token_hash"],
                cast(TokenKind, row["kind"]),
                row["label"],
                stored_moment(row["created_at"]),
                _moment_or_none(row["last_used_at"]),
                _moment_or_none(row["revoked_at"]),
            )
            for row in rows
        ]

    def personal_rows(self, account_id: int) -> dict[str, list[dict[str, Any]]]:
        params = (account_id,)

        def read(tx: Transaction) -> dict[str, list[dict[str, Any]]]:
            return {
                name: [dict(row) for row in tx.all(sql, params)]
                for name, sql in _PERSONAL_ROWS.items()
            }

        return self._db.read(read, snapshot=True)

    def forget_personal_data(self, account_id: int) -> None:
        def forget(tx: Transaction) -> None:
            for table in (
                "reader_ratings",
                "reader_follows",
                "reader_library",
                "reader_models",
                "personal_tokens",
                "collections",
            ):
                tx.execute(f"DELETE FROM {table} WHERE account_id = ?", (account_id,))
            # The digest's thumbs are ratings and its interests are follows (one profile).
            for table in ("subscriber_feedback", "subscriber_interests"):
                tx.execute(
                    f"DELETE FROM {table} WHERE subscriber_id IN ({_SAME_PERSON})", (account_id,)
                )

        self._db.write(forget)


def _moment_or_none(value: Any) -> datetime | None:
    return None if value is None else stored_moment(value)


_OF_SAME_PERSON = f"WHERE subscriber_id IN ({_SAME_PERSON})"
_PERSONAL_ROWS = {
    "account": "SELECT id, email, display_name, github_handle, created_at, last_signin_at"
    " FROM accounts WHERE id = ?",
    "subscription": "SELECT s.id, s.email, s.status, s.created_at, s.confirmed_at,"
    " s.updated_at, s.unsubscribed_at, s.cadence, s.weekdays, s.timezone, s.send_hour,"
    " s.max_papers, s.trending_only, s.send_empty, s.last_digest_at"
    " FROM subscribers s JOIN accounts a ON a.email = s.email WHERE a.id = ?",
    "digest_interests": "SELECT kind, value, position FROM subscriber_interests"
    f" {_OF_SAME_PERSON} ORDER BY kind, position, value",
    "digest_thumbs": "SELECT paper_id, verdict, at FROM subscriber_feedback"
    f" {_OF_SAME_PERSON} ORDER BY at, paper_id",
    "digests_sent": "SELECT paper_id, period FROM digest_sent"
    f" {_OF_SAME_PERSON} ORDER BY period, paper_id",
    "ratings": "SELECT paper_id, rating, rated_at FROM reader_ratings WHERE account_id = ?"
    " ORDER BY rated_at, paper_id",
    "follows": "SELECT kind, value, followed_at FROM reader_follows WHERE account_id = ?"
    " ORDER BY followed_at, kind, value",
    "library": "SELECT paper_id, source, added_at FROM reader_library WHERE account_id = ?"
    " ORDER BY added_at, paper_id",
    "saves_and_upvotes": "SELECT kind, paper_id, created_at FROM paper_marks"
    " WHERE account_id = ? ORDER BY created_at, kind, paper_id",
    "tokens": "SELECT kind, label, created_at, last_used_at, revoked_at FROM personal_tokens"
    " WHERE account_id = ? ORDER BY created_at, kind",
    "model": "SELECT generation, format, updated_at FROM reader_models WHERE account_id = ?",
}
"""What "download my data" holds, table by table (the model's state is added as JSON by
the caller; token digests and sessions are secrets, never exported)."""


def _profiles(tx: Transaction, dialect: Dialect, account_ids: Sequence[int]) -> dict[int, Profile]:
    """Profiles of many readers: one query per table that holds a part of them."""
    wanted = dialect.values(sorted(set(account_ids)))
    events: dict[int, list[ProfileEvent]] = {a: [] for a in account_ids}
    for row in tx.all(
        "SELECT account_id, paper_id, added_at FROM reader_library"
        f" WHERE {dialect.member('account_id')}",
        (wanted,),
    ):
        events[int(row["account_id"])].append(
            ProfileEvent(row["paper_id"], "library", stored_moment(row["added_at"]))
        )
    imported = {(a, e.paper_id) for a, own in events.items() for e in own}
    for row in tx.all(  # a paper put in one of the reader's lists counts as in their library
        "SELECT c.account_id, e.paper_id, min(e.added_at) AS added_at FROM collection_papers e"
        " JOIN collections c ON c.id = e.collection_id"
        f" WHERE {dialect.member('c.account_id')} GROUP BY c.account_id, e.paper_id",
        (wanted,),
    ):
        account = int(row["account_id"])
        if (account, row["paper_id"]) not in imported:
            at = stored_moment(row["added_at"])
            events[account].append(ProfileEvent(row["paper_id"], "library", at))
    for row in tx.all(
        "SELECT account_id, kind, paper_id, created_at FROM paper_marks"
        f" WHERE {dialect.member('account_id')}",
        (wanted,),
    ):
        at = datetime.fromtimestamp(float(row["created_at"]), UTC)
        events[int(row["account_id"])].append(
            ProfileEvent(row["paper_id"], cast(EventKind, row["kind"]), at)
        )
    judged: dict[int, dict[str, tuple[datetime, Rating]]] = {a: {} for a in account_ids}
    for row in tx.all(
        "SELECT a.id AS account_id, f.paper_id, f.verdict, f.at FROM subscriber_feedback f"
        " JOIN subscribers s ON s.id = f.subscriber_id JOIN accounts a ON a.email = s.email"
        f" WHERE {dialect.member('a.id')}",
        (wanted,),
    ):
        judged[int(row["account_id"])][row["paper_id"]] = (
            stored_moment(row["at"]),
            "more" if row["verdict"] > 0 else "less",
        )
    for row in tx.all(
        "SELECT account_id, paper_id, rating, rated_at FROM reader_ratings"
        f" WHERE {dialect.member('account_id')}",
        (wanted,),
    ):
        at = stored_moment(row["rated_at"])
        own = judged[int(row["account_id"])]
        earlier = own.get(row["paper_id"])
        if earlier is None or earlier[0] <= at:
            own[row["paper_id"]] = (at, cast(Rating, row["rating"]))
    follows: dict[int, dict[tuple[str, str], Follow]] = {a: {} for a in account_ids}
    for row in tx.all(
        "SELECT account_id, kind, value FROM reader_follows"
        f" WHERE {dialect.member('account_id')} ORDER BY account_id, followed_at, value",
        (wanted,),
    ):
        follows[int(row["account_id"])][(row["kind"], row["value"])] = Follow(
            cast(FollowKind, row["kind"]), row["value"]
        )
    for row in tx.all(
        "SELECT a.id AS account_id, i.kind, i.value FROM subscriber_interests i"
        " JOIN subscribers s ON s.id = i.subscriber_id JOIN accounts a ON a.email = s.email"
        f" WHERE {dialect.member('a.id')} ORDER BY a.id, i.position, i.value",
        (wanted,),
    ):
        follows[int(row["account_id"])].setdefault(
            (row["kind"], row["value"]), Follow(cast(FollowKind, row["kind"]), row["value"])
        )
    profiles = {}
    for account in account_ids:
        own_events = events[account]
        own_events.extend(ProfileEvent(p, r, at) for p, (at, r) in judged[account].items())
        own_events.sort(key=lambda e: (e.at, e.paper_id, e.kind))
        profiles[account] = Profile(account, tuple(own_events), tuple(follows[account].values()))
    return profiles
