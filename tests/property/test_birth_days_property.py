"""``month_day`` and ``rounded_hi`` computed once per day give, element for element, what the
per-element calendar arithmetic gives (the reference copied here): days in a short span (the table of
every day) and spread over centuries (the distinct days), births known or not, to the day or not."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from reunite.matching.prepare import month_day, rounded_hi


def month_day_reference(lo: np.ndarray, hi: np.ndarray, known: np.ndarray) -> np.ndarray:
    days = np.asarray(lo, dtype="datetime64[D]")
    month = (days.astype("datetime64[M]") - days.astype("datetime64[Y]")).astype(np.int64) + 1
    day = (days - days.astype("datetime64[M]")).astype(np.int64) + 1
    to_the_day = known & (lo == hi) & ((month > 1) | (day > 1))
    return np.where(to_the_day, month * 100 + day, -1).astype(np.int16)


def rounded_hi_reference(lo: np.ndarray, hi: np.ndarray, known: np.ndarray) -> np.ndarray:
    days = np.asarray(lo, dtype="datetime64[D]")
    month = days.astype("datetime64[M]")
    first = known & (lo == hi) & (days == month.astype("datetime64[D]"))
    january = first & (month == days.astype("datetime64[Y]").astype("datetime64[M]"))
    month_end = ((month + 1).astype("datetime64[D]") - 1).astype(np.int64)
    year_end = ((days.astype("datetime64[Y]") + 1).astype("datetime64[D]") - 1).astype(np.int64)
    return np.where(january, year_end, np.where(first, month_end, hi)).astype(np.int32)


@st.composite
def births(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = draw(st.integers(0, 60))
    start = draw(st.integers(-40_000, 40_000))
    span = draw(st.sampled_from([0, 31, 400, 100_000]))
    lo = np.array([start + draw(st.integers(0, span)) for _ in range(n)], dtype=np.int32)
    # firsts of months and of January: where the two functions differ from the plain day
    firsts = np.array(draw(st.lists(st.sampled_from([7305, 7336, 7670, -25567, 0, 10957]), max_size=8)),
                      dtype=np.int32)
    lo = np.r_[lo, firsts].astype(np.int32)
    width = np.array([draw(st.sampled_from([0, 0, 0, 30, 365])) for _ in range(lo.size)], dtype=np.int32)
    known = np.array([draw(st.booleans()) for _ in range(lo.size)], dtype=bool)
    return lo, (lo + width).astype(np.int32), known


@settings(max_examples=300, deadline=None)
@given(births())
def test_per_day_month_day_and_rounded_hi_are_the_per_element_ones(
    data: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> None:
    lo, hi, known = data
    assert month_day(lo, hi, known).tolist() == month_day_reference(lo, hi, known).tolist()
    assert month_day(lo, hi, known).dtype == np.int16
    assert rounded_hi(lo, hi, known).tolist() == rounded_hi_reference(lo, hi, known).tolist()
    assert rounded_hi(lo, hi, known).dtype == np.int32
