"""Citations of stored papers: BibTeX, RIS, CSL-JSON and a plain-text reference.

``cite(papers, "bibtex")`` writes an export with readable citation keys that are unique
within it (``zhang2021revisiting``); ``papers_to_cite`` finds the papers for a list of
ids. Writing is done by maintained libraries (bibtexparser, rispy, citeproc-py);
``tex`` makes arXiv's LaTeX titles safe for BibTeX. See docs/decisions/0009-citations.md.
"""

from __future__ import annotations

from paperfeed.citations.formats import (
    FORMATS,
    CitationError,
    CitationFormat,
    citation_format,
    cite,
    papers_to_cite,
)
from paperfeed.citations.record import Citable, citables

__all__ = [
    "FORMATS",
    "Citable",
    "CitationError",
    "CitationFormat",
    "citables",
    "citation_format",
    "cite",
    "papers_to_cite",
]
