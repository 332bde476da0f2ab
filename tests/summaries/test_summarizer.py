"""Summarizer: a sensible TL;DR and keywords for real and odd abstracts, never an error."""

from __future__ import annotations

import gzip
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import paperfeed
from paperfeed.papers.latex import latex_to_text
from paperfeed.summaries import MAX_KEYWORDS, MIN_KEYWORDS, Summarizer, Summary, summarize
from paperfeed.summaries.words import WORD, word_key

DEMO = Path(paperfeed.__file__).parent / "demo" / "papers.jsonl.gz"


def demo_papers() -> list[dict[str, str]]:
    with gzip.open(DEMO, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    return [
        {"title": latex_to_text(r["title"]), "abstract": latex_to_text(r["abstract"])} for r in rows
    ]


def keys(text: str) -> set[str]:
    return {word_key(w) for w in WORD.findall(text)}


@pytest.fixture(scope="module")
def demo() -> list[dict[str, str]]:
    return demo_papers()


def test_every_demo_paper_gets_one_sentence_from_its_abstract_and_keywords(
    demo: list[dict[str, str]],
) -> None:
    summarizer = Summarizer()
    for paper in demo:
        summary = summarizer.summarize(paper["title"], paper["abstract"])
        assert summary.tldr, paper["title"]
        assert 3 <= len(WORD.findall(summary.tldr)) <= 120
        # Extracted, never invented: every word of the TL;DR is a word of the abstract.
        assert keys(summary.tldr) <= keys(paper["abstract"]), summary.tldr
        assert MIN_KEYWORDS <= len(summary.keywords) <= MAX_KEYWORDS, paper["title"]
        text_keys = keys(f"{paper['title']} {paper['abstract']}")
        for keyword in summary.keywords:
            assert keys(keyword) <= text_keys, keyword
            assert keyword == keyword.strip() and "  " not in keyword
        assert len({k.lower() for k in summary.keywords}) == len(summary.keywords)


def test_a_known_paper_reads_as_a_person_would_expect(demo: list[dict[str, str]]) -> None:
    paper = next(
        p for p in demo if p["title"].startswith("Knowledge Graph Embedding by Normalizing")
    )
    summary = summarize(paper["title"], paper["abstract"])
    assert summary.tldr.startswith("We propose")
    assert "normalizing flows" in [k.lower() for k in summary.keywords]


def test_keywords_are_phrases_as_the_text_spells_them() -> None:
    title = "Graph Neural Networks for Molecular Property Prediction"
    abstract = (
        "Graph neural networks have become the standard tool for molecular property "
        "prediction. We propose a message passing scheme for graph neural networks that "
        "uses Gaussian edge features. On QM9, our graph neural networks reduce the error "
        "of molecular property prediction by a third. The Gaussian features are cheap."
    )
    keywords = summarize(title, abstract).keywords
    assert "graph neural networks" in keywords
    assert any("Gaussian" in k for k in keywords)  # a name keeps its capital
    assert not any(k.istitle() and " " in k for k in keywords)  # Title Case is lowercased


ODD_INPUTS = {
    "empty": ("", ""),
    "title only": ("Attention Is All You Need", ""),
    "blank": ("   ", " \n\t "),
    "one sentence": ("A Note", "We show that every planar graph is four-colourable."),
    "one word": ("X", "Hello"),
    "no full stop": ("Untitled", "we study sparse transformers on long documents and find gains"),
    "latex": (
        r"On $\mathcal{O}(n \log n)$ Sorting",
        r"We prove a bound of $\Omega(n\log n)$ for \emph{comparison} sorts, where "
        r"$f: \mathbb{R}^n \to \mathbb{R}$. Our proof uses Eq.~(\ref{eq:1}) \cite{knuth}. "
        r"Finally, $\sum_{i=1}^{n} x_i^2 \leq \frac{1}{2}$ holds.",
    ),
    "non-English": (
        "Réseaux de neurones pour la traduction",
        "Nous proposons une méthode de traduction automatique. Elle améliore le score BLEU "
        "de trois points. 我们提出了一种新方法。Мы предлагаем новый метод.",
    ),
    "hostile unicode": (
        "Bidi\u202e attack\u200b title\x00",
        "We propose\u202e a \u200bmethod\ufeff. It works\x07 on\u2028 data \udc80 and "
        "𝔽𝕆𝕆 symbols 🤖🤖. The \u0301\u0301combining marks stay harmless.",
    ),
    "only punctuation": ("...", ".... ,,,, ;;; !!! ??? (((( ))))"),
    "numbers": ("2024", "12 34 56. 7.8 9.10. 1e-5 < 3 x 10^4."),
    "html": (
        "<b>Title</b>",
        "<script>alert(1)</script> We propose <i>a</i> method. &amp; it works.",
    ),
}


@pytest.mark.parametrize("name", sorted(ODD_INPUTS))
def test_odd_inputs_give_a_sensible_summary_and_never_raise(name: str) -> None:
    title, abstract = ODD_INPUTS[name]
    summary = summarize(title, abstract)
    assert isinstance(summary, Summary)
    assert len(summary.keywords) <= MAX_KEYWORDS
    for text in (summary.tldr, *summary.keywords):
        assert text == text.strip()
        assert not any(c in text for c in "\x00\x07\u202e\u200b\ufeff\u2028\udc80")
    if not abstract.strip():
        assert summary.tldr == ""
    elif any(c.isalpha() for c in abstract):
        assert summary.tldr


def test_a_one_sentence_abstract_is_its_own_tldr() -> None:
    abstract = "We show that every planar graph is four-colourable."
    assert summarize("A Note", abstract).tldr == abstract


def test_the_tldr_drops_a_lead_in_when_the_ranker_prefers_it() -> None:
    abstract = (
        "Deep networks are widely used. However, they are hard to train. In this paper, "
        "we propose adaptive loss scaling, which removes the need to tune the loss scale "
        "for mixed precision training. Experiments show faster convergence."
    )
    tldr = summarize("Adaptive Loss Scaling for Mixed Precision Training", abstract).tldr
    assert "adaptive loss scaling" in tldr.lower()


def test_a_100_kb_abstract_is_summarised_quickly() -> None:
    import time

    sentence = (
        "We study the effect of the learning rate on the loss landscape of deep "
        "residual networks (see Fig. 2) and report the results. "
    )
    abstract = sentence * 900
    assert len(abstract) > 100_000
    start = time.perf_counter()
    summary = summarize("Learning Rates and Loss Landscapes", abstract)
    assert time.perf_counter() - start < 5.0
    assert summary.tldr and len(summary.tldr) < 400
    assert summary.keywords


class IndexStatistics:
    """Word statistics as the keyword index gives them: "network" is in every paper."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def document_frequencies(self, words: Sequence[str]) -> Mapping[str, int]:
        self.asked.extend(words)
        return {w: (1_000 if w in {"network", "graph"} else 1) for w in words}

    def document_total(self) -> int:
        return 1_000


class BrokenStatistics:
    def document_frequencies(self, words: Sequence[str]) -> Mapping[str, int]:
        raise RuntimeError("index closed")

    def document_total(self) -> int:
        return 10


def test_collection_statistics_steer_keywords_away_from_common_words() -> None:
    title = "Sparse Graph Network Pruning"
    abstract = (
        "We prune graph network weights. Sparse network pruning keeps accuracy. "
        "Graph pruning with sparse masks is cheap."
    )
    statistics = IndexStatistics()
    summarizer = Summarizer(statistics)
    keywords = summarizer.summarize(title, abstract).keywords
    assert statistics.asked  # the index was asked
    assert keywords and keywords[0].lower() not in {"network", "graph"}
    asked = len(statistics.asked)
    summarizer.summarize(title, abstract)
    assert len(statistics.asked) == asked  # cached: each word is asked for once


def test_failing_statistics_fall_back_to_the_shipped_table() -> None:
    title = "Sparse Graph Network Pruning"
    abstract = "We prune graph network weights. Sparse network pruning keeps accuracy."
    assert Summarizer(BrokenStatistics()).summarize(title, abstract) == summarize(title, abstract)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=60), st.text(max_size=600))
def test_any_text_gives_a_summary(title: str, abstract: str) -> None:
    summary = summarize(title, abstract)
    assert len(summary.keywords) <= MAX_KEYWORDS
    assert len(summary.tldr) <= len(" ".join(abstract.split())) + 1
