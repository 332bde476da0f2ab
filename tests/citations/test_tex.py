"""LaTeX made safe for BibTeX: balanced, escaped, math and capitals kept."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pylatexenc.latex2text import LatexNodes2Text

from paperfeed.citations.tex import bibtex_text, bibtex_title, braces_balance
from tests.citations.conftest import HOSTILE_TITLES


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("Revisiting Deep Learning", "Revisiting Deep Learning"),
        ("BERT and ImageNet in 3D", "{BERT} and {ImageNet} in {3D}"),
        (r"Bounds for $\alpha$-Nets", r"Bounds for {$\alpha$}-Nets"),
        ("100% & #1", r"100\% \& \#1"),
        ("{Unbalanced", "Unbalanced"),
        ("early} close", "early close"),
        ("an unclosed $ sign", r"an unclosed \$ sign"),
        ("Schrödinger", r"Schr{\"o}dinger"),
        (r"\'Ecole", r"\'Ecole"),
        (r"$$E=mc^2$$ and \(x\)", r"{$E=mc^2$} and {$x$}"),
        (r"a \{set\}", r"a \textbraceleft{}set\textbraceright{}"),
        ("ends with \\", r"ends with \textbackslash{}"),
        ("snake_case x^2", r"snake\_case x\^{}2"),
    ],
)
def test_titles(source: str, expected: str) -> None:
    assert bibtex_title(source) == expected


def test_math_keeps_its_scripts_and_escapes_comment_signs() -> None:
    assert bibtex_title(r"$x_i^2 \% 5%$") == r"{$x_i^2 \% 5\%$}"


def test_scripts_without_latex_macros_stay_utf8() -> None:
    assert bibtex_title("深度学习 למידה") == "深度学习 למידה"


@pytest.mark.parametrize("source", HOSTILE_TITLES)
def test_hostile_titles_read_back_as_the_same_words(source: str) -> None:
    """What a reader sees (LaTeX rendered to text) keeps every word of the title."""
    value = bibtex_title(source)
    assert braces_balance(value)
    text = LatexNodes2Text(math_mode="verbatim").latex_to_text(value)
    for word in ("title", "math", "accents", "BERT", "中文标题", "backslash"):
        if word in source:
            assert word in text


@given(st.text(max_size=200))
def test_any_title_balances_and_leaves_no_comment_or_alignment_sign(source: str) -> None:
    value = bibtex_title(source)
    assert braces_balance(value)
    for sign in "%&#":
        assert value.count(sign) == value.count("\\" + sign)


@given(st.text(max_size=200))
def test_any_plain_text_balances_and_escapes_every_special(text: str) -> None:
    value = bibtex_text(text)
    assert braces_balance(value)
    for sign in "%&#$_":
        assert value.count(sign) == value.count("\\" + sign)
