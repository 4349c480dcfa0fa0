"""The given-name levels of a batch of names against every name, built in place in row order
(``_levels_of_readings``), are those of the broadcast formulas they replaced, for any readings: missing
pinyin, alternative pinyin, fuzzy codes, childhood keys and last characters (-1) included."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from hypothesis import given, settings
from hypothesis import strategies as st

from reunite.matching.comparisons.given_name import Level, _levels_of_readings


def _broadcast(similar: npt.NDArray[np.bool_], readings: npt.NDArray[np.int32],
               rows: npt.NDArray[np.int64]) -> npt.NDArray[np.int8]:
    """The formulas before: each rule a mask of the whole table."""
    py, alt, fuzzy, key, last = (readings[:, i] for i in range(5))
    level = (similar[:, py].view(np.int8) * int(Level.SIMILAR_PINYIN)).astype(np.int8)
    level[fuzzy[rows][:, None] == fuzzy[None, :]] = Level.FUZZY_PINYIN
    r_py, r_alt = py[rows][:, None], alt[rows][:, None]
    level[(r_py == py) | (r_py == alt) | (r_alt == py) | (r_alt == alt)] = Level.SAME_PINYIN
    level[(r_py < 0) | (py < 0)[None, :]] = Level.DIFFERS
    r_key, r_last = key[rows][:, None], last[rows][:, None]
    level[(level == int(Level.DIFFERS)) & (((r_key >= 0) & (r_key == last[None, :]))
          | ((key >= 0)[None, :] & (key == r_last)))] = Level.CHILDHOOD_KEY
    level[rows[:, None] == np.arange(py.shape[0])[None, :]] = Level.SAME_CHARACTERS
    return np.ascontiguousarray(level)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 30), st.integers(1, 6), st.integers(0, 12), st.floats(0, 1), st.floats(0, 0.5),
       st.integers(0, 2**32 - 1))
def test_levels_built_in_place_are_the_broadcast_formulas(
    n_codes: int, vocab: int, n_rows: int, similar_share: float, missing: float, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    readings = rng.integers(0, vocab, size=(n_codes, 5)).astype(np.int32)
    readings[rng.random((n_codes, 5)) < missing] = -1  # no reading, key or last character
    rows = rng.integers(0, n_codes, size=n_rows).astype(np.int64)  # repeats allowed
    similar = rng.random((n_rows, vocab)) < similar_share
    got = _levels_of_readings(similar.copy(), readings, rows)
    assert got.dtype == np.int8 and got.flags.c_contiguous
    assert np.array_equal(got, _broadcast(similar, readings, rows))
