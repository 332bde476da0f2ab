"""Cleaning a record: control characters dropped, abstracts capped, clean papers untouched."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from paperfeed.papers.clean import (
    CONTROL_CHARACTERS,
    MAX_ABSTRACT_CHARS,
    clean_paper,
    cut_text,
    drop_controls,
    has_controls,
)
from tests.factories import make_hf, make_paper


@given(st.text())
def test_dropping_controls_leaves_none_and_keeps_everything_else(text: str) -> None:
    cleaned = drop_controls(text)
    assert not CONTROL_CHARACTERS.search(cleaned)
    assert not has_controls(cleaned)
    assert has_controls(text) == (cleaned != text)
    assert cleaned == "".join(c for c in text if not CONTROL_CHARACTERS.match(c))


@given(st.text(), st.integers(min_value=10, max_value=500))
def test_cut_text_stays_within_its_limit(text: str, limit: int) -> None:
    cut = cut_text(text, limit)
    assert len(cut) <= limit
    assert cut == text or cut.endswith("…")


def test_a_clean_paper_comes_back_as_it_was() -> None:
    paper = make_paper(hf=make_hf(ai_summary="Fine\ttext\nwith lines."))
    assert clean_paper(paper).paper is paper


def test_every_text_field_is_cleaned() -> None:
    paper = make_paper(
        title="T\x00itle",
        comments="12 pages\x1b",
        categories=("cs.LG\x00",),
        hf=make_hf(ai_summary="sum\x85mary", ai_keywords=("key\x07",), submitter="ak\x00"),
        abstract="A" * (MAX_ABSTRACT_CHARS + 5),
    )
    cleaned = clean_paper(paper)
    assert cleaned.abstract_cut_from == MAX_ABSTRACT_CHARS + 5
    p = cleaned.paper
    assert (p.title, p.comments, p.categories) == ("Title", "12 pages", ("cs.LG",))
    assert p.hf is not None
    assert (p.hf.ai_summary, p.hf.ai_keywords, p.hf.submitter) == ("summary", ("key",), "ak")
    assert len(p.abstract) <= MAX_ABSTRACT_CHARS
