"""The normalised paper: identifiers, metadata and derived plain text."""

from paperfeed.papers.ids import ArxivId, InvalidArxivId, find_arxiv_id, parse_arxiv_id
from paperfeed.papers.model import Author, HFInfo, Paper

__all__ = [
    "ArxivId",
    "Author",
    "HFInfo",
    "InvalidArxivId",
    "Paper",
    "find_arxiv_id",
    "parse_arxiv_id",
]
