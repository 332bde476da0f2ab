"""The plain keyword baseline the relevance benchmark compares with: SQLite FTS5 BM25.

Nothing tuned: FTS5's own ``bm25()`` over a title and an abstract column (title weight
2), the ``porter`` tokenizer, and every word of the query OR-ed, stopwords included.
Built in memory over the same papers as the store under test, in the same run.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable

_WORD = re.compile(r"\w+")


class PlainBM25:
    """An in-memory FTS5 index of (id, title, abstract) rows."""

    def __init__(self, papers: Iterable[tuple[str, str, str]]) -> None:
        self._db = sqlite3.connect(":memory:")
        self._db.execute("CREATE VIRTUAL TABLE docs USING fts5(title, abstract, tokenize='porter')")
        self._ids: list[str] = []
        rows = []
        for paper_id, title, abstract in papers:
            self._ids.append(paper_id)
            rows.append((len(self._ids), title, abstract))
        self._db.executemany("INSERT INTO docs (rowid, title, abstract) VALUES (?, ?, ?)", rows)
        self._db.commit()

    def search(self, query: str, limit: int = 10) -> list[str]:
        """Paper ids, best first: every word of ``query`` OR-ed, ranked by ``bm25()``."""
        return [paper_id for paper_id, _ in self.scored(query, limit)]

    def scored(self, query: str, limit: int = 10) -> list[tuple[str, float]]:
        """(paper id, BM25 score), best first (FTS5's ``bm25()`` is the score negated)."""
        words = [w for w in _WORD.findall(query.lower()) if any(c.isalnum() for c in w)]
        if not words:
            return []
        match = " OR ".join('"' + w.replace('"', '""') + '"' for w in dict.fromkeys(words))
        rows = self._db.execute(
            "SELECT rowid, -bm25(docs, 2.0, 1.0) AS score FROM docs WHERE docs MATCH ?"
            " ORDER BY score DESC LIMIT ?",
            (match, limit),
        ).fetchall()
        return [(self._ids[rowid - 1], score) for rowid, score in rows]

    def close(self) -> None:
        self._db.close()
