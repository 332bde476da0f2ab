"""The query language: operators are understood, anything else is plain text."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from paperfeed.search.query import QueryTerm, parse_query


def test_free_words_phrases_prefixes_and_operators() -> None:
    parsed = parse_query(
        '"graph neural" trans* author:"Yann LeCun" cat:cs.LG since:2024-01 until:2024 -noise'
    )
    assert parsed.phrases == (("graph", "neural"),)
    assert parsed.terms == (QueryTerm(("trans",), prefix=True),)
    assert parsed.authors == (("yann", "lecun"),)
    assert parsed.category == "cs.LG"
    assert parsed.since == date(2024, 1, 1)
    assert parsed.until == date(2024, 12, 31)
    assert parsed.excluded == (("noise",),)
    assert parsed.text == "graph neural trans*"


def test_unknown_operators_and_bad_values_are_plain_words() -> None:
    parsed = parse_query("title:attention since:yesterday category:'; DROP TABLE papers")
    assert parsed.since is None and parsed.category is None
    words = [w for t in parsed.terms for w in t.words]
    assert words[:3] == ["title", "attention", "since"]
    assert "drop" in words and "papers" in words


def test_unbalanced_quote_and_fts5_syntax_are_words() -> None:
    parsed = parse_query('NEAR(a b) AND "unbalanced OR ^x')
    words = [w for t in parsed.terms for w in t.words]
    assert words == ["near", "a", "b", "and", "unbalanced", "or", "x"]


def test_math_alphabets_fold_to_plain_letters() -> None:
    assert parse_query("𝒪(n) in ℝ").text == "O(n) in R"


def test_hyphenated_word_is_one_term_of_several_pieces() -> None:
    assert parse_query("self-supervised").terms == (QueryTerm(("self", "supervised")),)


def test_until_month_ends_on_its_last_day() -> None:
    assert parse_query("until:2024-02").until == date(2024, 2, 29)
    assert parse_query("since:2024-13-01").since is None


@given(st.text(max_size=300))
def test_any_text_parses(text: str) -> None:
    parsed = parse_query(text)
    for term in parsed.terms:
        assert term.words and all(w for w in term.words)


def test_a_pasted_sentence_has_no_required_phrase_or_exclusion() -> None:
    parsed = parse_query(
        'We obtain the splitting of the bands -due to spin symmetry breaking- and a "fifth force"'
    )
    assert parsed.phrases == () and parsed.excluded == ()
    words = [w for t in parsed.terms for w in t.words]
    assert {"due", "fifth", "force"} <= set(words)
    assert parse_query(
        "the notion of catalytic force in a sentence of ten words author:lecun"
    ).authors == (("lecun",),)


def test_a_short_query_keeps_its_phrases_and_exclusions() -> None:
    parsed = parse_query('"catalytic force" sliding friction -review')
    assert parsed.phrases == (("catalytic", "force"),)
    assert parsed.excluded == (("review",),)


def test_a_minus_before_a_number_is_a_negative_number() -> None:
    parsed = parse_query("bias -0.005 offset -.5 -noise")
    assert parsed.excluded == (("noise",),)
    assert [w for t in parsed.terms for w in t.words] == ["bias", "0", "005", "offset", "5"]
