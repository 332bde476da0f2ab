"""The rules of collections: what a name may be, who sees a list, how many papers fit,
and seeding a list from a reference manager's export.

Everything here takes the narrow ``CollectionStore`` (plus paper lookups) and raises
``CollectionError`` with a sentence a reader can act on; the web pages, the command
line and the MCP tools all go through it, so they cannot disagree.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from paperfeed.collections.errors import CollectionError, CollectionNotFound
from paperfeed.papers.ids import InvalidArxivId, parse_arxiv_id
from paperfeed.personal.library_import import (
    LibraryImportError,
    LibraryLookup,
    Matched,
    match_references,
    read_references,
)
from paperfeed.store.base import StoredPaper
from paperfeed.store.collections import Collection, CollectionEntry, CollectionStore

DEFAULT_LIST = "Saved"
"""The reader's saves, shown as their first list; no named list may take the name."""
MAX_NAME = 100
MAX_DESCRIPTION = 2_000
MAX_NOTE = 2_000
MAX_LISTS = 200
MAX_PAPERS = 10_000
_SPACES = re.compile(r"\s+")


class ListStore(CollectionStore, LibraryLookup, Protocol):
    """What the rules read and write: the lists, and the papers they hold."""


@dataclass(frozen=True, slots=True)
class ListedPaper:
    """A paper of a list, as shown: the stored paper and the reader's note."""

    paper: StoredPaper
    note: str
    added_at: datetime


@dataclass(frozen=True, slots=True)
class SeedResult:
    matched: int
    added: int
    unmatched: tuple[str, ...]


def _now() -> datetime:
    return datetime.now(UTC)


def clean_text(text: str, limit: int, what: str) -> str:
    """``text`` without control characters (newlines kept), trimmed; too long is refused."""
    kept = "".join(
        c for c in text if c in "\n\t" or unicodedata.category(c) not in ("Cc", "Cs", "Co")
    ).strip()
    if len(kept) > limit:
        raise CollectionError(f"the {what} is {len(kept)} characters long; at most {limit}")
    return kept


def check_name(name: str) -> tuple[str, str]:
    """A list's name as shown (spaces collapsed) and its key (case-folded), or why not."""
    shown = _SPACES.sub(" ", clean_text(name, MAX_NAME * 4, "name")).strip()
    if not shown:
        raise CollectionError("a list needs a name")
    if len(shown) > MAX_NAME:
        raise CollectionError(f"a list's name is at most {MAX_NAME} characters")
    key = unicodedata.normalize("NFKC", shown).casefold()
    if key == DEFAULT_LIST.casefold():
        raise CollectionError(f"“{DEFAULT_LIST}” is your saved papers; choose another name")
    return shown, key


def is_default_list(reference: str) -> bool:
    return reference.strip().casefold() == DEFAULT_LIST.casefold()


def canonical_paper(paper_id: str) -> str:
    try:
        return parse_arxiv_id(paper_id).id
    except InvalidArxivId as exc:
        raise CollectionError(f"{paper_id[:60]!r} is not an arXiv identifier") from exc


def known_papers(store: LibraryLookup, paper_ids: Sequence[str]) -> list[str]:
    """The canonical ids of papers as typed, or which one paperfeed lacks."""
    canonical = [canonical_paper(paper_id) for paper_id in paper_ids]
    found = store.get_papers(canonical)
    missing = [paper_id for paper_id in canonical if paper_id not in found]
    if missing:
        raise CollectionError(f"paperfeed has no paper {missing[0]}")
    return canonical


def create_list(
    store: CollectionStore, account_id: int, name: str, *, public: bool = False
) -> Collection:
    shown, key = check_name(name)
    if len(store.collections_of(account_id)) >= MAX_LISTS:
        raise CollectionError(f"you have {MAX_LISTS} lists already; delete one first")
    created = store.create_collection(account_id, shown, key, public=public, at=_now())
    if created is None:
        raise CollectionError(f"you already have a list named “{shown}”")
    return created


def own_list(store: CollectionStore, account_id: int, reference: str | int) -> Collection:
    """The reader's list named by its id or its name (a name wins over a number)."""
    text = str(reference).strip()
    found = store.collection_named(account_id, unicodedata.normalize("NFKC", text).casefold())
    if found is None and text.isdigit():
        found = store.collection(int(text))
    if found is None or found.account_id != account_id:
        raise CollectionNotFound(f"you have no list {text[:MAX_NAME]!r}")
    return found


def visible_list(store: CollectionStore, collection_id: int, viewer_id: int | None) -> Collection:
    """A list as a visitor may see it: public, or their own; otherwise not found."""
    found = store.collection(collection_id)
    if found is None or not (found.public or found.account_id == viewer_id):
        raise CollectionNotFound(f"there is no list {collection_id}")
    return found


def update_list(
    store: CollectionStore,
    collection: Collection,
    *,
    name: str,
    description: str,
    public: bool,
) -> None:
    shown, key = check_name(name)
    text = clean_text(description, MAX_DESCRIPTION, "description")
    clash = store.collection_named(collection.account_id, key)
    if clash is not None and clash.id != collection.id:
        raise CollectionError(f"you already have a list named “{shown}”")
    store.update_collection(
        collection.id,
        collection.account_id,
        name=shown,
        name_key=key,
        description=text,
        public=public,
        at=_now(),
    )


def add_papers(store: ListStore, collection: Collection, entries: Sequence[tuple[str, str]]) -> int:
    """Add ``(paper id, note)`` pairs (ids as typed); how many were new."""
    ids = known_papers(store, [paper_id for paper_id, _ in entries])
    checked = [
        (i, clean_text(note, MAX_NOTE, "note")) for i, (_, note) in zip(ids, entries, strict=True)
    ]
    if collection.papers + len(checked) > MAX_PAPERS:
        raise CollectionError(f"a list holds at most {MAX_PAPERS:,} papers")
    return store.add_to_collection(collection.id, checked, _now())


def set_note(store: CollectionStore, collection: Collection, paper_id: str, note: str) -> None:
    text = clean_text(note, MAX_NOTE, "note")
    if not store.set_collection_note(collection.id, canonical_paper(paper_id), text):
        raise CollectionNotFound(f"{paper_id} is not in “{collection.name}”")


def listed_papers(
    store: ListStore, collection: Collection, *, limit: int = MAX_PAPERS, offset: int = 0
) -> list[ListedPaper]:
    """The list's papers with their notes, most recently added first."""
    entries: list[CollectionEntry] = store.collection_entries(
        collection.id, limit=limit, offset=offset
    )
    found = store.get_papers([e.paper_id for e in entries])
    return [
        ListedPaper(found[e.paper_id], e.note, e.added_at) for e in entries if e.paper_id in found
    ]


def read_seed(store: LibraryLookup, data: bytes, library_format: str = "auto") -> Matched:
    """The store's papers named by a BibTeX, RIS, CSL-JSON or id-list export, matched by
    arXiv id, DOI and title; ``CollectionError`` (and nothing written) if the file
    cannot be read whole."""
    try:
        references = read_references(data, library_format)  # type: ignore[arg-type]
    except LibraryImportError as exc:
        raise CollectionError(str(exc)) from exc
    return match_references(references, store)


def seed_list(store: ListStore, collection: Collection, matched: Matched) -> SeedResult:
    """Add the matched papers of an export to the list, in one transaction."""
    if collection.papers + len(matched.paper_ids) > MAX_PAPERS:
        raise CollectionError(f"a list holds at most {MAX_PAPERS:,} papers")
    added = store.add_to_collection(
        collection.id, [(paper_id, "") for paper_id in matched.paper_ids], _now()
    )
    return SeedResult(len(matched.paper_ids), added, matched.unmatched)
