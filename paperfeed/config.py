"""Every setting paperfeed reads, declared once.

The one list below feeds the command-line flags, the ``PAPERFEED_*`` environment
variables, the TOML config file and docs/configuration.md, so they cannot drift apart.
Precedence: flag, then environment, then config file, then the default.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from paperfeed.errors import PaperfeedError

CONFIG_ENV = "PAPERFEED_CONFIG"


class ConfigError(PaperfeedError):
    """A setting has a value paperfeed cannot use."""


@dataclass(frozen=True, slots=True)
class Setting:
    """One setting: its name in the config file, its type, default and meaning."""

    name: str
    default: Any
    help: str
    type: Callable[[str], Any] = str

    @property
    def env(self) -> str:
        return "PAPERFEED_" + self.name.upper()


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "database_url",
        "sqlite:///./var/paperfeed.db",
        "Where papers are stored: sqlite:///PATH (relative) or sqlite:////ABS/PATH.",
    ),
    Setting(
        "var_dir", "./var", "Folder for local state (indexes, the mail outbox, generated keys)."
    ),
    Setting("arxiv_api_url", "https://export.arxiv.org/api/query", "Base URL of the arXiv API."),
    Setting(
        "arxiv_oai_url", "https://oaipmh.arxiv.org/oai", "Base URL of arXiv's OAI-PMH service."
    ),
    Setting("arxiv_rss_url", "https://rss.arxiv.org", "Base URL of arXiv's RSS listings."),
    Setting("hf_url", "https://huggingface.co", "Base URL of the Hugging Face API."),
    Setting(
        "arxiv_request_interval",
        3.0,
        "Seconds between two requests to arXiv (arXiv asks for at least 3).",
        float,
    ),
    Setting("hf_request_interval", 1.0, "Seconds between two requests to Hugging Face.", float),
    Setting("http_timeout", 60.0, "Seconds to wait for an upstream response.", float),
    Setting(
        "http_max_retries", 5, "Retries of a failed upstream request (429, 5xx, dropped).", int
    ),
    # -- search
    # -- web
    # -- mail and digests
)
SETTINGS_BY_NAME: Mapping[str, Setting] = {s.name: s for s in SETTINGS}


def load_config_file(path: Path | None) -> dict[str, Any]:
    """Read the TOML config file (``[paperfeed]`` table or top level); ``{}`` if none."""
    if path is None:
        env_path = os.environ.get(CONFIG_ENV)
        if not env_path:
            return {}
        path = Path(env_path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
    table = data.get("paperfeed", data)
    unknown = sorted(set(table) - set(SETTINGS_BY_NAME))
    if unknown:
        raise ConfigError(f"unknown setting(s) in {path}: {', '.join(unknown)}")
    return dict(table)


class Settings:
    """Resolved settings: explicit values (flags), environment, config file, defaults."""

    def __init__(
        self,
        explicit: Mapping[str, Any] | None = None,
        *,
        config_file: Path | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self._explicit = {k: v for k, v in (explicit or {}).items() if v is not None}
        self._file = load_config_file(config_file)
        self._environ = os.environ if environ is None else environ

    def get(self, name: str) -> Any:
        setting = SETTINGS_BY_NAME[name]
        if name in self._explicit:
            return self._coerce(setting, self._explicit[name], "flag")
        if setting.env in self._environ:
            return self._coerce(setting, self._environ[setting.env], setting.env)
        if name in self._file:
            return self._coerce(setting, self._file[name], "config file")
        return setting.default

    def with_values(self, **values: Any) -> Settings:
        """A copy with more explicit values (those that are not ``None``)."""
        copy = Settings.__new__(Settings)
        copy._explicit = {**self._explicit, **{k: v for k, v in values.items() if v is not None}}
        copy._file = self._file
        copy._environ = self._environ
        return copy

    @staticmethod
    def _coerce(setting: Setting, value: Any, origin: str) -> Any:
        try:
            return setting.type(value)
        except (TypeError, ValueError) as exc:
            raise ConfigError(
                f"{setting.name} from {origin}: {value!r} is not a valid value"
            ) from exc

    @property
    def database_url(self) -> str:
        return str(self.get("database_url"))

    @property
    def var_dir(self) -> Path:
        return Path(self.get("var_dir"))
