"""Header values that cannot carry a second header, and a policy that folds them safely.

``email.policy.SMTP`` is used for everything, with three corrections made by
``DELIVERY_POLICY``: Subject and address headers are encoded with
``email.header.Header`` (the default folder can lose the space between two encoded
words), and List-Unsubscribe is folded only between its URLs (the default folder
turns a long URL into an RFC 2047 encoded word that no mail client understands).
"""

from __future__ import annotations

import re
from email.header import Header
from email.headerregistry import Address, BaseHeader, HeaderRegistry
from email.policy import SMTP as SMTP_POLICY
from email.policy import EmailPolicy
from typing import Any

from paperfeed.mail.addresses import has_control_characters
from paperfeed.mail.errors import MessageError

MAX_SUBJECT_LENGTH = 500
MAX_URL_LENGTH = 900  # a folded header line may not exceed 998 octets
_URL = re.compile(r"(?:https?://[A-Za-z0-9.-]+(?::\d{1,5})?(?:/|\?|$)|mailto:)[^\s<>\"\\]*")
_URL_CHARACTERS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*")
_BETWEEN_URLS = re.compile(r"(?<=>)\s*,\s*(?=<)")
_ADDRESS_HEADERS = frozenset({"from", "to", "reply-to"})
_LINE = 78


def clean_subject(subject: str) -> str:
    """The subject with whitespace runs collapsed, or ``MessageError``."""
    if has_control_characters(subject):
        raise MessageError("a subject may not contain control characters or line breaks")
    collapsed = " ".join(subject.split())
    if not collapsed:
        raise MessageError("a subject may not be empty")
    if len(collapsed) > MAX_SUBJECT_LENGTH:
        raise MessageError(f"subject longer than {MAX_SUBJECT_LENGTH} characters")
    return collapsed


def check_unsubscribe_url(url: str) -> str:
    """An http(s) or mailto URL of plain URI characters (no ``=?``), or ``MessageError``."""
    # "=?" would start an RFC 2047 encoded word for some readers: percent-encode it.
    if not _URL_CHARACTERS.fullmatch(url) or not _URL.fullmatch(url) or "=?" in url:
        raise MessageError(f"not a usable unsubscribe URL: {url[:80]!r}")
    if len(url) > MAX_URL_LENGTH:
        raise MessageError(f"unsubscribe URL longer than {MAX_URL_LENGTH} characters")
    return url


def _needs_encoding(text: str) -> bool:
    return not text.isascii() or "=?" in text


def stored_text(text: str) -> str:
    """What to assign to ``msg["Subject"]`` so that the stored value is ``text`` exactly.

    The header registry decodes encoded words on assignment, so a subject that merely
    looks like one (``=?utf-8?q?x?=``) would otherwise be changed; encoding such text
    first makes the decoded value equal the intended one.
    """
    if not _needs_encoding(text):
        return text
    return Header(text, "utf-8").encode(maxlinelen=0)


def encode_text(name: str, text: str, linesep: str) -> str:
    """Unstructured text as it appears after ``Name: ``, folded to 78 columns."""
    charset = "utf-8" if _needs_encoding(text) else "us-ascii"
    return Header(text, charset, header_name=name).encode(linesep=linesep, maxlinelen=_LINE)


def encode_address(address: Address, linesep: str) -> str:
    """``Name <local@domain>`` with the name quoted or encoded as it requires."""
    name = address.display_name
    if not name:
        return address.addr_spec
    if _needs_encoding(name):
        shown = Header(name, "utf-8").encode(linesep=linesep, maxlinelen=_LINE)
    else:
        escaped = name.replace("\\", "\\\\").replace('"', '\\"')
        shown = f'"{escaped}"'
    return f"{shown} <{address.addr_spec}>"


class _CachedHeaderRegistry(HeaderRegistry):
    """The standard registry, minus building a new header class on every lookup."""

    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        found = self._classes.get(key)
        if found is None:
            found = self._classes[key] = super().__getitem__(name)
        return found


class DeliveryPolicy(EmailPolicy):
    """``email.policy.SMTP`` with our own folding for the headers we write ourselves."""

    def fold(self, name: str, value: Any) -> str:
        folded = self._fold_ours(name, value)
        return folded if folded is not None else super().fold(name, value)

    def fold_binary(self, name: str, value: Any) -> bytes:
        folded = self._fold_ours(name, value)
        if folded is None:
            return super().fold_binary(name, value)
        return folded.encode("ascii")

    def _fold_ours(self, name: str, value: Any) -> str | None:
        lower = name.lower()
        linesep = self.linesep
        if lower == "subject":
            body = encode_text(name, str(value), linesep)
        elif lower in _ADDRESS_HEADERS and getattr(value, "addresses", None):
            body = ("," + linesep + " ").join(encode_address(a, linesep) for a in value.addresses)
        elif lower == "list-unsubscribe":
            urls = _BETWEEN_URLS.split(str(value).strip())
            body = ("," + linesep + " ").join(urls)
        else:
            return None
        return f"{name}: {body}{linesep}"


DELIVERY_POLICY = DeliveryPolicy().clone(
    linesep=SMTP_POLICY.linesep, header_factory=_CachedHeaderRegistry()
)
