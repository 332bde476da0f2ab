"""arXiv ids in every form users and feeds write them."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from paperfeed.papers.ids import ArxivId, InvalidArxivId, find_arxiv_id, is_arxiv_id, parse_arxiv_id


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2503.14603", ArxivId("2503.14603")),
        ("2503.14603v2", ArxivId("2503.14603", 2)),
        ("arXiv:2503.14603v12", ArxivId("2503.14603", 12)),
        ("0704.0001", ArxivId("0704.0001")),
        ("1412.4448", ArxivId("1412.4448")),
        ("hep-th/9108028", ArxivId("hep-th/9108028")),
        ("arXiv:hep-th/9108028v1", ArxivId("hep-th/9108028", 1)),
        ("math.GT/0309136", ArxivId("math/0309136")),
        ("https://arxiv.org/abs/2503.14603v2", ArxivId("2503.14603", 2)),
        ("http://arxiv.org/pdf/1412.4448v1.pdf", ArxivId("1412.4448", 1)),
        ("https://export.arxiv.org/abs/astro-ph/0601001", ArxivId("astro-ph/0601001")),
        ("oai:arXiv.org:0704.0001", ArxivId("0704.0001")),
        ("  2112.12345\n", ArxivId("2112.12345")),
    ],
)
def test_parses_every_written_form(text: str, expected: ArxivId) -> None:
    assert parse_arxiv_id(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "1501.0001",
        "1412.44481",
        "0701.0001",
        "2513.00001",
        "2503.14603v0",
        "foo/9108028",
        "hep-th/91080",
        "2503.14603 2503.14604",
        "0000.0000",
    ],
)
def test_rejects_what_is_not_an_id(text: str) -> None:
    with pytest.raises(InvalidArxivId):
        parse_arxiv_id(text)
    assert not is_arxiv_id(text)


def test_finds_an_id_inside_text() -> None:
    assert find_arxiv_id("see arXiv:2112.12345v3 for details") == ArxivId("2112.12345", 3)
    assert find_arxiv_id("https://arxiv.org/abs/hep-th/9108028.") == ArxivId("hep-th/9108028")
    assert find_arxiv_id("version 1.2345 of 12.34567") is None
    assert find_arxiv_id("x12503.14603") is None


@given(
    yy=st.integers(7, 99),
    mm=st.integers(1, 12),
    num=st.integers(0, 99999),
    version=st.none() | st.integers(1, 999),
)
def test_new_style_ids_roundtrip(yy: int, mm: int, num: int, version: int | None) -> None:
    assume(yy * 100 + mm >= 704)  # new-style ids began in April 2007
    digits = 5 if yy * 100 + mm >= 1501 else 4
    if num >= 10**digits:
        num %= 10**digits
    canonical = f"{yy:02d}{mm:02d}.{num:0{digits}d}"
    text = canonical + (f"v{version}" if version else "")
    parsed = parse_arxiv_id(text)
    assert parsed == ArxivId(canonical, version)
    assert str(parsed) == text
    assert find_arxiv_id(f"paper {text} is good") == parsed


@given(st.text(max_size=60))
def test_any_text_parses_or_raises_the_documented_error(text: str) -> None:
    try:
        parsed = parse_arxiv_id(text)
    except InvalidArxivId:
        return
    assert parse_arxiv_id(str(parsed)) == parsed
