"""split_sentences: abstracts cut where a reader would cut them, never losing text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperfeed.summaries import split_sentences

CASES = [
    (
        "We use e.g. transformers, i.e. attention. Results improve by 3.5 points. "
        "Smith et al. showed this in Fig. 3. Next sentence.",
        [
            "We use e.g. transformers, i.e. attention.",
            "Results improve by 3.5 points.",
            "Smith et al. showed this in Fig. 3.",
            "Next sentence.",
        ],
    ),
    (
        "The loss is $L = \\sum_i x_i. y$ and we show $a.b$ holds. We also test Eq. (2). "
        "Finally, see Sec. 4.1 and compare vs. baselines.",
        [
            "The loss is $L = \\sum_i x_i. y$ and we show $a.b$ holds.",
            "We also test Eq. (2).",
            "Finally, see Sec. 4.1 and compare vs. baselines.",
        ],
    ),
    (
        "We reach 95.3% accuracy on CIFAR-10.We outperform prior work! Does it scale? Yes.",
        [
            "We reach 95.3% accuracy on CIFAR-10.",
            "We outperform prior work!",
            "Does it scale?",
            "Yes.",
        ],
    ),
    (
        "The results (see App. A) are robust. The main result is Thm. 2. It holds.",
        ["The results (see App. A) are robust.", "The main result is Thm. 2.", "It holds."],
    ),
    (
        "This conjecture was laid out by Sagun et. al. (2016) in a note. We test it.",
        ["This conjecture was laid out by Sagun et. al. (2016) in a note.", "We test it."],
    ),
    (
        "Code is at https://github.com/org/Repo.Name and in the appendix. We thank the reviewers.",
        [
            "Code is at https://github.com/org/Repo.Name and in the appendix.",
            "We thank the reviewers.",
        ],
    ),
    (
        "k-means is a classic. iRNN exhibits identity gradients. fMRI data was parcellated.",
        [
            "k-means is a classic.",
            "iRNN exhibits identity gradients.",
            "fMRI data was parcellated.",
        ],
    ),
    (
        "Nous proposons une méthode. Elle marche bien.",
        ["Nous proposons une méthode.", "Elle marche bien."],
    ),
    ("我们提出了一种方法。它很好。", ["我们提出了一种方法。", "它很好。"]),
    ("  one sentence without a full stop  ", ["one sentence without a full stop"]),
    ("", []),
    ("   \n\t ", []),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_abstracts_split_where_a_reader_would(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_a_long_abstract_splits_quickly() -> None:
    sentence = "We study the effect of $x_i$ on the loss (see Fig. 2) in detail. "
    sentences = split_sentences(sentence * 1_500)  # about 100 KB
    assert len(sentences) == 1_500
    assert sentences[0] == sentence.strip()


def test_an_unclosed_bracket_does_not_swallow_the_abstract() -> None:
    text = "We open a bracket (and never close it. " + "Then we go on. " * 400
    assert len(split_sentences(text)) > 300


PROSE = st.text(
    alphabet=st.sampled_from(
        [*list("abcxyzABCXYZ019 .,;:!?()[]{}$-'\"\n\t"), "é", "。", "ℝ", "\u200b"]
    ),
    max_size=400,
)


@settings(max_examples=150, deadline=None)
@given(PROSE)
def test_splitting_loses_no_text_and_keeps_its_order(text: str) -> None:
    sentences = split_sentences(text)
    assert "".join("".join(sentences).split()) == "".join(text.split())


@settings(max_examples=150, deadline=None)
@given(PROSE)
def test_sentences_are_stripped_and_not_empty(text: str) -> None:
    for sentence in split_sentences(text):
        assert sentence
        assert sentence == " ".join(sentence.split())


# Words of two letters or more: sentencex reads "of size n. We" as an initial, not an end.
WORDS = ("model", "network", "graph", "learning", "data", "we", "show", "the", "loss", "of")
SENTENCE = st.lists(st.sampled_from(WORDS), min_size=3, max_size=12).map(
    lambda words: " ".join(words).capitalize() + "."
)


@settings(max_examples=100, deadline=None)
@given(st.lists(SENTENCE, min_size=1, max_size=8))
def test_plain_sentences_come_back_one_by_one(sentences: list[str]) -> None:
    assert split_sentences(" ".join(sentences)) == sentences
