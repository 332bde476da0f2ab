"""Sums of exponentials kept as logarithms, so decayed scores never overflow.

A trending key is ``ln(sum of w * a * e^(lambda * (t - t0))``. The exponent grows with
time without bound (at a 12-hour half-life it passes 700, the limit of a double, within
a year), but its logarithm stays a modest number: adding a term is a log-sum-exp, and
no stored value ever needs rescaling.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

NEGLIGIBLE = 1e-12
"""A sum smaller than this fraction of its largest term is taken as zero (cancellation)."""


def merge_log_terms(current: float | None, terms: Iterable[tuple[int, float]]) -> float | None:
    """``ln(e^current + sum(sign * e^magnitude))``; ``None`` stands for an empty sum.

    Withdrawals arrive as negative terms that cancel an earlier positive one exactly;
    a result that is zero up to rounding becomes ``None``.
    """
    signed = [(sign, magnitude) for sign, magnitude in terms if magnitude != -math.inf]
    magnitudes = [m for _, m in signed]
    if current is not None:
        magnitudes.append(current)
    if not magnitudes:
        return current
    pivot = max(magnitudes)
    total = math.exp(current - pivot) if current is not None else 0.0
    for sign, magnitude in signed:
        total += sign * math.exp(magnitude - pivot)
    if total <= NEGLIGIBLE:
        return None
    return pivot + math.log(total)


def merge_log_terms_many(
    current: npt.NDArray[np.float64],
    rows: npt.NDArray[np.intp],
    signs: npt.NDArray[np.float64],
    magnitudes: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """``merge_log_terms`` for a whole batch at once, one row per paper, one column per
    view: term ``i`` (``signs[i] * e^magnitudes[i]``) is added to row ``rows[i]``.

    ``-inf`` stands for an empty sum, in ``current`` and in the result alike; terms are
    added in order, as the one-paper version adds them, so both give the same keys.
    """
    pivot = current.copy()
    np.maximum.at(pivot, rows, magnitudes)
    with np.errstate(invalid="ignore", over="ignore"):
        total = np.where(current > -np.inf, np.exp(current - pivot), 0.0)
        terms = np.where(
            magnitudes > -np.inf, signs[:, None] * np.exp(magnitudes - pivot[rows]), 0.0
        )
        np.add.at(total, rows, terms)
        present = (total > NEGLIGIBLE) & (pivot > -np.inf)
        return np.where(present, pivot + np.log(np.where(present, total, 1.0)), -np.inf)
