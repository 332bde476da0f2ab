"""The mail capability's exception family.

The sender decides what to do with a message from the class of the error alone:
retry later (temporary), give up and count a bounce (permanent), or stop the whole
run because the transport itself is unusable (anything else).
"""

from __future__ import annotations

from paperfeed.errors import PaperfeedError


class DeliveryError(PaperfeedError):
    """A message could not be built, queued or handed to the mail server."""


class MessageError(DeliveryError, ValueError):
    """A message field is unusable (control characters, an invalid address, ...)."""


class TransportError(DeliveryError):
    """The transport cannot work at all (bad credentials, TLS failure, bad folder)."""


class TemporaryDeliveryError(DeliveryError):
    """Try again later: an SMTP 4xx reply, a timeout or a dropped connection."""

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class PermanentDeliveryError(DeliveryError):
    """The server refused the message for good (SMTP 5xx).

    ``bounce`` says whether the refusal is about the recipient (RCPT or DATA refused),
    which counts towards suppressing the address, or about us (MAIL FROM refused).
    """

    def __init__(self, message: str, *, code: int | None = None, bounce: bool = True) -> None:
        super().__init__(message)
        self.code = code
        self.bounce = bounce
