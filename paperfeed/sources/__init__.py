"""Upstream sources of papers, each behind the small ``Source`` interface."""

from paperfeed.sources.base import Checkpoint, Page, Source, SourceError

__all__ = ["Checkpoint", "Page", "Source", "SourceError"]
