"""Strict email addresses for headers and envelopes.

Deliberately narrower than RFC 5322: an ASCII dot-atom local part and a host name
(non-ASCII domains are converted to their IDNA form). Anything that could smuggle a
second header or recipient (CR, LF, commas, angle brackets, quotes, control characters)
is refused with ``MessageError`` instead of being escaped.
"""

from __future__ import annotations

import re
import unicodedata
from email.headerregistry import Address

from paperfeed.mail.errors import MessageError

_LOCAL_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
_NAME_AND_ADDRESS = re.compile(r"(?P<name>[^<>]*?)\s*<(?P<address>[^<>]*)>")
MAX_ADDRESS_LENGTH = 254
MAX_DISPLAY_NAME_LENGTH = 200


def has_control_characters(text: str) -> bool:
    """True for C0/C1 controls, DEL and Unicode line/paragraph separators."""
    return any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") for ch in text)


def _ascii_domain(domain: str) -> str:
    try:
        ascii_domain = domain.encode("idna").decode("ascii") if not domain.isascii() else domain
    except UnicodeError as exc:
        raise MessageError(f"invalid domain in address: {domain!r}") from exc
    labels = ascii_domain.split(".")
    if not all(_LABEL.fullmatch(label) for label in labels):
        raise MessageError(f"invalid domain in address: {domain!r}")
    return ascii_domain.lower()


def normalize_address(address: str) -> str:
    """The address as ``local@domain`` (domain lower-cased, IDNA), or ``MessageError``."""
    if has_control_characters(address):
        raise MessageError("an address may not contain control characters or line breaks")
    local, at, domain = address.strip().rpartition("@")
    if not at or not local or not domain:
        raise MessageError(f"not an email address: {address!r}")
    if not _LOCAL_PART.fullmatch(local) or len(local) > 64:
        raise MessageError(f"invalid local part in address: {address!r}")
    normalized = f"{local}@{_ascii_domain(domain)}"
    if len(normalized) > MAX_ADDRESS_LENGTH:
        raise MessageError(f"address longer than {MAX_ADDRESS_LENGTH} characters")
    return normalized


def clean_display_name(name: str) -> str:
    """The display name with whitespace runs collapsed, or ``MessageError``."""
    if has_control_characters(name):
        raise MessageError("a display name may not contain control characters or line breaks")
    collapsed = " ".join(name.split())
    if len(collapsed) > MAX_DISPLAY_NAME_LENGTH:
        raise MessageError(f"display name longer than {MAX_DISPLAY_NAME_LENGTH} characters")
    return collapsed


def make_address(address: str, display_name: str = "") -> Address:
    """A validated ``Address`` for a From or To header."""
    local, _, domain = normalize_address(address).rpartition("@")
    return Address(display_name=clean_display_name(display_name), username=local, domain=domain)


def parse_mailbox(text: str) -> Address:
    """Parse ``Name <local@domain>`` or a bare ``local@domain`` (the mail_from setting)."""
    if has_control_characters(text):
        raise MessageError("an address may not contain control characters or line breaks")
    match = _NAME_AND_ADDRESS.fullmatch(text.strip())
    if match is None:
        return make_address(text)
    name = match["name"].strip()
    if len(name) >= 2 and name[0] == name[-1] == '"':
        name = name[1:-1]
    return make_address(match["address"], name)
