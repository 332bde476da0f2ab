"""Library import: every format matched to the store, and hostile files refused whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from paperfeed.personal.library_import import MAX_BYTES, LibraryImportError, detect_format
from paperfeed.personal.readers import import_library, reader_account
from paperfeed.store import PaperStore
from tests.personal.conftest import EQUIVARIANT

LIBRARY = Path(__file__).parents[1] / "fixtures" / "personal" / "library"
NOT_STORED = "A Treatise on Papers Nobody Stored"


def library_of(store: PaperStore, account: int) -> set[str]:
    return {e.paper_id for e in store.profile(account).events if e.kind == "library"}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("library.bib", {EQUIVARIANT[0], EQUIVARIANT[1], EQUIVARIANT[3]}),
        ("library.ris", {EQUIVARIANT[0], EQUIVARIANT[2], EQUIVARIANT[3]}),
        ("library.json", {EQUIVARIANT[1], EQUIVARIANT[2], EQUIVARIANT[3]}),
    ],
)
def test_each_export_format_matches_by_id_doi_and_title(
    demo_store: PaperStore, name: str, expected: set[str]
) -> None:
    account = reader_account(demo_store, "ada@example.org")
    result = import_library(demo_store, account, (LIBRARY / name).read_bytes())
    assert result.matched == 3
    assert result.unmatched == (NOT_STORED,)
    assert library_of(demo_store, account) == expected


def test_a_list_of_ids_urls_and_dois(demo_store: PaperStore) -> None:
    account = reader_account(demo_store, "ada@example.org")
    result = import_library(demo_store, account, (LIBRARY / "ids.txt").read_bytes(), "ids")
    assert library_of(demo_store, account) == set(EQUIVARIANT)
    assert result.unmatched == ("2501.99999", "not an identifier at all")


def test_importing_again_adds_nothing_new(demo_store: PaperStore) -> None:
    account = reader_account(demo_store, "ada@example.org")
    data = (LIBRARY / "library.bib").read_bytes()
    assert import_library(demo_store, account, data).added == 3
    again = import_library(demo_store, account, data)
    assert (again.matched, again.added) == (3, 0)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"@misc{ok, eprint = {2111.11840}}\n@article{a, title = {Unclosed\n", "malformed"),
        ("@article{a, title = {Caf\xe9}}\n".encode("latin-1"), "not UTF-8"),
        (b'[{"title": "half', "not valid JSON"),
        (b'{"items": 3}', "not a list"),
        (
            b"TY  - JOUR\nUR  - https://arxiv.org/abs/2111.11840\nER  - \n\n"
            b"TY  - JOUR\nTI  - No end\n",
            "malformed",
        ),
        (b"\x00\x01\x02binary", "binary"),
        (b"   \n# only a comment\n", "no entries"),
        (b"2111.11840\n" * (MAX_BYTES // 10), "MiB"),
    ],
)
def test_hostile_files_are_refused_and_change_nothing(
    demo_store: PaperStore, data: bytes, message: str
) -> None:
    account = reader_account(demo_store, "ada@example.org")
    with pytest.raises(LibraryImportError, match=message):
        import_library(demo_store, account, data)
    assert library_of(demo_store, account) == set()


def test_formats_are_recognised_from_the_content() -> None:
    assert detect_format((LIBRARY / "library.bib").read_text()) == "bibtex"
    assert detect_format((LIBRARY / "library.ris").read_text()) == "ris"
    assert detect_format((LIBRARY / "library.json").read_text()) == "csl-json"
    assert detect_format((LIBRARY / "ids.txt").read_text()) == "ids"
