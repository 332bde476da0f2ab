"""The community settings, resolved and checked once (see ``paperfeed.config``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import cast

from paperfeed.community.scoring import TrendingModel
from paperfeed.config import ConfigError, Settings
from paperfeed.store.community import WINDOWS, Window

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(minute|hour|day)\s*$")
_SECONDS = {"minute": 60, "hour": 3600, "day": 86_400}


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most ``count`` actions per ``period`` seconds (fixed windows)."""

    count: int
    period: int

    @classmethod
    def parse(cls, name: str, text: str) -> RateLimit:
        match = _RATE.match(text)
        if match is None:
            raise ConfigError(f"{name}: {text!r} is not a rate like 5/hour (minute, hour, day)")
        return cls(int(match[1]), _SECONDS[match[2]])

    def describe(self) -> str:
        unit = {v: k for k, v in _SECONDS.items()}[self.period]
        return f"{self.count} per {unit}"


@dataclass(frozen=True, slots=True)
class CommunitySettings:
    """Everything the community code reads from the settings."""

    weights: dict[str, float]
    half_lives: dict[Window, float | None]  # hours; None: no decay (all time)
    star_baseline_cap: int
    default_window: Window
    session_days: int
    signin_link_minutes: int
    signin_send_now: bool
    rate_signin_per_address: RateLimit
    rate_signin_per_ip: RateLimit
    rate_votes_per_account: RateLimit
    rate_votes_per_ip: RateLimit
    rate_submissions_per_account: RateLimit
    rate_submissions_per_ip: RateLimit
    rate_subscribe_per_ip: RateLimit
    submission_max_age_days: int
    github_api_url: str
    github_token: str
    github_sync_hours: float
    github_sync_days: int
    github_max_wait: float

    @classmethod
    def from_settings(cls, settings: Settings) -> CommunitySettings:
        def rate(name: str) -> RateLimit:
            return RateLimit.parse(name, str(settings.get(name)))

        window = cast(Window, str(settings.get("trending_default_window")))
        if window not in WINDOWS:
            raise ConfigError(f"trending_default_window must be one of {', '.join(WINDOWS)}")
        community = cls(
            weights={
                "upvote": float(settings.get("trending_weight_upvote")),
                "hf_upvote": float(settings.get("trending_weight_hf_upvote")),
                "save": float(settings.get("trending_weight_save")),
                "star": float(settings.get("trending_weight_star")),
            },
            half_lives={
                "today": float(settings.get("trending_half_life_today")),
                "week": float(settings.get("trending_half_life_week")),
                "month": float(settings.get("trending_half_life_month")),
                "all": None,
            },
            star_baseline_cap=int(settings.get("trending_star_baseline_cap")),
            default_window=window,
            session_days=int(settings.get("session_days")),
            signin_link_minutes=int(settings.get("signin_link_minutes")),
            signin_send_now=bool(settings.get("signin_send_now")),
            rate_signin_per_address=rate("rate_signin_per_address"),
            rate_signin_per_ip=rate("rate_signin_per_ip"),
            rate_votes_per_account=rate("rate_votes_per_account"),
            rate_votes_per_ip=rate("rate_votes_per_ip"),
            rate_submissions_per_account=rate("rate_submissions_per_account"),
            rate_submissions_per_ip=rate("rate_submissions_per_ip"),
            rate_subscribe_per_ip=rate("rate_subscribe_per_ip"),
            submission_max_age_days=int(settings.get("submission_max_age_days")),
            github_api_url=str(settings.get("github_api_url")).rstrip("/"),
            github_token=str(settings.get("github_token") or ""),
            github_sync_hours=float(settings.get("github_sync_hours")),
            github_sync_days=int(settings.get("github_sync_days")),
            github_max_wait=float(settings.get("github_max_wait")),
        )
        community.check()
        return community

    def check(self) -> None:
        if any(w < 0 for w in self.weights.values()):
            raise ConfigError("trending weights must not be negative")
        if any(h is not None and h <= 0 for h in self.half_lives.values()):
            raise ConfigError("trending half-lives must be positive (hours)")
        if self.session_days < 1 or self.signin_link_minutes < 1:
            raise ConfigError("session_days and signin_link_minutes must be at least 1")
        if self.star_baseline_cap < 0 or self.submission_max_age_days < 0:
            raise ConfigError("trending_star_baseline_cap and submission_max_age_days >= 0")

    def trending_model(self) -> TrendingModel:
        return TrendingModel(self.weights, self.half_lives)
