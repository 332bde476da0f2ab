"""The PostgreSQL store, for sites that outgrow one SQLite file.

Needs the ``postgres`` extra: ``pip install 'paperfeed[postgres]'``.
"""

from paperfeed.store.postgres.store import PostgresPaperStore

__all__ = ["PostgresPaperStore"]
