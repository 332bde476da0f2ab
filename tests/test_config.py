"""Settings: one declarative list feeding flags, environment and the config file."""

from __future__ import annotations

from pathlib import Path

import pytest

from paperfeed.config import SETTINGS, ConfigError, Settings


def test_defaults_apply_when_nothing_is_set(tmp_path: Path) -> None:
    settings = Settings(environ={})
    assert settings.database_url == "sqlite:///./var/paperfeed.db"
    assert settings.get("arxiv_request_interval") == 3.0


def test_precedence_is_flag_then_env_then_file(tmp_path: Path) -> None:
    config = tmp_path / "paperfeed.toml"
    config.write_text('[paperfeed]\ndatabase_url = "sqlite:///file.db"\nhttp_max_retries = 2\n')
    env = {"PAPERFEED_DATABASE_URL": "sqlite:///env.db"}
    assert Settings(config_file=config, environ={}).database_url == "sqlite:///file.db"
    assert Settings(config_file=config, environ=env).database_url == "sqlite:///env.db"
    flagged = Settings({"database_url": "sqlite:///flag.db"}, config_file=config, environ=env)
    assert flagged.database_url == "sqlite:///flag.db"
    assert flagged.get("http_max_retries") == 2
    assert flagged.with_values(http_max_retries=None).get("http_max_retries") == 2


def test_config_file_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "c.toml"
    config.write_text('var_dir = "/srv/pf"\n')
    monkeypatch.setenv("PAPERFEED_CONFIG", str(config))
    assert Settings(environ={}).var_dir == Path("/srv/pf")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("databse_url = 'x'", "unknown setting"),
        ("database_url = ", "not valid TOML"),
        ("http_max_retries = 'many'", "not a valid value"),
    ],
)
def test_bad_config_is_a_clear_error(tmp_path: Path, content: str, message: str) -> None:
    config = tmp_path / "c.toml"
    config.write_text(content)
    with pytest.raises(ConfigError, match=message):
        Settings(config_file=config, environ={}).get("http_max_retries")


def test_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config file"):
        Settings(config_file=tmp_path / "nope.toml")


def test_bad_environment_value_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="PAPERFEED_HTTP_TIMEOUT"):
        Settings(environ={"PAPERFEED_HTTP_TIMEOUT": "soon"}).get("http_timeout")


def test_every_setting_has_help_and_an_env_name() -> None:
    for setting in SETTINGS:
        assert setting.help.endswith(".")
        assert setting.env == "PAPERFEED_" + setting.name.upper()
