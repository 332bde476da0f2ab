"""Bringing papers in: a source run into the store page by page, resuming from its
checkpoint (``run``), and the ``paperfeed ingest`` commands (``cli``).

What other capabilities call::

    report = run_ingest(store, source)   # report.changed: did anything new arrive?
"""

from paperfeed.ingest.run import IngestReport, PageCallback, run_ingest

__all__ = ["IngestReport", "PageCallback", "run_ingest"]
