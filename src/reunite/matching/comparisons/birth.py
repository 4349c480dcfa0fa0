"""Birth date: how far apart the two births lie, with the readings registers and families give a date
(a 1st of the month written for the month, a lunar date written as solar, a lunar month that may be
its leap twin, a day off, the day a baby came into its new family written as its birth).

Day-bound for pruning: against a case, a candidate's level follows from its birth day alone, so
:mod:`reunite.matching.prune` reads it for one candidate per stretch of days between the breaks given
here, and day by day around the case's birth (where the rounded, lunar and same-day readings live).
"""

from __future__ import annotations

import datetime
from enum import IntEnum
from typing import TYPE_CHECKING

import numpy as np

from reunite._typing import I8, I32, I64, B
from reunite.matching.compare import Pairs, _banded, _candidate_nulls, _nulls, _set_where
from reunite.matching.comparisons.base import CellFacts, Comparison, DayBreaks, Pruning, ReferencePair, labels_of
from reunite.matching.engine import DEFAULT_LIMITS, EngineLimits
from reunite.matching.prepare import Prepared, birth_precision

if TYPE_CHECKING:
    from reunite.matching.spec import ComparisonSpec
    from reunite.normalize.features import RecordTable

__all__ = ["COMPARISON", "ROUNDED_BIRTH", "Level"]


class Level(IntEnum):
    FURTHER = 0
    WITHIN_3_YEARS = 1
    WITHIN_2_YEARS = 2
    WITHIN_1_YEAR = 3
    IN_CASE_YEAR = 4     # the case's birth known only to the year or wider, the candidate's in it or within a month
    ROUNDED = 5          # agree if a 1st of the month means the month (1 January the year)
    LUNAR = 6            # agree if the case's date is lunar
    WITHIN_MONTH = 7     # overlap or lie at most ``birth_month_days`` apart (not a case known only to the year)
    IN_CASE_MONTH = 8    # the case's birth known only to the month, the candidate's inside it
    SAME_DAY = 9         # both known to the day, at most ``same_day_days`` apart


LABELS = {
    Level.FURTHER: "born further apart",
    Level.WITHIN_3_YEARS: "born within 3 years",
    Level.WITHIN_2_YEARS: "born within 2 years",
    Level.WITHIN_1_YEAR: "born within 1 year",
    Level.IN_CASE_YEAR: "born in the case's year or within a month of it (its birth known only to the year or wider)",
    Level.ROUNDED: "birth dates agree if a 1st of the month means the month (1 January the year)",
    Level.LUNAR: "birth dates agree if the case's date is lunar",
    Level.WITHIN_MONTH: "birth dates overlap or within a month",
    Level.IN_CASE_MONTH: "born in the case's month (its birth known only to the month)",
    Level.SAME_DAY: "born the same day",
}
LABELS_ZH = {
    Level.FURTHER: "出生日期相差较远",
    Level.WITHIN_3_YEARS: "出生相差3年内",
    Level.WITHIN_2_YEARS: "出生相差2年内",
    Level.WITHIN_1_YEAR: "出生相差1年内",
    Level.IN_CASE_YEAR: "出生在案件所记的年份内或相差一月内（案件出生日期只知到年或更粗）",
    Level.ROUNDED: "把1日当作整月（1月1日当作整年）则出生日期相符",
    Level.LUNAR: "按农历换算出生日期相符",
    Level.WITHIN_MONTH: "出生日期重叠或相差一月内",
    Level.IN_CASE_MONTH: "出生在案件所记的月份内（案件出生日期只知到月）",
    Level.SAME_DAY: "出生日期相同",
}

#: the label of the rounded level (its m follows how often the screened data's registers round)
ROUNDED_BIRTH = LABELS[Level.ROUNDED]

# the level of gaps up to birth_month_days, then up to each of birth_band_days, then beyond
_BANDS = (Level.WITHIN_MONTH, Level.WITHIN_1_YEAR, Level.WITHIN_2_YEARS, Level.WITHIN_3_YEARS, Level.FURTHER)

# A baby lost (given away, abandoned) within this many days of its birth may be registered by its new
# family as born the day it came: a loss known to the day is a second reading of the registered birth
# (:func:`_arrival_cases`). It lies inside the near margin below, so pruning reads that day by day too.
_ARRIVAL_DAYS = 366

# Around a case's birth (and its lunar reading) levels are read day by day: a 1 January written for
# "that year" agrees with a birth up to a year and a month later (ROUNDED), a lunar or a same-day
# reading lies within a month. Beyond this margin the level follows its band edges.
_NEAR_DAYS = 370


def birth_levels(
    prep: Prepared, spec: ComparisonSpec, pairs: Pairs, value: I32 | None = None,
    limits: EngineLimits = DEFAULT_LIMITS,
) -> I8:
    # Each reading below raises a pair to at least its level where it agrees (np.maximum over whole
    # arrays): a gather per pair costs about as much as five elementwise passes, and a masked store
    # more, so readings that hold for many pairs (a lunar date, a baby's arrival) are not listed first.
    c, d = prep.cases, prep.candidates
    cases = pairs.cases
    a_lo, a_hi = pairs.spread(c.birth_lo[cases]), pairs.spread(c.birth_hi[cases])
    b_lo, b_hi = d.birth_lo.take(pairs.cand), d.birth_hi.take(pairs.cand)
    start = np.maximum(a_lo, b_lo)
    inside = prep.memo.get(("birth_inside", spec.birth_month_days), lambda: _inside_levels(prep, spec))[cases]
    held = None
    if inside.any():  # a case known only to the month or year: a birth in it has a level of its own
        held = b_lo >= a_lo
        held &= b_hi <= a_hi
        held &= pairs.spread(inside == Level.IN_CASE_MONTH)
    gap = np.subtract(start, np.minimum(a_hi, b_hi, out=a_hi), out=a_hi)
    level = _banded(gap, (spec.birth_month_days, *spec.birth_band_days), _BANDS)
    # born the same day: both known to the day, whose gap is then |a_lo - b_lo|; SAME_DAY is WITHIN_MONTH + 2
    # and same_day_days < birth_month_days (ComparisonSpec), so such a pair is WITHIN_MONTH here
    b_day = b_lo == b_hi
    same = gap <= spec.same_day_days
    same &= b_day
    same &= pairs.spread(c.birth_lo[cases] == c.birth_hi[cases])
    level += np.left_shift(same.view(np.int8), 1)
    if held is not None:
        # a case known only to the year: a birth in it or within a month of it (a year a family counts by
        # the lunar calendar ends up to seven weeks into the next) is "in the case's year"; a case known
        # only to the month: a birth inside it is in the case's month, one within a month of it within a month
        year = pairs.spread(inside == Level.IN_CASE_YEAR)
        year &= level == Level.WITHIN_MONTH
        _set_where(level, year, Level.IN_CASE_YEAR)
        np.maximum(level, held.view(np.int8) * np.int8(Level.IN_CASE_MONTH), out=level)
    if c.leap_known[cases].any():  # a lunar birth read in its month's leap twin: the better of the two readings
        rows = pairs.rows_of_cases(c.leap_known)
        if rows.size:
            t_lo, t_hi = pairs.of_case(c.leap_lo).take(rows), pairs.of_case(c.leap_hi).take(rows)
            r_lo, r_hi = b_lo.take(rows), b_hi.take(rows)
            twin = _banded(np.maximum(t_lo, r_lo) - np.minimum(t_hi, r_hi),
                           (spec.birth_month_days, *spec.birth_band_days), _BANDS)
            span = t_hi.astype(np.int64) - t_lo  # the twin of a month known only so is a case month too
            _set_where(twin, (span > spec.birth_month_days) & (twin == Level.WITHIN_MONTH), Level.IN_CASE_YEAR)
            _set_where(twin, (span > 0) & (span <= spec.birth_month_days) & (r_lo >= t_lo) & (r_hi <= t_hi),
                       Level.IN_CASE_MONTH)
            _set_where(twin, (t_lo == t_hi) & (r_lo == r_hi) & (np.abs(t_lo - r_lo) <= spec.same_day_days),
                       Level.SAME_DAY)
            level[rows] = np.maximum(level.take(rows), twin)
    arrival = prep.memo.get(("arrival_cases", spec.birth_month_days), lambda: _arrival_cases(prep, spec))
    if arrival[cases].any():  # a baby's registered birth may be the day it was lost: born that day is a near birth
        # a case without that reading is lost "on" a day no birth is near (_FAR_DAY)
        lost = pairs.spread(np.where(arrival[cases], c.event_lo[cases], _FAR_DAY))
        near = np.abs(np.subtract(b_lo, lost, out=lost), out=lost) <= spec.same_day_days
        near &= b_day
        np.maximum(level, near.view(np.int8) * np.int8(Level.WITHIN_MONTH), out=level)
    if c.alt_known[cases].any():  # the case's bare date, read as lunar, overlaps or lies within a month
        alt = c.alt_known[cases]
        alt_lo = pairs.spread(np.where(alt, c.alt_lo[cases], _FAR_DAY))
        alt_hi = pairs.spread(np.where(alt, c.alt_hi[cases], _FAR_DAY))
        alt_gap = np.subtract(np.maximum(alt_lo, b_lo, out=alt_lo), np.minimum(alt_hi, b_hi, out=alt_hi), out=alt_lo)
        lunar = alt_gap <= spec.birth_month_days
        np.maximum(level, lunar.view(np.int8) * np.int8(Level.LUNAR), out=level)
    # a 1st of the month read as the month (1 January as the year) overlaps or lies within a month where
    # the dates as written do not overlap: a pair without such a date on a side reads its own gap again,
    # and a pair that overlaps already is no nearer for it (a birth inside a case's year, or a month
    # beyond it, has a lower level than "rounded"; every other such pair a higher one)
    round_gap = np.subtract(start, np.minimum(pairs.spread(c.round_hi[cases]), d.round_hi.take(pairs.cand)), out=start)
    rounded = round_gap <= spec.birth_month_days
    rounded &= round_gap < gap
    rounded &= gap > 0
    np.maximum(level, rounded.view(np.int8) * np.int8(Level.ROUNDED), out=level)
    np.bitwise_or(level, _candidate_nulls(prep, "birth_known").take(pairs.cand), out=level)
    if not c.birth_known[cases].all():
        np.bitwise_or(level, pairs.spread(_nulls(c.birth_known[cases])), out=level)
    return level


#: a day no birth lies near (days since 1970-01-01): the reading of a case that has none
_FAR_DAY = 1 << 30


def _inside_levels(prep: Prepared, spec: ComparisonSpec) -> I8:
    """Per case, the level of a candidate born in the case's birth interval when that is wider than a
    day: IN_CASE_MONTH for one of at most ``birth_month_days`` days beyond the first, IN_CASE_YEAR for a
    longer one (0 for a case known to the day or not at all: such a birth is within a month, or the same day).

    A case that gives the birth only to the month or the year says less than one known to the day, but
    a birth inside it is not "within a month" of it: among random people about one in three hundred is
    born in a given month of a window of decades, one in twenty-five in a given year, and a true child
    mostly in it. "Within a month" pooled such pairs with day-precise births up to 31 days apart; levels
    of their own give each its weight (the share of such cases the screened data hold is corrected at
    screen time: :meth:`reunite.matching.model.FellegiSunter.fit_precision_shares`).
    """
    c = prep.cases
    out: I8 = np.array([0, Level.IN_CASE_MONTH, Level.IN_CASE_YEAR], dtype=np.int8).take(
        birth_precision(c.birth_lo, c.birth_hi, c.birth_known, spec.birth_month_days))
    return out


def _arrival_cases(prep: Prepared, spec: ComparisonSpec) -> B:
    """The cases whose loss day is a second reading of the child's registered birth: a loss known to the
    day, surely more than ``birth_month_days`` and at most ``_ARRIVAL_DAYS`` after the birth (a loss
    nearer the birth is within a month of it already; the birth may be known to the month or year).

    Families who take in a baby weeks or months old often register it as born the day it came: the
    child's registered birth is then the case's loss day, not its birth, and "born within a year" was all
    such a child could get. Born that day (``same_day_days`` either way) reads as a birth within a month:
    the reading is one of several a register may hold, and "born the same day" stays the birth itself.
    """
    c = prep.cases
    youngest = c.event_lo.astype(np.int64) - c.birth_hi
    oldest = c.event_lo.astype(np.int64) - c.birth_lo
    out: B = (c.birth_known & c.event_known & (c.event_lo == c.event_hi)
              & (youngest > spec.birth_month_days) & (oldest <= _ARRIVAL_DAYS))
    return out


# -- reference ---------------------------------------------------------------------------------------

def _day(days: int) -> datetime.date:
    return datetime.date(1970, 1, 1) + datetime.timedelta(days=days)


def _rounded_end(lo: int, hi: int) -> int:
    """The last day of a birth written as the 1st of the month read as the month (1 January: the year)."""
    day = _day(lo)
    if lo != hi or day.day != 1:
        return hi
    last = datetime.date(day.year, 12, 31) if day.month == 1 else \
        datetime.date(day.year + day.month // 12, day.month % 12 + 1, 1) - datetime.timedelta(days=1)
    return (last - datetime.date(1970, 1, 1)).days


def _lunar_reading(cases: RecordTable, i: int) -> tuple[int, int] | None:
    """The case's birth read in the other calendar: as a lunar date, when it is known to the day or
    month and nothing says it is solar or lunar already; a lunar one's digits as a solar date."""
    from reunite.normalize.dates import DateError, lunar_digits_as_solar, parse_date

    said = cases.flags.get("birth_said_solar")
    if bool(cases.birth_known[i]) and bool(cases.birth_lunar[i]):
        return lunar_digits_as_solar(int(cases.birth_lo[i]), int(cases.birth_hi[i]))
    if not bool(cases.birth_known[i]) or (said is not None and bool(said[i])):
        return None
    epoch = datetime.date(1970, 1, 1)
    lo = epoch + datetime.timedelta(days=int(cases.birth_lo[i]))
    hi = epoch + datetime.timedelta(days=int(cases.birth_hi[i]))
    if lo == hi:
        text = f"{lo.year}-{lo.month}-{lo.day}"
    elif lo.day == 1 and (lo.year, lo.month) == (hi.year, hi.month) and (hi + datetime.timedelta(days=1)).day == 1:
        text = f"{lo.year}-{lo.month}"
    else:
        return None
    try:
        found = parse_date(text, "lunar", today=datetime.date.max)
    except DateError:
        return None
    return None if found is None else ((found.lo - epoch).days, (found.hi - epoch).days)


def _leap_twin(cases: RecordTable, i: int) -> tuple[int, int] | None:
    """The case's lunar birth read in its month's leap twin (十月 for 闰十月), when that month has one."""
    from reunite.normalize.dates import lunar_leap_twin

    if not (bool(cases.birth_known[i]) and bool(cases.birth_lunar[i])):
        return None
    return lunar_leap_twin(int(cases.birth_lo[i]), int(cases.birth_hi[i]))


def _plain_level(birth_a: tuple[int, int], birth_b: tuple[int, int], spec: ComparisonSpec) -> Level:
    """The level of two births from their gap alone (the bands and the same day), or the case's
    (``birth_a``) interval of more than a day holding the candidate's."""
    gap = max(birth_a[0], birth_b[0]) - min(birth_a[1], birth_b[1])
    level = Level.FURTHER
    for bound, within in zip((spec.birth_month_days, *spec.birth_band_days), _BANDS, strict=False):
        if gap <= bound:
            level = within
            break
    if birth_a[0] == birth_a[1] and birth_b[0] == birth_b[1] and abs(birth_a[0] - birth_b[0]) <= spec.same_day_days:
        level = Level.SAME_DAY
    span = birth_a[1] - birth_a[0]
    if span > spec.birth_month_days and level == Level.WITHIN_MONTH:
        level = Level.IN_CASE_YEAR  # a case known only to the year: in it or within a month of it
    if 0 < span <= spec.birth_month_days and birth_a[0] <= birth_b[0] and birth_b[1] <= birth_a[1]:
        level = Level.IN_CASE_MONTH
    return level


def reference_level(pair: ReferencePair, spec: ComparisonSpec) -> int:
    birth_a, birth_b = pair.birth_a, pair.birth_b
    if birth_a is None or birth_b is None:
        return -1
    level = _plain_level(birth_a, birth_b, spec)
    twin = _leap_twin(pair.cases, pair.case_row)
    if twin is not None:
        level = max(level, _plain_level(twin, birth_b, spec))
    event_a = pair.event_a
    if event_a is not None and event_a[0] == event_a[1] and event_a[0] - birth_a[1] > spec.birth_month_days \
            and event_a[0] - birth_a[0] <= _ARRIVAL_DAYS and \
            birth_b[0] == birth_b[1] and abs(birth_b[0] - event_a[0]) <= spec.same_day_days:
        level = max(level, Level.WITHIN_MONTH)  # registered as born the day the baby came to its new family
    lunar = _lunar_reading(pair.cases, pair.case_row)
    if level < Level.LUNAR and lunar is not None and \
            max(lunar[0], birth_b[0]) - min(lunar[1], birth_b[1]) <= spec.birth_month_days:
        level = Level.LUNAR
    round_gap = max(birth_a[0], birth_b[0]) - min(_rounded_end(*birth_a), _rounded_end(*birth_b))
    gap = max(birth_a[0], birth_b[0]) - min(birth_a[1], birth_b[1])
    if level < Level.ROUNDED and round_gap <= spec.birth_month_days and gap > 0 and round_gap < gap:
        level = Level.ROUNDED
    return int(level)


# -- pruning -----------------------------------------------------------------------------------------

def _day_level(prep: Prepared, spec: ComparisonSpec, pairs: Pairs, day: I64) -> I8:
    return birth_levels(prep, spec, pairs)


def _day_breaks(rows: DayBreaks) -> tuple[list[I64], tuple[I64, I64] | None]:
    """The band edges around the case's birth, and every day near it (and near its lunar reading)."""
    c, spec, case = rows.prep.cases, rows.spec, rows.case
    a_lo, a_hi = c.birth_lo[case].astype(np.int64), c.birth_hi[case].astype(np.int64)
    known = c.birth_known[case]
    twin = known & c.leap_known[case]
    t_lo, t_hi = c.leap_lo[case].astype(np.int64), c.leap_hi[case].astype(np.int64)
    days: list[I64] = []
    for edge in (spec.birth_month_days, *spec.birth_band_days):
        days += [np.where(known, a_lo - edge, rows.window_lo), np.where(known, a_hi + edge + 1, rows.window_lo)]
        if twin.any():  # the band edges of the leap-twin reading too
            days += [np.where(twin, t_lo - edge, rows.window_lo), np.where(twin, t_hi + edge + 1, rows.window_lo)]
    near = _NEAR_DAYS + 2 * spec.birth_month_days
    near_lo = np.minimum.reduce([a_lo, np.where(c.alt_known[case], c.alt_lo[case], a_lo),
                                 np.where(twin, t_lo, a_lo)]) - near
    near_hi = np.maximum.reduce([a_hi, c.round_hi[case].astype(np.int64),
                                 np.where(c.alt_known[case], c.alt_hi[case], a_hi), np.where(twin, t_hi, a_hi)]) + near
    return days, (np.where(known, near_lo, 0), np.where(known, near_hi + 1, 0))


def _cell_level(cell: CellFacts) -> I8:
    return cell.day["birth"]


COMPARISON = Comparison(
    name="birth", title="birth", title_zh="出生日期",
    chart_order=10, chart_colour="#0072B2",
    labels=labels_of(Level, LABELS), labels_zh=labels_of(Level, LABELS_ZH),
    kernel=birth_levels, reference=reference_level, field="birth date",
    pruning=Pruning(_cell_level, day_level=_day_level, day_breaks=_day_breaks),
    rounding_level=int(Level.ROUNDED),
    precision_levels=(("month", int(Level.IN_CASE_MONTH)), ("year", int(Level.IN_CASE_YEAR))),
    outside_window_level=int(Level.FURTHER),
)
