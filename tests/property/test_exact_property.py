"""Exact Bayes-factor sums: equal to the exact rational sum of the float64 terms, whatever the split."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from reunite.matching import exact
from reunite.matching.exact import OFFSET, SCORE_LIMIT, factor_sums, posteriors_from_sums, term_sum, to_float
from reunite.matching.rank import case_posteriors

_SCORE = st.one_of(st.floats(-60, 60, width=32), st.sampled_from([-1e4, -1000.0, -999.5, 0.0, 999.9, 1000.0, 3e4]))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), _SCORE), max_size=80), st.integers(0, 2**32 - 1), st.booleans())
def test_sums_are_exact_and_any_split_adds_up_to_the_whole(
    pairs: list[tuple[int, float]], seed: int, few_bins: bool
) -> None:
    group = np.array([g for g, _ in pairs], dtype=np.int64)
    score = np.array([s for _, s in pairs], dtype=np.float32)
    original = exact._MAX_BINS
    exact._MAX_BINS = 2 if few_bins else original  # the occupied-bins path too
    try:
        whole = factor_sums(group, score, 4)
        part = np.random.default_rng(seed).integers(0, 3, group.size)
        pieces = [factor_sums(group[part == j], score[part == j], 4) for j in range(3)]
    finally:
        exact._MAX_BINS = original
    for g in range(4):
        terms = np.exp2(np.clip(score[group == g].astype(np.float64), -SCORE_LIMIT, SCORE_LIMIT)).tolist()
        assert Fraction(whole[g], 2**OFFSET) == sum((Fraction(t) for t in terms), Fraction(0))
        assert sum(p[g] for p in pieces) == whole[g] == term_sum(score[group == g])
        assert to_float(whole[g]) == float(Fraction(whole[g], 2**OFFSET))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.floats(-40, 40, width=32)), max_size=30), st.floats(0.01, 0.99))
def test_posteriors_from_exact_sums_agree_with_the_float_formula(pairs: list[tuple[int, float]], prior: float) -> None:
    group = np.array([g for g, _ in pairs], dtype=np.int64)
    score = np.array([s for _, s in pairs], dtype=np.float32)
    expected, expected_any, count = case_posteriors(group, score, 5, prior)
    posterior, any_match = posteriors_from_sums(factor_sums(group, score, 5), count, group, score, prior)
    np.testing.assert_allclose(posterior, expected, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(any_match, expected_any, rtol=1e-12, atol=1e-300)
