"""Validation of what people type into forms."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from starlette.datastructures import FormData, UploadFile

from paperfeed.personal.library_import import MAX_BYTES as MAX_LIBRARY_BYTES

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


LIBRARY_BODY_LIMIT = MAX_LIBRARY_BYTES + 64 * 1024
"""Request body limit of the routes that take a library file (the file and its form)."""


async def library_file(form: FormData) -> bytes | None:
    """The uploaded library file's bytes, one more than the importer accepts at most (so
    it can say the file is too large); ``None`` when no file was chosen."""
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    return await upload.read(MAX_LIBRARY_BYTES + 1)
