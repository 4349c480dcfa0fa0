"""Integer codes of an array's values, in order of first appearance: :func:`pandas.factorize`, with
small arrays coded without loading pandas; and an array's distinct values by a sort (:func:`distinct`).

A nightly re-screen reads a few thousand rows; importing pandas (and pyarrow, which pandas loads)
costs more CPU than coding them. Large arrays, and every array once pandas is loaded, still go to
``pandas.factorize``; the small path gives the same codes and values (a property test holds the two
together).
"""

from __future__ import annotations

import sys
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

_Key = TypeVar("_Key", np.int64, np.uint64)

__all__ = ["PANDAS_FROM", "distinct", "factorize"]

PANDAS_FROM = 50_000
"""Arrays of at least this many values are coded by ``pandas.factorize`` (its hash table is quicker
than a Python dict there, and a run that codes them loads pandas for its other work anyway)."""


def factorize(values: npt.NDArray[Any]) -> tuple[npt.NDArray[np.intp], npt.NDArray[Any]]:
    """``pandas.factorize(values)`` of a one-dimensional array: each value's code (``-1`` for a
    missing value: ``None`` or NaN) and the distinct values, in order of first appearance.

    >>> codes, uniques = factorize(np.array(["b", "a", None, "b"], dtype=object))
    >>> codes.tolist(), uniques.tolist()
    ([0, 1, -1, 0], ['b', 'a'])
    >>> codes, uniques = factorize(np.array([7, 3, 7, 5], dtype=np.int64))
    >>> codes.tolist(), uniques.tolist()
    ([0, 1, 0, 2], [7, 3, 5])
    """
    if values.ndim != 1:
        raise ValueError(f"expected a one-dimensional array, got {values.ndim} dimensions")
    kind = values.dtype.kind
    if kind not in "OUi" or values.shape[0] >= PANDAS_FROM or "pandas" in sys.modules:
        import pandas as pd

        if kind == "U" and values.dtype.itemsize and values.dtype.isnative:
            return _text_codes(values)
        codes, uniques = pd.factorize(values)
        return codes, np.asarray(uniques)
    if kind == "i":
        distinct, first, inverse = np.unique(values, return_index=True, return_inverse=True)
        order = np.argsort(first, kind="stable")
        rank = np.empty(distinct.shape[0], dtype=np.intp)
        rank[order] = np.arange(distinct.shape[0], dtype=np.intp)
        return rank[inverse.ravel()], values[first[order]]
    cells = values.tolist()
    # distinct values in order of first appearance; None and NaN (unequal to itself) are missing, as
    # pandas reads them (each NaN object is its own key, found again by identity)
    index: dict[Any, int] = {}
    present: list[Any] = []
    for value in dict.fromkeys(cells):
        if value is None or value != value:
            index[value] = -1
        else:
            index[value] = len(present)
            present.append(value)
    codes = np.fromiter(map(index.__getitem__, cells), dtype=np.intp, count=len(cells))
    if kind == "U":  # pandas keeps a text array's dtype
        return codes, np.array(present, dtype=values.dtype)
    return codes, np.fromiter(present, dtype=object, count=len(present))


def distinct(values: npt.NDArray[_Key], *, runs: bool = False) -> npt.NDArray[_Key]:
    """Sorted distinct values: ``np.unique(values)`` by a sort. numpy 2.4's plain ``unique`` hashes
    first, about 16 times slower on a million distinct 64-bit keys (0.9 s of CPU against 0.05 s).

    ``runs``: the values are a few sorted runs put end to end, which a stable sort (a timsort) merges
    in about linear time where a quicksort starts over.

    >>> distinct(np.array([7, 3, 7, 5], dtype=np.int64)).tolist()
    [3, 5, 7]
    """
    out = np.sort(values, kind="stable" if runs else None)
    return out[np.r_[True, out[1:] != out[:-1]]] if out.size else out


def _text_codes(values: npt.NDArray[np.str_]) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.str_]]:
    """``pandas.factorize`` of a fixed-width text array, by its characters packed into integers.

    pandas codes text as Python strings (each cell made an object first: 0.15 s of CPU for a million
    given names); here a cell's code points are packed, as many to a 64-bit key as fit, and the keys
    coded by ``pandas.factorize`` one after another (a cell's code so far times the next key's count
    plus that key's code). Two cells share every key exactly when they are equal, and each step keeps
    the order of first appearance, so the codes and distinct values are pandas'. Cells with a NUL
    before other characters go to pandas as before (it reads them only up to the NUL).
    """
    import pandas as pd

    n, width = values.shape[0], values.dtype.itemsize // 4
    points = np.ascontiguousarray(values).view(np.uint32).reshape(n, width)
    if width > 1 and bool(np.any((points[:, :-1] == 0) & (points[:, 1:] != 0))):
        # a NUL inside a cell: pandas' string hashing stops there ("" and "\x001" are one value to it)
        as_strings, uniques = pd.factorize(values)
        return as_strings, np.asarray(uniques)
    bits = max(int(points.max()).bit_length(), 1) if n else 1
    per_key = max(63 // bits, 1)

    def key(start: int) -> npt.NDArray[np.int64]:
        packed = np.zeros(n, dtype=np.int64)
        for column in range(start, min(start + per_key, width)):
            packed <<= bits
            packed |= points[:, column]
        return packed

    codes, _ = pd.factorize(key(0))
    for start in range(per_key, width, per_key):
        # the codes so far and this key's: below n * n, within 64 bits
        part, part_values = pd.factorize(key(start))
        codes, _ = pd.factorize(codes.astype(np.int64) * max(part_values.shape[0], 1) + part)
    # codes come in order of first appearance: the running maximum rises by one at each new value
    high = np.maximum.accumulate(codes)
    first = np.flatnonzero(np.r_[True, high[1:] != high[:-1]]) if n else np.zeros(0, dtype=np.intp)
    return codes, values[first]
