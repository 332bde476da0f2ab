"""How a message leaves paperfeed: the transport interface.

A transport is handed the envelope and the exact bytes; it raises
``TemporaryDeliveryError`` (retry later), ``PermanentDeliveryError`` (give up) or
``TransportError`` (the transport itself is broken). ``send`` may be called from
several threads at once, up to ``concurrency``. This module knows no implementation:
``transports.open_transport`` picks one.
"""

from __future__ import annotations

from abc import ABC, abstractmethod


class Transport(ABC):
    """Delivers one message at a time per calling thread."""

    concurrency: int = 1

    @abstractmethod
    def send(self, sender: str, recipient: str, message_id: str, content: bytes) -> None:
        """Deliver ``content`` (with the given Message-ID) or raise a ``DeliveryError``."""

    @abstractmethod
    def describe(self) -> str:
        """Where messages go, for logs (never containing a password)."""

    def close(self) -> None:  # noqa: B027 - most transports hold nothing to release
        """Release connections."""

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
