"""Highlights mark the query's words (and their inflections) and nothing else."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from paperfeed.search.highlight import Matcher, highlight, snippet


def test_inflections_of_query_words_are_marked() -> None:
    runs = highlight(
        "Transformation Invariant Networks", Matcher(["transformations", "invariance"])
    )
    assert runs == [
        ("Transformation", True),
        (" ", False),
        ("Invariant", True),
        (" Networks", False),
    ]


def test_prefix_terms_mark_longer_words() -> None:
    runs = highlight("equivariant and equal", Matcher([], ["equi"]))
    assert [t for t, marked in runs if marked] == ["equivariant"]


def test_snippet_shows_the_matches_with_ellipses() -> None:
    text = "filler " * 100 + "a sentence about invariance here " + "tail " * 100
    runs = snippet(text, Matcher(["invariance"]), chars=80)
    assert runs[0] == ("… ", False) or runs[0][0].startswith("… ")
    assert ("invariance", True) in runs
    assert runs[-1][0].endswith(" …")


@given(st.text(max_size=500), st.lists(st.text(min_size=1, max_size=10), max_size=4))
def test_runs_reassemble_the_text(text: str, words: list[str]) -> None:
    assert "".join(t for t, _ in highlight(text, Matcher(words))) == text


def test_a_query_word_with_no_letters_left_marks_nothing() -> None:
    # A lone combining accent stems to nothing: it must neither fail nor mark a word.
    matcher = Matcher(["\u0300", "graph"])
    assert highlight("Graph \u0300 networks", matcher) == [
        ("Graph", True),
        (" \u0300 networks", False),
    ]
