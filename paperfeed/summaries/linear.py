"""The small linear models the TL;DR and keyword steps score with, read from JSON.

A model is a bias and one weight per named feature; features are sparse ``{name: value}``
dicts, so a model trained with more or fewer features still loads (a missing weight is
zero). Pure Python: scoring a few hundred candidates takes well under a millisecond, and
ingest needs no numpy.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from importlib import resources
from typing import Literal

__all__ = ["Features", "LinearModel", "load_model"]

Features = dict[str, float]
Link = Literal["identity", "logistic"]


@dataclass(frozen=True, slots=True)
class LinearModel:
    """``link(bias + sum(weight[name] * value))`` over a sparse feature dict."""

    weights: dict[str, float]
    bias: float
    link: Link = "identity"

    def score(self, features: Features) -> float:
        weight = self.weights.get
        total = self.bias
        for name, value in features.items():
            total += weight(name, 0.0) * value
        return self.link_value(total)

    def link_value(self, total: float) -> float:
        """The link function applied to a weighted sum."""
        if self.link == "logistic":
            return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, total))))
        return total

    def to_json(self) -> dict[str, object]:
        return {"link": self.link, "bias": self.bias, "weights": self.weights}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> LinearModel:
        link = data.get("link", "identity")
        if link not in ("identity", "logistic"):
            raise ValueError(f"unknown link {link!r}")
        weights = data.get("weights")
        if not isinstance(weights, dict):
            raise ValueError("a model needs a 'weights' object")
        return cls(
            weights={str(k): float(v) for k, v in weights.items()},
            bias=float(data.get("bias", 0.0)),  # type: ignore[arg-type]
            link=link,
        )


def load_model(name: str, part: str) -> LinearModel:
    """The model ``part`` of the shipped file ``paperfeed/summaries/data/<name>.json``."""
    text = (
        resources.files("paperfeed.summaries")
        .joinpath("data", f"{name}.json")
        .read_text(encoding="utf-8")
    )
    data = json.loads(text)
    return LinearModel.from_json(data[part])
