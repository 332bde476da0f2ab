"""A reader's existing library, read from a reference manager's export and matched to
the store's papers, so their first page is already theirs.

Formats: BibTeX (bibtexparser, LaTeX decoded by its middleware), RIS (rispy), CSL-JSON
(Zotero's and Mendeley's export), and plain lists of arXiv ids, arXiv URLs and DOIs, one
a line. Each entry is matched by arXiv id, then DOI, then normalised title. Anything
that cannot be read whole (too large, not UTF-8, malformed) raises
``LibraryImportError`` before anything is written: an import is all or nothing.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import orjson
import rispy
from bibtexparser.entrypoint import parse_string
from bibtexparser.middlewares import LatexDecodingMiddleware

from paperfeed.papers.ids import find_arxiv_id
from paperfeed.personal.errors import PersonalError
from paperfeed.search.pins import doi_reference, normalize_title
from paperfeed.store.base import StoredPaper

LibraryFormat = Literal["bibtex", "ris", "csl-json", "ids"]
FORMATS: tuple[LibraryFormat, ...] = ("bibtex", "ris", "csl-json", "ids")
MAX_BYTES = 5 * 1024 * 1024
"""About 10,000 BibTeX entries with abstracts; larger files are refused, not truncated."""
MAX_ENTRIES = 20_000
ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(.+)$", re.IGNORECASE)
_RIS_START = re.compile(r"^\s*TY\s{2}-", re.MULTILINE)
_BIBTEX_START = re.compile(r"^\s*@\s*[A-Za-z]+\s*[{(]", re.MULTILINE)
_PUNCTUATION = re.compile(r"[^\w\s]")


class LibraryImportError(PersonalError):
    """The file cannot be imported; nothing was changed."""


@dataclass(frozen=True, slots=True)
class Reference:
    """One library entry as far as matching goes; ``label`` names it to the reader."""

    label: str
    arxiv_id: str | None = None
    doi: str | None = None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class Matched:
    """Which papers of the store the entries are (each once, in file order), and the
    labels of the entries that matched none."""

    paper_ids: tuple[str, ...]
    unmatched: tuple[str, ...]


class LibraryLookup(Protocol):
    """What matching asks of the store."""

    def get_papers(self, paper_ids: Iterable[str]) -> dict[str, StoredPaper]: ...

    def find_papers_by_doi(self, doi: str) -> list[str]: ...

    def papers_titled(self, titles: Sequence[str]) -> dict[str, list[str]]: ...


# -- reading ---------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """The file's text: UTF-8 (with or without a byte-order mark) or UTF-16 with one."""
    if len(data) > MAX_BYTES:
        raise LibraryImportError(
            f"the file is {len(data) / 1024 / 1024:.1f} MiB; at most"
            f" {MAX_BYTES // 1024 // 1024} MiB can be imported (export a smaller collection)"
        )
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        encoding = "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise LibraryImportError(
            f"the file is not UTF-8 text (byte {exc.start} cannot be read):"
            " export it again as UTF-8"
        ) from exc
    if "\x00" in text:
        raise LibraryImportError("the file is binary, not a text export")
    return text


def detect_format(text: str) -> LibraryFormat:
    """The format of an export, from its content."""
    stripped = text.lstrip()
    if stripped.startswith(("[", "{")):
        return "csl-json"
    if _RIS_START.search(text):
        return "ris"
    if _BIBTEX_START.search(text):
        return "bibtex"
    return "ids"


def read_references(
    data: bytes, format: LibraryFormat | Literal["auto"] = "auto"
) -> list[Reference]:
    """Every entry of the file; ``LibraryImportError`` if any of it cannot be read."""
    text = decode(data)
    chosen = detect_format(text) if format == "auto" else format
    if chosen not in FORMATS:
        raise LibraryImportError(f"unknown library format {format!r}")
    references = _READERS[chosen](text)
    if not references:
        raise LibraryImportError(f"no entries found in the file (read as {chosen})")
    if len(references) > MAX_ENTRIES:
        raise LibraryImportError(
            f"the file has {len(references):,} entries; at most {MAX_ENTRIES:,} can be imported"
        )
    return references


def _bibtex(text: str) -> list[Reference]:
    try:
        library = parse_string(text, append_middleware=[LatexDecodingMiddleware()])
    except Exception as exc:  # the parser's own errors have no common base class
        raise LibraryImportError(f"the BibTeX file cannot be read: {exc}") from exc
    if library.failed_blocks:
        block = library.failed_blocks[0]
        line = getattr(block, "start_line", 0) + 1
        raise LibraryImportError(
            f"the BibTeX file is malformed near line {line}"
            f" ({len(library.failed_blocks)} unreadable entries); nothing was imported"
        )
    references = []
    for entry in library.entries:
        fields = {key.lower(): str(field.value) for key, field in entry.fields_dict.items()}
        arxiv = _arxiv_in(
            fields.get("eprint")
            if "arxiv" in fields.get("archiveprefix", "arxiv").lower()
            else None,
            *(fields.get(k) for k in ("url", "journal", "note", "howpublished", "arxivid")),
        )
        references.append(_reference(entry.key, arxiv, fields.get("doi"), fields.get("title")))
    return references


def _ris(text: str) -> list[Reference]:
    try:
        entries = rispy.loads(text)
    except Exception as exc:  # rispy raises plain exceptions on broken records
        raise LibraryImportError(f"the RIS file cannot be read: {exc}") from exc
    if len(entries) != len(_RIS_START.findall(text)):
        raise LibraryImportError(
            "the RIS file is malformed (a record lacks its end); nothing was imported"
        )
    references = []
    for number, entry in enumerate(entries, 1):
        title = entry.get("title") or entry.get("primary_title")
        values = list(_strings(entry.values()))
        references.append(
            _reference(f"record {number}", _arxiv_in(*values), entry.get("doi"), title)
        )
    return references


def _csl_json(text: str) -> list[Reference]:
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise LibraryImportError(f"the CSL-JSON file is not valid JSON: {exc}") from exc
    items = data.get("items") if isinstance(data, dict) else data
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise LibraryImportError("the CSL-JSON file is not a list of items")
    references = []
    for number, item in enumerate(items, 1):
        label = str(item.get("id") or f"item {number}")
        values = [
            item.get(k) for k in ("number", "URL", "archive_location", "note", "container-title")
        ]
        arxiv = _arxiv_in(*(v for v in values if isinstance(v, str)))
        title = item.get("title")
        doi = item.get("DOI")
        references.append(
            _reference(
                label,
                arxiv,
                doi if isinstance(doi, str) else None,
                title if isinstance(title, str) else None,
            )
        )
    return references


def _ids(text: str) -> list[Reference]:
    references = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        found = find_arxiv_id(line)
        doi = None if found else doi_reference(line)
        references.append(_reference(line, found.id if found else None, doi, None))
    return references


_READERS = {"bibtex": _bibtex, "ris": _ris, "csl-json": _csl_json, "ids": _ids}


def _strings(values: Iterable[Any]) -> Iterable[str]:
    for value in values:
        if isinstance(value, str):
            yield value
        elif isinstance(value, list):
            yield from (v for v in value if isinstance(v, str))


def _arxiv_in(*texts: str | None) -> str | None:
    """The arXiv id in the first of ``texts`` that names one (an arXiv URL, an
    ``arXiv:`` reference, or a bare id in an eprint field)."""
    for text in texts:
        if text:
            found = find_arxiv_id(text)
            if found is not None:
                return found.id
    return None


def _reference(label: str, arxiv_id: str | None, doi: str | None, title: str | None) -> Reference:
    doi = doi_reference(doi) if doi else None
    if doi and arxiv_id is None:
        from_doi = ARXIV_DOI.match(doi)
        found = find_arxiv_id(from_doi[1]) if from_doi else None
        arxiv_id = found.id if found else None
    clean = " ".join(title.replace("{", "").replace("}", "").split()) if title else None
    return Reference(label, arxiv_id, doi, clean or None)


def title_key(title: str) -> str:
    """A title as matching compares it: ``normalize_title`` without punctuation."""
    return normalize_title(_PUNCTUATION.sub(" ", title))


# -- matching --------------------------------------------------------------------------


def match_references(references: Sequence[Reference], store: LibraryLookup) -> Matched:
    """The store's papers for ``references``: by arXiv id, then DOI, then title."""
    found: dict[int, str] = {}
    by_arxiv = {i: r.arxiv_id for i, r in enumerate(references) if r.arxiv_id}
    stored = store.get_papers(set(by_arxiv.values()))
    found.update({i: paper_id for i, paper_id in by_arxiv.items() if paper_id in stored})
    for i, reference in enumerate(references):
        if i not in found and reference.doi:
            papers = store.find_papers_by_doi(reference.doi)
            if papers:
                found[i] = papers[0]
    wanted = {i: r.title for i, r in enumerate(references) if i not in found and r.title}
    if wanted:
        titled = store.papers_titled(sorted({_stored_form(t) for t in wanted.values()}))
        by_key = _by_title_key(titled)
        for i, title in wanted.items():
            titled_ids = by_key.get(title_key(title))
            if titled_ids:
                found[i] = titled_ids[0]
    matched = tuple(dict.fromkeys(found[i] for i in sorted(found)))
    unmatched = tuple(_describe(r) for i, r in enumerate(references) if i not in found)
    return Matched(matched, unmatched)


def _stored_form(title: str) -> str:
    """The lower-cased title as the store's title text would read."""
    return " ".join(title.split()).lower().rstrip(".")


def _by_title_key(titled: Mapping[str, list[str]]) -> dict[str, list[str]]:
    keyed: dict[str, list[str]] = {}
    for title, ids in titled.items():
        keyed.setdefault(title_key(title), []).extend(ids)
    return keyed


def _describe(reference: Reference) -> str:
    """How the result names an entry that matched nothing."""
    if reference.title:
        return reference.title
    return reference.arxiv_id or reference.doi or reference.label
