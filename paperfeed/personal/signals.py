"""What a reader does that teaches their model, and how much each act counts.

Positives pull the model towards a paper, negatives push it away. A "not for me" is as
strong as a "more like this"; a paper shown many times and never opened is a weak
negative (it may simply have been missed). Follows are priors, not papers: they live in
``ReaderModel.follows``.
"""

from __future__ import annotations

from enum import StrEnum


class Signal(StrEnum):
    LIBRARY = "library"
    SAVE = "save"
    UPVOTE = "upvote"
    MORE = "more"
    LESS = "less"
    IGNORED = "ignored"


WEIGHT: dict[Signal, float] = {
    Signal.LIBRARY: 1.0,
    Signal.SAVE: 1.0,
    Signal.UPVOTE: 0.8,
    Signal.MORE: 1.5,
    Signal.LESS: -1.5,
    Signal.IGNORED: -0.1,
}

PHRASE: dict[Signal, str] = {
    Signal.LIBRARY: "which is in your library",
    Signal.SAVE: "which you saved",
    Signal.UPVOTE: "which you upvoted",
    Signal.MORE: "which you asked more of",
}
"""How a reason names the act that made a paper a positive: "like 'X', which you saved"."""


def is_positive(signal: Signal) -> bool:
    return WEIGHT[signal] > 0
