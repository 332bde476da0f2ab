"""The secret key (never a constant default) and the signed tokens built on it."""

from __future__ import annotations

import stat
import time
from pathlib import Path

import pytest

from paperfeed.config import ConfigError, Settings
from paperfeed.security import TokenError, TokenSigner, load_secret_key


def test_a_generated_key_is_kept_private_and_reused(tmp_path: Path) -> None:
    settings = Settings({"var_dir": str(tmp_path)}, environ={})
    key = load_secret_key(settings)
    path = tmp_path / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(key) >= 32 and load_secret_key(settings) == key
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind
    other = Settings({"var_dir": str(tmp_path / "elsewhere")}, environ={})
    assert load_secret_key(other) != key


def test_the_environment_key_wins_and_must_be_long(tmp_path: Path) -> None:
    good = "k" * 40
    settings = Settings({"var_dir": str(tmp_path)}, environ={"PAPERFEED_SECRET_KEY": good})
    assert load_secret_key(settings) == good
    assert not (tmp_path / "secret_key").exists()
    short = Settings({"var_dir": str(tmp_path)}, environ={"PAPERFEED_SECRET_KEY": "short"})
    with pytest.raises(ConfigError, match="at least 32"):
        load_secret_key(short)


def test_a_damaged_key_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "secret_key").write_text("x")
    with pytest.raises(ConfigError, match="delete it"):
        load_secret_key(Settings({"var_dir": str(tmp_path)}, environ={}))


def test_tokens_are_bound_to_key_purpose_and_age() -> None:
    signer = TokenSigner("a" * 40)
    token = signer.sign("confirm", {"email": "ada@example.org"})
    assert signer.verify("confirm", token, max_age=60) == {"email": "ada@example.org"}
    with pytest.raises(TokenError):
        signer.verify("unsubscribe", token, max_age=60)
    with pytest.raises(TokenError):
        TokenSigner("b" * 40).verify("confirm", token, max_age=60)
    with pytest.raises(TokenError):
        signer.verify("confirm", token[:-2] + "xx", max_age=60)
    time.sleep(1.1)
    with pytest.raises(TokenError, match="expired"):
        signer.verify("confirm", token, max_age=0)
