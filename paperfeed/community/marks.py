"""Upvotes and saves by an account: rate-limited, one per account and paper."""

from __future__ import annotations

import time
from typing import Protocol

from paperfeed.community.errors import CommunityError
from paperfeed.community.ratelimits import Limit, take
from paperfeed.community.scoring import TrendingModel
from paperfeed.community.settings import CommunitySettings
from paperfeed.store.base import PaperRecords
from paperfeed.store.community import Account, CommunityStore, MarkKind, NewMark


class MarkStore(PaperRecords, CommunityStore, Protocol):
    """What marking reads and writes: the paper marked, the marks, the rate limits."""


def set_mark(
    store: MarkStore,
    community: CommunitySettings,
    model: TrendingModel,
    *,
    kind: MarkKind,
    account: Account,
    paper_id: str,
    on: bool,
    ip: str,
) -> bool:
    """Upvote/save (``on``) or withdraw; true if anything changed (a repeat changes nothing)."""
    take(
        store,
        [
            Limit("marks-account", community.rate_votes_per_account, str(account.id),
                  "upvotes and saves from your account"),
            Limit("marks-ip", community.rate_votes_per_ip, ip,
                  "upvotes and saves from your network"),
        ],
    )  # fmt: skip
    if store.get_paper(paper_id) is None:
        raise CommunityError(f"paperfeed has no paper {paper_id}.")
    if on:
        mark = NewMark(account.id, paper_id, time.time())
        return store.add_marks(kind, [mark], model)[0]
    return store.remove_mark(kind, account.id, paper_id, model)
