"""Ranking: top-k equals a full sort (with ties, past the fast-path size), posteriors equal the formula."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reunite.matching.engine import EngineLimits
from reunite.matching.rank import case_posteriors, format_reasons, survivors, top_k
from reunite.matching.reference import reference_top_k

_SCORES = st.sampled_from([-3.5, -1.0, 0.0, 0.0, 2.25, 7.0, 7.0, 30.0])  # few values: many ties


@st.composite
def _ranking_inputs(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    n = draw(st.integers(0, 60))
    group = np.array(draw(st.lists(st.integers(0, 6), min_size=n, max_size=n)), dtype=np.int64)
    score = np.array(draw(st.lists(_SCORES, min_size=n, max_size=n)), dtype=np.float32)
    tiebreak = np.array(draw(st.lists(st.integers(0, 5), min_size=n, max_size=n)), dtype=np.int64)
    return group, score, tiebreak, draw(st.integers(1, 8))


@settings(max_examples=300, deadline=None)
@given(_ranking_inputs())
def test_top_k_equals_a_full_sort(inputs: tuple[np.ndarray, np.ndarray, np.ndarray, int]) -> None:
    group, score, tiebreak, k = inputs
    expected = reference_top_k(group.tolist(), score.tolist(), tiebreak.tolist(), k)
    assert top_k(group, score, tiebreak, k).tolist() == expected


@settings(max_examples=60, deadline=None)
@given(_ranking_inputs())
def test_top_k_with_the_fast_path_forced_equals_a_full_sort(
    inputs: tuple[np.ndarray, np.ndarray, np.ndarray, int],
) -> None:
    group, score, tiebreak, k = inputs
    expected = reference_top_k(group.tolist(), score.tolist(), tiebreak.tolist(), k)
    got = top_k(group, score, tiebreak, k, limits=EngineLimits(exact_sort_rows=0)).tolist()  # cut even small inputs
    assert got == expected


@pytest.mark.parametrize(("n_groups", "k", "levels"), [(40, 3, 6), (2000, 10, 50), (5, 1, 2)])
def test_top_k_above_the_fast_path_threshold_equals_a_full_sort(n_groups: int, k: int, levels: int) -> None:
    rng = np.random.default_rng(n_groups)
    n = 230_000  # above the 200,000-row fast path
    group = rng.integers(0, n_groups, n).astype(np.int64)
    score = (rng.integers(0, levels, n) * 0.5).astype(np.float32)  # heavy ties at every score
    tiebreak = rng.permutation(n).astype(np.int64)
    short = group == n_groups - 1  # one group keeps only a few, all low-scoring rows
    score[short] = -100.0
    group[np.flatnonzero(short)[k:]] = 0
    order = np.lexsort((tiebreak, -score, group))
    g = group[order]
    position = np.arange(n) - np.searchsorted(g, g, side="left")
    assert top_k(group, score, tiebreak, k).tolist() == order[position < k].tolist()


def _runs(group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]]) if group.size else np.zeros(0, np.int64)
    return group[starts], np.diff(np.r_[starts, group.size]).astype(np.int64)


@settings(max_examples=200, deadline=None)
@given(_ranking_inputs(), st.booleans())
def test_survivors_hold_every_top_k_row_with_or_without_runs(
    inputs: tuple[np.ndarray, np.ndarray, np.ndarray, int], histogram: bool
) -> None:
    group, score, tiebreak, k = inputs
    order = np.argsort(group, kind="stable")  # runs of equal groups, as a chunk's pairs come
    group, score, tiebreak = group[order], score[order], tiebreak[order]
    # small inputs keep every row unless the histogram is forced
    limits = EngineLimits(histogram_rows_per_cell=10**9 if histogram else 4)
    kept = survivors(group, score, k, limits=limits)
    assert kept.tolist() == survivors(group, score, k, _runs(group), limits=limits).tolist()
    assert set(reference_top_k(group.tolist(), score.tolist(), tiebreak.tolist(), k)) <= set(kept.tolist())


def test_survivors_of_many_small_groups_keep_every_row_without_a_huge_histogram() -> None:
    group = np.repeat(np.arange(100_000, dtype=np.int64), 3)  # 300,000 rows, 3 per group
    score = np.tile(np.array([1.0, 2.0, 3.0], dtype=np.float32), 100_000)
    assert survivors(group, score, 2).tolist() == list(range(300_000))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.floats(-40, 40, width=32)), max_size=30), st.floats(0.01, 0.99))
def test_case_posteriors_given_runs_or_rows_equal_the_whole_computation(
    pairs: list[tuple[int, float]], prior: float
) -> None:
    group = np.sort(np.array([g for g, _ in pairs], dtype=np.int64))
    score = np.array([s for _, s in pairs], dtype=np.float32)
    posterior, any_match, count = case_posteriors(group, score, 5, prior)
    rows = np.arange(0, group.size, 2)
    some, any_match_runs, count_runs = case_posteriors(group, score, 5, prior, rows, _runs(group))
    np.testing.assert_allclose(some, posterior[rows], rtol=1e-12)
    np.testing.assert_allclose(any_match_runs, any_match, rtol=1e-12)
    assert count_runs.tolist() == count.tolist()


def test_top_k_of_nothing_is_empty() -> None:
    assert top_k(np.zeros(0, np.int64), np.zeros(0, np.float32), np.zeros(0, np.int64), 5).tolist() == []


# -- posteriors --------------------------------------------------------------------------------
@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.floats(-40, 40, width=32)), max_size=30),
       st.floats(0.01, 0.99))
def test_case_posteriors_match_the_formula_and_sum_to_at_most_one(
    pairs: list[tuple[int, float]], prior: float
) -> None:
    group = np.array([g for g, _ in pairs], dtype=np.int64)
    score = np.array([s for _, s in pairs], dtype=np.float32)
    posterior, any_match, count = case_posteriors(group, score, 5, prior)
    for case in range(5):
        mine = [float(s) for g, s in zip(group, score, strict=True) if g == case]
        assert count[case] == len(mine)
        if not mine:
            assert any_match[case] == 0.0
            continue
        n = len(mine)
        denominator = (1 - prior) + (prior / n) * sum(2.0**s for s in mine)
        expected = [(prior / n) * 2.0**s / denominator for s in mine]
        got = posterior[group == case]
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-300)
        assert any_match[case] == pytest.approx(sum(expected), rel=1e-9)
        assert float(got.sum()) <= 1.0 + 1e-12


def test_case_posteriors_stay_finite_for_huge_scores() -> None:
    group = np.array([0, 0, 1, 1], dtype=np.int64)
    score = np.array([3000.0, 2990.0, -900.0, -901.0], dtype=np.float32)
    posterior, any_match, _ = case_posteriors(group, score, 2, 0.5)
    assert np.isfinite(posterior).all() and np.isfinite(any_match).all()
    assert posterior[0] == pytest.approx(1024 / 1025) and posterior[1] == pytest.approx(1 / 1025)
    assert any_match[0] == pytest.approx(1.0) and any_match[1] == pytest.approx(0.0, abs=1e-250)
    assert posterior[2] / posterior[3] == pytest.approx(2.0)


def test_case_posteriors_of_a_case_whose_every_score_is_hopeless() -> None:
    posterior, any_match, _ = case_posteriors(np.array([0, 0]), np.array([-3000.0, -3001.0], np.float32), 1, 0.5)
    assert posterior.tolist() == [0.0, 0.0] and any_match.tolist() == [0.0]


def test_the_doctest_numbers_by_hand() -> None:
    posterior, any_match, count = case_posteriors(np.array([0, 0]), np.array([10.0, 0.0], np.float32), 1, 0.5)
    denominator = 0.5 + 0.25 * (1024 + 1)
    assert posterior.tolist() == pytest.approx([0.25 * 1024 / denominator, 0.25 / denominator])
    assert any_match[0] == pytest.approx(0.25 * 1025 / denominator) and count.tolist() == [2]
    assert math.isclose(posterior.sum(), any_match[0])


# -- reasons ------------------------------------------------------------------------------------
def test_reasons_skip_null_levels_and_put_the_strongest_first() -> None:
    levels = np.array([[2, -1], [0, -1], [9, -1]], dtype=np.int8)
    weights = np.array([[4.6, 0.0], [-3.9, 0.0], [0.04, 0.0]], dtype=np.float32)
    lines = format_reasons(("surname", "birth", "birth"), levels, weights)
    assert lines == ["surname same +4.6; born further apart −3.9; born the same day +0.0", ""]
