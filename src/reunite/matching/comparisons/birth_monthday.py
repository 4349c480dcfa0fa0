"""Birthday in another year: births known to the day and at least ``birthday_min_gap_days`` apart, compared
on month and day alone (a registered birth shifted by whole years often keeps the birthday, or keeps it
only roughly: "near" is at most ``birthday_near_days`` apart around the year -- a lunar birthday
written as solar, a birthday remembered as "around the Spring Festival", a register's month).

"The same birthday" allows ``same_day_days`` either way, as "born the same day" of the birth comparison
does: a child whose registered birth moved by whole years lies a day off the case's birthday about as
often as on it (on both generators' worst configurations, benchmarks/README.md "The worst
configurations"), and an exact month and day left that child with "birthday differs".

Within the birth comparison's first band (``birth_band_days[0]``, "born within 1 year") only "the same
birthday" is read: there "near" follows from the gap the birth comparison bands already (a gap of 305-366
days is near by construction, 949 of 1,074 random pairs 300-366 days apart were), and multiplying the two
counted about 1.4 bits twice (benchmarks/README.md "Birthday near and born within a year, counted once").

Day-bound for pruning: "far enough apart", "beyond the first band" and "near" follow from the candidate's
birth day (breaks around the case's birthday in every year of the windows); the candidates with the case's
birthday are hits.
"""

from __future__ import annotations

import datetime
from enum import IntEnum
from typing import TYPE_CHECKING

import numpy as np

from reunite._typing import I8, I16, I32, I64, B
from reunite.matching.compare import Pairs, _null_where
from reunite.matching.comparisons.base import (
    CandidateFact,
    CellFacts,
    Comparison,
    DayBreaks,
    HitSearch,
    Postings,
    Pruning,
    ReferencePair,
    labels_of,
)
from reunite.matching.engine import DEFAULT_LIMITS, EngineLimits
from reunite.matching.prepare import Prepared

if TYPE_CHECKING:
    from reunite.matching.spec import ComparisonSpec

__all__ = ["COMPARISON", "Level"]


class Level(IntEnum):
    DIFFERS = 0
    NEAR = 1  # at most ``birthday_near_days`` apart around the year
    SAME = 2  # at most ``same_day_days`` apart


LABELS = {Level.DIFFERS: "birthday differs, another year",
          Level.NEAR: "birthday within two months, another year",
          Level.SAME: "same birthday, another year"}
LABELS_ZH = {Level.DIFFERS: "生日不同（另一年）", Level.NEAR: "生日相差两个月内（另一年）",
             Level.SAME: "生日相同（另一年）"}


def _ordinal_table() -> tuple[I64, I64]:
    """``month * 100 + day`` -> the day's place in a leap year (0-365), and back."""
    days = np.arange(np.datetime64("2000-01-01"), np.datetime64("2001-01-01"))
    month = (days.astype("datetime64[M]") - days.astype("datetime64[Y]")).astype(np.int64) + 1
    code = month * 100 + (days - days.astype("datetime64[M]")).astype(np.int64) + 1
    ordinal = np.full(1232, -1, dtype=np.int64)
    ordinal[code] = np.arange(code.size)
    return ordinal, code


_ORDINAL, _CODE_OF_ORDINAL = _ordinal_table()
_YEAR_DAYS = int(_CODE_OF_ORDINAL.size)


def _birthday_distance(a: I64, b: I64) -> I64:
    """Days between two birthdays (``month * 100 + day``, both known) around the year."""
    gap = np.abs(_ORDINAL[a] - _ORDINAL[b])
    out: I64 = np.minimum(gap, _YEAR_DAYS - gap)
    return out


def _ordinals(birth_md: I16) -> I16:
    """Each birthday's place in a leap year (0-365), -1 where unknown."""
    out: I16 = np.where(birth_md >= 0, _ORDINAL.take(np.maximum(birth_md, 0)), -1).astype(np.int16)
    return out


def birthday_levels(
    prep: Prepared, spec: ComparisonSpec, pairs: Pairs, value: I32 | None = None,
    limits: EngineLimits = DEFAULT_LIMITS,
) -> I8:
    c, d = prep.cases, prep.candidates
    # places in the year as int16, the candidates' once per screen: a gather per pair is what costs (an
    # int64 table lookup of both sides' month and day took half the kernel's time)
    a = pairs.spread(_ordinals(c.birth_md[pairs.cases]))
    b = prep.memo.get(("birthday_ordinals",), lambda: _ordinals(d.birth_md)).take(pairs.cand)
    both = np.bitwise_or(a, b) >= 0  # neither is -1
    apart = np.subtract(a, b, out=a)
    np.abs(apart, out=apart)
    np.minimum(apart, np.int16(_YEAR_DAYS) - apart, out=apart)  # around the year
    same = apart <= spec.same_day_days
    # DIFFERS 0, NEAR 1, SAME 2 by adding the two tests (two one-byte passes, no nested where)
    level: I8 = (apart <= spec.birthday_near_days).view(np.int8) + same.view(np.int8)
    gap = pairs.of_case(c.birth_lo) - d.birth_lo.take(pairs.cand)
    np.abs(gap, out=gap)
    beyond = (gap > spec.birth_band_days[0]) | same  # within 1 year: only the same birthday
    _null_where(level, ~((gap >= spec.birthday_min_gap_days) & both & beyond))
    return level


def reference_level(pair: ReferencePair, spec: ComparisonSpec) -> int:
    birth_a, birth_b = pair.birth_a, pair.birth_b
    if birth_a is None or birth_b is None or birth_a[0] != birth_a[1] or birth_b[0] != birth_b[1]:
        return -1
    epoch = datetime.date(1970, 1, 1)
    day_a, day_b = epoch + datetime.timedelta(days=birth_a[0]), epoch + datetime.timedelta(days=birth_b[0])
    if abs(birth_a[0] - birth_b[0]) < spec.birthday_min_gap_days or (day_a.month, day_a.day) == (1, 1) \
            or (day_b.month, day_b.day) == (1, 1):
        return -1  # (1 January is what registers write for an unknown day)
    leap_a, leap_b = datetime.date(2000, day_a.month, day_a.day), datetime.date(2000, day_b.month, day_b.day)
    gap = abs((leap_a - leap_b).days)
    apart = min(gap, _YEAR_DAYS - gap)
    if apart <= spec.same_day_days:
        return int(Level.SAME)
    if abs(birth_a[0] - birth_b[0]) <= spec.birth_band_days[0]:
        return -1  # born within 1 year: "near" or not follows from the gap the birth comparison bands
    return int(Level.NEAR if apart <= spec.birthday_near_days else Level.DIFFERS)


# -- pruning -----------------------------------------------------------------------------------------

def _hits(search: HitSearch) -> None:
    """Candidates born within ``same_day_days`` of the case's month and day (in any year)."""
    md = search.prep.cases.birth_md[search.case].astype(np.int64)
    rows, ordinal = search.rows[md >= 0], _ORDINAL[md[md >= 0]]
    for shift in range(-search.spec.same_day_days, search.spec.same_day_days + 1):
        code = _CODE_OF_ORDINAL[(ordinal + shift) % _YEAR_DAYS]
        search.add_postings("birthday", rows, code)


def _month_day(day: I64) -> I64:
    """``month * 100 + day`` of days since 1970-01-01."""
    date = day.astype("datetime64[D]")
    month = date.astype("datetime64[M]")
    out: I64 = (month - date.astype("datetime64[Y]")).astype(np.int64) * 100 + 100 \
        + (date - month).astype(np.int64) + 1
    return out


# the day levels: too near the case's birth to compare birthdays other than the same (within
# birthday_min_gap_days, or within the birth comparison's first band), far and the birthday differs, far and near
_NOT_FAR, _FAR_DIFFERS, _FAR_NEAR = 0, 1, 2


def _day_level(prep: Prepared, spec: ComparisonSpec, pairs: Pairs, day: I64) -> I8:
    """Per candidate birth day: 0 where it is too near the case's birth to be compared on the birthday
    (nearer than ``birthday_min_gap_days``, or within ``birth_band_days[0]``), else 2 where its birthday is
    within ``birthday_near_days`` of the case's and 1 where not. (A day within ``same_day_days`` reads as
    near, or as too near: such candidates are hits, scored pair by pair.)"""
    c = prep.cases
    gap = np.abs(c.birth_lo[pairs.case].astype(np.int64) - day)
    far = (gap >= spec.birthday_min_gap_days) & (gap > spec.birth_band_days[0])
    a = c.birth_md[pairs.case].astype(np.int64)
    apart = _birthday_distance(np.where(a >= 0, a, 102), _month_day(day))
    near = (a >= 0) & (apart <= spec.birthday_near_days)
    out: I8 = np.where(far, np.where(near, _FAR_NEAR, _FAR_DIFFERS), _NOT_FAR).astype(np.int8)
    return out


def _year_start(year: I64) -> tuple[I64, B]:
    """The first day (since 1970-01-01) of each year, and whether it is a leap year."""
    start: I64 = (year - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)
    leap: B = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    return start, leap


def _day_breaks(rows: DayBreaks) -> tuple[list[I64], tuple[I64, I64] | None]:
    """Where the case's birth is ``birthday_min_gap_days`` and ``birth_band_days[0]`` away, and in every year
    of the windows the first days inside and past the ``birthday_near_days`` around the case's birthday."""
    c, spec = rows.prep.cases, rows.spec
    a_lo = c.birth_lo[rows.case].astype(np.int64)
    known = c.birth_known[rows.case]
    gap, band = spec.birthday_min_gap_days, spec.birth_band_days[0]
    days = [np.where(known, a_lo - gap + 1, rows.window_lo), np.where(known, a_lo + gap, rows.window_lo),
            np.where(known, a_lo - band, rows.window_lo), np.where(known, a_lo + band + 1, rows.window_lo)]
    md = c.birth_md[rows.case].astype(np.int64)
    has = md >= 0
    if not has.any():
        return days, None
    ordinal = _ORDINAL[np.where(has, md, 102)]
    first = rows.span_lo.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    last = rows.span_hi.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    for k in range(int((last - first)[has].max()) + 1):
        start, leap = _year_start(first + k)
        for edge in (ordinal - spec.birthday_near_days, ordinal + spec.birthday_near_days + 1):
            target = edge % _YEAR_DAYS  # a place in a leap year: in another year, the first day at or past it
            days.append(np.where(has, start + target - ((target >= 60) & ~leap), rows.window_lo))
    return days, None


def _birthday_known(prep: Prepared, spec: ComparisonSpec, at: I64) -> B:
    known: B = prep.candidates.birth_md[at] >= 0
    return known


def _birthday_codes(prep: Prepared, spec: ComparisonSpec, at: I64) -> tuple[I64, I64]:
    """The month and day of birth of the candidates ``at`` (-1: unknown)."""
    return prep.candidates.birth_md[at].astype(np.int64), at


BIRTHDAY_KNOWN = CandidateFact("birthday_known", 2, _birthday_known)
BIRTHDAY_POSTINGS = Postings("birthday", _birthday_codes)


def _cell_level(cell: CellFacts) -> I8:
    """A counted candidate has another birthday: "near" or "differs" (its day says) when both are known
    and far enough apart (beyond the birth comparison's first band too)."""
    day = cell.day["birth_monthday"]
    compared = (cell.prep.cases.birth_md[cell.case] >= 0) & (cell.fact(BIRTHDAY_KNOWN.name) == 1) \
        & (day != _NOT_FAR)
    return np.where(compared, np.where(day == _FAR_NEAR, Level.NEAR, Level.DIFFERS), -1).astype(np.int8)


COMPARISON = Comparison(
    name="birth_monthday", title="birthday", title_zh="生日",
    chart_order=20, chart_colour="#56B4E9",
    labels=labels_of(Level, LABELS), labels_zh=labels_of(Level, LABELS_ZH),
    kernel=birthday_levels, reference=reference_level, field="birth date",
    pruning=Pruning(_cell_level, hits=_hits, day_level=_day_level, day_breaks=_day_breaks,
                    facts=(BIRTHDAY_KNOWN,), postings=(BIRTHDAY_POSTINGS,)),
)
