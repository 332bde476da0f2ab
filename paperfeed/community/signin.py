"""Passwordless sign-in: a signed, expiring, single-use link by mail, then a session.

The link carries ``{"e": address, "n": nonce}`` signed for the ``signin`` purpose; it
is valid for ``signin_link_minutes`` and once only (the store records used nonces).
Opening the link shows a button: the session starts on that POST, so a mail scanner
that follows links cannot spend the link. A session is a random token in an HttpOnly
cookie; the store keeps only its SHA-256.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from paperfeed.community.errors import CommunityError
from paperfeed.community.names import name_from_email
from paperfeed.community.ratelimits import Limit, subject_digest, take
from paperfeed.community.settings import CommunitySettings
from paperfeed.mail import (
    MailSettings,
    MessageKey,
    OutgoingMessage,
    enqueue,
    open_transport,
    send_pending,
)
from paperfeed.security import TokenError, TokenSigner
from paperfeed.store.community import Account, CommunityStore
from paperfeed.store.outbox import OutboxStore


class SigninStore(CommunityStore, OutboxStore, Protocol):
    """What sign-in uses: accounts, sessions and nonces, and the outbox for its mail."""


PURPOSE = "signin"
log = logging.getLogger("paperfeed.community")


class SignInError(CommunityError):
    """A sign-in link is forged, expired or already used."""


@dataclass(frozen=True, slots=True)
class SignInLink:
    """A link that was queued for mailing."""

    url: str
    nonce: str
    message_key: str


def request_signin(
    store: SigninStore,
    signer: TokenSigner,
    community: CommunitySettings,
    mail: MailSettings,
    *,
    email: str,
    ip: str,
    base_url: str,
) -> SignInLink:
    """Rate-limit, sign a link for ``email`` (normalised) and queue the mail."""
    take(
        store,
        [
            Limit("signin-address", community.rate_signin_per_address, email,
                  "sign-in emails to this address"),
            Limit("signin-ip", community.rate_signin_per_ip, ip,
                  "sign-in emails requested from your network"),
        ],
    )  # fmt: skip
    nonce = secrets.token_urlsafe(18)
    token = signer.sign(PURPOSE, {"e": email, "n": nonce})
    url = f"{base_url.rstrip('/')}/signin/verify?token={token}"
    minutes = community.signin_link_minutes
    message = OutgoingMessage(
        key=MessageKey("signin", subject_digest(email)[:24], nonce),
        to_address=email,
        subject="Your paperfeed sign-in link",
        text=(
            f"Open this link to sign in to paperfeed:\n\n{url}\n\n"
            f"It works once, within {minutes} minutes. If you did not ask for it,"
            " ignore this mail: nobody can sign in without the link.\n"
        ),
        transactional=True,
    )
    result = enqueue(store, message, mail)
    return SignInLink(url, nonce, result.key)


def deliver_now(store: OutboxStore, mail: MailSettings) -> None:
    """Send what is due right away (the sign-in mail just queued among it).

    If another sender holds the outbox lease, that sender delivers it instead; a
    transport failure leaves it queued for ``paperfeed mail send``.
    """
    try:
        with open_transport(mail) as transport:
            send_pending(store, transport, mail)
    except Exception:  # a failed send must never fail the page: the mail stays queued
        log.exception("sending the sign-in mail failed; it stays in the outbox")


def check_signin_token(signer: TokenSigner, token: str, community: CommunitySettings) -> str:
    """The address a genuine, unexpired link was made for (without spending it)."""
    try:
        payload: Any = signer.verify(PURPOSE, token, max_age=community.signin_link_minutes * 60)
    except TokenError as exc:
        if "expired" in str(exc):
            raise SignInError("This sign-in link has expired: ask for a new one.") from exc
        raise SignInError("This sign-in link is not valid: ask for a new one.") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("e"), str):
        raise SignInError("This sign-in link is not valid: ask for a new one.")
    return str(payload["e"])


def complete_signin(
    store: SigninStore, signer: TokenSigner, token: str, community: CommunitySettings
) -> Account:
    """Spend a link: verify it, record its nonce as used, return (or create) the account."""
    email = check_signin_token(signer, token, community)
    payload = signer.verify(PURPOSE, token, max_age=community.signin_link_minutes * 60)
    now = datetime.now(UTC)
    expires = now + timedelta(minutes=community.signin_link_minutes)
    if not store.use_signin_nonce(str(payload.get("n")), expires, now):
        raise SignInError("This sign-in link was already used: ask for a new one.")
    account, _ = store.get_or_create_account(email, name_from_email(email))
    return account


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def open_session(store: CommunityStore, account: Account, community: CommunitySettings) -> str:
    """A new session for ``account``; returns the cookie value."""
    token = secrets.token_urlsafe(32)
    expires = datetime.now(UTC) + timedelta(days=community.session_days)
    store.create_session(token_hash(token), account.id, expires)
    return token


def session_account(store: CommunityStore, cookie: str | None) -> Account | None:
    if not cookie or len(cookie) > 100:
        return None
    return store.session_account(token_hash(cookie), datetime.now(UTC))


def close_session(store: CommunityStore, cookie: str | None) -> None:
    if cookie:
        store.delete_session(token_hash(cookie))
