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
    Setting(
        "search_embedder",
        "minilm-l6-v2-int8",
        "Embedding model for semantic search (a new model is a new index generation).",
    ),
    Setting(
        "search_model_dir",
        "",
        "Folder for the built embedding model files (empty: VAR_DIR/models).",
    ),
    Setting(
        "search_index_dir",
        "",
        "Folder for vector indexes (empty: next to the SQLite database, DB.search/).",
    ),
    Setting(
        "search_keyword_weight",
        0.2,
        "Weight of the keyword score (BM25 over the query's best) in hybrid search.",
        float,
    ),
    Setting(
        "search_term_list_keyword_weight",
        1.0,
        "Weight of the keyword score in hybrid search for a query of bare terms, "
        "without one function word.",
        float,
    ),
    Setting(
        "search_semantic_weight",
        1.0,
        "Weight of the semantic score (cosine similarity) in hybrid search.",
        float,
    ),
    Setting(
        "search_embed_timeout_ms",
        300.0,
        "Longest wait for a query embedding before answering with keyword results only.",
        float,
    ),
    Setting(
        "search_max_keyword_terms",
        32,
        "PostgreSQL: free words kept in a keyword query (the rarest; stopwords are dropped),"
        " a cap for pasted abstracts. The embedded (SQLite) keyword index keeps up to 64.",
        int,
    ),
    Setting(
        "search_max_term_share",
        0.5,
        "PostgreSQL: keyword queries skip words found in more than this share of papers"
        " (they weigh little and cost the most; 1.0 keeps every word).",
        float,
    ),
    Setting("search_candidates", 50, "Candidates each mode contributes to hybrid fusion.", int),
    # -- web
    Setting("web_host", "127.0.0.1", "Address `paperfeed serve` listens on."),
    Setting("web_port", 8000, "Port `paperfeed serve` listens on.", int),
    Setting("web_workers", 1, "Worker processes of `paperfeed serve`.", int),
    Setting(
        "web_trusted_proxies",
        "",
        "Reverse proxies (IP addresses, comma-separated) whose X-Forwarded-For and"
        " X-Forwarded-Proto headers `paperfeed serve` believes; empty: none.",
    ),
    Setting(
        "web_shutdown_grace",
        10,
        "Seconds `paperfeed serve` lets running requests finish after SIGTERM or Ctrl-C"
        " before it cancels them (and their upstream calls) and exits.",
        int,
    ),
    Setting(
        "public_url",
        "",
        "The site's public base URL for links in feeds (default: taken from each request).",
    ),
    Setting(
        "secret_key",
        "",
        "Key that signs form tokens and links (default: generated once, kept in var_dir).",
    ),
    # -- mail and digests
    Setting(
        "smtp_url",
        "",
        "Mail server, e.g. smtp://user:pass@host:587?starttls=1 or smtps://user:pass@host"
        " (empty: write .eml files to VAR_DIR/outbox/ instead of sending).",
    ),
    Setting(
        "mail_from",
        "paperfeed <paperfeed@localhost>",
        "Sender of every mail (From header and envelope); its domain names the Message-IDs.",
    ),
    Setting(
        "smtp_rate_limit", 0.0, "Most messages per second sent over SMTP (0: no limit).", float
    ),
    Setting("smtp_concurrency", 2, "SMTP connections used at once by the sender.", int),
    Setting(
        "smtp_timeout", 30.0, "Seconds to wait for the mail server before retrying later.", float
    ),
    Setting(
        "mail_max_attempts",
        8,
        "Attempts per message (temporary failures back off exponentially) before it fails.",
        int,
    ),
    Setting(
        "mail_retry_delay",
        60.0,
        "Seconds before the first retry after a temporary failure (doubling, capped at 6 h).",
        float,
    ),
    Setting(
        "mail_hard_bounce_limit",
        3,
        "Consecutive permanent refusals (5xx) after which an address is no longer mailed.",
        int,
    ),
    Setting(
        "digest_scheduler",
        1,
        "1: `paperfeed serve` composes and sends due digests itself (one server at a time);"
        " 0: leave it to cron running `paperfeed digest run`.",
        int,
    ),
    Setting(
        "digest_scheduler_interval",
        60.0,
        "Seconds between two runs of the in-process digest scheduler.",
        float,
    ),
    Setting(
        "digest_catchup_days",
        14,
        "After a longer absence a digest covers only this many days, and says so.",
        int,
    ),
    Setting("digest_catchup_papers", 20, "Papers in a catch-up digest after a long absence.", int),
    Setting(
        "digest_confirm_hours", 48, "Hours a subscription's confirmation link stays valid.", int
    ),
    Setting(
        "digest_link_days",
        365,
        "Days the manage, unsubscribe and thumbs links in a digest stay valid.",
        int,
    ),
    Setting(
        "digest_workers",
        0,
        "Processes that render and queue digests (0: one per CPU).",
        int,
    ),
    Setting(
        "unsubscribe_mailto",
        "",
        "Address in the mailto List-Unsubscribe link (empty: the mail_from address).",
    ),
    # -- community
    Setting("trending_weight_upvote", 1.0, "Trending weight of one paperfeed upvote.", float),
    Setting("trending_weight_hf_upvote", 1.0, "Trending weight of one Hugging Face upvote.", float),
    Setting("trending_weight_save", 0.5, "Trending weight of one save to a reading list.", float),
    Setting("trending_weight_star", 0.1, "Trending weight of one GitHub star gained.", float),
    Setting(
        "trending_half_life_today",
        12.0,
        "Half-life in hours of a signal in the today view (week and month have their own).",
        float,
    ),
    Setting("trending_half_life_week", 48.0, "Half-life in hours in the week view.", float),
    Setting("trending_half_life_month", 168.0, "Half-life in hours in the month view.", float),
    Setting(
        "trending_star_baseline_cap",
        500,
        "Most stars a repository already had when first seen that count as gained.",
        int,
    ),
    Setting(
        "trending_default_window",
        "week",
        "Trending view shown by default: today, week, month or all.",
    ),
    Setting("session_days", 30, "Days a sign-in lasts on one browser.", int),
    Setting("signin_link_minutes", 30, "Minutes a sign-in link stays valid (used once).", int),
    Setting(
        "signin_send_now",
        True,
        "Send sign-in mails from the web process at once (off: `paperfeed mail send` does).",
        lambda v: str(v).strip().lower() in {"1", "true", "yes", "on"},
    ),
    Setting(
        "rate_signin_per_address", "5/hour", "Sign-in mails to one address (N/minute|hour|day)."
    ),
    Setting("rate_signin_per_ip", "20/hour", "Sign-in mails requested from one IP address."),
    Setting("rate_votes_per_account", "300/hour", "Upvotes and saves by one account."),
    Setting("rate_votes_per_ip", "1000/hour", "Upvotes and saves from one IP address."),
    Setting("rate_submissions_per_account", "20/day", "Paper submissions by one account."),
    Setting("rate_submissions_per_ip", "50/day", "Paper submissions from one IP address."),
    Setting(
        "rate_subscribe_per_ip",
        "20/hour",
        "Digest subscriptions (each mails a confirmation link) asked from one IP address.",
    ),
    Setting(
        "submission_max_age_days", 14, "Days after its first version a paper may be submitted.", int
    ),
    Setting("github_api_url", "https://api.github.com", "Base URL of the GitHub REST API."),
    Setting(
        "github_token",
        "",
        "GitHub token for star look-ups (optional: 5,000 instead of 60 requests an hour).",
    ),
    Setting("github_sync_hours", 6.0, "Hours between two star look-ups of one repository.", float),
    Setting(
        "github_sync_days", 30, "Repositories of papers listed in this many days are synced.", int
    ),
    Setting(
        "github_max_wait",
        60.0,
        "Longest pause (seconds) for a GitHub rate limit before a sync stops for later.",
        float,
    ),
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


def settings_table() -> str:
    """The Markdown table of every setting, as docs/configuration.md shows it."""
    rows = ["| setting | environment variable | default | meaning |", "|---|---|---|---|"]
    for s in SETTINGS:
        rows.append(f"| `{s.name}` | `{s.env}` | `{s.default}` | {s.help} |")
    return "\n".join(rows) + "\n"


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
