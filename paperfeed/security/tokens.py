"""Signed, expiring tokens (form protection, confirmation and unsubscribe links)."""

from __future__ import annotations

from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from paperfeed.errors import PaperfeedError


class TokenError(PaperfeedError):
    """A token was forged, altered, made for another purpose, or has expired."""


class TokenSigner:
    """Signs small JSON payloads for one purpose each; a token for one purpose fails another."""

    def __init__(self, secret_key: str) -> None:
        self._secret_key = secret_key

    def _serializer(self, purpose: str) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self._secret_key, salt=f"paperfeed.{purpose}")

    def sign(self, purpose: str, payload: Any) -> str:
        return str(self._serializer(purpose).dumps(payload))

    def verify(self, purpose: str, token: str, *, max_age: int) -> Any:
        """The payload of a valid token no older than ``max_age`` seconds."""
        try:
            return self._serializer(purpose).loads(token, max_age=max_age)
        except SignatureExpired as exc:
            raise TokenError(f"{purpose} token has expired") from exc
        except BadSignature as exc:
            raise TokenError(f"{purpose} token is not valid") from exc
