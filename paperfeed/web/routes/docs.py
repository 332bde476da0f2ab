"""``/docs``: the API reference, rendered on the server from the OpenAPI document.

FastAPI's default Swagger page loads scripts from a CDN and runs inline script, which
our Content-Security-Policy forbids; this page needs neither. ``/openapi.json`` is the
machine-readable spec.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from paperfeed.web.cache import Rendered
from paperfeed.web.responses import PAGE_CACHE, cached
from paperfeed.web.state import web_state

router = APIRouter(include_in_schema=False)

_FAVICON = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
    b'<rect width="32" height="32" rx="7" fill="#4f46e5"/>'
    b'<path d="M9 8h9a6 6 0 0 1 0 12h-5v5H9z M13 12v4h5a2 2 0 0 0 0-4z" fill="#fff"/></svg>'
)


def operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Each documented operation with its parameters, grouped in spec order."""
    found = []
    for path, methods in spec.get("paths", {}).items():
        for method, op in methods.items():
            params = [
                {
                    "name": p["name"],
                    "where": p.get("in", ""),
                    "required": p.get("required", False),
                    "description": p.get("description", ""),
                    "schema": _schema_text(p.get("schema", {})),
                }
                for p in op.get("parameters", [])
            ]
            found.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "tag": (op.get("tags") or ["other"])[0],
                    "params": params,
                }
            )
    return found


def _schema_text(schema: dict[str, Any]) -> str:
    if "anyOf" in schema:
        return " or ".join(_schema_text(s) for s in schema["anyOf"] if s.get("type") != "null")
    if "enum" in schema:
        return " | ".join(str(v) for v in schema["enum"])
    text = str(schema.get("type", ""))
    if "pattern" in schema:
        text += f" matching {schema['pattern']}"
    if "minimum" in schema or "maximum" in schema:
        text += f" {schema.get('minimum', '')}–{schema.get('maximum', '')}"
    return text


@router.get("/docs")
async def api_docs(request: Request) -> Response:
    state = web_state(request)
    spec = request.app.openapi()

    def render() -> Rendered:
        return state.render_html("docs.html", spec=spec, operations=operations(spec))

    return await cached(request, ("docs",), render, PAGE_CACHE)


@router.get("/favicon.ico")
async def favicon() -> Response:
    return Response(
        _FAVICON, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"}
    )
