"""Joined scored pairs read the levels, values and kind of the pairs they hold, in the joined order."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from reunite.matching.score import ScoredPairs


def _pairs(seed: int, size: int, offset: int) -> ScoredPairs:
    rng = np.random.default_rng(seed)
    case = np.sort(rng.integers(0, 5, size=size)).astype(np.int64)
    cand = np.arange(offset, offset + size, dtype=np.int64)  # names each pair
    levels = (cand[None, :] * np.array([[1], [3]]) % 7).astype(np.int8)
    return ScoredPairs(case, cand, levels, {"given_name": (cand * 5 % 11).astype(np.int32)},
                       (cand % 3).astype(np.int8), (cand % 13).astype(np.float32))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 12)), min_size=1, max_size=4))
def test_joined_pairs_are_grouped_by_case_and_read_their_own_levels(sets: list[tuple[int, int]]) -> None:
    offset, parts = 0, []
    for seed, size in sets:
        parts.append(_pairs(seed, size, offset))
        offset += size
    joined = parts[0]
    for part in parts[1:]:
        joined = joined.join(part)
    # grouped by case, each set's order kept within a case: a stable sort of the sets put end to end
    case = np.concatenate([p.case for p in parts])
    order = np.argsort(case, kind="stable")
    cand = np.concatenate([p.cand for p in parts])[order]
    np.testing.assert_array_equal(joined.case, case[order])
    np.testing.assert_array_equal(joined.cand, cand)
    np.testing.assert_array_equal(joined.score, (cand % 13).astype(np.float32))
    rows = np.arange(len(joined))[::-1]
    levels, values, kind = joined.rows(rows)
    assert values is not None and kind is not None
    np.testing.assert_array_equal(levels, (cand[rows][None, :] * np.array([[1], [3]]) % 7).astype(np.int8))
    np.testing.assert_array_equal(values["given_name"], (cand[rows] * 5 % 11).astype(np.int32))
    np.testing.assert_array_equal(kind, (cand[rows] % 3).astype(np.int8))
