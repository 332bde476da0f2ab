"""What every request handler shares, built once by ``create_app``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import jinja2
from starlette.requests import Request

from paperfeed.config import Settings
from paperfeed.store.base import PaperStore
from paperfeed.web.cache import RenderCache, Rendered
from paperfeed.web.csrf import CSRFProtector
from paperfeed.web.search_port import SearchServiceLike

if TYPE_CHECKING:
    from paperfeed.personal.serving import ServingCache

HTML = "text/html; charset=utf-8"
JSON = "application/json"


@dataclass(slots=True)
class WebState:
    settings: Settings
    store: PaperStore
    search: SearchServiceLike | None
    templates: jinja2.Environment
    cache: RenderCache
    csrf: CSRFProtector
    public_url: str
    personal: ServingCache = field(default_factory=lambda: _serving_cache())

    def site_url(self, request: Request) -> str:
        """The base URL for absolute links (feeds): configured, else this request's."""
        return (self.public_url or str(request.base_url)).rstrip("/")

    def render_html(self, template: str, status_code: int = 200, **context: Any) -> Rendered:
        body = self.templates.get_template(template).render(**context).encode("utf-8")
        return Rendered.of(body, HTML, status_code)

    def paper_not_found(self, canonical_id: str) -> Rendered:
        """The 404 page of a paper the store lacks, pointing to it on arXiv."""
        return self.render_html(
            "error.html",
            status_code=404,
            title="Paper not found",
            message=f"paperfeed has no paper {canonical_id} yet.",
            arxiv_url=f"https://arxiv.org/abs/{canonical_id}",
        )


def web_state(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


def _serving_cache() -> ServingCache:
    """The For-you ranking's per-process cache (imported when a state is built)."""
    from paperfeed.personal.serving import ServingCache

    return ServingCache()
