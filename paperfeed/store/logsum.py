"""Sums of exponentials kept as logarithms, so decayed scores never overflow.

A trending key is ``ln(sum of w * a * e^(lambda * (t - t0))``. The exponent grows with
time without bound (at a 12-hour half-life it passes 700, the limit of a double, within
a year), but its logarithm stays a modest number: adding a term is a log-sum-exp, and
no stored value ever needs rescaling.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

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
