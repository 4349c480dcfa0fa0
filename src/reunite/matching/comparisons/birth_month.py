"""Birth month in another year, for cases whose birth is known only to the month: a registered birth
shifted by whole years often keeps its month (benchmarks/README.md "The month of birth, another year"),
and :mod:`~reunite.matching.comparisons.birth_monthday`, which reads the birthday, needs the case's day.

A case's birth is *a month* when it is known to a stretch of at most ``birth_month_days`` days but not to
the day (1988年5月, a lunar month, 4月底); a candidate born on a day of that stretch's days of the year
(around the year, 29 February included) is "born in the case's month", another year. A candidate's 1
January is "born that year" (:func:`reunite.matching.prepare.month_day`): no month to compare.

As for the birthday, the two births must lie at least ``birthday_min_gap_days`` apart, and within the birth
comparison's first band (``birth_band_days[0]``, "born within 1 year") only "the same month" is read: there
a month that differs is what "born within 1 year" already says. m and u of both levels are conditional on
the level being read at all (a month case, far enough apart), so the share of month cases, in the labelled
data or in the screened data, does not enter the weights.

Day-bound for pruning: the level follows from the candidate's birth day (breaks where the case's birth is
``birthday_min_gap_days`` and ``birth_band_days[0]`` away, and in every year of the windows the first days
inside and past the case's month) and from whether its birthday is known (a candidate fact).
"""

from __future__ import annotations

import datetime
from enum import IntEnum
from typing import TYPE_CHECKING

import numpy as np

from reunite._typing import I8, I16, I32, I64
from reunite.matching.compare import Pairs, _null_where
from reunite.matching.comparisons.base import CellFacts, Comparison, DayBreaks, Pruning, ReferencePair, labels_of
from reunite.matching.comparisons.birth_monthday import (
    _ORDINAL,
    _YEAR_DAYS,
    BIRTHDAY_KNOWN,
    _month_day,
    _ordinals,
    _year_start,
)
from reunite.matching.engine import DEFAULT_LIMITS, EngineLimits
from reunite.matching.prepare import Prepared

if TYPE_CHECKING:
    from reunite.matching.spec import ComparisonSpec

__all__ = ["COMPARISON", "Level"]


class Level(IntEnum):
    DIFFERS = 0
    SAME = 1  # the candidate's birthday lies in the case's month (its days of the year)


LABELS = {Level.DIFFERS: "born in another month, another year",
          Level.SAME: "born in the case's month, another year"}
LABELS_ZH = {Level.DIFFERS: "出生月份不同（另一年）", Level.SAME: "出生月份相同（另一年）"}


def _case_months(prep: Prepared, spec: ComparisonSpec) -> tuple[I16, I16]:
    """Per case: the first day of its month as a place in a leap year (0-365; -1 where its birth is not a
    month), and the places past it the month covers (0-365, around the year)."""
    c = prep.cases
    lo, hi = c.birth_lo.astype(np.int64), c.birth_hi.astype(np.int64)
    month = c.birth_known & (hi > lo) & (hi - lo < spec.birth_month_days)
    first, last = _ORDINAL[_month_day(lo)], _ORDINAL[_month_day(hi)]
    start = np.where(month, first, -1).astype(np.int16)
    span = np.where(month, (last - first) % _YEAR_DAYS, 0).astype(np.int16)
    return start, span


def month_levels(
    prep: Prepared, spec: ComparisonSpec, pairs: Pairs, value: I32 | None = None,
    limits: EngineLimits = DEFAULT_LIMITS,
) -> I8:
    d = prep.candidates
    start, span = prep.memo.get(("case_months", spec.birth_month_days), lambda: _case_months(prep, spec))
    return _levels(prep, spec, pairs, start, span,
                   d.birth_lo.take(pairs.cand).astype(np.int64),
                   prep.memo.get(("birthday_ordinals",), lambda: _ordinals(d.birth_md)).take(pairs.cand))


def _levels(prep: Prepared, spec: ComparisonSpec, pairs: Pairs, start: I16, span: I16, day: I64,
            ordinal: I16) -> I8:
    """The level of each pair from its candidate's birth day and its place in a leap year (-1: unknown)."""
    c = prep.cases
    a = pairs.of_case(start)
    past = ordinal.astype(np.int16) - a
    past %= np.int16(_YEAR_DAYS)
    same = past <= pairs.of_case(span)
    gap = np.maximum(pairs.of_case(c.birth_lo).astype(np.int64) - day, day - pairs.of_case(c.birth_hi))
    level: I8 = same.view(np.int8).copy()
    compared = (a >= 0) & (ordinal >= 0) & (gap >= spec.birthday_min_gap_days) \
        & ((gap > spec.birth_band_days[0]) | same)
    _null_where(level, ~compared)
    return level


def reference_level(pair: ReferencePair, spec: ComparisonSpec) -> int:
    birth_a, birth_b = pair.birth_a, pair.birth_b
    if birth_a is None or birth_b is None or birth_b[0] != birth_b[1]:
        return -1
    if not 0 < birth_a[1] - birth_a[0] < spec.birth_month_days:
        return -1  # the case's birth is known to the day, or to more than a month
    epoch = datetime.date(1970, 1, 1)
    first, last = (epoch + datetime.timedelta(days=birth_a[0]), epoch + datetime.timedelta(days=birth_a[1]))
    day = epoch + datetime.timedelta(days=birth_b[0])
    if (day.month, day.day) == (1, 1):
        return -1  # (1 January is what registers write for an unknown day)
    gap = max(birth_a[0] - birth_b[0], birth_b[0] - birth_a[1])
    if gap < spec.birthday_min_gap_days:
        return -1

    def place(date: datetime.date) -> int:
        return (datetime.date(2000, date.month, date.day) - datetime.date(2000, 1, 1)).days

    same = (place(day) - place(first)) % _YEAR_DAYS <= (place(last) - place(first)) % _YEAR_DAYS
    if not same and gap <= spec.birth_band_days[0]:
        return -1  # born within 1 year: a month that differs is what the birth comparison bands
    return int(Level.SAME if same else Level.DIFFERS)


# -- pruning -----------------------------------------------------------------------------------------

def _day_level(prep: Prepared, spec: ComparisonSpec, pairs: Pairs, day: I64) -> I8:
    """Per candidate birth day, the level of a candidate born that day whose birthday is known (a 1
    January among them reads as a place in the year here; the candidate fact nulls it, :func:`_cell_level`)."""
    start, span = prep.memo.get(("case_months", spec.birth_month_days), lambda: _case_months(prep, spec))
    ordinal = _ORDINAL[_month_day(day)].astype(np.int16)
    return _levels(prep, spec, pairs, start, span, day, ordinal)


def _day_breaks(rows: DayBreaks) -> tuple[list[I64], tuple[I64, I64] | None]:
    """Where the case's month is ``birthday_min_gap_days`` and ``birth_band_days[0]`` away, and in every year
    of the windows the first days inside and past the case's month (as a place in the year)."""
    prep, spec = rows.prep, rows.spec
    c = prep.cases
    start, span = prep.memo.get(("case_months", spec.birth_month_days), lambda: _case_months(prep, spec))
    first, past = start[rows.case].astype(np.int64), span[rows.case].astype(np.int64)
    has = first >= 0
    lo, hi = c.birth_lo[rows.case].astype(np.int64), c.birth_hi[rows.case].astype(np.int64)
    gap, band = spec.birthday_min_gap_days, spec.birth_band_days[0]
    days = [np.where(has, lo - gap + 1, rows.window_lo), np.where(has, hi + gap, rows.window_lo),
            np.where(has, lo - band, rows.window_lo), np.where(has, hi + band + 1, rows.window_lo)]
    if not has.any():
        return days, None
    year_first = rows.span_lo.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    year_last = rows.span_hi.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    for k in range(int((year_last - year_first)[has].max()) + 1):
        year_start, leap = _year_start(year_first + k)
        for edge in (first, first + past + 1):
            target = edge % _YEAR_DAYS  # a place in a leap year: in another year, the first day at or past it
            days.append(np.where(has, year_start + target - ((target >= 60) & ~leap), rows.window_lo))
    return days, None


def _cell_level(cell: CellFacts) -> I8:
    """A counted candidate's level is its day's, where its birthday is known."""
    known = cell.fact(BIRTHDAY_KNOWN.name) == 1
    out: I8 = np.where(known, cell.day["birth_month"], -1).astype(np.int8)
    return out


COMPARISON = Comparison(
    name="birth_month", title="birth month", title_zh="出生月份",
    chart_order=25, chart_colour="#9AC8E8",
    labels=labels_of(Level, LABELS), labels_zh=labels_of(Level, LABELS_ZH),
    kernel=month_levels, reference=reference_level, field="birth date",
    pruning=Pruning(_cell_level, day_level=_day_level, day_breaks=_day_breaks, facts=(BIRTHDAY_KNOWN,)),
)
