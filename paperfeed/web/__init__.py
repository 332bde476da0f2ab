"""The web capability: server-rendered pages, JSON APIs and feeds (``paperfeed serve``)."""

from __future__ import annotations

from paperfeed.web.app import create_app

__all__ = ["create_app"]
