"""Turn two normalized tables into the arrays the kernels read.

Strings are interned once, over both sides together, so equal strings get equal integer codes.
Names become slot matrices ``[records, slots]`` (slot 0 is the reported name, then childhood or
former names; ``-1`` empty). Candidates are put in blocking order (sex, then birth day) so that the
pairs of one case read contiguous memory.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import threading
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from reunite._codes import distinct, factorize
from reunite._typing import F32, I8, I16, I32, I64, U64, B
from reunite.normalize.dates import DateError, from_days, lunar_digits_as_solar, lunar_leap_twin, parse_date, to_days
from reunite.normalize.features import MAX_NAMES_COMPARED, RecordTable
from reunite.normalize.name_cells import childhood_key

__all__ = [
    "MAX_NAME_SLOTS", "PRECISIONS", "Memo", "Prepared", "PreparedSide", "Regions", "birth_precision", "name_counts",
    "name_frequencies", "precision_shares", "prepare", "rounded_share", "sex_and_birth", "shares",
]

#: how precisely a case may give a birth, beyond the day: to the month, to the year or wider
PRECISIONS = ("month", "year")

MAX_NAME_SLOTS = MAX_NAMES_COMPARED



@dataclass(frozen=True, slots=True)
class PreparedSide:
    """Record-level arrays of one side, ready for pair kernels."""

    sex: I8
    birth_lo: I32
    birth_hi: I32
    birth_known: B
    event_lo: I32
    event_hi: I32
    event_known: B
    county: I32         # today's county (blocking keys); the rest of a place is in Prepared.regions
    id_county: I32
    region_id: I32      # index into Prepared.regions: equal places share an id across both sides
    marks: U64
    birth_md: I16       # month * 100 + day of a birth known to the day, else -1 (1 January too)
    round_hi: I32       # birth_hi, or the month's (1 January: the year's) last day for a 1st of the month
    alt_lo: I32         # cases: the birth read as a lunar date, when nothing says it is solar
    alt_hi: I32
    alt_known: B
    leap_lo: I32        # cases: a lunar birth in a regular month read in its leap twin (十月 for 闰十月)
    leap_hi: I32
    leap_known: B
    given: I32          # [n, slots] codes of given-name characters (readings: Prepared.given_readings)
    given_py: I32       # [n, slots] codes of toneless pinyin (for blocking)
    surname: I32        # [n, slots]
    surname_py: I32     # [n, slots] (for blocking)
    n_names: I8         # names (slots filled) per record

    def __len__(self) -> int:
        return int(self.sex.shape[0])

    @property
    def n_slots(self) -> int:
        return int(self.given.shape[1])


@dataclass(frozen=True, slots=True)
class Regions:
    """The distinct places (today's county, city, province, level, coordinates) of both sides."""

    county: I32
    city: I32
    province: I32
    level: I8
    lat: F32
    lon: F32

    def __len__(self) -> int:
        return int(self.county.shape[0])


def _regions(*tables: RecordTable) -> tuple[Regions, list[I32]]:
    """Intern places over both sides (a place's coordinates follow from its codes and level)."""
    keys = np.concatenate([
        ((t.region_province.astype(np.int64) * 1_000_000 + t.region_city) * 1_000_000 + t.region_county) * 10
        + t.region_level
        for t in tables
    ])
    codes, _ = factorize(keys)
    codes = np.asarray(codes, dtype=np.int32)
    first = np.unique(codes, return_index=True)[1]
    columns = {
        name: np.concatenate([getattr(t, field) for t in tables])[first]
        for name, field in (("county", "region_county"), ("city", "region_city"), ("province", "region_province"),
                            ("level", "region_level"), ("lat", "lat"), ("lon", "lon"))
    }
    ids: list[I32] = []
    start = 0
    for t in tables:
        ids.append(codes[start:start + len(t)].astype(np.int32))
        start += len(t)
    return Regions(**columns), ids


class Memo:
    """Values derived from a :class:`Prepared` once, on first use, shared by the threads scoring it."""

    def __init__(self) -> None:
        self._lock = threading.RLock()  # a computation may ask for another value
        self._values: dict[Hashable, Any] = {}

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        with self._lock:  # a second thread waits for the first one's result rather than redoing it
            if key not in self._values:
                self._values[key] = compute()
            return self._values[key]


@dataclass(frozen=True, slots=True)
class Prepared:
    """Both sides with shared string codes; candidates in blocking order.

    ``cand_order[i]`` is the row of the candidate RecordTable for prepared candidate ``i``;
    ``tiebreak[i]`` orders candidates by person id, for deterministic ranking ties.
    """

    cases: PreparedSide
    candidates: PreparedSide
    cand_order: I64
    tiebreak: I64
    pinyin_vocab: npt.NDArray[np.object_]   # given-name pinyin string per code
    given_freq: F32        # share of candidates carrying each given-name code (characters)
    pinyin_freq: F32       # share of candidates carrying each pinyin code
    surname_freq: F32      # share of candidates carrying each surname code
    frequency_base: int    # how many candidates the shares were counted over
    given_readings: I32    # per given-name code: its pinyin, alternative pinyin, fuzzy, childhood-key and
                           # last-character codes (GIVEN_READING_COLUMNS)
    surname_readings: I32  # per surname code: its pinyin code
    regions: Regions       # the distinct places of both sides, indexed by region_id
    memo: Memo = field(default_factory=Memo, repr=False, compare=False)  # derived tables, by the kernels


def _intern(*arrays: npt.NDArray[np.str_] | npt.NDArray[np.object_]) -> tuple[list[I32], npt.NDArray[np.object_]]:
    """One code space for all arrays; "" becomes -1. Returns the codes and the value of each code."""
    parts = [np.asarray(a).ravel() for a in arrays]
    # text arrays are coded as text (by their characters, see reunite._codes), others as objects
    text = bool(parts) and all(p.dtype.kind == "U" for p in parts)
    joined = np.concatenate(parts if text else [p.astype(object) for p in parts])
    codes, uniques = factorize(joined)
    codes = np.asarray(codes, dtype=np.int32)
    empty = np.flatnonzero(uniques == "")
    if empty.size:
        codes[codes == empty[0]] = -1
    out: list[I32] = []
    start = 0
    for a in arrays:
        size = int(np.asarray(a).size)
        out.append(np.asarray(codes[start:start + size], dtype=np.int32).reshape(np.asarray(a).shape))
        start += size
    return out, np.asarray(uniques, dtype=object)


def _per_code(
    codes: tuple[I32, ...], values: tuple[npt.NDArray[np.str_], ...], n_codes: int
) -> npt.NDArray[np.object_]:
    """The value of each code, for a column that is a function of the coded one (any row carrying
    the code gives it): the pinyin of a given name, say."""
    joined_codes = np.concatenate(codes)
    rows = np.flatnonzero(joined_codes >= 0)
    first = np.zeros(n_codes, dtype=np.int64)
    first[joined_codes[rows]] = rows
    # each code's value read from the array its row is in (the columns are not joined: a million rows)
    out = np.empty(n_codes, dtype=object)
    start = 0
    for column in values:
        size = int(np.asarray(column).size)
        mine = np.flatnonzero((first >= start) & (first < start + size))
        out[mine] = np.asarray(column).ravel()[first[mine] - start].astype(object)
        start += size
    return out


GIVEN_READING_COLUMNS = 5


def _childhood_keys(given: npt.NDArray[np.object_]) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.object_]]:
    """Per distinct given name: :func:`reunite.normalize.name_cells.childhood_key` and its last character
    ("" for none)."""
    names = [str(g) for g in given]
    return (np.array([childhood_key(g) for g in names], dtype=object),
            np.array([g[-1:] for g in names], dtype=object))


def _reading(reading_of: I32, codes: I32) -> I32:
    """Per-row reading codes from per-code ones; -1 where the row has no code."""
    return np.where(codes >= 0, reading_of[np.maximum(codes, 0)] if reading_of.size else -1, -1).astype(np.int32)


def _slots(table: RecordTable) -> tuple[I64, I64, B, int]:
    """Record and slot index of every name row, which rows fit (at most MAX_NAME_SLOTS per record)."""
    record = table.names.record.astype(np.int64)
    n_names = record.shape[0]
    if n_names == 0:
        return record, record, np.zeros(0, dtype=bool), 1
    first = np.r_[True, record[1:] != record[:-1]]
    starts = np.flatnonzero(first)
    slot = np.arange(n_names, dtype=np.int64) - np.repeat(starts, np.diff(np.r_[starts, n_names]))
    keep = slot < MAX_NAME_SLOTS
    n_slots = int(slot[keep].max()) + 1
    return record[keep], slot[keep], keep, n_slots


def _slot_matrix(n: int, n_slots: int, record: I64, slot: I64, codes: I32, keep: B) -> I32:
    # column-major: kernels read one slot of many records at a time
    matrix = np.full((n, n_slots), -1, dtype=np.int32, order="F")
    matrix[record, slot] = codes[keep]
    return matrix


def _distinct_days(lo: npt.NDArray[np.integer[Any]]) -> tuple[I64, I64]:
    """Days to compute a function of the day on, and each element's position among them: every day
    from the first to the last when that span is short beside the elements (a million births span some
    tens of thousands of days), else the distinct days. Calendar arithmetic on ``datetime64`` is slow
    per element: done once per day, the result is taken per element."""
    days = np.asarray(lo, dtype=np.int64)
    if days.size and int(days.max()) - int(days.min()) <= 2 * days.size:
        first = int(days.min())
        return np.arange(first, int(days.max()) + 1, dtype=np.int64), days - first
    distinct, at = np.unique(days, return_inverse=True)
    return distinct, at.reshape(-1)


def month_day(lo: I32, hi: I32, known: B) -> I16:
    """``month * 100 + day`` of each birth known to the day, else -1; 1 January is -1 too (see
    :func:`rounded_hi`).

    >>> month_day(np.array([6697, 0]), np.array([6697, 30]), np.array([True, True])).tolist()  # 1988-05-03
    [503, -1]
    """
    distinct, at = _distinct_days(lo)
    days = distinct.astype("datetime64[D]")
    month = ((days.astype("datetime64[M]") - days.astype("datetime64[Y]")).astype(np.int64) + 1)[at]
    day = ((days - days.astype("datetime64[M]")).astype(np.int64) + 1)[at]
    # 1 January is what registers write for "born that year": not a birthday to match in another year
    to_the_day = known & (lo == hi) & ((month > 1) | (day > 1))
    out: I16 = np.where(to_the_day, month * 100 + day, -1).astype(np.int16)
    return out


def rounded_hi(lo: I32, hi: I32, known: B) -> I32:
    """The last day a birth may mean when a 1st of the month is written for "that month" (1 January
    for "that year"), as registers do when the day was not known; ``hi`` for every other birth.

    >>> rounded_hi(np.array([7305, 7336, 7306]), np.array([7305, 7336, 7306]), np.ones(3, bool)).tolist()
    [7669, 7363, 7306]
    """
    distinct, at = _distinct_days(lo)
    days = distinct.astype("datetime64[D]")
    month = days.astype("datetime64[M]")
    first = known & (lo == hi) & (days == month.astype("datetime64[D]"))[at]
    january = first & (month == days.astype("datetime64[Y]").astype("datetime64[M]"))[at]
    month_end = ((month + 1).astype("datetime64[D]") - 1).astype(np.int64)[at]
    year_end = ((days.astype("datetime64[Y]") + 1).astype("datetime64[D]") - 1).astype(np.int64)[at]
    out: I32 = np.where(january, year_end, np.where(first, month_end, hi)).astype(np.int32)
    return out


def rounded_share(lo: I32, hi: I32, known: B) -> float | None:
    """The share of births known to the day that were written as the 1st of the month beyond the
    twelve in 365 born on a 1st (registers round a day nobody knew); None below 200 such births.

    >>> days = np.arange(7305, 7305 + 3652, dtype=np.int32)  # 1990-01-01 .. 1999-12-31, each day once
    >>> round(rounded_share(days, days, np.ones(days.size, bool)), 4)
    0.0
    >>> firsts = np.repeat(np.array([7305, 7336], dtype=np.int32), 500)  # 1990-01-01 and 1990-02-01
    >>> both = np.r_[days, firsts]
    >>> round(rounded_share(both, both, np.ones(both.size, bool)), 2)
    0.21
    """
    day = known & (lo == hi)
    n = int(day.sum())
    if n < 200:
        return None
    first = int((day & (rounded_hi(lo, hi, known) != hi)).sum()) / n
    natural = 12 / 365.25
    return float(min(max((first - natural) / (1.0 - natural), 0.0), 1.0))


def birth_precision(lo: I32, hi: I32, known: B, month_days: int) -> I8:
    """Each birth's precision beyond the day: 0 known to the day (or not at all), 1 only to the month
    (an interval of 2 to ``month_days + 1`` days), 2 only to the year or wider (longer): the index into
    ``("day", *PRECISIONS)``.

    >>> days = np.array([7305, 7305, 7305, 7305], dtype=np.int32)
    >>> birth_precision(days, days + np.array([0, 0, 30, 364]), np.array([True, False, True, True]), 31).tolist()
    [0, 0, 1, 2]
    """
    span = hi.astype(np.int64) - lo
    out: I8 = np.select([~known | (span <= 0), span <= month_days], [0, 1], 2).astype(np.int8)
    return out


def precision_shares(lo: I32, hi: I32, known: B, month_days: int) -> dict[str, float] | None:
    """The shares of births (of those known) given only to the month and only to the year or wider
    (:func:`birth_precision`); None without a known birth.

    >>> days = np.array([7305, 7305, 7305, 7305], dtype=np.int32)
    >>> precision_shares(days, days + np.array([0, 0, 30, 364]), np.ones(4, bool), 31)
    {'month': 0.25, 'year': 0.25}
    """
    n = int(known.sum())
    if not n:
        return None
    counts = np.bincount(birth_precision(lo, hi, known, month_days)[known], minlength=3)
    return {precision: int(counts[j + 1]) / n for j, precision in enumerate(PRECISIONS)}


def lunar_readings(table: RecordTable) -> tuple[I32, I32, B]:
    """Each case's birth read in the other calendar (an interval of solar days), where that is open.

    Families often remember the lunar birthday and write it with bare digits: a birth known to the
    day or to the month, not read as lunar already and not said to be solar, is read again as lunar.
    And many household registers wrote a lunar birthday's digits as the solar date: a birth the case
    gives as lunar, to the day or the lunar month, is read again as those digits in the solar calendar
    (:func:`reunite.normalize.dates.lunar_digits_as_solar`). A reading that does not exist (the 30th of
    a 29-day lunar month, 2月30日) is left out.
    """
    n = len(table)
    lo, hi, known = np.zeros(n, np.int32), np.zeros(n, np.int32), np.zeros(n, bool)
    if table.side != "cases":
        return lo, hi, known
    said = table.flags.get("birth_said_solar", np.zeros(n, dtype=bool))
    open_ = np.flatnonzero(table.birth_known & ~table.birth_lunar & ~said)
    for i in open_.tolist():
        reading = _lunar_reading(int(table.birth_lo[i]), int(table.birth_hi[i]))
        if reading is not None:
            lo[i], hi[i], known[i] = reading[0], reading[1], True
    for i in np.flatnonzero(table.birth_known & table.birth_lunar).tolist():
        reading = lunar_digits_as_solar(int(table.birth_lo[i]), int(table.birth_hi[i]))
        if reading is not None:
            lo[i], hi[i], known[i] = reading[0], reading[1], True
    return lo, hi, known


def leap_twins(table: RecordTable) -> tuple[I32, I32, B]:
    """Each case's lunar birth read in the leap twin of its month, where the lunar year has one.

    A family that writes 农历十月十八 may mean 闰十月十八 (a month later): a lunar birth known to the day
    or to the month, in a regular month whose leap twin exists that year, is read again in the twin
    (:func:`reunite.normalize.dates.lunar_leap_twin`); the birth comparison judges a pair on the better
    of the two readings. A birth given in the leap month (an explicit 闰) has no twin.
    """
    n = len(table)
    lo, hi, known = np.zeros(n, np.int32), np.zeros(n, np.int32), np.zeros(n, bool)
    if table.side != "cases":
        return lo, hi, known
    for i in np.flatnonzero(table.birth_known & table.birth_lunar).tolist():
        reading = lunar_leap_twin(int(table.birth_lo[i]), int(table.birth_hi[i]))
        if reading is not None:
            lo[i], hi[i], known[i] = reading[0], reading[1], True
    return lo, hi, known


@functools.lru_cache(maxsize=1 << 16)
def _lunar_reading(birth_lo: int, birth_hi: int) -> tuple[int, int] | None:
    """The solar days of a birth known to the day or month (``birth_lo .. birth_hi``) read as a
    lunar date, or None (not one day or one whole month, or no such lunar date). Kept per process:
    a night's several screens of the same cases read the same births (the lunar calendar does not
    depend on today)."""
    first, last = from_days(birth_lo), from_days(birth_hi)
    if first == last:
        text = f"{first.year}-{first.month}-{first.day}"
    elif first.day == 1 and (first.year, first.month) == (last.year, last.month) and \
            (last + datetime.timedelta(days=1)).month != last.month:
        text = f"{first.year}-{first.month}"
    else:
        return None
    try:
        found = parse_date(text, "lunar", today=datetime.date.max)
    except DateError:
        return None
    return None if found is None else (to_days(found.lo), to_days(found.hi))


def sex_and_birth(table: RecordTable) -> tuple[I8, I32, I32, B]:
    """Sex and birth interval as blocking reads them: a candidate's valid resident ID carries the
    registered birth date and sex when the columns are empty."""
    birth_lo, birth_hi, birth_known = table.birth_lo, table.birth_hi, table.birth_known
    sex = table.sex
    if table.side == "candidates":
        sex = np.where((sex == 0) & table.id_valid, table.id_sex, sex).astype(np.int8)
        use_id = ~birth_known & table.id_valid
        birth_lo = np.where(use_id, table.id_birth, birth_lo).astype(np.int32)
        birth_hi = np.where(use_id, table.id_birth, birth_hi).astype(np.int32)
        birth_known = birth_known | use_id
    return sex, birth_lo, birth_hi, birth_known


def _side(table: RecordTable, codes: dict[str, I32]) -> PreparedSide:
    record, slot, keep, n_slots = _slots(table)
    n = len(table)
    mats = {
        key: _slot_matrix(n, n_slots, record, slot, value, keep) for key, value in codes.items()
    }
    sex, birth_lo, birth_hi, birth_known = sex_and_birth(table)
    alt_lo, alt_hi, alt_known = lunar_readings(table)
    leap_lo, leap_hi, leap_known = leap_twins(table)
    return PreparedSide(
        sex=sex, birth_lo=birth_lo, birth_hi=birth_hi, birth_known=birth_known,
        birth_md=month_day(birth_lo, birth_hi, birth_known), round_hi=rounded_hi(birth_lo, birth_hi, birth_known),
        alt_lo=alt_lo, alt_hi=alt_hi, alt_known=alt_known, leap_lo=leap_lo, leap_hi=leap_hi, leap_known=leap_known,
        event_lo=table.event_lo, event_hi=table.event_hi, event_known=table.event_known,
        county=table.region_county,
        id_county=np.where(table.id_valid, table.id_region_county, 0).astype(np.int32),
        region_id=np.zeros(n, dtype=np.int32),  # set by prepare, over both sides
        marks=table.marks,
        given=mats["given"], given_py=mats["given_py"], surname=mats["surname"], surname_py=mats["surname_py"],
        n_names=np.bincount(record, minlength=n).astype(np.int8),
    )


def _frequency(values: npt.NDArray[np.object_], known: Mapping[str, float]) -> F32:
    """Share of candidates carrying each code's value; values not in ``known`` get its smallest share."""
    floor = min(known.values(), default=1e-6)
    return np.array([known.get(v, floor) for v in values.tolist()], dtype=np.float32)


def name_counts(candidates: RecordTable) -> dict[str, dict[str, int]]:
    """How many candidates carry each given name, given-name pinyin and surname (each candidate once
    per value). Counts of disjoint shards of the candidates add up to those of the whole.

    >>> from reunite.pipeline import load_side
    >>> import pandas as pd
    >>> people = load_side(pd.DataFrame({"person_id": ["a", "b"], "name": ["王伟", "李伟"],
    ...                                  "former_names": ["王伟", ""], "sex": ["M", "M"],
    ...                                  "birth_date": ["1990", "1991"]}), "candidates")
    >>> name_counts(people)["given"]
    {'伟': 2}
    """
    names = candidates.names
    out: dict[str, dict[str, int]] = {}
    record = names.record.astype(np.int64)
    for key, column in (("given", names.given), ("pinyin", names.given_pinyin), ("surname", names.surname)):
        column = np.asarray(column)  # text is coded as text (see reunite._codes), anything else as objects
        codes, values = factorize(column if column.dtype.kind == "U" else column.astype(object))
        codes = np.asarray(codes, dtype=np.int64)
        present = values != ""
        # each candidate counts once per value, however many of its names carry it (a table's
        # names come record by record: only rows of records with several names can repeat one)
        known = codes >= 0
        several = np.r_[record[1:] == record[:-1], False] | np.r_[False, record[1:] == record[:-1]]
        repeated = known & several
        once = distinct(record[repeated] * len(values) + codes[repeated]) % max(len(values), 1)
        counts = (np.bincount(codes[known & ~several], minlength=len(values))
                  + np.bincount(once, minlength=len(values)))
        out[key] = {str(v): int(c) for v, c, ok in zip(values.tolist(), counts.tolist(), present.tolist(),
                                                       strict=True) if ok and c}
    return out


def shares(counts: Mapping[str, Mapping[str, int]], n_candidates: int) -> dict[str, dict[str, float]]:
    """Name counts as shares of ``n_candidates`` (what :func:`name_frequencies` returns)."""
    n = max(n_candidates, 1)
    return {key: {value: float(c) / n for value, c in by_value.items()} for key, by_value in counts.items()}


def name_frequencies(candidates: RecordTable) -> dict[str, dict[str, float]]:
    """Share of candidates carrying each given name, given-name pinyin and surname.

    >>> from reunite.pipeline import load_side
    >>> import pandas as pd
    >>> people = load_side(pd.DataFrame({"person_id": ["a", "b"], "name": ["王伟", "李伟"],
    ...                                  "former_names": ["王伟", ""], "sex": ["M", "M"],
    ...                                  "birth_date": ["1990", "1991"]}), "candidates")
    >>> name_frequencies(people)["given"], name_frequencies(people)["surname"]
    ({'伟': 1.0}, {'王': 0.5, '李': 0.5})
    """
    return shares(name_counts(candidates), len(candidates))


def _reorder(values: npt.NDArray[Any], order: I64) -> npt.NDArray[Any]:
    if values.ndim == 2:  # column-major, as the kernels read a slot: gathered a column at a time into it
        out = np.empty((order.shape[0], values.shape[1]), dtype=values.dtype, order="F")
        for column in range(values.shape[1]):
            np.take(values[:, column], order, out=out[:, column])
        return out
    return np.ascontiguousarray(values[order])


def prepare(
    cases: RecordTable,
    candidates: RecordTable,
    frequencies: Mapping[str, Mapping[str, float]] | None = None,
    frequency_base: int | None = None,
) -> Prepared:
    """Intern both tables' strings together and order candidates for blocking.

    ``frequencies`` (see :func:`name_frequencies`), counted over ``frequency_base`` candidates,
    fixes the term frequencies; by default they come from ``candidates``.
    """
    cn, dn = cases.names, candidates.names
    (g_c, g_d), given_values = _intern(cn.given, dn.given)
    (s_c, s_d), surname_values = _intern(cn.surname, dn.surname)
    # Readings are functions of the characters: interned once per distinct given name or surname.
    # given_readings: per given-name code, its pinyin, alternative pinyin and fuzzy codes.
    by_given = [_per_code((g_c, g_d), (cn_col, dn_col), len(given_values)) for cn_col, dn_col in (
        (cn.given_pinyin, dn.given_pinyin), (cn.given_pinyin_alt, dn.given_pinyin_alt),
        (cn.given_fuzzy, dn.given_fuzzy))]
    (py_of, alt_of), pinyin_vocab = _intern(by_given[0], by_given[1])
    (fuzzy_of,), _ = _intern(by_given[2])
    # and the character a childhood name of that code is made of (小红 -> 红), and its last character
    (key_of, last_of), _ = _intern(*_childhood_keys(given_values))
    given_readings = np.stack([py_of, alt_of, fuzzy_of, key_of, last_of], axis=1).reshape(-1, GIVEN_READING_COLUMNS)
    (surname_readings,), _ = _intern(
        _per_code((s_c, s_d), (cn.surname_pinyin, dn.surname_pinyin), len(surname_values))
    )
    known = frequencies if frequencies is not None else name_frequencies(candidates)

    case_side = _side(cases, {"given": g_c, "given_py": _reading(py_of, g_c),
                              "surname": s_c, "surname_py": _reading(surname_readings, s_c)})
    unordered = _side(candidates, {"given": g_d, "given_py": _reading(py_of, g_d),
                                   "surname": s_d, "surname_py": _reading(surname_readings, s_d)})
    regions, (case_regions, cand_regions) = _regions(cases, candidates)
    case_side = dataclasses.replace(case_side, region_id=case_regions)
    unordered = dataclasses.replace(unordered, region_id=cand_regions)
    # Blocking order: sex, then how precisely the birth is known, then birth day.
    # Within a sex: births known to the day, then known as intervals, then unknown; each by day.
    # (Day-precise windows are exact ranges: blocking then needs no per-pair check for them.)
    precision = np.where(unordered.birth_known, (unordered.birth_hi > unordered.birth_lo).astype(np.int8), 2)
    order = np.lexsort((unordered.birth_lo, precision, unordered.sex)).astype(np.int64)
    cand_side = PreparedSide(**{
        name: _reorder(getattr(unordered, name), order) for name in PreparedSide.__slots__
    })
    id_rank = np.empty(len(candidates), dtype=np.int64)
    ids = candidates.ids  # a compact table's ids are numpy UTF-8 strings, which sort in the same order
    id_rank[np.argsort(ids if ids.dtype.kind == "T" else np.asarray(ids, dtype=str), kind="stable")] = np.arange(
        len(candidates))
    return Prepared(
        cases=case_side,
        candidates=cand_side,
        cand_order=order,
        tiebreak=id_rank[order],
        pinyin_vocab=pinyin_vocab,
        given_freq=_frequency(given_values, known.get("given", {})),
        pinyin_freq=_frequency(pinyin_vocab, known.get("pinyin", {})),
        surname_freq=_frequency(surname_values, known.get("surname", {})),
        frequency_base=int(frequency_base if frequencies is not None and frequency_base else len(candidates)),
        given_readings=given_readings,
        surname_readings=surname_readings,
        regions=regions,
    )
