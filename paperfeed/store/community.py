"""The store's part in the community: accounts, sessions, votes, saves, code stars, trending.

Engine-neutral interface; ``store/tables/community.py`` implements it for both engines.
Addresses arrive validated and normalised (``paperfeed.web.forms.normalise_email``),
the same key as subscribers, so an account and a subscription with one address are
one person. Signals are appended to a ledger in the transaction that records them
(``store/trending.py``); each process ranks the views in memory from a snapshot of
every paper's keys plus the ledger past it (``paperfeed.community.trending_ranking``,
docs/community.md); the decay model itself (weights, half-lives) is the caller's
``SignalScorer``.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt

Window = Literal["today", "week", "month", "all"]
WINDOWS: tuple[Window, ...] = ("today", "week", "month", "all")
SignalKind = Literal["upvote", "save", "hf_upvote", "star"]
SIGNAL_KINDS: tuple[SignalKind, ...] = ("upvote", "save", "hf_upvote", "star")
MarkKind = Literal["upvote", "save"]
ALL_CATEGORIES = ""
"""The category under which every paper is ranked."""


@dataclass(frozen=True, slots=True)
class Account:
    """A person who signed in; ``email`` is normalised (the subscriber key too)."""

    id: int
    email: str
    display_name: str
    github_handle: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Signal:
    """One thing that makes a paper trend: ``amount`` of ``kind`` at unix time ``at``."""

    paper_id: str
    kind: SignalKind
    amount: float
    at: float


class SignalScorer(Protocol):
    """The decay model: one log-magnitude per window for each signal of a batch."""

    def log_magnitudes(
        self,
        kinds: npt.NDArray[np.intp],
        amounts: npt.NDArray[np.float64],
        ats: npt.NDArray[np.float64],
    ) -> npt.NDArray[np.float64]:
        """``ln(weight * amount) + lambda_w * (at - t0)``, one row per signal (``kinds``:
        indexes into ``SIGNAL_KINDS``; ``amounts`` positive), one column per ``WINDOWS``;
        ``-inf`` where the weight is zero."""
        ...


@dataclass(frozen=True, slots=True)
class TrendingRow:
    """A paper's community counts and its trending keys (``None``: nothing to rank)."""

    paper_id: str
    upvotes: int
    saves: int
    hf_upvotes: int
    stars: int
    last_signal_at: float
    keys: dict[Window, float | None]


@dataclass(frozen=True, slots=True)
class NewMark:
    """An upvote or save to record."""

    account_id: int
    paper_id: str
    at: float


@dataclass(frozen=True, slots=True)
class RateCheck:
    """One counter: at most ``limit`` hits of ``key`` in the window starting ``window_start``."""

    key: str
    window_start: int
    limit: int


@dataclass(frozen=True, slots=True)
class Submission:
    """Who first submitted a paper (``None`` once their account is deleted)."""

    paper_id: str
    display_name: str | None
    submitted_at: datetime
    account_id: int | None = None


@dataclass(frozen=True, slots=True)
class PublicName:
    """How an account appears to others: its name, and its number that tells it apart."""

    account_id: int
    display_name: str


@dataclass(frozen=True, slots=True)
class RepoState:
    """What is known of a GitHub repository."""

    repo: str
    stars: int | None
    etag: str | None
    checked_at: datetime | None
    gone: bool


@dataclass(frozen=True, slots=True)
class RepoCheck:
    """The outcome of one look-up of a repository, to record."""

    repo: str
    checked_at: datetime
    source: str
    stars: int | None = None  # None: unchanged (304) or gone
    etag: str | None = None
    gone: bool = False


@dataclass(frozen=True, slots=True)
class HFReading:
    """A paper's Hugging Face row as stored by the hf-daily source."""

    paper_id: str
    upvotes: int
    github_repo: str | None
    github_stars: int | None
    featured_on: date | None
    updated_at: str
    previous_upvotes: int | None  # what the last import turned into signals


@dataclass(frozen=True, slots=True)
class CodeLinks:
    """A paper's code links and listing time, for linking repositories."""

    paper_id: str
    links: tuple[str, ...]
    listed_at: float


class CommunityStore(Protocol):
    """Accounts and the signals that make a paper trend."""

    # -- accounts and sessions ----------------------------------------------------------

    @abstractmethod
    def get_or_create_account(self, email: str, display_name: str) -> tuple[Account, bool]:
        """The account of this address, created on first sign-in; and whether it is new."""

    @abstractmethod
    def get_account(self, account_id: int) -> Account | None: ...

    @abstractmethod
    def update_account(
        self, account_id: int, *, display_name: str, github_handle: str | None
    ) -> None: ...

    @abstractmethod
    def delete_account(self, account_id: int) -> bool:
        """Forget the person: account, sessions and their subscription row go; their
        upvotes, saves and submissions stay as anonymous counts."""

    @abstractmethod
    def create_session(self, token_hash: str, account_id: int, expires_at: datetime) -> None: ...

    @abstractmethod
    def session_account(self, token_hash: str, now: datetime) -> Account | None:
        """The account of a live session."""

    @abstractmethod
    def delete_session(self, token_hash: str) -> None: ...

    @abstractmethod
    def use_signin_nonce(self, nonce: str, expires_at: datetime, now: datetime) -> bool:
        """Record a sign-in link as used; false if it was used before."""

    @abstractmethod
    def take_rate_limit(self, checks: Sequence[RateCheck], now: float) -> RateCheck | None:
        """Count one hit on every counter, atomically, unless one is full.

        Returns the first full counter (nothing is counted then), or ``None``.
        """

    # -- upvotes, saves, submissions ----------------------------------------------------

    @abstractmethod
    def add_marks(
        self, kind: MarkKind, marks: Sequence[NewMark], scorer: SignalScorer
    ) -> list[bool]:
        """Record upvotes or saves; per mark, whether it is new (a repeat counts once)."""

    @abstractmethod
    def remove_mark(
        self, kind: MarkKind, account_id: int, paper_id: str, scorer: SignalScorer
    ) -> bool:
        """Withdraw an upvote or save; its trending contribution goes with it."""

    @abstractmethod
    def marked_by(self, account_id: int, kind: MarkKind, paper_ids: Sequence[str]) -> set[str]:
        """Which of ``paper_ids`` this account has marked."""

    @abstractmethod
    def marked_papers(
        self, account_id: int, kind: MarkKind, *, limit: int, offset: int
    ) -> list[str]:
        """Paper ids this account marked, most recent first (the reading list)."""

    @abstractmethod
    def upvoters(self, paper_id: str, *, limit: int) -> list[PublicName]:
        """The accounts that upvoted a paper, most recent first."""

    @abstractmethod
    def record_submission(self, paper_id: str, account_id: int) -> bool:
        """Remember who submitted a paper first; false if it was submitted before."""

    @abstractmethod
    def get_submission(self, paper_id: str) -> Submission | None: ...

    # -- code and Hugging Face ----------------------------------------------------------

    @abstractmethod
    def recent_code_links(self, since: date) -> list[CodeLinks]:
        """Code links of papers listed since ``since`` (and Hugging Face's repo link)."""

    @abstractmethod
    def link_repos(self, pairs: Sequence[tuple[str, str]]) -> int:
        """Record (paper id, "owner/name") links; return how many were new."""

    @abstractmethod
    def repos_due(self, *, checked_before: datetime, limit: int) -> list[RepoState]:
        """Linked repositories not gone and not looked up since ``checked_before``,
        never-checked first, then the longest unchecked."""

    @abstractmethod
    def repo_state(self, repo: str) -> RepoState | None: ...

    @abstractmethod
    def repo_papers(self, repo: str) -> list[tuple[str, float]]:
        """(paper id, unix time it was listed) of papers naming this repository."""

    @abstractmethod
    def record_repo_check(
        self, check: RepoCheck, signals: Sequence[Signal], scorer: SignalScorer
    ) -> None:
        """Record a look-up (stars into the history) and its signals in one transaction."""

    @abstractmethod
    def star_history(self, repo: str) -> list[tuple[datetime, int]]: ...

    @abstractmethod
    def hf_readings(self, *, limit: int) -> list[HFReading]:
        """Hugging Face rows changed since they were last turned into signals."""

    @abstractmethod
    def record_hf_readings(
        self, readings: Sequence[HFReading], signals: Sequence[Signal], scorer: SignalScorer
    ) -> None:
        """Mark readings as turned into signals, and record the signals, atomically."""


def added_marks(
    kind: MarkKind, marks: Sequence[NewMark], inserted: Sequence[Sequence[Any]]
) -> tuple[list[bool], list[Signal]]:
    """Which of ``marks`` an insert added (``inserted``: its returned ``(account_id,
    paper_id, created_at)`` rows, in any order; a repeat within the batch was skipped),
    and the signals they give, carrying the time as stored (a withdrawal negates it)."""
    times = {(row[0], row[1]): row[2] for row in inserted}
    added: list[bool] = []
    signals: list[Signal] = []
    for mark in marks:
        at = times.pop((mark.account_id, mark.paper_id), None)
        added.append(at is not None)
        if at is not None:
            signals.append(Signal(mark.paper_id, kind, 1.0, at))
    return added, signals
