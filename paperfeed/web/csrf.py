"""Protection of every form against cross-site request forgery.

A form page sets a random nonce in an HttpOnly, SameSite=Strict cookie and embeds a
signed, expiring token of that nonce. A POST is accepted only when the token is valid
and names the nonce in the request's own cookie: another site can make a browser send
the cookie, but cannot read it or forge a matching token. No server-side session needed.
"""

from __future__ import annotations

import hmac
import secrets

from paperfeed.security.tokens import TokenError, TokenSigner

COOKIE = "paperfeed_csrf"
FIELD = "csrf_token"
MAX_AGE = 2 * 60 * 60
PURPOSE = "csrf"


class CSRFError(ValueError):
    """The form's token is missing, forged, expired or not this browser's."""


class CSRFProtector:
    def __init__(self, signer: TokenSigner) -> None:
        self._signer = signer

    @staticmethod
    def new_nonce() -> str:
        return secrets.token_urlsafe(24)

    def token_for(self, nonce: str) -> str:
        return self._signer.sign(PURPOSE, nonce)

    def check(self, token: str | None, nonce: str | None) -> None:
        if not token or not nonce:
            raise CSRFError("the form has expired or cookies are off: reload the page")
        try:
            signed = self._signer.verify(PURPOSE, token, max_age=MAX_AGE)
        except TokenError as exc:
            raise CSRFError("the form has expired: reload the page and try again") from exc
        if not isinstance(signed, str) or not hmac.compare_digest(signed, nonce):
            raise CSRFError("the form does not belong to this browser: reload the page")
