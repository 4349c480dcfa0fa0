"""``prepare`` interns names as text (coded by their characters) and reads each code's reading from the
column its row is in: the same codes, distinct values and readings as interning the cells as Python
strings and reading them from the joined columns."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from reunite.matching.prepare import _intern, _per_code

NAMES = st.lists(st.text(alphabet=st.sampled_from(list("王芳李娜小红a")), max_size=4), max_size=30)


def _interned_as_objects(*arrays: npt.NDArray[Any]) -> tuple[list[list[int]], list[object]]:
    """The formula before: every cell made a Python string, joined, coded by pandas; "" is -1."""
    joined = np.concatenate([np.asarray(a, dtype=object).ravel() for a in arrays])
    codes, uniques = pd.factorize(joined)
    codes = np.asarray(codes, dtype=np.int32)
    empty = np.flatnonzero(np.asarray(uniques, dtype=object) == "")
    if empty.size:
        codes[codes == empty[0]] = -1
    out, start = [], 0
    for a in arrays:
        out.append(codes[start:start + a.size].tolist())
        start += a.size
    return out, list(uniques)


@settings(max_examples=200, deadline=None)
@given(NAMES, NAMES, st.booleans())
def test_interned_text_is_interned_strings(cases: list[str], candidates: list[str], objects: bool) -> None:
    a = np.array(cases, dtype="<U4") if cases else np.zeros(0, dtype="<U1")
    b = np.array(candidates, dtype="<U2" if all(len(c) <= 2 for c in candidates) else "<U4")
    if objects:  # a table read from a DataFrame may hold objects: interned as before
        a = a.astype(object)
    (codes_a, codes_b), values = _intern(a, b)
    (expected_a, expected_b), expected_values = _interned_as_objects(a, b)
    assert codes_a.dtype == np.int32 and codes_b.dtype == np.int32
    assert codes_a.tolist() == expected_a and codes_b.tolist() == expected_b
    assert values.dtype == object and values.tolist() == expected_values


@settings(max_examples=200, deadline=None)
@given(NAMES, NAMES)
def test_each_codes_reading_is_read_from_the_joined_columns(cases: list[str], candidates: list[str]) -> None:
    a = np.array(cases, dtype="<U4") if cases else np.zeros(0, dtype="<U1")
    b = np.array(candidates, dtype="<U4") if candidates else np.zeros(0, dtype="<U1")
    (codes_a, codes_b), values = _intern(a, b)
    # a reading that is a function of the name (here: the name written twice, wider than either column)
    read_a = np.array([c * 2 for c in cases], dtype="<U8") if cases else np.zeros(0, dtype="<U1")
    read_b = np.array([c * 2 for c in candidates], dtype="<U8") if candidates else np.zeros(0, dtype="<U1")
    got = _per_code((codes_a, codes_b), (read_a, read_b), len(values))
    joined_codes = np.concatenate([codes_a, codes_b])
    joined = np.concatenate([read_a, read_b])
    rows = np.flatnonzero(joined_codes >= 0)
    first = np.zeros(len(values), dtype=np.int64)
    first[joined_codes[rows]] = rows
    expected = joined[first].astype(object) if len(values) else np.zeros(0, dtype=object)
    assert got.dtype == object and got.tolist() == expected.tolist()
    # and it is each name's own reading ("" has a code but no row: it is read as no name)
    assert [g for g, v in zip(got.tolist(), values.tolist(), strict=True) if v] == [v * 2 for v in values.tolist() if v]
