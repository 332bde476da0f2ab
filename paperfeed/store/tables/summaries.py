"""Paper summaries (TL;DR and keywords) in SQL both engines run."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

from paperfeed.store.database import Database
from paperfeed.store.summaries import PaperSummary, SummaryInput

_STALE = (
    " FROM papers p LEFT JOIN paper_summaries s ON s.paper_id = p.id"
    " WHERE {papers} AND (s.paper_id IS NULL OR s.model_version <> ?"
    " OR s.content_hash <> p.content_hash)"
)
_PENDING = (
    "SELECT p.id, p.content_hash, p.title_text, p.abstract_text" + _STALE + " ORDER BY p.id LIMIT ?"
)
# Only papers still stored: a paper deleted between reading and writing is skipped.
_PUT = (
    "INSERT INTO paper_summaries"
    " (paper_id, tldr, keywords_json, model_version, content_hash, computed_at)"
    " SELECT id, ?, ?, ?, ?, ? FROM papers WHERE id = ?"
    " ON CONFLICT (paper_id) DO UPDATE SET tldr = excluded.tldr,"
    " keywords_json = excluded.keywords_json, model_version = excluded.model_version,"
    " content_hash = excluded.content_hash, computed_at = excluded.computed_at"
)


def keywords_from_json(text: str | None) -> tuple[str, ...]:
    """Stored keywords back as a tuple (anything but a list of strings reads as none)."""
    try:
        value = orjson.loads(text or "[]")
    except orjson.JSONDecodeError:
        return ()
    return tuple(k for k in value if isinstance(k, str)) if isinstance(value, list) else ()


class SummaryTables:
    """Summaries of the stored papers (mixed into the store)."""

    _db: Database

    def papers_to_summarize(
        self,
        model_version: str,
        *,
        after: str = "",
        limit: int = 500,
        among: Sequence[str] | None = None,
    ) -> list[SummaryInput]:
        d = self._db.dialect
        papers, params = "p.id > ?", list[Any]([after])
        if among is not None:
            papers += f" AND {d.member('p.id')}"
            params.append(d.values(among))
        sql = _PENDING.format(papers=papers)
        rows = self._db.all(sql, (*params, model_version, limit))
        return [
            SummaryInput(r["id"], r["content_hash"], r["title_text"], r["abstract_text"])
            for r in rows
        ]

    def count_papers_to_summarize(self, model_version: str) -> int:
        sql = "SELECT count(*)" + _STALE.format(papers="1 = 1")
        return int(self._db.value(sql, (model_version,)))

    def put_summaries(self, summaries: Sequence[PaperSummary]) -> None:
        if not summaries:
            return
        now = datetime.now(UTC)
        rows = [
            (
                s.tldr,
                orjson.dumps(list(s.keywords)).decode(),
                s.model_version,
                s.content_hash,
                now,
                s.paper_id,
            )
            for s in summaries
        ]
        self._db.write(lambda tx: tx.executemany(_PUT, rows))

    def count_summaries(self, model_version: str | None = None) -> int:
        if model_version is None:
            return int(self._db.value("SELECT count(*) FROM paper_summaries"))
        sql = "SELECT count(*) FROM paper_summaries WHERE model_version = ?"
        return int(self._db.value(sql, (model_version,)))
