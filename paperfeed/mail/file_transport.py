"""Delivery into a maildir-style folder: the default when no SMTP server is set.

Each message becomes ``new/<message-id>.eml``, written to ``tmp/`` first and renamed
(atomic), so a reader never sees half a file. The name comes from the Message-ID, so
sending the same message again replaces the file instead of adding a second one.
"""

from __future__ import annotations

import os
import re
import secrets
import threading
from pathlib import Path

from paperfeed.mail.errors import TransportError
from paperfeed.mail.transport import Transport

_UNSAFE = re.compile(r"[^A-Za-z0-9._@+=-]")


def file_name_for(message_id: str) -> str:
    """A file name from a Message-ID: ``<a.b@c>`` becomes ``a.b@c.eml``."""
    name = _UNSAFE.sub("_", message_id.strip().strip("<>")).lstrip(".")
    return f"{name[:200] or 'message'}.eml"


class FileTransport(Transport):
    """Writes ``.eml`` files (LF line endings, as maildir readers expect)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        try:
            for sub in ("tmp", "new", "cur"):
                (folder / sub).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise TransportError(f"cannot create the mail folder {folder}: {exc}") from exc

    def describe(self) -> str:
        return f"files in {self.folder}"

    def send(self, sender: str, recipient: str, message_id: str, content: bytes) -> None:
        name = file_name_for(message_id)
        unique = f"{os.getpid()}.{threading.get_ident()}.{secrets.token_hex(4)}"
        temporary = self.folder / "tmp" / f"{name}.{unique}"
        try:
            with open(temporary, "wb") as out:
                out.write(content.replace(b"\r\n", b"\n"))
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.folder / "new" / name)
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            raise TransportError(f"cannot write {name} into {self.folder}: {exc}") from exc
