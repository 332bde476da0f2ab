"""Collections on the web: the reader's lists, a list's page, its feeds and exports,
and the forms that change them (plain POST forms with the form token, no script).

A private list is "not found" to everyone but its owner; a public one is readable
signed out, with an RSS and an Atom feed and BibTeX, RIS and CSL-JSON exports. The
reader's saves are their default list, at ``/saved``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from paperfeed.citations import FORMATS, cite
from paperfeed.collections.errors import CollectionError, CollectionNotFound
from paperfeed.collections.lists import (
    DEFAULT_LIST,
    add_papers,
    canonical_paper,
    create_list,
    listed_papers,
    own_list,
    read_seed,
    seed_list,
    set_note,
    update_list,
    visible_list,
)
from paperfeed.community.errors import CommunityError, RateLimited
from paperfeed.community.marks import set_mark
from paperfeed.store.collections import Collection
from paperfeed.store.community import Account
from paperfeed.web import feeds
from paperfeed.web.cache import Rendered
from paperfeed.web.community import (
    PRIVATE,
    client_ip,
    community_web,
    current_account,
    current_viewer,
    page_context,
    set_csrf_cookie,
)
from paperfeed.web.csrf import FIELD
from paperfeed.web.forms import LIBRARY_BODY_LIMIT, library_file
from paperfeed.web.responses import send
from paperfeed.web.routes.community import _check_csrf, _form_page, safe_next
from paperfeed.web.state import web_state
from paperfeed.web.views import paper_view

# Forms carry a note of at most 2,000 characters; an uploaded library up to the
# importer's limit (LIBRARY_BODY_LIMIT).
FORM_BYTES = 16 * 1024
router = APIRouter(include_in_schema=False, max_body_size=FORM_BYTES)
uploads = APIRouter(include_in_schema=False, max_body_size=LIBRARY_BODY_LIMIT)
PAGE_SIZE = 50
FEED_SIZE = 100
EXPORT_SIZE = 10_000
# URL suffix -> citation format.
EXPORTS = {"bib": "bibtex", "ris": "ris", "json": "csl-json"}
_FEEDS = {
    "rss": ("application/rss+xml; charset=utf-8", feeds.rss),
    "atom": ("application/atom+xml; charset=utf-8", feeds.atom),
}


def _text(form: FormData, name: str, limit: int = 2_100) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


async def _posted(request: Request, *, files: int = 0) -> tuple[FormData, Account | None]:
    """The form (its token checked first) and who sent it."""
    form = await request.form(max_files=files, max_fields=20)
    _check_csrf(web_state(request), request, form)
    return form, await current_account(request)


def _to_signin(path: str) -> RedirectResponse:
    return RedirectResponse(f"/signin?next={path}", 303)


def _not_found(exc: CollectionNotFound) -> HTTPException:
    return HTTPException(404, str(exc))


def _refused(exc: CollectionError) -> HTTPException:
    if isinstance(exc, CollectionNotFound):
        return _not_found(exc)
    return HTTPException(400, str(exc))


# -- the reader's lists ---------------------------------------------------------------------


@router.get("/collections")
async def collections_page(request: Request) -> Response:
    account = await current_account(request)
    if account is None:
        return _to_signin("/collections")
    return await _lists_page(request, account)


async def _lists_page(
    request: Request, account: Account, *, error: str | None = None, name: str = ""
) -> Response:
    lists = await run_in_threadpool(web_state(request).store.collections_of, account.id)
    return _form_page(
        request,
        "collections.html",
        status=400 if error else 200,
        viewer={"account": account},
        lists=lists,
        default_name=DEFAULT_LIST,
        error=error,
        name=name,
    )


@uploads.post("/collections")
async def create_collection(request: Request) -> Response:
    form, account = await _posted(request, files=1)
    if account is None:
        return _to_signin("/collections")
    store = web_state(request).store
    name = _text(form, "name", 500)
    data = await library_file(form)

    def create() -> Collection:
        seed = read_seed(store, data) if data is not None else None
        created = create_list(store, account.id, name, public=_text(form, "public") == "1")
        if seed is not None:
            seed_list(store, created, seed)
        return created

    try:
        created = await run_in_threadpool(create)
    except CollectionError as exc:
        return await _lists_page(request, account, error=str(exc), name=name)
    return RedirectResponse(f"/collections/{created.id}", 303)


@router.post("/collections/add")
async def add_from_card(request: Request) -> Response:
    """A card's "add to list" form: an existing list, the default list or a new one."""
    form, account = await _posted(request)
    state = web_state(request)
    try:
        paper_id = canonical_paper(_text(form, "paper_id", 200))
    except CollectionError as exc:
        raise _refused(exc) from exc
    back = safe_next(_text(form, "next", 500), f"/papers/{paper_id}")
    if account is None:
        return _to_signin(back)
    choice, note = _text(form, "list", 200), _text(form, "note")
    if choice.casefold() == "saved":
        return await _save(request, account, paper_id, back)

    def add() -> None:
        if choice == "new":
            target = create_list(state.store, account.id, _text(form, "new_name", 500))
        else:
            target = own_list(state.store, account.id, choice)
        add_papers(state.store, target, [(paper_id, note)])

    try:
        await run_in_threadpool(add)
    except CollectionError as exc:
        raise _refused(exc) from exc
    return RedirectResponse(back, 303)


async def _save(request: Request, account: Account, paper_id: str, back: str) -> Response:
    """The default list is the reader's saves: saving is a trending signal as ever."""
    community = community_web(request)
    try:
        await run_in_threadpool(
            lambda: set_mark(
                web_state(request).store, community.settings, community.model, kind="save",
                account=account, paper_id=paper_id, on=True, ip=client_ip(request),
            )
        )  # fmt: skip
    except RateLimited as exc:
        raise HTTPException(429, str(exc), headers={"Retry-After": str(exc.retry_after)}) from exc
    except CommunityError as exc:
        raise HTTPException(404, str(exc)) from exc
    return RedirectResponse(back, 303)


# -- one list ----------------------------------------------------------------------------


@router.get("/collections/{collection_id:int}")
async def collection_page(
    request: Request, collection_id: int, p: Annotated[int, Query(ge=1, le=300)] = 1
) -> Response:
    state = web_state(request)
    viewer = await current_viewer(request)
    viewer_id = viewer.account.id if viewer else None

    def render() -> Rendered:
        try:
            collection = visible_list(state.store, collection_id, viewer_id)
        except CollectionNotFound as exc:
            raise _not_found(exc) from exc
        listed = listed_papers(
            state.store, collection, limit=PAGE_SIZE + 1, offset=(p - 1) * PAGE_SIZE
        )
        shown = listed[:PAGE_SIZE]
        stored = [e.paper for e in shown]
        return state.render_html(
            "collection.html",
            **page_context(request, state.store, stored, viewer),
            csrf_field=FIELD,
            collection=collection,
            owner=collection.account_id == viewer_id,
            entries=[{"view": paper_view(e.paper), "note": e.note} for e in shown],
            exports=_exports(collection),
            has_more=len(listed) > PAGE_SIZE,
            page=p,
            error=None,
            notice=None,
        )

    rendered = await run_in_threadpool(render)
    response = send(request, rendered, PRIVATE if viewer else "no-cache")
    set_csrf_cookie(request, response, viewer)
    return response


def _exports(collection: Collection) -> list[tuple[str, str]]:
    base = f"/collections/{collection.id}"
    found = [(FORMATS[name].label, f"{base}.{suffix}") for suffix, name in EXPORTS.items()]
    if collection.public:
        found += [("RSS", f"{base}.rss"), ("Atom", f"{base}.atom")]
    return found


async def _own(
    request: Request, collection_id: int, form_files: int = 0
) -> tuple[FormData, Account, Collection]:
    form, account = await _posted(request, files=form_files)
    if account is None:
        raise HTTPException(401, "Sign in first.")
    store = web_state(request).store
    try:
        collection = await run_in_threadpool(own_list, store, account.id, collection_id)
    except CollectionNotFound as exc:
        raise _not_found(exc) from exc
    return form, account, collection


@router.post("/collections/{collection_id:int}/edit")
async def edit_collection(request: Request, collection_id: int) -> Response:
    form, _, collection = await _own(request, collection_id)
    try:
        await run_in_threadpool(
            lambda: update_list(
                web_state(request).store, collection, name=_text(form, "name", 500),
                description=_text(form, "description"), public=_text(form, "public") == "1",
            )
        )  # fmt: skip
    except CollectionError as exc:
        raise _refused(exc) from exc
    return RedirectResponse(f"/collections/{collection.id}", 303)


@router.post("/collections/{collection_id:int}/delete")
async def delete_collection(request: Request, collection_id: int) -> Response:
    form, account, collection = await _own(request, collection_id)
    if _text(form, "confirm").strip() != "delete":
        raise HTTPException(400, "Type delete to confirm.")
    store = web_state(request).store
    await run_in_threadpool(store.delete_collection, collection.id, account.id)
    return RedirectResponse("/collections", 303)


@router.post("/collections/{collection_id:int}/note")
async def note_collection(request: Request, collection_id: int) -> Response:
    form, _, collection = await _own(request, collection_id)
    try:
        await run_in_threadpool(
            set_note, web_state(request).store, collection, _text(form, "paper_id", 200),
            _text(form, "note"),
        )  # fmt: skip
    except CollectionError as exc:
        raise _refused(exc) from exc
    return RedirectResponse(f"/collections/{collection.id}", 303)


@router.post("/collections/{collection_id:int}/remove")
async def remove_from_collection(request: Request, collection_id: int) -> Response:
    form, _, collection = await _own(request, collection_id)
    try:
        paper_id = canonical_paper(_text(form, "paper_id", 200))
    except CollectionError as exc:
        raise _refused(exc) from exc
    store = web_state(request).store
    await run_in_threadpool(store.remove_from_collection, collection.id, paper_id)
    return RedirectResponse(
        safe_next(_text(form, "next", 500), f"/collections/{collection.id}"), 303
    )


@uploads.post("/collections/{collection_id:int}/import")
async def import_into_collection(request: Request, collection_id: int) -> Response:
    form, _, collection = await _own(request, collection_id, form_files=1)
    data = await library_file(form)
    if data is None:
        raise HTTPException(400, "Choose a file to add papers from.")
    store = web_state(request).store
    try:
        await run_in_threadpool(lambda: seed_list(store, collection, read_seed(store, data)))
    except CollectionError as exc:
        raise _refused(exc) from exc
    return RedirectResponse(f"/collections/{collection.id}", 303)


# -- feeds and exports -------------------------------------------------------------------


@router.get("/collections/{collection_id:int}.{suffix}")
async def collection_file(request: Request, collection_id: int, suffix: str) -> Response:
    """RSS and Atom of a public list; BibTeX, RIS, CSL-JSON of a list one may read."""
    if suffix not in _FEEDS and suffix not in EXPORTS:
        raise HTTPException(404, "No such file.")
    state = web_state(request)
    account = await current_account(request) if suffix in EXPORTS else None
    viewer_id = account.id if account else None

    def render() -> Rendered:
        try:
            collection = visible_list(state.store, collection_id, viewer_id)
        except CollectionNotFound as exc:
            raise _not_found(exc) from exc
        if suffix in _FEEDS and not collection.public:
            raise HTTPException(404, f"there is no list {collection_id}")
        size = FEED_SIZE if suffix in _FEEDS else EXPORT_SIZE
        papers = [e.paper for e in listed_papers(state.store, collection, limit=size)]
        if suffix in _FEEDS:
            media_type, write = _FEEDS[suffix]
            site = state.site_url(request)
            page = f"{site}/collections/{collection.id}"
            info = feeds.FeedInfo(
                f"{collection.name} · paperfeed",
                collection.description or f"A list of papers by {collection.owner_name}.",
                page,
                f"{page}.{suffix}",
                site,
            )
            return Rendered.of(write(info, papers), media_type)
        citation_format = FORMATS[EXPORTS[suffix]]
        return Rendered.of(cite(papers, citation_format.name).encode(), citation_format.media_type)

    rendered = await run_in_threadpool(render)
    public = suffix in _FEEDS
    response = send(request, rendered, "no-cache" if public else PRIVATE)
    if suffix in EXPORTS:
        response.headers["Content-Disposition"] = (
            f'attachment; filename="collection-{collection_id}.{suffix}"'
        )
    return response
