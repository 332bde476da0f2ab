"""What the OpenAPI document says beyond parameters: each error answer, feed media types.

Every API operation declares the errors it can give (a 400 for a value the patterns
allow but the calendar or the store does not, a 404 for what is not there, a 503 when
search is not installed), so clients and fuzzers can rely on the document.
"""

from __future__ import annotations

from typing import Any

DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
HF_NOT_FOUND = {
    "type": "object",
    "properties": {"error": {"type": "string"}},
    "required": ["error"],
}
_MEANINGS = {
    400: "A parameter is not understood or out of range (`detail` says which)",
    401: "No personal API token, or one that was revoked or mistyped (`detail` says which)",
    404: "Not found: no such paper, or no such period (week 53 of a 52-week year)",
    503: "Search is not available on this server",
}


def error_answers(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        status: {
            "description": _MEANINGS[status],
            "content": {"application/json": {"schema": DETAIL}},
        }
        for status in statuses
    }


def hf_error_answers() -> dict[int | str, dict[str, Any]]:
    """As ``error_answers``; a missing paper is ``{"error": ...}``, as huggingface.co says it."""
    answers = error_answers(400, 404, 503)
    answers[404]["content"]["application/json"]["schema"] = {"anyOf": [DETAIL, HF_NOT_FOUND]}
    return answers


_DOCUMENT = {"schema": {"type": "string"}}
FEED_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "An RSS 2.0 (`.rss`) or Atom 1.0 (`.atom`) document",
        "content": {"application/rss+xml": _DOCUMENT, "application/atom+xml": _DOCUMENT},
    },
    **error_answers(400, 404, 503),
}
