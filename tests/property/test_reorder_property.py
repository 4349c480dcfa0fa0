"""The prepared candidates' columns taken in blocking order a column at a time are the columns of
``values[order]``, laid out as the kernels read them (name-slot matrices column-major)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from reunite.matching.prepare import _reorder


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 40), st.integers(0, 5), st.booleans(), st.booleans(), st.integers(0, 2**32 - 1))
def test_reorder_is_fancy_indexing_in_the_kernels_layout(
    n: int, slots: int, matrix: bool, fortran: bool, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    shape = (n, slots) if matrix else (n,)
    values = np.asarray(rng.integers(-1, 50, size=shape, dtype=np.int32), order="F" if fortran else "C")
    order = rng.permutation(n).astype(np.int64)
    out = _reorder(values, order)
    assert out.dtype == values.dtype and out.shape == values.shape
    assert np.array_equal(out, values[order])
    assert out.flags.f_contiguous if matrix else out.flags.c_contiguous
