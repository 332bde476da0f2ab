"""Private-feed and API tokens: random secrets shown once, kept only as digests.

A token is 32 random bytes (URL-safe) behind a prefix that says what it opens, so a
leaked one is recognised ("pff_" a feed URL's, "pfa_" an API token). The store keeps
its SHA-256 only: a leaked database opens nothing, and a presented token is checked by
hashing it and looking the digest up (``PersonalStore.personal_token_account``).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime

from paperfeed.store.personal import PersonalStore, TokenKind

PREFIXES: dict[TokenKind, str] = {"feed": "pff_", "api": "pfa_"}
TOKEN_PATTERN = r"pf[fa]_[A-Za-z0-9_-]{43}"  # noqa: S105 (a shape, not a secret)
_TOKEN = re.compile(TOKEN_PATTERN)
MAX_LABEL = 60


def new_token(kind: TokenKind) -> str:
    return PREFIXES[kind] + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(
    store: PersonalStore,
    account_id: int,
    kind: TokenKind,
    label: str = "",
    *,
    now: datetime | None = None,
) -> str:
    """A new token, returned once. A feed token replaces the reader's earlier one; API
    tokens add up, one per client."""
    token = new_token(kind)
    at = now or datetime.now(UTC)
    label = " ".join(label.split())[:MAX_LABEL]
    if kind == "feed":
        store.revoke_personal_tokens(account_id, kind, at)
    store.add_personal_token(account_id, kind, token_hash(token), label, at)
    return token


def token_account(
    store: PersonalStore, kind: TokenKind, token: str, *, now: datetime | None = None
) -> int | None:
    """The account a presented, live token of this kind opens; None for anything else
    (malformed, unknown, revoked, or a token of the other kind)."""
    if not _TOKEN.fullmatch(token) or not token.startswith(PREFIXES[kind]):
        return None
    return store.personal_token_account(kind, token_hash(token), now or datetime.now(UTC))
