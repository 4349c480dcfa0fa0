"""The fit counts a chunk's distinct (case, level pattern) without sorting its pairs: the keys and counts
equal those of ``np.unique`` over every pair's key, whatever the patterns, however many cases and whether
the code is renumbered at every comparison or never."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from reunite.matching.learn import PATTERN_BASE, _codes, _distinct_patterns


@st.composite
def _chunks(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, list[int]]:
    sizes = draw(st.lists(st.integers(2, PATTERN_BASE), min_size=1, max_size=10))
    n = draw(st.integers(0, 300))
    # few cases with long runs, as blocking gives them, or many with a pair or two
    n_cases = draw(st.integers(1, 60))
    local = np.sort(np.asarray(draw(st.lists(st.integers(0, n_cases - 1), min_size=n, max_size=n)), dtype=np.int64))
    # a few patterns repeated (as real pairs are) or all drawn apart
    distinct = draw(st.integers(1, 40))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    table = np.stack([rng.integers(-1, size - 1, size=distinct) for size in sizes]).astype(np.int8)
    levels = table[:, rng.integers(0, distinct, size=n)]
    return local, levels, sizes


@settings(max_examples=200, deadline=None)
@given(_chunks(), st.sampled_from([1, 7, 1 << 16]))
def test_distinct_patterns_equal_np_unique_of_every_key(chunk: tuple[np.ndarray, np.ndarray, list[int]],
                                                        cells: int) -> None:
    local, levels, sizes = chunk
    # renumbered at every step, now and then, or never
    case, patterns, counts = _distinct_patterns(local, levels, sizes, cells)
    n_comp = len(sizes)
    key = case * PATTERN_BASE**n_comp + _codes(patterns)
    order = np.argsort(key)
    expected_key, expected_counts = np.unique(local * PATTERN_BASE**n_comp + _codes(levels), return_counts=True)
    assert key[order].tolist() == expected_key.tolist()
    assert counts[order].tolist() == expected_counts.tolist()
    assert counts.dtype == np.int64 and patterns.dtype == np.int8
