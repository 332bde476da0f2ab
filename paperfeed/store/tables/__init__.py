"""The store's SQL, written once for both engines: one module per capability.

Each class is mixed into the store and runs its queries through ``self._db`` (a
``paperfeed.store.database.Database``); what the engines spell differently comes from
``self._db.dialect``. Engine modules (``store/sqlite``, ``store/postgres``) hold only
what really differs: connections, bulk paths, locks, full-text search and vectors.
"""
