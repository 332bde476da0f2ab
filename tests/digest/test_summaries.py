"""Digests show each paper's TL;DR and keywords (Hugging Face's labelled as its own),
escaped in HTML, in both parts of the mail."""

from __future__ import annotations

from dataclasses import replace

from paperfeed.digest.links import DigestLinks
from paperfeed.digest.settings import DigestSettings
from tests.digest.test_render import HOSTILE, render, stored
from tests.factories import make_hf

TLDR = "We propose a rewiring method for heterophilous graphs."


def test_the_digest_shows_our_tldr_and_keywords(links: DigestLinks, digest: DigestSettings) -> None:
    paper = replace(stored(), tldr=TLDR, keywords=("graph rewiring", "heterophily"))
    message = render(links, digest, paper, "matches your topic")
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert f"TL;DR: {TLDR}" in text and "Keywords: graph rewiring, heterophily" in text
    assert TLDR in html and "graph rewiring &#183; heterophily" in html  # ASCII-only HTML


def test_hugging_faces_summary_is_shown_as_hugging_faces(
    links: DigestLinks, digest: DigestSettings
) -> None:
    paper = replace(
        stored(hf=make_hf(ai_summary="Hugging Face's sentence.", ai_keywords=("hf kw",))),
        tldr=TLDR,
    )
    message = render(links, digest, paper, "trending")
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Hugging Face: Hugging Face's sentence." in text and TLDR not in text
    assert "Keywords: hf kw" in text


def test_a_hostile_tldr_is_escaped_in_html(links: DigestLinks, digest: DigestSettings) -> None:
    paper = replace(stored(), tldr=HOSTILE, keywords=(HOSTILE,))
    message = render(links, digest, paper, "trending")
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "Bcc" not in str(message.keys())
