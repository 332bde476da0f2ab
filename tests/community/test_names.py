"""Display names: nothing invisible or text-reordering, and no one passes for another."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperfeed.community.names import (
    FALLBACK,
    DisplayNameError,
    account_tag,
    check_display_name,
    name_from_email,
)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Ada Lovelace", "Ada Lovelace"),
        ("  Ada \t L.  ", "Ada L."),
        ("José Ñúñez", "José Ñúñez"),
        ("Zoë O'Brien-Smith", "Zoë O'Brien-Smith"),
        ("李雷", "李雷"),
        ("محمد علي", "محمد علي"),
        ("Ａｄａ", "Ada"),  # fullwidth letters are plain letters
        ("Ada\u00a0Lovelace", "Ada Lovelace"),
        ("R2-D2", "R2-D2"),
    ],
)
def test_real_names_are_kept(typed: str, stored: str) -> None:
    assert check_display_name(typed) == stored


@pytest.mark.parametrize(
    "typed",
    [
        "\u202eecilA",  # right-to-left override: shows as "Alice"
        "Ada\u202c",
        "Ada\u2066 x\u2069",  # bidi isolates
        "Ad\u200ba",  # zero-width space
        "Ad\u200da",  # zero-width joiner
        "\ufeffAda",  # byte order mark
        "Ada\u2060",  # word joiner
        "Ada\u00ad",  # soft hyphen
        "Ada\U000e0041",  # tag character
        "Ada\u3164",  # Hangul filler: a blank that is a "letter"
        "\u2800",  # blank Braille pattern
        "Ada\ufe0f",  # variation selector
        "Ada\x00",
        "Ada\x1b[31m",
        "Ada\ue000",  # private use
        "Ada\u0378",  # unassigned
        "Ada\u0300\u0301\u0302\u0303",  # stacked marks
        "Ada #17",  # passing for account 17
        "...",
        "",
        "   ",
        "x" * 41,
    ],
)
def test_names_that_hide_or_pretend_are_refused(typed: str) -> None:
    with pytest.raises(DisplayNameError):
        check_display_name(typed)


@given(st.text(max_size=60))
def test_an_accepted_name_is_visible_and_stable(typed: str) -> None:
    try:
        name = check_display_name(typed)
    except DisplayNameError:
        return
    assert check_display_name(name) == name
    assert 1 <= len(name) <= 40 and name == name.strip()
    assert not any(c in name for c in "\u202e\u200b\u200d\ufeff\x00#")


def test_a_first_name_comes_from_the_address_when_it_can() -> None:
    assert name_from_email("ada.lovelace@example.org") == "ada.lovelace"
    assert name_from_email("#1@example.org") == FALLBACK


def test_the_tag_is_the_account_number() -> None:
    assert account_tag(17) == "#17"
