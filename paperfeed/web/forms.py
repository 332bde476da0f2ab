"""Validation of what people type into forms."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

MAX_EMAIL_LENGTH = 254


class FormError(ValueError):
    """A field's value cannot be used; the message says why, for the person who typed it."""


def normalise_email(text: str) -> str:
    """A syntactically valid address, normalised and lower-cased (no DNS look-up).

    Lower-casing the whole address is a deliberate choice: no real mail system treats
    ``Ada@`` and ``ada@`` as different people, and it keeps one subscription per person.
    """
    text = text.strip()
    if not text:
        raise FormError("Enter your email address.")
    if len(text) > MAX_EMAIL_LENGTH:
        raise FormError("That email address is too long.")
    try:
        valid = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise FormError(f"That is not a valid email address: {exc}") from exc
    return str(valid.normalized).lower()
