"""The reader's own MCP tools, opened by a personal API token: ``for_you`` (their ranked
list with its reasons, the same ranking as the For-you page and command) and
``add_to_collection`` (a paper into one of their lists, with a note).

The token names the account. Over stdio it is given once when the server starts
(``--token`` or ``PAPERFEED_MCP_TOKEN``); over HTTP each request carries it in
``Authorization: Bearer``. Without a valid token these tools answer a tool error that
says how to get one; the other tools never need one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel, Field

from paperfeed.collections.errors import CollectionNotFound
from paperfeed.collections.lists import (
    DEFAULT_LIST,
    add_papers,
    create_list,
    is_default_list,
    known_papers,
    own_list,
)
from paperfeed.community.marks import set_mark
from paperfeed.community.scoring import TrendingModel
from paperfeed.community.settings import CommunitySettings
from paperfeed.digest.topics import EmbedTexts
from paperfeed.errors import PaperfeedError
from paperfeed.personal.readers import for_you
from paperfeed.personal.tokens import token_account
from paperfeed.store.base import PaperStore

NEEDS_KEY = (
    "{tool} needs a personal API token: create one on your paperfeed account page and"
    " give it to this server (stdio: --token or PAPERFEED_MCP_TOKEN; HTTP: the"
    " Authorization: Bearer header)"
)
UNKNOWN_KEY = "the API token is not valid (unknown or revoked): create a new one"


class ReaderTokenError(PaperfeedError):
    """No token, or one that opens no account."""


class RankedCard(BaseModel):
    id: str = Field(description="Canonical arXiv id; pass it to get_paper, cite, ...")
    title: str
    score: float = Field(description="The reader's score; higher is a better match.")
    reasons: list[str] = Field(description="Why the paper is in the reader's list.")
    url: str = Field(description="The arXiv abstract page.")


class ForYou(BaseModel):
    papers: list[RankedCard] = Field(description="Best match first.")


class Added(BaseModel):
    collection_id: int | None = Field(description="The list's id (none for Saved).")
    collection: str = Field(description="The list's name.")
    paper_id: str
    added: bool = Field(description="False if the paper was already in the list.")
    created: bool = Field(description="True if the list was made by this call.")
    papers: int | None = Field(None, description="Papers in the list now.")


@dataclass(slots=True)
class ReaderTools:
    """The personal tools' collaborators; ``account_for`` turns a token into a reader."""

    store: PaperStore
    model: TrendingModel
    community: CommunitySettings
    embed: EmbedTexts | None = None

    def account_for(self, token: str | None, tool: str) -> int:
        if not token:
            raise ReaderTokenError(NEEDS_KEY.format(tool=tool))
        account = token_account(self.store, "api", token.strip())
        if account is None:
            raise ReaderTokenError(UNKNOWN_KEY)
        return account

    def for_you(
        self,
        token: str | None,
        since: date | None = None,
        until: date | None = None,
        limit: int = 20,
    ) -> ForYou:
        account = self.account_for(token, "for_you")
        if since and until and since > until:
            raise PaperfeedError("since is after until")
        ranked = for_you(
            self.store, account, self.model, since=since, until=until, limit=limit,
            embed=self.embed,
        )  # fmt: skip
        return ForYou(
            papers=[
                RankedCard(
                    id=r.id,
                    title=r.title,
                    score=round(r.score, 6),
                    reasons=list(r.reasons),
                    url=f"https://arxiv.org/abs/{r.id}",
                )
                for r in ranked
            ]
        )

    def add_to_collection(
        self, token: str | None, collection: str, paper_id: str, note: str = ""
    ) -> Added:
        account_id = self.account_for(token, "add_to_collection")
        canonical = known_papers(self.store, [paper_id])[0]
        if is_default_list(collection):
            return self._save(account_id, canonical)
        created = False
        try:
            target = own_list(self.store, account_id, collection)
        except CollectionNotFound:
            if collection.strip().isdigit():
                raise
            target, created = create_list(self.store, account_id, collection), True
        added = add_papers(self.store, target, [(canonical, note)])
        return Added(
            collection_id=target.id,
            collection=target.name,
            paper_id=canonical,
            added=added > 0,
            created=created,
            papers=target.papers + added,
        )

    def _save(self, account_id: int, paper_id: str) -> Added:
        account = self.store.get_account(account_id)
        if account is None:
            raise ReaderTokenError(UNKNOWN_KEY)
        changed = set_mark(
            self.store, self.community, self.model, kind="save", account=account,
            paper_id=paper_id, on=True, ip="mcp",
        )  # fmt: skip
        return Added(
            collection_id=None,
            collection=DEFAULT_LIST,
            paper_id=paper_id,
            added=changed,
            created=False,
            papers=None,
        )
