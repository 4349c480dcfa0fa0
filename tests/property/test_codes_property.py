"""reunite._codes.factorize codes small arrays without pandas exactly as ``pandas.factorize`` codes them.

A nightly re-screen normalizes its few thousand rows through the small path; a full run's large
arrays go to pandas. Both must give the same codes, distinct values and dtypes, or a night would
store records unlike a full run's.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from reunite import _codes

CELLS = st.one_of(st.none(), st.just(float("nan")),
                  st.text(alphabet=st.sampled_from(list("王芳李a1 -年\u3000")), max_size=4))


@contextmanager
def _without_pandas() -> Iterator[None]:
    """As in a process that has not loaded pandas (the small path runs only then)."""
    saved = sys.modules.pop("pandas")
    try:
        yield
    finally:
        sys.modules["pandas"] = saved


def _same(values: npt.NDArray[Any]) -> None:
    with _without_pandas():
        codes, uniques = _codes.factorize(values)
        assert "pandas" not in sys.modules  # the small path did not load it
    expected_codes, expected_uniques = pd.factorize(values)
    assert codes.dtype == expected_codes.dtype
    assert codes.tolist() == expected_codes.tolist()
    expected = np.asarray(expected_uniques)
    assert uniques.dtype == expected.dtype
    assert uniques.tolist() == expected.tolist()


@settings(max_examples=300, deadline=None)
@given(st.lists(CELLS, max_size=30))
def test_object_arrays_code_as_pandas_codes_them(cells: list[object]) -> None:
    values = np.empty(len(cells), dtype=object)
    values[:] = cells
    _same(values)


@settings(max_examples=200, deadline=None)
@given(hnp.arrays(st.sampled_from([np.int64, np.int32, np.int8]), st.integers(0, 40),
                  elements=st.integers(-5, 5)))
def test_integer_arrays_code_as_pandas_codes_them(values: npt.NDArray[np.integer[Any]]) -> None:
    _same(values)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("0123456789X")), max_size=18), max_size=30))
def test_text_arrays_code_as_pandas_codes_them(cells: list[str]) -> None:
    _same(np.array(cells, dtype="<U18"))


def test_large_arrays_and_other_dtypes_go_to_pandas() -> None:
    for array in ("np.zeros(3, dtype=np.float64)", "np.zeros(_codes.PANDAS_FROM, dtype=np.int64)"):
        code = ("import sys, numpy as np\n"
                "from reunite import _codes\n"
                f"codes, uniques = _codes.factorize({array})\n"
                "assert 'pandas' in sys.modules and codes.tolist() == [0] * codes.shape[0], codes")
        subprocess.run([sys.executable, "-c", code], check=True)
    code = ("import sys, numpy as np\n"
            "from reunite import _codes\n"
            "_codes.factorize(np.array(['a', None], dtype=object))\n"
            "assert 'pandas' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_two_dimensional_arrays_are_refused() -> None:
    try:
        _codes.factorize(np.zeros((2, 2), dtype=np.int64))
    except ValueError as error:
        assert "one-dimensional" in str(error)
    else:
        raise AssertionError("expected a ValueError")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.integers(-(2**62), 2**62), max_size=30), max_size=4), st.booleans())
def test_distinct_is_numpy_unique(runs: list[list[int]], sort_runs: bool) -> None:
    """``distinct`` (a sort) gives ``np.unique``'s values and dtype, for keys in any order and for sorted
    runs put end to end (its ``runs`` reading)."""
    parts = [sorted(run) if sort_runs else run for run in runs]
    values = np.array([v for part in parts for v in part], dtype=np.int64)
    got = _codes.distinct(values, runs=sort_runs)
    expected = np.unique(values)
    assert got.dtype == expected.dtype
    assert got.tolist() == expected.tolist()


WIDE = st.text(alphabet=st.sampled_from(list("王芳李娜a1 -\x00\u3000ü\U00020000\U0010FFFF")), max_size=9)


@settings(max_examples=300, deadline=None)
@given(st.lists(WIDE, max_size=40), st.integers(0, 4))
def test_text_arrays_coded_by_their_characters_code_as_pandas_codes_them(cells: list[str], wider: int) -> None:
    """With pandas loaded (a full run), text is coded by its characters packed into integers
    (``_text_codes``): the same codes and distinct values as pandas coding the cells as strings,
    for any characters (astral ones, a NUL inside a cell: pandas reads such cells only up to it), widths
    and repeats."""
    width = max((len(c) for c in cells), default=0) + wider
    values = np.array(cells + cells[: len(cells) // 2], dtype=f"<U{max(width, 1)}")
    codes, uniques = _codes.factorize(values)
    expected_codes, expected_uniques = pd.factorize(values.astype(object))
    assert codes.tolist() == expected_codes.tolist()
    assert uniques.dtype == values.dtype
    assert uniques.tolist() == list(expected_uniques)
