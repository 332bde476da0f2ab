"""The key that signs tokens: from ``PAPERFEED_SECRET_KEY``, else generated once.

A generated key lives in ``var_dir/secret_key`` (mode 0600, written atomically), so it
survives restarts and every worker process reads the same one. There is no built-in
default: a constant key would let anyone forge tokens for every installation.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from paperfeed.config import ConfigError, Settings

KEY_FILE = "secret_key"
MIN_LENGTH = 32


def load_secret_key(settings: Settings) -> str:
    """The configured key, or the one kept under ``var_dir`` (created on first use)."""
    configured = str(settings.get("secret_key") or "")
    if configured:
        if len(configured) < MIN_LENGTH:
            raise ConfigError(f"secret_key must be at least {MIN_LENGTH} characters long")
        return configured
    return _stored_key(settings.var_dir / KEY_FILE)


def _stored_key(path: Path) -> str:
    with contextlib.suppress(FileNotFoundError):
        return _read_key(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(secrets.token_urlsafe(48))
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(FileExistsError):  # another process won the race: use theirs
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return _read_key(path)


def _read_key(path: Path) -> str:
    key = path.read_text(encoding="ascii").strip()
    if len(key) < MIN_LENGTH:
        raise ConfigError(f"{path} holds no usable key: delete it to generate a new one")
    return key
