"""The web application: pages, JSON APIs and feeds over one paper store.

``create_app`` takes its collaborators as arguments (store, search service, secret key),
so tests and embedders pass real ones of their choosing; by default it opens the store
named by the settings and the installed search service, if any.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import jinja2
from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.staticfiles import StaticFiles

from paperfeed import __version__
from paperfeed.community.ranking import ensure_params
from paperfeed.community.trending_ranking import trending_rows
from paperfeed.config import Settings
from paperfeed.mcp.http import McpEndpoint
from paperfeed.security import TokenSigner, load_secret_key
from paperfeed.store import PaperStore, open_store
from paperfeed.web.cache import RenderCache
from paperfeed.web.community import community_web_for
from paperfeed.web.controls import CleanQueryStrings, printable
from paperfeed.web.csrf import CSRFProtector
from paperfeed.web.endings import QuietEndings
from paperfeed.web.errors import install_error_handlers
from paperfeed.web.head import HeadAsGet
from paperfeed.web.headers import SecurityHeaders
from paperfeed.web.origin import CrossSiteGuard
from paperfeed.web.responses import drain_background, in_background
from paperfeed.web.routes import (
    api,
    cite,
    collections,
    community,
    docs,
    feeds,
    hf_api,
    pages,
    personal,
    personal_access,
    subscribe,
    subscriptions,
)
from paperfeed.web.search_port import SearchServiceLike, default_search, prepare_search
from paperfeed.web.state import WebState

HERE = Path(__file__).parent
# Request bodies, counted as they stream in (FastAPI's max_body_size, 413 past it): the
# small forms (sign-in, subscribe, votes, submit) and any other body take 4 KB; routes
# that need more say so (the subscription routes: 16 KB).
MAX_FORM_BYTES = 4096
DESCRIPTION = (
    "Research papers by day, trending, search and similar papers. `/api/v1/...` is"
    " paperfeed's own API (cursor pagination, ETags); `/api/daily_papers` and"
    " `/api/papers/...` answer in huggingface.co's shapes so Hugging Face clients work"
    " unchanged; `/feeds/...` serves RSS 2.0 and Atom."
)


def _templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,  # every template, whatever its name
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        undefined=jinja2.StrictUndefined,
        finalize=printable,  # no control character reaches a page
    )
    env.globals["version"] = __version__
    # Defaults for the community's template variables; signed-in renders override them.
    env.globals.update(viewer=None, signals={}, scores={}, csrf_token="", next_url="/")
    return env


def create_app(
    settings: Settings | None = None,
    *,
    store: PaperStore | None = None,
    search: SearchServiceLike | None = None,
    with_search: bool = True,
    secret_key: str | None = None,
    cache_stale_for: float = 10.0,
    digest_scheduler: bool | None = None,
) -> FastAPI:
    """Build the app. A store passed in stays the caller's to close; one opened here closes
    when the app shuts down. ``with_search=False`` serves without search (503s).
    ``digest_scheduler`` (default: the setting, when the app opens its own store, as
    ``paperfeed serve`` does) runs due digests in the background while serving."""
    settings = settings or Settings()
    owned = store is None
    store = store if store is not None else open_store(settings.database_url)
    own_search = search is None and with_search
    if own_search:
        search = default_search(store, settings)
    secret = secret_key or load_secret_key(settings)
    signer = TokenSigner(secret)
    state = WebState(
        settings=settings,
        store=store,
        search=search,
        templates=_templates(),
        cache=RenderCache(store, stale_for=cache_stale_for),
        csrf=CSRFProtector(signer),
        public_url=str(settings.get("public_url") or ""),
    )

    scheduler = subscriptions.scheduler_for(settings, secret, store.url, owned, digest_scheduler)
    stopping = threading.Event()  # set at shutdown: upstream calls in flight give up
    community_state = community_web_for(settings, signer, stopping)
    mcp = McpEndpoint(
        settings, store, search, community_state.model, community_state.settings.default_window
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if scheduler is not None:
            scheduler.start()
        # Cards show counts from this process's trending ranking: build it now (about a
        # second per 200,000 scored papers), not on the first request that needs it.
        model = _app.state.community.model
        in_background(run_in_threadpool(trending_rows, state.store, [], model))
        if search is not None:
            # The embedding model takes seconds to load: every worker loads it before it
            # accepts requests, so its first search is already hybrid.
            await run_in_threadpool(prepare_search, search)
        async with mcp.running():
            yield
        stopping.set()
        if scheduler is not None:
            scheduler.stop()
        await drain_background()
        close_search = getattr(search, "close", None)
        if own_search and callable(close_search):
            close_search()  # lets a keyword index catch-up finish before the store goes
        if owned:
            state.store.close()

    app = FastAPI(
        title="paperfeed",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,  # /docs is our own page: no CDN scripts, no inline script
        redoc_url=None,
        lifespan=lifespan,
        max_body_size=MAX_FORM_BYTES,
    )
    app.state.web = state
    app.state.community = community_state
    ensure_params(store, app.state.community.model)
    install_error_handlers(app)
    subscriptions.install(app, settings, store, signer)
    for module in (
        api,
        hf_api,
        feeds,
        subscribe,
        community,
        personal,
        collections,
        docs,
        cite,
        pages,
    ):
        app.include_router(module.router)
    app.include_router(collections.uploads)
    for router in (personal_access.api_router, personal_access.feed_router, personal_access.pages):
        app.include_router(router)
    app.router.routes.append(mcp.route)  # /mcp: the MCP server (docs/mcp.md)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.add_middleware(QuietEndings)
    app.add_middleware(CleanQueryStrings)
    app.add_middleware(CrossSiteGuard, public_url=state.public_url)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(HeadAsGet)
    return app
