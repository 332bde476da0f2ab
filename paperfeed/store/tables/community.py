"""Accounts, sessions, rate limits, upvotes and saves, code stars and Hugging Face
readings, in SQL. Whatever turns into trending signals is appended to the ledger in
the same transaction (``TrendingTables._apply_signals``), under the write lock."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import orjson

from paperfeed.store.community import (
    Account,
    CodeLinks,
    HFReading,
    MarkKind,
    NewMark,
    PublicName,
    RateCheck,
    RepoCheck,
    RepoState,
    Signal,
    SignalScorer,
    Submission,
    added_marks,
)
from paperfeed.store.database import Database, Row, Transaction
from paperfeed.store.dialect import day, iso_text, moment, stored_moment
from paperfeed.store.tables.trending import TrendingTables
from paperfeed.store.trending_rows import listed_at

_ACCOUNT = "id, email, display_name, github_handle, created_at"
_RATE_KEEP = 3 * 86_400  # counters older than the longest window are dropped


def _now() -> datetime:
    return datetime.now(UTC)


def _account(row: Row) -> Account:
    return Account(
        row["id"],
        row["email"],
        row["display_name"],
        row["github_handle"],
        stored_moment(row["created_at"]),
    )


def _repo_state(row: Row) -> RepoState:
    return RepoState(
        repo=row["repo"],
        stars=row["stars"],
        etag=row["etag"],
        checked_at=moment(row["checked_at"]),
        gone=row["gone_at"] is not None,
    )


class CommunityTables(TrendingTables, ABC):
    """``CommunityStore`` in SQL both engines run (mixed into the store); its signals
    go to the ledger through ``TrendingTables``."""

    _db: Database

    @abstractmethod
    def _insert_marks(
        self, tx: Transaction, kind: MarkKind, marks: Sequence[NewMark]
    ) -> list[tuple[Any, ...]]:
        """Insert a batch of marks in one statement, skipping repeats (stored, or
        earlier in the batch); ``(account_id, paper_id, created_at)`` of those added.
        The engine's bulk path."""

    # -- accounts and sessions ----------------------------------------------------------

    def get_or_create_account(self, email: str, display_name: str) -> tuple[Account, bool]:
        now = _now()

        def sign_in(tx: Transaction) -> tuple[Account, bool]:
            inserted = tx.value(
                "INSERT INTO accounts (email, display_name, created_at, last_signin_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (email) DO NOTHING RETURNING id",
                (email, display_name, now, now),
            )
            row = tx.one(
                f"UPDATE accounts SET last_signin_at = ? WHERE email = ? RETURNING {_ACCOUNT}",
                (now, email),
            )
            return _account(row), inserted is not None

        return self._db.write(sign_in)

    def get_account(self, account_id: int) -> Account | None:
        row = self._db.one(f"SELECT {_ACCOUNT} FROM accounts WHERE id = ?", (account_id,))
        return _account(row) if row else None

    def update_account(
        self, account_id: int, *, display_name: str, github_handle: str | None
    ) -> None:
        self._db.write(
            lambda tx: tx.execute(
                "UPDATE accounts SET display_name = ?, github_handle = ? WHERE id = ?",
                (display_name, github_handle, account_id),
            )
        )

    def delete_account(self, account_id: int) -> bool:
        def delete(tx: Transaction) -> bool:
            email = tx.value("DELETE FROM accounts WHERE id = ? RETURNING email", (account_id,))
            if email is None:
                return False
            # Sessions cascade; marks and submissions keep their counts (account NULL).
            tx.execute("DELETE FROM subscribers WHERE email = ?", (email,))
            return True

        return self._db.write(delete)

    def create_session(self, token_hash: str, account_id: int, expires_at: datetime) -> None:
        now = _now()

        def create(tx: Transaction) -> None:
            tx.execute("DELETE FROM sessions WHERE expires_at < ?", (now,))
            tx.execute(
                "INSERT INTO sessions (token_hash, account_id, created_at, expires_at)"
                " VALUES (?, ?, ?, ?)",
                (token_hash, account_id, now, expires_at),
            )

        self._db.write(create)

    def session_account(self, token_hash: str, now: datetime) -> Account | None:
        columns = ", ".join("a." + c for c in _ACCOUNT.split(", "))
        row = self._db.one(
            f"SELECT {columns} FROM sessions s JOIN accounts a ON a.id = s.account_id"
            " WHERE s.token_hash = ? AND s.expires_at > ?",
            (token_hash, now),
        )
        return _account(row) if row else None

    def delete_session(self, token_hash: str) -> None:
        sql = "DELETE FROM sessions WHERE token_hash = ?"
        self._db.write(lambda tx: tx.execute(sql, (token_hash,)))

    def use_signin_nonce(self, nonce: str, expires_at: datetime, now: datetime) -> bool:
        def use(tx: Transaction) -> bool:
            tx.execute("DELETE FROM used_signin_tokens WHERE expires_at < ?", (now,))
            return (
                tx.execute(
                    "INSERT INTO used_signin_tokens (nonce, used_at, expires_at)"
                    " VALUES (?, ?, ?) ON CONFLICT (nonce) DO NOTHING",
                    (nonce, now, expires_at),
                ).rowcount
                == 1
            )

        return self._db.write(use)

    def take_rate_limit(self, checks: Sequence[RateCheck], now: float) -> RateCheck | None:
        def take(tx: Transaction) -> RateCheck | None:
            tx.execute(
                "DELETE FROM rate_limit_hits WHERE window_start < ?", (int(now) - _RATE_KEEP,)
            )
            for check in checks:
                hits = tx.value(
                    "SELECT hits FROM rate_limit_hits WHERE key = ? AND window_start = ?",
                    (check.key, check.window_start),
                )
                if hits is not None and hits >= check.limit:
                    return check
            tx.executemany(
                "INSERT INTO rate_limit_hits (key, window_start, hits) VALUES (?, ?, 1)"
                " ON CONFLICT (key, window_start) DO UPDATE SET hits = rate_limit_hits.hits + 1",
                [(c.key, c.window_start) for c in checks],
            )
            return None

        return self._db.write(take, serial=True)

    # -- upvotes, saves, submissions ----------------------------------------------------

    def add_marks(
        self, kind: MarkKind, marks: Sequence[NewMark], scorer: SignalScorer
    ) -> list[bool]:
        def add(tx: Transaction) -> list[bool]:
            added, signals = added_marks(kind, marks, self._insert_marks(tx, kind, marks))
            self._apply_signals(tx, signals, scorer, from_marks=True)
            return added

        return self._db.write(add, serial=True)

    def remove_mark(
        self, kind: MarkKind, account_id: int, paper_id: str, scorer: SignalScorer
    ) -> bool:
        def remove(tx: Transaction) -> bool:
            created = tx.value(
                "DELETE FROM paper_marks WHERE account_id = ? AND kind = ? AND paper_id = ?"
                " RETURNING created_at",
                (account_id, kind, paper_id),
            )
            if created is None:
                return False
            # The withdrawal cancels the mark's own term: same time, opposite sign.
            withdrawal = Signal(paper_id, kind, -1.0, created)
            self._apply_signals(tx, [withdrawal], scorer, from_marks=True)
            return True

        return self._db.write(remove, serial=True)

    def marked_by(self, account_id: int, kind: MarkKind, paper_ids: Sequence[str]) -> set[str]:
        d = self._db.dialect
        rows = self._db.all(
            "SELECT paper_id FROM paper_marks WHERE account_id = ? AND kind = ?"
            f" AND {d.member('paper_id')}",
            (account_id, kind, d.values(paper_ids)),
        )
        return {row["paper_id"] for row in rows}

    def marked_papers(
        self, account_id: int, kind: MarkKind, *, limit: int, offset: int
    ) -> list[str]:
        rows = self._db.all(
            "SELECT paper_id FROM paper_marks WHERE account_id = ? AND kind = ?"
            " ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
            (account_id, kind, limit, offset),
        )
        return [row["paper_id"] for row in rows]

    def upvoters(self, paper_id: str, *, limit: int) -> list[PublicName]:
        rows = self._db.all(
            "SELECT a.id, a.display_name FROM paper_marks m JOIN accounts a ON a.id = m.account_id"
            " WHERE m.paper_id = ? AND m.kind = 'upvote' ORDER BY m.created_at DESC LIMIT ?",
            (paper_id, limit),
        )
        return [PublicName(row["id"], row["display_name"]) for row in rows]

    def record_submission(self, paper_id: str, account_id: int) -> bool:
        now = _now()
        return self._db.write(
            lambda tx: (
                tx.execute(
                    "INSERT INTO submissions (paper_id, account_id, submitted_at) VALUES (?, ?, ?)"
                    " ON CONFLICT (paper_id) DO NOTHING",
                    (paper_id, account_id, now),
                ).rowcount
                == 1
            )
        )

    def get_submission(self, paper_id: str) -> Submission | None:
        row = self._db.one(
            "SELECT s.paper_id, a.display_name, s.submitted_at, a.id AS account_id"
            " FROM submissions s LEFT JOIN accounts a ON a.id = s.account_id"
            " WHERE s.paper_id = ?",
            (paper_id,),
        )
        if row is None:
            return None
        return Submission(
            row["paper_id"],
            row["display_name"],
            stored_moment(row["submitted_at"]),
            row["account_id"],
        )

    # -- code and Hugging Face ----------------------------------------------------------

    def recent_code_links(self, since: date) -> list[CodeLinks]:
        rows = self._db.all(
            "SELECT p.id, p.code_links_json, p.announced, p.first_seen_at, h.github_repo"
            " FROM papers p LEFT JOIN hf_papers h ON h.paper_id = p.id"
            " WHERE p.announced >= ?",
            (since,),
        )
        found = []
        for row in rows:
            links = tuple(orjson.loads(row["code_links_json"]))
            if row["github_repo"]:
                links = (row["github_repo"], *links)
            if links:
                listed = listed_at(row["announced"], row["first_seen_at"])
                found.append(CodeLinks(row["id"], links, listed))
        return found

    def link_repos(self, pairs: Sequence[tuple[str, str]]) -> int:
        if not pairs:
            return 0

        def link(tx: Transaction) -> int:
            added = tx.executemany(
                "INSERT INTO paper_repos (paper_id, repo) SELECT ?, ?"
                " WHERE EXISTS (SELECT 1 FROM papers WHERE id = ?) ON CONFLICT DO NOTHING",
                [(paper_id, repo, paper_id) for paper_id, repo in pairs],
            ).rowcount
            tx.executemany(
                "INSERT INTO github_repos (repo) VALUES (?) ON CONFLICT DO NOTHING",
                [(repo,) for _, repo in pairs],
            )
            return added

        return self._db.write(link)

    def repos_due(self, *, checked_before: datetime, limit: int) -> list[RepoState]:
        rows = self._db.all(
            "SELECT * FROM github_repos WHERE gone_at IS NULL"
            " AND (checked_at IS NULL OR checked_at < ?)"
            " AND EXISTS (SELECT 1 FROM paper_repos r WHERE r.repo = github_repos.repo)"
            " ORDER BY checked_at IS NOT NULL, checked_at, repo LIMIT ?",
            (checked_before, limit),
        )
        return [_repo_state(row) for row in rows]

    def repo_state(self, repo: str) -> RepoState | None:
        row = self._db.one("SELECT * FROM github_repos WHERE repo = ?", (repo,))
        return _repo_state(row) if row else None

    def repo_papers(self, repo: str) -> list[tuple[str, float]]:
        rows = self._db.all(
            "SELECT p.id, p.announced, p.first_seen_at FROM paper_repos r"
            " JOIN papers p ON p.id = r.paper_id WHERE r.repo = ? ORDER BY p.id",
            (repo,),
        )
        return [(row["id"], listed_at(row["announced"], row["first_seen_at"])) for row in rows]

    def record_repo_check(
        self, check: RepoCheck, signals: Sequence[Signal], scorer: SignalScorer
    ) -> None:
        at = check.checked_at

        def record(tx: Transaction) -> None:
            tx.execute(
                "INSERT INTO github_repos (repo, stars, etag, checked_at, gone_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (repo) DO UPDATE SET"
                " stars = coalesce(excluded.stars, github_repos.stars),"
                " etag = coalesce(excluded.etag, github_repos.etag),"
                " checked_at = coalesce(excluded.checked_at, github_repos.checked_at),"
                " gone_at = coalesce(excluded.gone_at, github_repos.gone_at)",
                (check.repo, check.stars, check.etag,
                 at if check.source == "github" else None, at if check.gone else None),
            )  # fmt: skip
            if check.stars is not None:
                tx.execute(
                    "INSERT INTO star_history (repo, observed_at, stars, source)"
                    " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    (check.repo, at, check.stars, check.source),
                )
            self._apply_signals(tx, signals, scorer)

        self._db.write(record, serial=True)

    def star_history(self, repo: str) -> list[tuple[datetime, int]]:
        rows = self._db.all(
            "SELECT observed_at, stars FROM star_history WHERE repo = ? ORDER BY observed_at",
            (repo,),
        )
        return [(stored_moment(row["observed_at"]), int(row["stars"])) for row in rows]

    def hf_readings(self, *, limit: int) -> list[HFReading]:
        rows = self._db.all(
            "SELECT h.paper_id, h.upvotes, h.github_repo, h.github_stars, h.featured_on,"
            " h.updated_at, o.upvotes AS previous FROM hf_papers h"
            " LEFT JOIN hf_observed o ON o.paper_id = h.paper_id"
            " WHERE o.paper_id IS NULL OR h.updated_at > o.seen_at"
            " ORDER BY h.updated_at, h.paper_id LIMIT ?",
            (limit,),
        )
        return [
            HFReading(
                paper_id=row["paper_id"],
                upvotes=int(row["upvotes"] or 0),
                github_repo=row["github_repo"],
                github_stars=row["github_stars"],
                featured_on=day(row["featured_on"]),
                updated_at=iso_text(row["updated_at"]),
                previous_upvotes=row["previous"],
            )
            for row in rows
        ]

    def record_hf_readings(
        self, readings: Sequence[HFReading], signals: Sequence[Signal], scorer: SignalScorer
    ) -> None:
        def record(tx: Transaction) -> None:
            tx.executemany(
                "INSERT INTO hf_observed (paper_id, upvotes, seen_at) VALUES (?, ?, ?)"
                " ON CONFLICT (paper_id) DO UPDATE SET upvotes = excluded.upvotes,"
                " seen_at = excluded.seen_at",
                [
                    (r.paper_id, max(r.upvotes, r.previous_upvotes or 0), r.updated_at)
                    for r in readings
                ],
            )
            self._apply_signals(tx, signals, scorer)

        self._db.write(record, serial=True)
