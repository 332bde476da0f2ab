"""PostgreSQL implementation of ``CommunityStore``.

Writes of signals take the store's write lock (like SQLite's single writer): ledger ids
then become visible in the order they were drawn, which the in-memory ranking's
catching up relies on (``paperfeed.store.trending_ranking``), and the write that folds
the ledger into the snapshot cannot miss a row. Reads never wait; the ranking's reads
see one snapshot of the database (repeatable read).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

import orjson
from psycopg.rows import tuple_row

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
from paperfeed.store.postgres.connection import Connection, PostgresPool
from paperfeed.store.trending_ledger import append_to_ledger, read_ledger_changes, rebuild_snapshot
from paperfeed.store.trending_ranking import LogPosition, RankedTrending, TrendingChanges
from paperfeed.store.trending_rows import SCORE_COLUMNS, SignalBatch, listed_at, merged_rows

_ACCOUNT = "id, email, display_name, github_handle, created_at"
_RATE_KEEP = 3 * 86_400  # counters older than the longest window are dropped


def _now() -> datetime:
    return datetime.now(UTC)


def _account(row: Mapping[str, Any]) -> Account:
    return Account(
        row["id"], row["email"], row["display_name"], row["github_handle"], row["created_at"]
    )


def _repo_state(row: Mapping[str, Any]) -> RepoState:
    return RepoState(
        repo=row["repo"],
        stars=row["stars"],
        etag=row["etag"],
        checked_at=row["checked_at"],
        gone=row["gone_at"] is not None,
    )


class PostgresCommunityStore(RankedTrending, CommunityStore):
    """Mixed into ``PostgresPaperStore``; uses its pool (``self._pool``)."""

    _pool: PostgresPool

    def _fetch(self, statement: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return self._pool.run(lambda conn: conn.execute(statement, params).fetchall())

    def _fetch_one(self, statement: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        return self._pool.run(lambda conn: conn.execute(statement, params).fetchone())

    # -- accounts and sessions ----------------------------------------------------------

    def get_or_create_account(self, email: str, display_name: str) -> tuple[Account, bool]:
        now = _now()

        def sign_in(conn: Connection) -> tuple[Account, bool]:
            inserted = conn.execute(
                "INSERT INTO accounts (email, display_name, created_at, last_signin_at)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT (email) DO NOTHING RETURNING id",
                (email, display_name, now, now),
            ).fetchone()
            row = conn.execute(
                f"UPDATE accounts SET last_signin_at = %s WHERE email = %s RETURNING {_ACCOUNT}",
                (now, email),
            ).fetchone()
            assert row is not None
            return _account(row), inserted is not None

        return self._pool.run(sign_in)

    def get_account(self, account_id: int) -> Account | None:
        row = self._fetch_one(f"SELECT {_ACCOUNT} FROM accounts WHERE id = %s", (account_id,))
        return _account(row) if row else None

    def update_account(
        self, account_id: int, *, display_name: str, github_handle: str | None
    ) -> None:
        self._pool.run(
            lambda conn: conn.execute(
                "UPDATE accounts SET display_name = %s, github_handle = %s WHERE id = %s",
                (display_name, github_handle, account_id),
            )
        )

    def delete_account(self, account_id: int) -> bool:
        def delete(conn: Connection) -> bool:
            row = conn.execute(
                "DELETE FROM accounts WHERE id = %s RETURNING email", (account_id,)
            ).fetchone()
            if row is None:
                return False
            # Sessions cascade; marks and submissions keep their counts (account NULL).
            conn.execute("DELETE FROM subscribers WHERE email = %s", (row["email"],))
            return True

        return self._pool.run(delete)

    def create_session(self, token_hash: str, account_id: int, expires_at: datetime) -> None:
        now = _now()

        def create(conn: Connection) -> None:
            conn.execute("DELETE FROM sessions WHERE expires_at < %s", (now,))
            conn.execute(
                "INSERT INTO sessions (token_hash, account_id, created_at, expires_at)"
                " VALUES (%s, %s, %s, %s)",
                (token_hash, account_id, now, expires_at),
            )

        self._pool.run(create)

    def session_account(self, token_hash: str, now: datetime) -> Account | None:
        columns = ", ".join("a." + c for c in _ACCOUNT.split(", "))
        row = self._fetch_one(
            f"SELECT {columns} FROM sessions s JOIN accounts a ON a.id = s.account_id"
            " WHERE s.token_hash = %s AND s.expires_at > %s",
            (token_hash, now),
        )
        return _account(row) if row else None

    def delete_session(self, token_hash: str) -> None:
        self._pool.run(
            lambda conn: conn.execute("DELETE FROM sessions WHERE token_hash = %s", (token_hash,))
        )

    def use_signin_nonce(self, nonce: str, expires_at: datetime, now: datetime) -> bool:
        def use(conn: Connection) -> bool:
            conn.execute("DELETE FROM used_signin_tokens WHERE expires_at < %s", (now,))
            row = conn.execute(
                "INSERT INTO used_signin_tokens (nonce, used_at, expires_at)"
                " VALUES (%s, %s, %s) ON CONFLICT (nonce) DO NOTHING RETURNING nonce",
                (nonce, now, expires_at),
            ).fetchone()
            return row is not None

        return self._pool.run(use)

    def take_rate_limit(self, checks: Sequence[RateCheck], now: float) -> RateCheck | None:
        def take(conn: Connection) -> RateCheck | None:
            conn.execute(
                "DELETE FROM rate_limit_hits WHERE window_start < %s", (int(now) - _RATE_KEEP,)
            )
            for check in checks:
                row = conn.execute(
                    "SELECT hits FROM rate_limit_hits WHERE key = %s AND window_start = %s",
                    (check.key, check.window_start),
                ).fetchone()
                if row is not None and row["hits"] >= check.limit:
                    return check
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO rate_limit_hits (key, window_start, hits) VALUES (%s, %s, 1)"
                    " ON CONFLICT (key, window_start)"
                    " DO UPDATE SET hits = rate_limit_hits.hits + 1",
                    [(c.key, c.window_start) for c in checks],
                )
            return None

        return self._pool.run(take, write=True)

    # -- upvotes, saves, submissions ----------------------------------------------------

    def add_marks(
        self, kind: MarkKind, marks: Sequence[NewMark], scorer: SignalScorer
    ) -> list[bool]:
        def add(conn: Connection) -> list[bool]:
            # One statement for the batch; a repeat (stored, or earlier in the batch) is
            # skipped by the uniqueness constraint and not returned.
            rows = (
                conn.cursor(row_factory=tuple_row)
                .execute(
                    "INSERT INTO paper_marks (kind, account_id, paper_id, created_at)"
                    " SELECT %s, m.account_id, m.paper_id, m.at FROM unnest("
                    "%s::bigint[], %s::text[], %s::double precision[]"
                    ") WITH ORDINALITY AS m (account_id, paper_id, at, n) ORDER BY m.n"
                    " ON CONFLICT DO NOTHING RETURNING account_id, paper_id, created_at",
                    (
                        kind,
                        [m.account_id for m in marks],
                        [m.paper_id for m in marks],
                        [m.at for m in marks],
                    ),
                )
                .fetchall()
            )
            added, signals = added_marks(kind, marks, rows)
            self._apply_signals(conn, signals, scorer, from_marks=True)
            return added

        added = self._pool.run(add, write=True)
        self._trending_written()
        return added

    def remove_mark(
        self, kind: MarkKind, account_id: int, paper_id: str, scorer: SignalScorer
    ) -> bool:
        def remove(conn: Connection) -> bool:
            row = conn.execute(
                "DELETE FROM paper_marks WHERE account_id = %s AND kind = %s AND paper_id = %s"
                " RETURNING created_at",
                (account_id, kind, paper_id),
            ).fetchone()
            if row is None:
                return False
            # The withdrawal cancels the mark's own term: same time, opposite sign.
            withdrawal = Signal(paper_id, kind, -1.0, row["created_at"])
            self._apply_signals(conn, [withdrawal], scorer, from_marks=True)
            return True

        removed = self._pool.run(remove, write=True)
        self._trending_written()
        return removed

    def marked_by(self, account_id: int, kind: MarkKind, paper_ids: Sequence[str]) -> set[str]:
        rows = self._fetch(
            "SELECT paper_id FROM paper_marks WHERE account_id = %s AND kind = %s"
            " AND paper_id = ANY(%s)",
            (account_id, kind, list(paper_ids)),
        )
        return {row["paper_id"] for row in rows}

    def marked_papers(
        self, account_id: int, kind: MarkKind, *, limit: int, offset: int
    ) -> list[str]:
        rows = self._fetch(
            "SELECT paper_id FROM paper_marks WHERE account_id = %s AND kind = %s"
            " ORDER BY created_at DESC, id DESC LIMIT %s OFFSET %s",
            (account_id, kind, limit, offset),
        )
        return [row["paper_id"] for row in rows]

    def upvoters(self, paper_id: str, *, limit: int) -> list[PublicName]:
        rows = self._fetch(
            "SELECT a.id, a.display_name FROM paper_marks m JOIN accounts a ON a.id = m.account_id"
            " WHERE m.paper_id = %s AND m.kind = 'upvote' ORDER BY m.created_at DESC LIMIT %s",
            (paper_id, limit),
        )
        return [PublicName(row["id"], row["display_name"]) for row in rows]

    def record_submission(self, paper_id: str, account_id: int) -> bool:
        row = self._fetch_one(
            "INSERT INTO submissions (paper_id, account_id, submitted_at) VALUES (%s, %s, %s)"
            " ON CONFLICT (paper_id) DO NOTHING RETURNING paper_id",
            (paper_id, account_id, _now()),
        )
        return row is not None

    def get_submission(self, paper_id: str) -> Submission | None:
        row = self._fetch_one(
            "SELECT s.paper_id, a.display_name, s.submitted_at, a.id AS account_id"
            " FROM submissions s LEFT JOIN accounts a ON a.id = s.account_id"
            " WHERE s.paper_id = %s",
            (paper_id,),
        )
        if row is None:
            return None
        return Submission(
            row["paper_id"], row["display_name"], row["submitted_at"], row["account_id"]
        )

    # -- trending -----------------------------------------------------------------------

    def record_signals(self, signals: Sequence[Signal], scorer: SignalScorer) -> None:
        if signals:
            self._pool.run(lambda conn: self._apply_signals(conn, signals, scorer), write=True)
            self._trending_written()

    def paper_signals(self, paper_id: str) -> list[Signal]:
        # Upvotes and saves as they stand (a withdrawn one is gone, which is what its
        # ledger entries add up to), then the ledger rows that mirror no mark.
        rows = self._fetch(
            "SELECT paper_id, kind, 1.0::double precision AS amount, created_at AS at"
            " FROM paper_marks WHERE paper_id = %s"
            " UNION ALL SELECT paper_id, kind, amount, at FROM trending_signals"
            " WHERE paper_id = %s AND NOT mark ORDER BY at",
            (paper_id, paper_id),
        )
        return [Signal(r["paper_id"], r["kind"], r["amount"], r["at"]) for r in rows]

    def _apply_signals(
        self,
        conn: Connection,
        signals: Sequence[Signal],
        scorer: SignalScorer,
        *,
        from_marks: bool = False,
    ) -> None:
        """The durable step: the signals appended to the ledger, and the snapshot
        brought up to date once ``trending_fold_rows`` piled up past it (the caller
        holds the write lock). ``from_marks``: the signals mirror ``paper_marks``."""
        if not signals:
            return
        with conn.cursor(row_factory=tuple_row) as cursor:
            append_to_ledger(
                cursor,
                signals,
                from_marks=from_marks,
                fold_rows=self.trending_fold_rows,
                write=lambda batch: _write_scores(conn, batch, scorer),
                mark="%s",
            )

    def _trending_changes(
        self, since: LogPosition | None, known: Callable[[str], bool]
    ) -> TrendingChanges | None:
        """What the ledger gained since ``since``, read in one snapshot."""

        def read(conn: Connection) -> TrendingChanges | None:
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor = conn.cursor(row_factory=tuple_row)

            def categories_of(paper_ids: list[str]) -> Sequence[tuple[str, str]]:
                return cursor.execute(
                    "SELECT paper_id, category FROM paper_categories WHERE paper_id = ANY(%s)",
                    (paper_ids,),
                ).fetchall()

            return read_ledger_changes(cursor, since, known, mark="%s", categories_of=categories_of)

        return self._pool.run(read)

    def rebuild_trending(self, scorer: SignalScorer, params_json: str) -> int:
        def rebuild(conn: Connection) -> int:
            conn.execute("DELETE FROM trending_scores")
            with conn.cursor(row_factory=tuple_row) as cursor:
                papers = rebuild_snapshot(
                    cursor, lambda batch: _write_scores(conn, batch, scorer), mark="%s"
                )
            _set_params(conn, params_json)
            conn.execute("UPDATE trending_generation SET n = n + 1")
            return papers

        papers = self._pool.run(rebuild, write=True)
        self._trending_written()
        return papers

    def trending_params(self) -> str | None:
        row = self._fetch_one("SELECT params_json FROM trending_params WHERE id = 1")
        return str(row["params_json"]) if row else None

    def set_trending_params(self, params_json: str) -> None:
        self._pool.run(lambda conn: _set_params(conn, params_json), write=True)

    # -- code and Hugging Face ----------------------------------------------------------

    def recent_code_links(self, since: date) -> list[CodeLinks]:
        rows = self._fetch(
            "SELECT p.id, p.code_links_json, p.announced, p.first_seen_at, h.github_repo"
            " FROM papers p LEFT JOIN hf_papers h ON h.paper_id = p.id"
            " WHERE p.announced >= %s",
            (since,),
        )
        found = []
        for row in rows:
            links = tuple(orjson.loads(row["code_links_json"]))
            if row["github_repo"]:
                links = (row["github_repo"], *links)
            if links:
                found.append(
                    CodeLinks(row["id"], links, listed_at(row["announced"], row["first_seen_at"]))
                )
        return found

    def link_repos(self, pairs: Sequence[tuple[str, str]]) -> int:
        if not pairs:
            return 0

        def link(conn: Connection) -> int:
            added = 0
            for paper_id, repo in pairs:
                added += conn.execute(
                    "INSERT INTO paper_repos (paper_id, repo) SELECT %s, %s"
                    " WHERE EXISTS (SELECT 1 FROM papers WHERE id = %s) ON CONFLICT DO NOTHING",
                    (paper_id, repo, paper_id),
                ).rowcount
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO github_repos (repo) VALUES (%s) ON CONFLICT DO NOTHING",
                    [(repo,) for _, repo in pairs],
                )
            return added

        return self._pool.run(link)

    def repos_due(self, *, checked_before: datetime, limit: int) -> list[RepoState]:
        rows = self._fetch(
            "SELECT * FROM github_repos WHERE gone_at IS NULL"
            " AND (checked_at IS NULL OR checked_at < %s)"
            " AND EXISTS (SELECT 1 FROM paper_repos r WHERE r.repo = github_repos.repo)"
            " ORDER BY checked_at IS NOT NULL, checked_at, repo LIMIT %s",
            (checked_before, limit),
        )
        return [_repo_state(row) for row in rows]

    def repo_state(self, repo: str) -> RepoState | None:
        row = self._fetch_one("SELECT * FROM github_repos WHERE repo = %s", (repo,))
        return _repo_state(row) if row else None

    def repo_papers(self, repo: str) -> list[tuple[str, float]]:
        rows = self._fetch(
            "SELECT p.id, p.announced, p.first_seen_at FROM paper_repos r"
            " JOIN papers p ON p.id = r.paper_id WHERE r.repo = %s ORDER BY p.id",
            (repo,),
        )
        return [(row["id"], listed_at(row["announced"], row["first_seen_at"])) for row in rows]

    def record_repo_check(
        self, check: RepoCheck, signals: Sequence[Signal], scorer: SignalScorer
    ) -> None:
        at = check.checked_at

        def record(conn: Connection) -> None:
            conn.execute(
                "INSERT INTO github_repos (repo, stars, etag, checked_at, gone_at)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (repo) DO UPDATE SET"
                " stars = coalesce(excluded.stars, github_repos.stars),"
                " etag = coalesce(excluded.etag, github_repos.etag),"
                " checked_at = coalesce(excluded.checked_at, github_repos.checked_at),"
                " gone_at = coalesce(excluded.gone_at, github_repos.gone_at)",
                (check.repo, check.stars, check.etag,
                 at if check.source == "github" else None, at if check.gone else None),
            )  # fmt: skip
            if check.stars is not None:
                conn.execute(
                    "INSERT INTO star_history (repo, observed_at, stars, source)"
                    " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (check.repo, at, check.stars, check.source),
                )
            self._apply_signals(conn, signals, scorer)

        self._pool.run(record, write=True)
        self._trending_written()

    def star_history(self, repo: str) -> list[tuple[datetime, int]]:
        rows = self._fetch(
            "SELECT observed_at, stars FROM star_history WHERE repo = %s ORDER BY observed_at",
            (repo,),
        )
        return [(row["observed_at"], int(row["stars"])) for row in rows]

    def hf_readings(self, *, limit: int) -> list[HFReading]:
        rows = self._fetch(
            "SELECT h.paper_id, h.upvotes, h.github_repo, h.github_stars, h.featured_on,"
            " h.updated_at, o.upvotes AS previous FROM hf_papers h"
            " LEFT JOIN hf_observed o ON o.paper_id = h.paper_id"
            " WHERE o.paper_id IS NULL OR h.updated_at > o.seen_at"
            " ORDER BY h.updated_at, h.paper_id LIMIT %s",
            (limit,),
        )
        return [
            HFReading(
                paper_id=row["paper_id"],
                upvotes=int(row["upvotes"] or 0),
                github_repo=row["github_repo"],
                github_stars=row["github_stars"],
                featured_on=row["featured_on"],
                updated_at=row["updated_at"].isoformat(timespec="microseconds"),
                previous_upvotes=row["previous"],
            )
            for row in rows
        ]

    def record_hf_readings(
        self, readings: Sequence[HFReading], signals: Sequence[Signal], scorer: SignalScorer
    ) -> None:
        def record(conn: Connection) -> None:
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO hf_observed (paper_id, upvotes, seen_at) VALUES (%s, %s, %s)"
                    " ON CONFLICT (paper_id) DO UPDATE SET upvotes = excluded.upvotes,"
                    " seen_at = excluded.seen_at",
                    [
                        (r.paper_id, max(r.upvotes, r.previous_upvotes or 0), r.updated_at)
                        for r in readings
                    ],
                )
            self._apply_signals(conn, signals, scorer)

        self._pool.run(record, write=True)
        self._trending_written()


def _write_scores(conn: Connection, signals: SignalBatch, scorer: SignalScorer) -> None:
    """Add signals to their papers' snapshot rows, keys merged."""
    ids = list(dict.fromkeys(signals.paper_ids))
    merged = merged_rows(_load_score_values(conn, ids), signals, scorer)
    values = ", ".join(["%s"] * 9)
    with conn.cursor() as cur:
        cur.executemany(
            f"UPDATE trending_scores SET ({SCORE_COLUMNS}) = ({values}) WHERE paper_id = %s",
            merged.updates,
        )
        cur.executemany(
            f"INSERT INTO trending_scores ({SCORE_COLUMNS}, paper_id) VALUES ({values}, %s)",
            merged.inserts,
        )


def _load_score_values(conn: Connection, ids: list[str]) -> dict[str, tuple[Any, ...]]:
    cursor = conn.cursor(row_factory=tuple_row)
    rows = cursor.execute(
        f"SELECT paper_id, {SCORE_COLUMNS} FROM trending_scores WHERE paper_id = ANY(%s)", (ids,)
    )
    return {row[0]: row[1:] for row in rows}


def _set_params(conn: Connection, params_json: str) -> None:
    conn.execute(
        "INSERT INTO trending_params (id, params_json) VALUES (1, %s)"
        " ON CONFLICT (id) DO UPDATE SET params_json = excluded.params_json",
        (params_json,),
    )
