"""Bulk import of papers from JSON Lines files (plain, ``.gz`` or ``.xz``).

Two line formats are accepted, detected per line:

* paperfeed's own dump: ``{"id", "title", "abstract", "authors": [names],
  "categories": [codes], "published": "YYYY-MM-DD" | null}``;
* Kaggle's ``arxiv-metadata-oai-snapshot.json``: ``authors`` is a string,
  ``authors_parsed`` a list of ``[last, first, suffix]``, ``categories`` space
  separated, ``versions`` a list of ``{"version": "v1", "created": <RFC 2822 date>}``.

Bulk files hold hundreds of thousands of lines, so the file is streamed and each line
becomes a ``Paper`` with as little work as possible (no LaTeX processing here).

Resuming: each page's checkpoint is ``{"line": N, "size": S}``: the first ``N`` lines
are stored, and the file was ``S`` bytes long. A rerun on a file of the same size skips
those lines without parsing them; a file whose size changed is read from the start
(the store's upsert makes re-reading cheap). A file rewritten to the very same size is
not detected.

Errors name the file and line (``SourceError("jsonl", "path:line", problem)``). The
lines read before a bad line or a truncated compressed stream are yielded first, so
the store keeps them and the checkpoint points just before the problem.
"""

from __future__ import annotations

import email.utils
import io
import lzma
import os
import queue
import threading
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, ClassVar, Protocol

import orjson

from paperfeed.papers.codelinks import find_code_links
from paperfeed.papers.ids import ArxivId, InvalidArxivId, parse_arxiv_id
from paperfeed.papers.model import Author, Paper
from paperfeed.sources.base import Checkpoint, Page, Source, SourceError

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

MAX_LINE_BYTES = 1024 * 1024
# Lines per page (one transaction each): a larger page rewrites the store's index pages
# fewer times; 5,000 papers are about 20 MB in memory.
DEFAULT_BATCH = 5000
_CHUNK_BYTES = 1024 * 1024
_COMPRESSED_BLOCK = 256 * 1024
_GZIP_MAGIC = b"\x1f\x8b"
_XZ_MAGIC = b"\xfd7zXZ\x00"
# What a damaged compressed stream raises while it is being read.
_STREAM_ERRORS = (EOFError, lzma.LZMAError, zlib.error)
_ONLY_STR = frozenset({str})


class _BadLine(Exception):
    """One line cannot become a paper; the caller adds the file and line number."""


class JSONLSource(Source):
    """Papers from a JSON Lines file, one ``Page`` per ``batch_size`` lines.

    With ``skip_invalid`` a bad line is counted (``Page.info["invalid"]``) and skipped
    instead of stopping the import.
    """

    name: ClassVar[str] = "jsonl"

    def __init__(
        self, path: Path, *, batch_size: int = DEFAULT_BATCH, skip_invalid: bool = False
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.path = Path(path)
        self.batch_size = batch_size
        self.skip_invalid = skip_invalid

    @property
    def checkpoint_key(self) -> str:
        return f"jsonl:{self.path.resolve()}"

    def pages(self, checkpoint: Checkpoint | None) -> Iterator[Page]:
        try:
            size = os.stat(self.path).st_size
            magic = _read_magic(self.path)
        except OSError as exc:
            raise SourceError(self.name, str(self.path), f"cannot read: {exc.strerror}") from exc
        start = resume_line(checkpoint, size)
        with _open_stream(self.path, magic) as stream:
            reader = _LineReader(stream, self.path)
            reader.skip(start)
            yield from self._batches(reader, size, restarted=bool(checkpoint) and start == 0)

    def _batches(self, reader: _LineReader, size: int, *, restarted: bool) -> Iterator[Page]:
        """Group lines into pages; on an error, yield the lines read before it, then raise."""
        batch = _Batch(reader.line_no, invalid_before=0, restarted=restarted)
        try:
            for line_no, raw in reader:
                self._add_line(batch, line_no, raw)
                if batch.lines >= self.batch_size:
                    yield batch.page(self.path, size)
                    batch = batch.following()
        except SourceError:
            if batch.lines:
                yield batch.page(self.path, size)
            raise
        if batch.lines:
            yield batch.page(self.path, size)

    def _add_line(self, batch: _Batch, line_no: int, raw: bytes | None) -> None:
        batch.lines += 1
        try:
            if raw is None:
                raise _BadLine(f"line longer than {MAX_LINE_BYTES} bytes")
            paper = _paper_from_line(raw)
        except _BadLine as exc:
            if not self.skip_invalid:
                raise SourceError(self.name, f"{self.path}:{line_no}", str(exc)) from None
            batch.invalid += 1
            return
        if paper is not None:
            batch.papers.append(paper)


class _Batch:
    """The papers of one page, the line span they came from and the bad lines skipped."""

    __slots__ = ("first_line", "invalid", "invalid_before", "lines", "papers", "restarted")

    def __init__(self, after_line: int, *, invalid_before: int, restarted: bool) -> None:
        self.first_line = after_line + 1
        self.lines = 0
        self.invalid = 0
        self.invalid_before = invalid_before
        self.restarted = restarted
        self.papers: list[Paper] = []

    @property
    def last_line(self) -> int:
        return self.first_line + self.lines - 1

    def following(self) -> _Batch:
        return _Batch(
            self.last_line, invalid_before=self.invalid_before + self.invalid, restarted=False
        )

    def page(self, path: Path, size: int) -> Page:
        info: dict[str, Any] = {
            "first_line": self.first_line,
            "last_line": self.last_line,
            "invalid": self.invalid,
            "invalid_total": self.invalid_before + self.invalid,
        }
        if self.restarted:
            info["restarted"] = "file size changed since the checkpoint"
        return Page(
            papers=self.papers,
            checkpoint={"line": self.last_line, "size": size},
            where=f"{path}:{self.first_line}-{self.last_line}",
            info=info,
        )


def resume_line(checkpoint: Checkpoint | None, size: int) -> int:
    """Lines already stored, or 0 when there is no checkpoint or the file changed size."""
    if not checkpoint or checkpoint.get("size") != size:
        return 0
    line = checkpoint.get("line")
    return line if isinstance(line, int) and line > 0 else 0


def _read_magic(path: Path) -> bytes:
    with open(path, "rb") as probe:
        return probe.read(len(_XZ_MAGIC))


@contextmanager
def _open_stream(path: Path, magic: bytes) -> Iterator[io.BufferedIOBase]:
    """Open by content, not by name: a ``.gz`` renamed ``.jsonl`` still reads."""
    with open(path, "rb") as raw:
        if magic.startswith(_GZIP_MAGIC):
            chunks = _inflate(raw, _GzipMember)
        elif magic.startswith(_XZ_MAGIC):
            chunks = _inflate(raw, lzma.LZMADecompressor)
        else:
            yield raw
            return
        with io.BufferedReader(_ReadAhead(chunks), _CHUNK_BYTES) as stream:
            yield stream


class _Decompressor(Protocol):
    """What ``_inflate`` needs: the interface of ``lzma.LZMADecompressor``."""

    @property
    def eof(self) -> bool: ...
    @property
    def needs_input(self) -> bool: ...
    @property
    def unused_data(self) -> bytes: ...
    def decompress(self, data: bytes, max_length: int = -1) -> bytes: ...


class _GzipMember:
    """A ``zlib`` gzip decompressor behind ``LZMADecompressor``'s interface."""

    def __init__(self) -> None:
        self._zlib = zlib.decompressobj(wbits=31)  # 31: gzip header and CRC checked

    @property
    def eof(self) -> bool:
        return self._zlib.eof

    @property
    def needs_input(self) -> bool:
        return not self._zlib.unconsumed_tail

    @property
    def unused_data(self) -> bytes:
        return self._zlib.unused_data

    def decompress(self, data: bytes, max_length: int = -1) -> bytes:
        return self._zlib.decompress(self._zlib.unconsumed_tail + data, max(max_length, 0))


def _inflate(raw: IO[bytes], new: Callable[[], _Decompressor]) -> Iterator[bytes]:
    """Decompressed chunks of at most ``_CHUNK_BYTES`` (a small bomb cannot fill memory).

    Large compressed blocks keep the GIL free for long stretches, so the parsing thread
    and this one rarely wait on each other. Concatenated streams (``pigz``, ``xz -T``)
    and zero padding between them are accepted; a stream cut short raises ``EOFError``.
    """
    decompressor, data = new(), raw.read(_COMPRESSED_BLOCK)
    while True:
        out = decompressor.decompress(data, _CHUNK_BYTES)
        if out:
            yield out
        if decompressor.eof:
            data = decompressor.unused_data.lstrip(b"\0")
            while not data and (more := raw.read(_COMPRESSED_BLOCK)):
                data = more.lstrip(b"\0")
            if not data:
                return
            decompressor = new()
        elif decompressor.needs_input:
            data = raw.read(_COMPRESSED_BLOCK)
            if not data:
                raise EOFError("compressed file ended before the end-of-stream marker")
        else:
            data = b""


class _ReadAhead(io.RawIOBase):
    """Decompress in a background thread while the caller parses.

    lzma and zlib release the GIL, so on two cores an ``.xz`` import costs about the
    larger of decompression and parsing instead of their sum. Errors of the stream
    (truncation, corruption) are handed over, after the data before them, and raised
    in the reading thread.
    """

    def __init__(self, chunks: Iterator[bytes], depth: int = 4) -> None:
        super().__init__()
        self._chunks = chunks
        self._queue: queue.Queue[bytes | Exception] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._chunk = b""
        self._pos = 0
        self._finished = False
        self._thread = threading.Thread(target=self._pump, name="jsonl-read-ahead", daemon=True)
        self._thread.start()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        if self._pos >= len(self._chunk) and not self._next_chunk():
            return 0
        view = memoryview(buffer).cast("B")
        count = min(len(view), len(self._chunk) - self._pos)
        view[:count] = self._chunk[self._pos : self._pos + count]
        self._pos += count
        return count

    def close(self) -> None:
        if not self.closed:
            self._stop.set()
            self._thread.join()
        super().close()

    def _next_chunk(self) -> bool:
        if self._finished:
            return False
        item = self._queue.get()
        if isinstance(item, Exception):
            self._finished = True
            raise item
        if not item:  # the end of the stream
            self._finished = True
            return False
        self._chunk, self._pos = item, 0
        return True

    def _pump(self) -> None:
        try:
            for chunk in self._chunks:
                if not self._put(chunk):
                    return
        except Exception as exc:  # handed to the reading thread, which raises it
            self._put(exc)
            return
        self._put(b"")

    def _put(self, item: bytes | Exception) -> bool:
        """Queue ``item`` unless the reader closed; False when it did."""
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
            except queue.Full:
                continue
            return True
        return False


class _LineReader:
    """Numbered raw lines, each at most ``MAX_LINE_BYTES``, with stream errors explained."""

    def __init__(self, stream: io.BufferedIOBase, path: Path) -> None:
        self._readline = stream.readline
        self._path = path
        self.line_no = 0

    def __iter__(self) -> Iterator[tuple[int, bytes | None]]:
        """Yield ``(number, line)``; ``None`` stands for a line over the size limit."""
        while True:
            raw = self._read()
            if not raw:
                return
            self.line_no += 1
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                self._finish_long_line()
                yield self.line_no, None
            else:
                yield self.line_no, raw

    def skip(self, count: int) -> None:
        """Read past ``count`` lines without parsing them (resuming from a checkpoint)."""
        while self.line_no < count:
            raw = self._read()
            if not raw:
                return
            self.line_no += 1
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                self._finish_long_line()

    def _finish_long_line(self) -> None:
        while True:
            rest = self._read()
            if not rest or rest.endswith(b"\n"):
                return

    def _read(self) -> bytes:
        try:
            return self._readline(MAX_LINE_BYTES + 1)
        except _STREAM_ERRORS as exc:
            raise SourceError(
                JSONLSource.name,
                f"{self._path}:{self.line_no + 1}",
                f"compressed data is truncated or corrupt after {self.line_no} lines ({exc})",
            ) from exc


def _paper_from_line(raw: bytes) -> Paper | None:
    """Parse one line into a ``Paper``; ``None`` for a blank line; ``_BadLine`` if bad."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        if not raw.strip():
            return None
        raise _BadLine(_json_problem(raw, exc)) from None
    if not isinstance(data, dict):
        raise _BadLine(f"expected a JSON object, found {type(data).__name__}")
    if _is_kaggle(data):
        return _paper_from_kaggle(data)
    return _paper_from_dump(data)


def _json_problem(raw: bytes, exc: orjson.JSONDecodeError) -> str:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as bad:
        return f"not valid UTF-8 (byte {bad.start} of the line)"
    return f"not valid JSON: {exc}"


def _is_kaggle(data: dict[str, Any]) -> bool:
    return "versions" in data or "authors_parsed" in data or isinstance(data.get("authors"), str)


def _paper_from_dump(data: dict[str, Any]) -> Paper:
    """paperfeed's dump: already whitespace-collapsed, authors and categories as lists."""
    ident = _arxiv_id(data.get("id"))
    title = _title(data.get("title"))
    abstract = _optional_str(data, "abstract") or ""
    categories = _str_list(data.get("categories"), "categories")
    published = _iso_date(data.get("published"), "published")
    return Paper(
        id=ident.id,
        version=ident.version,
        title=title,
        abstract=abstract,
        authors=tuple(map(Author, _str_list(data.get("authors"), "authors"))),
        primary_category=categories[0] if categories else None,
        categories=tuple(categories),
        published=published,
        announced=published,
        code_links=_code_links(abstract, None),
    )


def _paper_from_kaggle(data: dict[str, Any]) -> Paper:
    """Kaggle's snapshot: hard-wrapped text, a version history, names split in parts."""
    ident = _arxiv_id(data.get("id"))
    abstract = _collapse(_optional_str(data, "abstract") or "")
    comments = _collapse(_optional_str(data, "comments") or "") or None
    categories = (_optional_str(data, "categories") or "").split()
    version, published, updated = _versions(data.get("versions"))
    return Paper(
        id=ident.id,
        version=version or ident.version,
        title=_collapse(_title(data.get("title"))),
        abstract=abstract,
        authors=_kaggle_authors(data),
        primary_category=categories[0] if categories else None,
        categories=tuple(categories),
        published=published,
        updated=updated,
        announced=published,
        comments=comments,
        journal_ref=_collapse(_optional_str(data, "journal-ref") or "") or None,
        doi=_optional_str(data, "doi") or None,
        license=_optional_str(data, "license") or None,
        code_links=_code_links(abstract, comments),
    )


def _arxiv_id(value: object) -> ArxivId:
    if not isinstance(value, str) or not value:
        raise _BadLine("missing id")
    try:
        return parse_arxiv_id(value)
    except InvalidArxivId:
        raise _BadLine(f"invalid arXiv id {value[:80]!r}") from None


def _title(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _BadLine("missing title")
    return value


def _optional_str(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None or isinstance(value, str):
        return value
    raise _BadLine(f"{key} must be a string, found {type(value).__name__}")


def _str_list(value: object, key: str) -> list[str]:
    # set(map(type, ...)) runs in C: a third of the cost of a generator over the items.
    if value is None:
        return []
    if not isinstance(value, list) or not set(map(type, value)) <= _ONLY_STR:
        raise _BadLine(f"{key} must be a list of strings")
    return value


def _iso_date(value: object, key: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise _BadLine(f"{key} is not a YYYY-MM-DD date: {str(value)[:40]!r}") from None


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _code_links(abstract: str, comments: str | None) -> tuple[str, ...]:
    """Scan only text that can hold a repository URL: the full scan is slow per line."""
    text = f"{abstract} {comments}" if comments else abstract
    if "/" not in text:
        return ()
    lowered = text.lower()
    if "github.com/" not in lowered and "gitlab.com/" not in lowered:
        return ()
    return find_code_links(abstract, comments)


def _kaggle_authors(data: dict[str, Any]) -> tuple[Author, ...]:
    parsed = data.get("authors_parsed")
    if parsed is None:
        return tuple(Author(name) for name in _split_author_string(data))
    if not isinstance(parsed, list):
        raise _BadLine("authors_parsed must be a list")
    return tuple(Author(_join_name_parts(parts)) for parts in parsed)


def _join_name_parts(parts: object) -> str:
    """``[last, first, suffix]`` → ``"first last suffix"``, as the paper prints it."""
    if not isinstance(parts, list) or not all(isinstance(part, str) for part in parts):
        raise _BadLine("authors_parsed entries must be lists of strings")
    last, first, suffix = [*parts, "", "", ""][:3]
    name = _collapse(f"{first} {last} {suffix}")
    if not name:
        raise _BadLine("an author in authors_parsed has no name")
    return name


def _split_author_string(data: dict[str, Any]) -> list[str]:
    text = _collapse(_optional_str(data, "authors") or "")
    names = [part.strip() for part in text.replace(" and ", ", ").split(",")]
    return [name for name in names if name]


def _versions(value: object) -> tuple[int | None, date | None, date | None]:
    """Latest version number, the day of v1 and the day of the latest version."""
    if value is None:
        return None, None, None
    if not isinstance(value, list) or not value:
        raise _BadLine("versions must be a non-empty list")
    numbered = sorted(_version_entry(entry) for entry in value)
    return numbered[-1][0], numbered[0][1], numbered[-1][1]


def _version_entry(entry: object) -> tuple[int, date]:
    if not isinstance(entry, dict):
        raise _BadLine("a versions entry is not an object")
    label, created = entry.get("version"), entry.get("created")
    if not isinstance(label, str) or not label[1:].isdigit() or label[:1] != "v":
        raise _BadLine(f"bad version label {str(label)[:20]!r}")
    if not isinstance(created, str):
        raise _BadLine(f"version {label} has no created date")
    try:
        when = email.utils.parsedate_to_datetime(created)
    except (TypeError, ValueError):
        raise _BadLine(f"version {label} has a bad created date {created[:40]!r}") from None
    return int(label[1:]), when.date()
