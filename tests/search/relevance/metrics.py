"""Ranking metrics over graded results (0 miss, 1 partial, 2 good), pure.

`grades` are the grades of the results in the order shown; `ideal` the grades of every listing
the search could have returned, in any order (the best possible ranking is built from them).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import fmean


def precision_at_k(
    grades: Sequence[int], k: int, relevant: int = 2, available: int | None = None
) -> float:
    """The share of the first k places holding a result graded `relevant` or better; a place
    left empty (fewer than k results) counts as a miss. Given `available`, how many such
    listings exist, the share is of min(k, available) places, so a query with fewer than k
    right answers can still score 1 (and one with none scores 0)."""
    if k < 1:
        raise ValueError("k must be at least 1")
    places = k if available is None else min(k, available)
    if places == 0:
        return 0.0
    return sum(1 for grade in grades[:k] if grade >= relevant) / places


def dcg_at_k(grades: Sequence[int], k: int) -> float:
    """Discounted cumulative gain: gain 2^grade - 1, discounted by log2(position + 1)."""
    return sum((2.0**grade - 1) / math.log2(place + 2) for place, grade in enumerate(grades[:k]))


def ndcg_at_k(grades: Sequence[int], ideal: Sequence[int], k: int) -> float:
    """DCG of the results over DCG of the best ranking of `ideal`; 0 when nothing is relevant."""
    best = dcg_at_k(sorted(ideal, reverse=True), k)
    return dcg_at_k(grades, k) / best if best > 0 else 0.0


def mean(values: Sequence[float]) -> float:
    return fmean(values) if values else 0.0
