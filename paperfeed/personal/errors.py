"""The personal ranking's exceptions."""

from __future__ import annotations

from paperfeed.errors import PaperfeedError


class PersonalError(PaperfeedError):
    """A reader's model cannot be built, read or applied."""


class ModelStateError(PersonalError):
    """Saved model state is unreadable, of another version, or for other vectors."""
