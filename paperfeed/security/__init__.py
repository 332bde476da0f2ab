"""Secrets and signed tokens shared by the web app and the mail digests."""

from __future__ import annotations

from paperfeed.security.secret_key import load_secret_key
from paperfeed.security.tokens import TokenError, TokenSigner

__all__ = ["TokenError", "TokenSigner", "load_secret_key"]
