"""A reader's ranking served from the store: the profile, the model kept up to date with
it, and the papers of a window ranked with their reasons.

The stored model is derived data. Its row records a fingerprint of the profile it was
trained from and the embedding generation; when either differs (a rating, a save, a
thumb in mail, a follow, a new generation) the model is trained again from the
profile, which for a reader's few hundred events takes milliseconds. So a rating made
anywhere changes the next list, and a withdrawn rating is forgotten exactly.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
import numpy.typing as npt

from paperfeed.community.names import name_from_email
from paperfeed.community.scoring import TrendingModel
from paperfeed.community.trending_ranking import trending_rows
from paperfeed.digest.candidates import CandidatePool, author_key, build_pool, stored_vectors
from paperfeed.digest.ranking import topic_key
from paperfeed.digest.topics import EmbedTexts, topic_vectors
from paperfeed.personal.background import Background, fit_background
from paperfeed.personal.errors import ModelStateError, PersonalError
from paperfeed.personal.feed import RankedPaper, rank_for_reader, rank_readers
from paperfeed.personal.library_import import (
    LibraryFormat,
    Matched,
    match_references,
    read_references,
)
from paperfeed.personal.model import FORMAT, Event, Follows, ReaderModel
from paperfeed.personal.papers import Candidates, PaperFacts
from paperfeed.personal.serving import ServingCache
from paperfeed.personal.signals import Signal
from paperfeed.store import PaperFilter, PaperStore, StoredPaper
from paperfeed.store.personal import (
    FollowKind,
    Profile,
    Rating,
    StoredBackground,
    StoredModel,
)
from paperfeed.store.subscriptions import Interests

BACKGROUND_SAMPLE = 20_000
"""Papers the collection's statistics are fitted from (tens of thousands are plenty)."""
MAX_CANDIDATES = 20_000
NO_VECTORS_DIM = 1
"""The model's dimension while the store has no embeddings: vectors play no part."""


@dataclass(frozen=True, slots=True)
class ImportResult:
    matched: int
    added: int
    unmatched: tuple[str, ...]


def reader_account(store: PaperStore, email: str) -> int:
    """The account of an address (normalised), created if missing."""
    from paperfeed.web.forms import FormError, normalise_email

    try:
        address = normalise_email(email)
    except FormError as exc:
        raise PersonalError(str(exc)) from exc
    return store.ensure_account(address, name_from_email(address))


def import_library(
    store: PaperStore,
    account_id: int,
    data: bytes,
    format: LibraryFormat | str = "auto",
    *,
    now: datetime | None = None,
) -> ImportResult:
    """Read, match and add a library export in one transaction (nothing on error)."""
    references = read_references(data, format)  # type: ignore[arg-type]
    matched: Matched = match_references(references, store)
    source = format if format != "auto" else "import"
    added = store.add_to_library(
        account_id, matched.paper_ids, str(source), now or datetime.now(UTC)
    )
    return ImportResult(len(matched.paper_ids), added, matched.unmatched)


def rate_paper(
    store: PaperStore,
    account_id: int,
    paper_id: str,
    rating: Rating | None,
    *,
    now: datetime | None = None,
) -> None:
    """Rate a stored paper "more" or "less" for a reader, or withdraw their rating
    (``None``); the next list of every kind follows from it (see the module's note)."""
    if store.get_paper(paper_id) is None:
        raise PersonalError(f"no paper {paper_id} in the store")
    if rating is None:
        store.unrate(account_id, paper_id)
    else:
        store.rate(account_id, paper_id, rating, now or datetime.now(UTC))


def unfollow_matching(store: PaperStore, account_id: int, kind: FollowKind, value: str) -> int:
    """Stop following what ``value`` names, however it was written: authors matched as
    digests match names ("Y. LeCun" = "Yann LeCun"), topics by case and spacing."""
    key = _FOLLOW_KEYS[kind]
    values = [
        f.value
        for f in store.profile(account_id).follows
        if f.kind == kind and key(f.value) == key(value)
    ]
    return store.unfollow(account_id, kind, values) if values else 0


def with_account_follows(store: PaperStore, email: str, interests: Interests) -> Interests:
    """A digest's interests with the follows the same person added elsewhere (the
    account page, an author page, the command line): one list, shown in one place."""
    account = store.account_id(email)
    if account is None:
        return interests
    follows = store.profile(account).follows

    def merged(given: tuple[str, ...], kind: FollowKind) -> tuple[str, ...]:
        extra = [f.value for f in follows if f.kind == kind]
        return tuple(dict.fromkeys([*given, *extra]))

    return Interests(
        merged(interests.topics, "topic"),
        merged(interests.categories, "category"),
        merged(interests.authors, "author"),
    )


def drop_unlisted_follows(store: PaperStore, email: str, kept: Interests) -> int:
    """After the digest's interests were edited as one list, stop following what the
    person removed from it; how many follows went."""
    account = store.account_id(email)
    if account is None:
        return 0
    listed = {"topic": kept.topics, "category": kept.categories, "author": kept.authors}
    removed = 0
    for follow in store.profile(account).follows:
        if follow.value not in listed[follow.kind]:
            removed += store.unfollow(account, follow.kind, [follow.value])
    return removed


_FOLLOW_KEYS: dict[str, Callable[[str], str]] = {
    "author": author_key,
    "topic": topic_key,
    "category": lambda text: text.strip(),
}


# -- the model --------------------------------------------------------------------------


def background_for(store: PaperStore) -> tuple[str, Background]:
    """The active generation ('' without one) and the collection's statistics, fitted
    once and kept until the collection doubles."""
    generation = store.active_generation() or ""
    papers = store.count_papers()
    kept = store.reader_background(generation)
    if kept is not None and kept.papers * 2 >= papers:
        try:
            return generation, Background.from_bytes(kept.state)
        except ModelStateError:
            pass
    background = _fit(store, generation)
    store.save_reader_background(
        StoredBackground(generation, papers, background.to_bytes(), datetime.now(UTC))
    )
    return generation, background


def _fit(store: PaperStore, generation: str) -> Background:
    sample = store.list_papers(limit=BACKGROUND_SAMPLE, order="newest")
    texts = [_text(p) for p in sample]
    categories = [tuple(p.paper.categories) for p in sample]
    dim = _dim(store, generation)
    vectors = np.zeros((0, dim), dtype=np.float32)
    if generation:
        found = stored_vectors(store, generation, (p.paper.id for p in sample))
        rows = [np.frombuffer(v, dtype=np.float32) for v in found.values() if len(v) == dim * 4]
        if rows:
            vectors = np.stack(rows)
    return fit_background(vectors, texts, categories, dim=dim)


def _dim(store: PaperStore, generation: str) -> int:
    if not generation:
        return NO_VECTORS_DIM
    return next((g.dim for g in store.generations() if g.name == generation), NO_VECTORS_DIM)


def fingerprint(profile: Profile, generation: str, background: Background) -> str:
    """A digest of everything a model is trained from."""
    digest = hashlib.sha256(f"{FORMAT}|{generation}|{background.papers}".encode())
    for event in profile.events:
        digest.update(f"|e|{event.paper_id}|{event.kind}|{event.at.timestamp()}".encode())
    for follow in profile.follows:
        digest.update(f"|f|{follow.kind}|{follow.value}".encode())
    return digest.hexdigest()


def reader_model(
    store: PaperStore,
    account_id: int,
    *,
    embed: EmbedTexts | None = None,
    profile: Profile | None = None,
    background: tuple[str, Background] | None = None,
) -> tuple[ReaderModel, Profile, Background]:
    """The reader's model, trained again only when their profile or the embeddings
    changed since it was kept. A digest run passes the ``background_for`` it read once."""
    generation, background_ = background or background_for(store)
    profile = profile or store.profile(account_id)
    model = reader_models(store, [profile], generation, background_, embed)[0]
    return model, profile, background_


def reader_models(
    store: PaperStore,
    profiles: Sequence[Profile],
    generation: str,
    background: Background,
    embed: EmbedTexts | None = None,
) -> list[ReaderModel]:
    """The models of many readers, in the order of ``profiles``: the kept ones read in
    one query, the stale ones (profile or generation changed) trained together and kept
    in one transaction."""
    wanted = {p.account_id: fingerprint(p, generation, background) for p in profiles}
    kept = store.reader_models(list(wanted))
    models: dict[int, ReaderModel] = {}
    stale: list[Profile] = []
    for profile in profiles:
        found = kept.get(profile.account_id)
        if found is not None and (found.fingerprint, found.generation, found.format) == (
            wanted[profile.account_id],
            generation,
            FORMAT,
        ):
            try:
                models[profile.account_id] = ReaderModel.from_bytes(found.state, dim=background.dim)
                continue
            except ModelStateError:
                pass
        stale.append(profile)
    if stale:
        trained = train_many(store, stale, generation, background, embed)
        now = datetime.now(UTC)
        store.save_reader_models(
            {
                account: StoredModel(generation, FORMAT, wanted[account], model.to_bytes(), now)
                for account, model in trained.items()
            }
        )
        models.update(trained)
    return [models[p.account_id] for p in profiles]


def train(
    store: PaperStore,
    profile: Profile,
    generation: str,
    background: Background,
    embed: EmbedTexts | None = None,
) -> ReaderModel:
    """A model from the reader's whole profile."""
    return train_many(store, [profile], generation, background, embed)[profile.account_id]


def train_many(
    store: PaperStore,
    profiles: Sequence[Profile],
    generation: str,
    background: Background,
    embed: EmbedTexts | None = None,
) -> dict[int, ReaderModel]:
    """Models from whole profiles, by account; the papers, vectors and topic vectors of
    all of them read at once."""
    ids = sorted({pid for p in profiles for pid in p.paper_ids})
    papers = store.get_papers(ids)
    vectors = stored_vectors(store, generation, ids) if generation else {}
    facts = {pid: _facts(papers[pid], vectors.get(pid), background.dim) for pid in papers}
    topics = sorted({f.value for p in profiles for f in p.follows if f.kind == "topic"})
    topic_vecs = (
        topic_vectors(store, generation, topics, embed, background.dim)
        if generation and topics
        else {}
    )
    return {p.account_id: _trained(p, facts, topic_vecs, background) for p in profiles}


def _trained(
    profile: Profile,
    facts: dict[str, PaperFacts],
    topic_vecs: dict[str, npt.NDArray[np.float32]],
    background: Background,
) -> ReaderModel:
    events = [
        Event(facts[e.paper_id], Signal(e.kind), e.at.timestamp())
        for e in profile.events
        if e.paper_id in facts
    ]
    model = ReaderModel.train(background.dim, events, background, Follows())
    for follow in profile.follows:
        if follow.kind == "author":
            model.follow_author(follow.value)
        elif follow.kind == "category":
            model.follow_category(follow.value)
        else:
            key = " ".join(follow.value.casefold().split())
            model.follow_topic(follow.value, topic_vecs.get(key))
    return model


def _text(paper: StoredPaper) -> str:
    return f"{paper.title_text}. {paper.abstract_text}"


def _facts(paper: StoredPaper, raw: bytes | None, dim: int, trend: float = 0.0) -> PaperFacts:
    vector = np.frombuffer(raw, dtype=np.float32) if raw and len(raw) == dim * 4 else None
    return _facts_of(paper, vector, trend)


def _facts_of(
    paper: StoredPaper, vector: npt.NDArray[np.float32] | None, trend: float
) -> PaperFacts:
    return PaperFacts(
        id=paper.paper.id,
        title=paper.title_text,
        vector=vector,
        text=_text(paper),
        categories=tuple(paper.paper.categories),
        authors=tuple(a.name for a in paper.paper.authors),
        trend=trend,
    )


# -- the list ---------------------------------------------------------------------------


def window_days(
    store: PaperStore, since: date | None, until: date | None
) -> tuple[date | None, date | None] | None:
    """The window asked for; without either end, the latest day (None: no papers)."""
    if since is None and until is None:
        latest = store.latest_day()
        return None if latest is None else (latest, latest)
    return since, until


def window_papers(store: PaperStore, since: date | None, until: date | None) -> list[StoredPaper]:
    """Papers announced in ``[since, until]``; without either, the latest day's."""
    days = window_days(store, since, until)
    if days is None:
        return []
    where = PaperFilter(since=days[0], until=days[1])
    return store.list_papers(where, limit=MAX_CANDIDATES, order="newest")


def candidates_for(
    store: PaperStore,
    papers: Sequence[StoredPaper],
    generation: str,
    background: Background,
    trending: TrendingModel,
    now: datetime,
) -> Candidates:
    """The window's papers with their vectors and their trend among them."""
    ids = [p.paper.id for p in papers]
    vectors = stored_vectors(store, generation, ids) if generation else {}
    pool: CandidatePool = build_pool(
        [(p, p.first_seen_at) for p in papers],
        now=now,
        model=trending,
        community=trending_rows(store, ids, trending),
        vectors=vectors,
        generation=generation or None,
        dim=background.dim if generation else 0,
    )
    return candidates_from_pool(pool, background)


def candidates_from_pool(pool: CandidatePool, background: Background) -> Candidates:
    """A digest run's pool as the ranker's candidates (same rows, same trend)."""
    vectors = pool.vectors
    usable = vectors is not None and vectors.shape[1] == background.dim
    facts = []
    for row, paper in enumerate(pool.papers):
        vector = vectors[row] if usable and vectors is not None and vectors[row].any() else None
        facts.append(_facts_of(paper, vector, float(pool.trend[row])))
    return Candidates.build(facts, background)


def for_you(
    store: PaperStore,
    account_id: int,
    trending: TrendingModel,
    *,
    since: date | None = None,
    until: date | None = None,
    limit: int = 50,
    embed: EmbedTexts | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    cache: ServingCache | None = None,
) -> list[RankedPaper]:
    """The reader's ranking of the window's papers, never one they have or judged.

    With a ``cache`` (a serving process's), the background, the window's candidates and
    the reader's compiled model are reused while what they derive from is unchanged;
    the profile is read on every call, so a rating anywhere shows on the next list."""
    if cache is None:
        model, profile, background = reader_model(store, account_id, embed=embed)
        papers = window_papers(store, since, until)
        if not papers:
            return []
        generation = store.active_generation() or ""
        candidates = candidates_for(store, papers, generation, background, trending, now())
        return rank_for_reader(
            model, candidates, background, limit=limit, exclude=profile.paper_ids
        )
    generation, background = cache.background(store, background_for)
    profile = store.profile(account_id)
    served = cache.reader(
        account_id,
        fingerprint(profile, generation, background),
        lambda: reader_models(store, [profile], generation, background, embed)[0],
        background,
    )
    days = window_days(store, since, until)
    if days is None:
        return []
    key = cache.window_key(store, generation, *days)
    if key[-1] == 0:
        return []

    def build() -> Candidates:
        papers = window_papers(store, *days)
        return candidates_for(store, papers, generation, background, trending, now())

    candidates = cache.candidates(key, build)
    return rank_readers(
        [served.model],
        candidates,
        background,
        limit=limit,
        exclude=[profile.paper_ids],
        compiled=[served.compiled],
    )[0]
