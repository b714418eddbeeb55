"""The one percentile definition every cnnviz benchmark reports: nearest rank.

A "p95" in cnnviz's figures is the nearest-rank 95th percentile: sort the n values and take the
one at rank ⌈0.95 · n⌉ (counting from 1). It is always a value that was actually measured (no
interpolation between two runs), it never understates the tail, and it is what load-testing tools
report. "Median" is the ordinary median (the mean of the two middle values when n is even);
a "p50" is the nearest-rank 50th percentile, which may differ from it by half a step.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of ``values``: the value at rank ⌈fraction · n⌉ once sorted.

    Parameters
    ----------
    values : sequence of float
        The measurements, in any order; at least one.
    fraction : float
        Which percentile, as a fraction in (0, 1]: 0.95 for p95, 0.5 for p50.

    Returns
    -------
    float
        One of ``values``.

    Raises
    ------
    ValueError
        If ``values`` is empty or ``fraction`` is outside (0, 1].

    Examples
    --------
    >>> percentile([5.0, 1.0, 4.0, 2.0, 3.0], 0.95)  # rank ⌈4.75⌉ = 5
    5.0
    >>> percentile([5.0, 1.0, 4.0, 2.0, 3.0], 0.5)  # rank ⌈2.5⌉ = 3
    3.0
    >>> percentile(range(1, 11), 0.7)  # rank 7, though 0.7 · 10 is 7.000000000000001
    7
    """
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1] (0.95 for p95), got {fraction}")
    ordered = sorted(values)
    if not ordered:
        raise ValueError("percentile of no values: measure at least once")
    rank = math.ceil(round(fraction * len(ordered), 9))  # round: 0.7 · 10 is 7.000000000000001
    return ordered[max(rank, 1) - 1]
