"""precision@k and graded nDCG@k on rankings worked out by hand."""

from __future__ import annotations

import pytest

from tests.search.relevance.metrics import dcg_at_k, mean, ndcg_at_k, precision_at_k


def test_precision_counts_good_results_in_the_first_k_places() -> None:
    assert precision_at_k([2, 0, 2, 2], 3) == pytest.approx(2 / 3)
    assert precision_at_k([1, 1, 1], 3) == 0.0  # partial results are not what was asked for
    assert precision_at_k([1, 1, 1], 3, relevant=1) == 1.0


def test_precision_counts_empty_places_as_misses() -> None:
    assert precision_at_k([2], 3) == pytest.approx(1 / 3)
    assert precision_at_k([], 3) == 0.0


def test_precision_of_a_query_with_fewer_right_answers_than_places() -> None:
    # One good listing exists: finding it first is all a search can do.
    assert precision_at_k([2, 0, 0], 3, available=1) == 1.0
    assert precision_at_k([0, 0, 2], 3, available=1) == 1.0
    assert precision_at_k([0, 2, 0], 3, available=2) == 0.5
    assert precision_at_k([2, 2, 0], 3, available=10) == pytest.approx(2 / 3)
    assert precision_at_k([0, 0, 0], 3, available=0) == 0.0


def test_precision_needs_a_place_to_count() -> None:
    with pytest.raises(ValueError, match="k must be at least 1"):
        precision_at_k([2], 0)


def test_dcg_gains_two_to_the_grade_minus_one_discounted_by_log_position() -> None:
    # 3 / log2(2) + 0 / log2(3) + 1 / log2(4) = 3 + 0 + 0.5
    assert dcg_at_k([2, 0, 1], 10) == pytest.approx(3.5)
    assert dcg_at_k([2, 0, 1], 1) == pytest.approx(3.0)
    assert dcg_at_k([], 10) == 0.0


def test_ndcg_against_the_best_ranking_of_every_listing_in_reach() -> None:
    # Ideal [2, 1, 0, 0]: 3 + 1 / log2(3) = 3.6309...; ours [2, 0, 1]: 3.5.
    assert ndcg_at_k([2, 0, 1], [1, 2, 0, 0], 10) == pytest.approx(0.9639404333166532)
    # Ours [0, 1, 2]: 1 / log2(3) + 3 / log2(4) = 2.1309...
    assert ndcg_at_k([0, 1, 2], [2, 1], 10) == pytest.approx(0.58688267143572)


def test_ndcg_of_a_perfect_an_empty_and_a_hopeless_ranking() -> None:
    assert ndcg_at_k([2, 2, 1], [1, 2, 2, 0], 10) == pytest.approx(1.0)
    assert ndcg_at_k([], [2, 1], 10) == 0.0
    assert ndcg_at_k([0, 0], [0, 0, 0], 10) == 0.0  # nothing relevant exists


def test_ndcg_ignores_results_past_k() -> None:
    assert ndcg_at_k([0, 0, 2], [2], 2) == 0.0
    assert ndcg_at_k([0, 2], [2, 2], 1) == 0.0


def test_mean_of_nothing_is_zero() -> None:
    assert mean([]) == 0.0
    assert mean([0.5, 1.0]) == 0.75
