"""SQLite implementation of ``CommunityStore``."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

import orjson

from paperfeed.store.community import (
    Account,
    CodeLinks,
    CommunityStore,
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
from paperfeed.store.sqlite.connection import ConnectionPool
from paperfeed.store.sqlite.sql import chunks, marks, now_iso
from paperfeed.store.trending_ledger import append_to_ledger, read_ledger_changes, rebuild_snapshot
from paperfeed.store.trending_ranking import LogPosition, RankedTrending, TrendingChanges
from paperfeed.store.trending_rows import SCORE_COLUMNS, SignalBatch, listed_at, merged_rows

_ACCOUNT = "id, email, display_name, github_handle, created_at"
_RATE_KEEP = 3 * 86_400  # counters older than the longest window are dropped


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="microseconds")


def _time(text: str | None) -> datetime | None:
    if not text:
        return None
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _account(row: sqlite3.Row) -> Account:
    created = _time(row["created_at"])
    assert created is not None
    return Account(row["id"], row["email"], row["display_name"], row["github_handle"], created)


class SQLiteCommunityStore(RankedTrending, CommunityStore):
    """Mixed into ``SQLitePaperStore``; uses its connection pool (``self._pool``)."""

    _pool: ConnectionPool

    # -- accounts and sessions ----------------------------------------------------------

    def get_or_create_account(self, email: str, display_name: str) -> tuple[Account, bool]:
        now = now_iso()
        with self._pool.write() as conn:
            found = conn.execute(
                "UPDATE accounts SET last_signin_at = ? WHERE email = ?", (now, email)
            ).rowcount
            if not found:
                conn.execute(
                    "INSERT INTO accounts (email, display_name, created_at, last_signin_at)"
                    " VALUES (?, ?, ?, ?)",
                    (email, display_name, now, now),
                )
            row = conn.execute(
                f"SELECT {_ACCOUNT} FROM accounts WHERE email = ?", (email,)
            ).fetchone()
        return _account(row), not found

    def get_account(self, account_id: int) -> Account | None:
        row = (
            self._pool.get()
            .execute(f"SELECT {_ACCOUNT} FROM accounts WHERE id = ?", (account_id,))
            .fetchone()
        )
        return _account(row) if row else None

    def update_account(
        self, account_id: int, *, display_name: str, github_handle: str | None
    ) -> None:
        with self._pool.write() as conn:
            conn.execute(
                "UPDATE accounts SET display_name = ?, github_handle = ? WHERE id = ?",
                (display_name, github_handle, account_id),
            )

    def delete_account(self, account_id: int) -> bool:
        with self._pool.write() as conn:
            row = conn.execute("SELECT email FROM accounts WHERE id = ?", (account_id,)).fetchone()
            if row is None:
                return False
            # Sessions cascade; marks and submissions keep their counts (account NULL).
            conn.execute("DELETE FROM accounts WHERE id = ?", (account_id,))
            conn.execute("DELETE FROM subscribers WHERE email = ?", (row["email"],))
        return True

    def create_session(self, token_hash: str, account_id: int, expires_at: datetime) -> None:
        now = now_iso()
        with self._pool.write() as conn:
            conn.execute("DELETE FROM sessions WHERE expires_at < ?", (now,))
            conn.execute(
                "INSERT INTO sessions (token_hash, account_id, created_at, expires_at)"
                " VALUES (?, ?, ?, ?)",
                (token_hash, account_id, now, _iso(expires_at)),
            )

    def session_account(self, token_hash: str, now: datetime) -> Account | None:
        row = (
            self._pool.get()
            .execute(
                f"SELECT {', '.join('a.' + c for c in _ACCOUNT.split(', '))}"
                " FROM sessions s JOIN accounts a ON a.id = s.account_id"
                " WHERE s.token_hash = ? AND s.expires_at > ?",
                (token_hash, _iso(now)),
            )
            .fetchone()
        )
        return _account(row) if row else None

    def delete_session(self, token_hash: str) -> None:
        with self._pool.write() as conn:
            conn.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))

    def use_signin_nonce(self, nonce: str, expires_at: datetime, now: datetime) -> bool:
        with self._pool.write() as conn:
            conn.execute("DELETE FROM used_signin_tokens WHERE expires_at < ?", (_iso(now),))
            return (
                conn.execute(
                    "INSERT INTO used_signin_tokens (nonce, used_at, expires_at) VALUES (?, ?, ?)"
                    " ON CONFLICT (nonce) DO NOTHING",
                    (nonce, _iso(now), _iso(expires_at)),
                ).rowcount
                == 1
            )

    def take_rate_limit(self, checks: Sequence[RateCheck], now: float) -> RateCheck | None:
        with self._pool.write() as conn:
            conn.execute(
                "DELETE FROM rate_limit_hits WHERE window_start < ?", (int(now) - _RATE_KEEP,)
            )
            for check in checks:
                row = conn.execute(
                    "SELECT hits FROM rate_limit_hits WHERE key = ? AND window_start = ?",
                    (check.key, check.window_start),
                ).fetchone()
                if row is not None and row[0] >= check.limit:
                    return check
            conn.executemany(
                "INSERT INTO rate_limit_hits (key, window_start, hits) VALUES (?, ?, 1)"
                " ON CONFLICT (key, window_start) DO UPDATE SET hits = hits + 1",
                [(c.key, c.window_start) for c in checks],
            )
        return None

    # -- upvotes, saves, submissions ----------------------------------------------------

    def add_marks(
        self, kind: MarkKind, marks: Sequence[NewMark], scorer: SignalScorer
    ) -> list[bool]:
        batch = orjson.dumps([(m.account_id, m.paper_id, m.at) for m in marks]).decode()
        with self._pool.write() as conn:
            # One statement for the batch; a repeat (stored, or earlier in the batch) is
            # skipped by the uniqueness constraint and not returned.
            rows = conn.execute(
                "INSERT INTO paper_marks (kind, account_id, paper_id, created_at)"
                " SELECT ?, value ->> 0, value ->> 1, value ->> 2 FROM json_each(?)"
                " WHERE true ON CONFLICT DO NOTHING RETURNING account_id, paper_id, created_at",
                (kind, batch),
            ).fetchall()
            added, signals = added_marks(kind, marks, rows)
            self._apply_signals(conn, signals, scorer, from_marks=True)
        self._trending_written()
        return added

    def remove_mark(
        self, kind: MarkKind, account_id: int, paper_id: str, scorer: SignalScorer
    ) -> bool:
        with self._pool.write() as conn:
            row = conn.execute(
                "DELETE FROM paper_marks WHERE account_id = ? AND kind = ? AND paper_id = ?"
                " RETURNING created_at",
                (account_id, kind, paper_id),
            ).fetchone()
            if row is None:
                return False
            # The withdrawal cancels the mark's own term: same time, opposite sign.
            withdrawal = Signal(paper_id, kind, -1.0, row[0])
            self._apply_signals(conn, [withdrawal], scorer, from_marks=True)
        self._trending_written()
        return True

    def marked_by(self, account_id: int, kind: MarkKind, paper_ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        conn = self._pool.get()
        for chunk in chunks(list(paper_ids)):
            rows = conn.execute(
                "SELECT paper_id FROM paper_marks WHERE account_id = ? AND kind = ?"
                f" AND paper_id IN ({marks(len(chunk))})",
                (account_id, kind, *chunk),
            )
            found.update(row[0] for row in rows)
        return found

    def marked_papers(
        self, account_id: int, kind: MarkKind, *, limit: int, offset: int
    ) -> list[str]:
        rows = self._pool.get().execute(
            "SELECT paper_id FROM paper_marks WHERE account_id = ? AND kind = ?"
            " ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
            (account_id, kind, limit, offset),
        )
        return [row[0] for row in rows]

    def upvoters(self, paper_id: str, *, limit: int) -> list[PublicName]:
        rows = self._pool.get().execute(
            "SELECT a.id, a.display_name FROM paper_marks m JOIN accounts a ON a.id = m.account_id"
            " WHERE m.paper_id = ? AND m.kind = 'upvote' ORDER BY m.created_at DESC LIMIT ?",
            (paper_id, limit),
        )
        return [PublicName(row[0], row[1]) for row in rows]

    def record_submission(self, paper_id: str, account_id: int) -> bool:
        with self._pool.write() as conn:
            return (
                conn.execute(
                    "INSERT INTO submissions (paper_id, account_id, submitted_at) VALUES (?, ?, ?)"
                    " ON CONFLICT (paper_id) DO NOTHING",
                    (paper_id, account_id, now_iso()),
                ).rowcount
                == 1
            )

    def get_submission(self, paper_id: str) -> Submission | None:
        row = (
            self._pool.get()
            .execute(
                "SELECT s.paper_id, a.display_name, s.submitted_at, a.id FROM submissions s"
                " LEFT JOIN accounts a ON a.id = s.account_id WHERE s.paper_id = ?",
                (paper_id,),
            )
            .fetchone()
        )
        if row is None:
            return None
        submitted = _time(row[2])
        assert submitted is not None
        return Submission(row[0], row[1], submitted, row[3])

    # -- trending -----------------------------------------------------------------------

    def record_signals(self, signals: Sequence[Signal], scorer: SignalScorer) -> None:
        if not signals:
            return
        with self._pool.write() as conn:
            self._apply_signals(conn, signals, scorer)
        self._trending_written()

    def _apply_signals(
        self,
        conn: sqlite3.Connection,
        signals: Sequence[Signal],
        scorer: SignalScorer,
        *,
        from_marks: bool = False,
    ) -> None:
        """The durable step: the signals appended to the ledger, and the snapshot
        brought up to date once ``trending_fold_rows`` piled up past it.

        Nothing is indexed per view or per category: serving processes rank in memory
        and catch up from the ledger (``paperfeed.store.trending_ranking``).
        ``from_marks``: the signals mirror ``paper_marks`` changes.
        """
        if signals:
            append_to_ledger(
                conn,
                signals,
                from_marks=from_marks,
                fold_rows=self.trending_fold_rows,
                write=lambda batch: self._write_scores(conn, batch, scorer),
                mark="?",
            )

    def _write_scores(
        self, conn: sqlite3.Connection, signals: SignalBatch, scorer: SignalScorer
    ) -> None:
        """Add signals to their papers' snapshot rows, keys merged."""
        ids = list(dict.fromkeys(signals.paper_ids))
        merged = merged_rows(self._load_score_values(conn, ids), signals, scorer)
        conn.executemany(
            f"UPDATE trending_scores SET ({SCORE_COLUMNS}) = ({marks(9)}) WHERE paper_id = ?",
            merged.updates,
        )
        conn.executemany(
            f"INSERT INTO trending_scores ({SCORE_COLUMNS}, paper_id) VALUES ({marks(10)})",
            merged.inserts,
        )

    @staticmethod
    def _load_score_values(conn: sqlite3.Connection, ids: list[str]) -> dict[str, tuple[Any, ...]]:
        cursor = conn.cursor()
        cursor.row_factory = None
        found: dict[str, tuple[Any, ...]] = {}
        for chunk in chunks(ids):
            for row in cursor.execute(
                f"SELECT paper_id, {SCORE_COLUMNS} FROM trending_scores"
                f" WHERE paper_id IN ({marks(len(chunk))})",
                chunk,
            ):
                found[row[0]] = row[1:]
        return found

    def paper_signals(self, paper_id: str) -> list[Signal]:
        # Upvotes and saves as they stand (a withdrawn one is gone, which is what its
        # ledger entries add up to), then the ledger rows that mirror no mark.
        rows = self._pool.get().execute(
            "SELECT paper_id, kind, 1.0, created_at FROM paper_marks WHERE paper_id = ?"
            " UNION ALL SELECT paper_id, kind, amount, at FROM trending_signals"
            " WHERE paper_id = ? AND NOT mark ORDER BY 4",
            (paper_id, paper_id),
        )
        return [Signal(row[0], row[1], row[2], row[3]) for row in rows]

    def _trending_changes(
        self, since: LogPosition | None, known: Callable[[str], bool]
    ) -> TrendingChanges | None:
        """What the ledger gained since ``since``, read in one snapshot."""
        with self._pool.read() as conn:
            cursor = conn.cursor()
            cursor.row_factory = None

            def categories_of(paper_ids: list[str]) -> Sequence[tuple[str, str]]:
                found: list[tuple[str, str]] = []
                for chunk in chunks(paper_ids):
                    found += cursor.execute(
                        "SELECT paper_id, category FROM paper_categories"
                        f" WHERE paper_id IN ({marks(len(chunk))})",
                        chunk,
                    ).fetchall()
                return found

            return read_ledger_changes(cursor, since, known, mark="?", categories_of=categories_of)

    def rebuild_trending(self, scorer: SignalScorer, params_json: str) -> int:
        with self._pool.write() as conn:
            conn.execute("DELETE FROM trending_scores")
            cursor = conn.cursor()
            cursor.row_factory = None
            papers = rebuild_snapshot(
                cursor, lambda batch: self._write_scores(conn, batch, scorer), mark="?"
            )
            self._set_params(conn, params_json)
            conn.execute("UPDATE trending_generation SET n = n + 1")
        self._trending_written()
        return papers

    def trending_params(self) -> str | None:
        row = (
            self._pool.get()
            .execute("SELECT params_json FROM trending_params WHERE id = 1")
            .fetchone()
        )
        return str(row[0]) if row else None

    def set_trending_params(self, params_json: str) -> None:
        with self._pool.write() as conn:
            self._set_params(conn, params_json)

    @staticmethod
    def _set_params(conn: sqlite3.Connection, params_json: str) -> None:
        conn.execute(
            "INSERT INTO trending_params (id, params_json) VALUES (1, ?)"
            " ON CONFLICT (id) DO UPDATE SET params_json = excluded.params_json",
            (params_json,),
        )

    # -- code and Hugging Face ----------------------------------------------------------

    def recent_code_links(self, since: date) -> list[CodeLinks]:
        rows = self._pool.get().execute(
            "SELECT p.id, p.code_links_json, p.announced, p.first_seen_at, h.github_repo"
            " FROM papers p LEFT JOIN hf_papers h ON h.paper_id = p.id"
            " WHERE p.announced >= ?",
            (since.isoformat(),),
        )
        found = []
        for row in rows:
            links = tuple(orjson.loads(row[1]))
            if row[4]:
                links = (row[4], *links)
            if links:
                found.append(CodeLinks(row[0], links, listed_at(row[2], row[3])))
        return found

    def link_repos(self, pairs: Sequence[tuple[str, str]]) -> int:
        if not pairs:
            return 0
        with self._pool.write() as conn:
            before = conn.total_changes
            conn.executemany(
                "INSERT INTO paper_repos (paper_id, repo) SELECT ?, ?"
                " WHERE EXISTS (SELECT 1 FROM papers WHERE id = ?) ON CONFLICT DO NOTHING",
                [(paper_id, repo, paper_id) for paper_id, repo in pairs],
            )
            added = conn.total_changes - before
            conn.executemany(
                "INSERT INTO github_repos (repo) VALUES (?) ON CONFLICT DO NOTHING",
                [(repo,) for _, repo in pairs],
            )
        return added

    def repos_due(self, *, checked_before: datetime, limit: int) -> list[RepoState]:
        rows = self._pool.get().execute(
            "SELECT * FROM github_repos WHERE gone_at IS NULL"
            " AND (checked_at IS NULL OR checked_at < ?)"
            " AND EXISTS (SELECT 1 FROM paper_repos r WHERE r.repo = github_repos.repo)"
            " ORDER BY checked_at IS NOT NULL, checked_at, repo LIMIT ?",
            (_iso(checked_before), limit),
        )
        return [_repo_state(row) for row in rows]

    def repo_state(self, repo: str) -> RepoState | None:
        row = (
            self._pool.get()
            .execute("SELECT * FROM github_repos WHERE repo = ?", (repo,))
            .fetchone()
        )
        return _repo_state(row) if row else None

    def repo_papers(self, repo: str) -> list[tuple[str, float]]:
        rows = self._pool.get().execute(
            "SELECT p.id, p.announced, p.first_seen_at FROM paper_repos r"
            " JOIN papers p ON p.id = r.paper_id WHERE r.repo = ? ORDER BY p.id",
            (repo,),
        )
        return [(row[0], listed_at(row[1], row[2])) for row in rows]

    def record_repo_check(
        self, check: RepoCheck, signals: Sequence[Signal], scorer: SignalScorer
    ) -> None:
        at = _iso(check.checked_at)
        with self._pool.write() as conn:
            conn.execute(
                "INSERT INTO github_repos (repo, stars, etag, checked_at, gone_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (repo) DO UPDATE SET"
                " stars = coalesce(excluded.stars, stars),"
                " etag = coalesce(excluded.etag, etag),"
                " checked_at = coalesce(excluded.checked_at, checked_at),"
                " gone_at = coalesce(excluded.gone_at, gone_at)",
                (
                    check.repo,
                    check.stars,
                    check.etag,
                    at if check.source == "github" else None,
                    at if check.gone else None,
                ),
            )
            if check.stars is not None:
                conn.execute(
                    "INSERT INTO star_history (repo, observed_at, stars, source)"
                    " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    (check.repo, at, check.stars, check.source),
                )
            self._apply_signals(conn, signals, scorer)
        self._trending_written()

    def star_history(self, repo: str) -> list[tuple[datetime, int]]:
        rows = self._pool.get().execute(
            "SELECT observed_at, stars FROM star_history WHERE repo = ? ORDER BY observed_at",
            (repo,),
        )
        history = []
        for row in rows:
            observed = _time(row[0])
            assert observed is not None
            history.append((observed, int(row[1])))
        return history

    def hf_readings(self, *, limit: int) -> list[HFReading]:
        rows = self._pool.get().execute(
            "SELECT h.paper_id, h.upvotes, h.github_repo, h.github_stars, h.featured_on,"
            " h.updated_at, o.upvotes FROM hf_papers h"
            " LEFT JOIN hf_observed o ON o.paper_id = h.paper_id"
            " WHERE o.paper_id IS NULL OR h.updated_at > o.seen_at"
            " ORDER BY h.updated_at, h.paper_id LIMIT ?",
            (limit,),
        )
        return [
            HFReading(
                paper_id=row[0],
                upvotes=int(row[1] or 0),
                github_repo=row[2],
                github_stars=row[3],
                featured_on=date.fromisoformat(row[4]) if row[4] else None,
                updated_at=row[5],
                previous_upvotes=row[6],
            )
            for row in rows
        ]

    def record_hf_readings(
        self, readings: Sequence[HFReading], signals: Sequence[Signal], scorer: SignalScorer
    ) -> None:
        with self._pool.write() as conn:
            conn.executemany(
                "INSERT INTO hf_observed (paper_id, upvotes, seen_at) VALUES (?, ?, ?)"
                " ON CONFLICT (paper_id) DO UPDATE SET upvotes = excluded.upvotes,"
                " seen_at = excluded.seen_at",
                [
                    (r.paper_id, max(r.upvotes, r.previous_upvotes or 0), r.updated_at)
                    for r in readings
                ],
            )
            self._apply_signals(conn, signals, scorer)
        self._trending_written()


def _repo_state(row: sqlite3.Row) -> RepoState:
    return RepoState(
        repo=row["repo"],
        stars=row["stars"],
        etag=row["etag"],
        checked_at=_time(row["checked_at"]),
        gone=row["gone_at"] is not None,
    )
