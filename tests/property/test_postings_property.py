"""A cell index's postings, ordered run by run with a radix sort of 16-bit codes and merged, are the
sorted distinct keys ``code * n + position`` of the known codes, for any codes and positions: runs of
name slots, one run, many runs, wide codes."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from reunite.matching.cells import _postings


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 60), st.integers(1, 12), st.sampled_from([3, 300, 70_000]), st.booleans(),
       st.sampled_from([np.int32, np.int64]), st.integers(0, 2**32 - 1))
def test_postings_are_the_sorted_distinct_keys(n: int, slots: int, width: int, shuffled: bool,
                                               dtype: type, seed: int) -> None:
    rng = np.random.default_rng(seed)
    at = np.sort(rng.choice(max(n, 1), size=min(n, rng.integers(0, n + 1)), replace=False)).astype(np.int64)
    codes = rng.integers(-1, width, size=at.size * slots).astype(dtype)  # slot by slot, as name postings
    positions = np.tile(at, slots)
    if shuffled:  # positions in no order: many runs
        order = rng.permutation(positions.size)
        codes, positions = codes[order], positions[order]
    got = _postings(codes, positions, max(n, 1))
    keep = codes >= 0
    expected = np.unique(codes[keep].astype(np.int64) * max(n, 1) + positions[keep])
    assert got.dtype == np.int64
    assert got.tolist() == expected.tolist()
