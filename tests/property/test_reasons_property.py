"""The reasons column formatted a comparison at a time is the per-pair formatting, line for line.

Levels are random (null ones too), weights random float32s with ties, signed zeros, tiny values that
round to 0.0 with either sign, infinities, and now and then a NaN (which takes the per-pair path).
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from reunite.matching.comparisons import REGISTRY
from reunite.matching.rank import _format_reasons_per_pair, format_reasons

NAMES = tuple(REGISTRY)
WEIGHT = st.one_of(st.sampled_from([0.0, -0.0, 0.04, -0.04, 0.05, -0.05, 1.25, -1.25, 2.3, np.inf, -np.inf]),
                   st.floats(-30, 30, width=32))


@st.composite
def reasons_input(draw: st.DrawFn) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    comparisons = tuple(draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=6)))
    n_pairs = draw(st.integers(0, 30))
    levels = np.array([[draw(st.integers(-1, len(REGISTRY[name].labels) - 1)) for _ in range(n_pairs)]
                       for name in comparisons], dtype=np.int8).reshape(len(comparisons), n_pairs)
    weights = np.array([[draw(WEIGHT) for _ in range(n_pairs)] for _ in comparisons],
                       dtype=np.float32).reshape(len(comparisons), n_pairs)
    if n_pairs and draw(st.integers(0, 9)) == 0:
        weights[draw(st.integers(0, len(comparisons) - 1)), draw(st.integers(0, n_pairs - 1))] = np.nan
    return comparisons, levels, weights


@settings(max_examples=300, deadline=None)
@given(reasons_input(), st.sampled_from(["en", "zh"]))
def test_reasons_by_comparison_are_the_per_pair_reasons(
    data: tuple[tuple[str, ...], np.ndarray, np.ndarray], lang: str
) -> None:
    comparisons, levels, weights = data
    assert format_reasons(comparisons, levels, weights, lang) == _format_reasons_per_pair(  # type: ignore[arg-type]
        comparisons, levels, weights, lang)  # type: ignore[arg-type]
