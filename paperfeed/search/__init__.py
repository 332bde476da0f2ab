"""Search papers by keyword, by meaning, or both; find similar papers.

``SearchService`` is the entry point (see docs/search.md). Keyword search ranks by
BM25 in the store (PostgreSQL) or in a tantivy index beside it (SQLite); semantic
search embeds the query and asks a vector index built from the embeddings stored in
the store; hybrid fuses the two rankings by reciprocal rank. An arXiv id, arXiv URL,
DOI or exact title pins its paper first; a failing or slow embedder falls back to
keyword results.
"""

from __future__ import annotations

from paperfeed.search.highlight import Highlighted
from paperfeed.search.indexing import index_after_ingest
from paperfeed.search.service import (
    MODES,
    Readiness,
    SearchError,
    SearchFilters,
    SearchHit,
    SearchResults,
    SearchService,
)

__all__ = [
    "MODES",
    "Highlighted",
    "Readiness",
    "SearchError",
    "SearchFilters",
    "SearchHit",
    "SearchResults",
    "SearchService",
    "index_after_ingest",
]
