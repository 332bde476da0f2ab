"""Citations of one paper: the downloads (``/papers/{id}.bib``, ``.ris``, ``.json``) and
what the paper page's "Cite" section shows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from paperfeed.citations import FORMATS, cite
from paperfeed.store.base import StoredPaper
from paperfeed.web.cache import Rendered
from paperfeed.web.params import PAPER_ID_PATTERN, canonical_paper_id
from paperfeed.web.responses import API_CACHE, cached
from paperfeed.web.state import web_state

router = APIRouter(tags=["citations"])

# The pattern is in the OpenAPI document, so a client knows which ids are served.
CitedId = Annotated[str, Path(pattern=PAPER_ID_PATTERN, description="An arXiv id.")]

# URL suffix -> citation format, in the order the page lists them.
DOWNLOADS = {"bib": "bibtex", "ris": "ris", "json": "csl-json"}


@dataclass(frozen=True, slots=True)
class CiteSection:
    """The paper page's "Cite" section: a reference to read, BibTeX to copy, files."""

    reference: str
    bibtex: str
    downloads: tuple[tuple[str, str], ...]  # (label, URL)


def cite_section(stored: StoredPaper) -> CiteSection:
    paper_id = stored.paper.id
    return CiteSection(
        reference=cite([stored], "text").strip(),
        bibtex=cite([stored], "bibtex").strip(),
        downloads=tuple(
            (FORMATS[name].label, f"/papers/{paper_id}.{suffix}")
            for suffix, name in DOWNLOADS.items()
        ),
    )


# Errors on these URLs are pages, as anywhere outside /api.
_PAGE: dict[str, Any] = {"content": {"text/html": {}}}


def _responses(format_name: str) -> dict[int | str, dict[str, Any]]:
    media_type = FORMATS[format_name].media_type.split(";")[0]
    return {
        200: {"content": {media_type: {}}, "description": f"{FORMATS[format_name].label} file"},
        400: {"description": "Not an arXiv identifier the store can hold", **_PAGE},
        404: {"description": "No such paper", **_PAGE},
        422: {"description": "Not an arXiv identifier", **_PAGE},
    }


async def _download(request: Request, paper_id: str, suffix: str) -> Response:
    state = web_state(request)
    canonical = canonical_paper_id(paper_id)
    citation_format = FORMATS[DOWNLOADS[suffix]]

    def render() -> Rendered:
        stored = state.store.get_paper(canonical)
        if stored is None:
            return state.paper_not_found(canonical)
        body = cite([stored], citation_format.name).encode("utf-8")
        return Rendered.of(body, citation_format.media_type)

    response = await cached(request, ("cite", canonical, suffix), render, API_CACHE)
    if response.status_code == 200:
        filename = f"{canonical.replace('/', '_')}.{suffix}"
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@router.get(
    "/papers/{paper_id:path}.bib", summary="BibTeX of one paper", responses=_responses("bibtex")
)
async def bibtex_file(request: Request, paper_id: CitedId) -> Response:
    return await _download(request, paper_id, "bib")


@router.get("/papers/{paper_id:path}.ris", summary="RIS of one paper", responses=_responses("ris"))
async def ris_file(request: Request, paper_id: CitedId) -> Response:
    return await _download(request, paper_id, "ris")


@router.get(
    "/papers/{paper_id:path}.json",
    summary="CSL-JSON of one paper",
    responses=_responses("csl-json"),
)
async def csl_json_file(request: Request, paper_id: CitedId) -> Response:
    return await _download(request, paper_id, "json")
