"""Search matches as HTML: every run escaped, matched runs wrapped in ``<mark>``."""

from __future__ import annotations

from collections.abc import Iterable

from markupsafe import Markup, escape


def highlighted(runs: Iterable[tuple[str, bool]]) -> Markup:
    parts = [
        Markup("<mark>{}</mark>").format(text) if matched else escape(text)
        for text, matched in runs
    ]
    return Markup("").join(parts)
