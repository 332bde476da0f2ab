"""``PAPERFEED_SMTP_URL``: where and how to reach the mail server.

``smtp://user:pass@host:587?starttls=1`` (plain connection upgraded with STARTTLS),
``smtps://user:pass@host:465`` (TLS from the first byte), ``smtp://localhost:25``
(no TLS, no auth: a local relay). User and password are percent-decoded. Optional
query parameters: ``starttls`` (0/1), ``cafile`` (a CA bundle to trust instead of the
system's), ``verify`` (1; 0 turns certificate checking off, for tests only).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from urllib.parse import parse_qs, quote, unquote, urlsplit

from paperfeed.mail.errors import TransportError

_DEFAULT_PORTS = {"smtp": 25, "smtps": 465}
_FLAGS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}
_KNOWN = frozenset({"starttls", "cafile", "verify"})


class SMTPURLError(TransportError):
    """``PAPERFEED_SMTP_URL`` cannot be used (the message never includes the password)."""


@dataclass(frozen=True, slots=True)
class SMTPConfig:
    """A parsed SMTP URL; ``repr`` and ``redacted_url`` hide the password."""

    host: str
    port: int
    implicit_tls: bool = False
    starttls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    cafile: str | None = None
    verify: bool = True

    @property
    def uses_tls(self) -> bool:
        return self.implicit_tls or self.starttls

    def redacted_url(self) -> str:
        """The URL for logs and messages: the password replaced by ``***``."""
        scheme = "smtps" if self.implicit_tls else "smtp"
        user = f"{quote(self.username, safe='')}:***@" if self.username is not None else ""
        query = "?starttls=1" if self.starttls else ""
        return f"{scheme}://{user}{self.host}:{self.port}{query}"


def _flag(params: dict[str, list[str]], name: str, default: bool) -> bool:
    values = params.get(name)
    if not values:
        return default
    try:
        return _FLAGS[values[-1].lower()]
    except KeyError:
        raise SMTPURLError(f"SMTP URL parameter {name} must be 0 or 1") from None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_smtp_url(url: str) -> SMTPConfig:
    """Parse and check an SMTP URL; ``SMTPURLError`` says what is wrong with it."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise SMTPURLError(f"SMTP URL is malformed: {exc}") from None
    if parts.scheme not in _DEFAULT_PORTS:
        raise SMTPURLError("SMTP URL must start with smtp:// or smtps://")
    if not parts.hostname:
        raise SMTPURLError("SMTP URL has no host name")
    if parts.path not in ("", "/") or parts.fragment:
        raise SMTPURLError("SMTP URL may not have a path or fragment")
    params = parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(params) - _KNOWN)
    if unknown:
        raise SMTPURLError(f"unknown SMTP URL parameter(s): {', '.join(unknown)}")
    implicit = parts.scheme == "smtps"
    starttls = _flag(params, "starttls", False)
    if implicit and starttls:
        raise SMTPURLError("smtps:// already uses TLS: drop starttls=1")
    config = SMTPConfig(
        host=parts.hostname,
        port=port or _DEFAULT_PORTS[parts.scheme],
        implicit_tls=implicit,
        starttls=starttls,
        username=unquote(parts.username) if parts.username is not None else None,
        password=unquote(parts.password) if parts.password is not None else None,
        cafile=params["cafile"][-1] if params.get("cafile") else None,
        verify=_flag(params, "verify", True),
    )
    if config.username is not None and not config.uses_tls and not _is_loopback(config.host):
        raise SMTPURLError("SMTP URL has credentials but no TLS: use smtps:// or add ?starttls=1")
    return config
