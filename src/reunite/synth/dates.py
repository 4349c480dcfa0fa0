"""Dates for the generator: days since 1970-01-01 as int64, and the many ways people write them."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import numpy.typing as npt
from lunar_python import LunarYear

from reunite._typing import I64
from reunite.synth._tables import BIRTHS_BY_YEAR

__all__ = [
    "birth_days",
    "case_date_text",
    "event_text",
    "iso",
    "lunar_text",
    "register_date_text",
    "to_lunar",
    "year_start",
    "ymd",
]

_ZODIAC = "猴鸡狗猪鼠牛虎兔龙蛇马羊"  # year % 12
_LUNAR_MONTHS = ("正", "二", "三", "四", "五", "六", "七", "八", "九", "十", "冬", "腊")
_JD_EPOCH = 2440588  # lunar_python's integer Julian day of 1970-01-01
_LUNAR_YEARS = (1973, 2007)  # covers the birth years the generator draws (1975-2005)


@lru_cache(maxsize=1)
def _lunar_table() -> tuple[int, npt.NDArray[np.int32]]:
    """Lunar (year, month, day) of every solar day, from lunar_python's month table.

    lunar_python caches one lunar year only, so converting dates one by one recomputes the year's
    astronomy each time; a table built once is exact and fast. Month is negative for a leap month.
    """
    first, last = _LUNAR_YEARS
    start = None
    rows: list[tuple[int, int, int, int]] = []
    for year in range(first, last + 1):
        for month in LunarYear.fromYear(year).getMonths():
            if month.getYear() != year:
                continue
            day0 = int(month.getFirstJulianDay()) - _JD_EPOCH
            number = int(month.getMonth())
            rows.extend((day0 + k, year, number, k + 1) for k in range(int(month.getDayCount())))
    rows.sort()
    start = rows[0][0]
    table = np.array([r[1:] for r in rows], dtype=np.int32)
    return start, table


def _day_cn(day: int) -> str:
    if day == 10:
        return "初十"
    if day == 20:
        return "二十"
    if day == 30:
        return "三十"
    tens = ("初", "十", "廿", "三十")[day // 10]
    return tens + "一二三四五六七八九"[day % 10 - 1]


def to_lunar(days: int) -> tuple[int, int, int]:
    """Lunar (year, month, day) of a solar day; month < 0 for a leap month.

    Examples
    --------
    >>> to_lunar(6697)  # 1988-05-03
    (1988, 3, 18)
    """
    start, table = _lunar_table()
    y, m, d = table[days - start].tolist()
    return int(y), int(m), int(d)


def year_start(year: I64) -> I64:
    """Days since 1970-01-01 of 1 January of each year."""
    years = (np.asarray(year, dtype=np.int64) - 1970).astype("datetime64[Y]")
    return years.astype("datetime64[D]").astype(np.int64)


def birth_days(rng: np.random.Generator, size: int) -> I64:
    """Birth days 1975-2005, years weighted by the number of births that year.

    Examples
    --------
    >>> y, _, _ = ymd(birth_days(np.random.default_rng(0), 1000))
    >>> int(y.min()) >= 1975 and int(y.max()) <= 2005
    True
    """
    years = np.array(sorted(BIRTHS_BY_YEAR), dtype=np.int64)
    p = np.array([BIRTHS_BY_YEAR[int(y)] for y in years])
    year = rng.choice(years, size=size, p=p / p.sum())
    start = year_start(year)
    length = year_start(year + 1) - start
    return start + (rng.random(size) * length).astype(np.int64)


def ymd(days: I64) -> tuple[I64, I64, I64]:
    """Year, month, day arrays of day numbers.

    Examples
    --------
    >>> [int(a[0]) for a in ymd(np.array([6697]))]
    [1988, 5, 3]
    """
    d = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    years = d.astype("datetime64[Y]")
    months = d.astype("datetime64[M]")
    return (
        years.astype(np.int64) + 1970,
        (months - years.astype("datetime64[M]")).astype(np.int64) + 1,
        (d - months.astype("datetime64[D]")).astype(np.int64) + 1,
    )


def iso(days: I64) -> list[str]:
    """YYYY-MM-DD strings."""
    stamps = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    text: list[str] = np.datetime_as_string(stamps, unit="D").tolist()
    return text


def _solar_full(y: int, m: int, d: int, form: float) -> str:
    if form < 0.35:
        return f"{y:04d}-{m:02d}-{d:02d}"
    if form < 0.5:
        return f"{y}-{m}-{d}"
    if form < 0.75:
        return f"{y}年{m}月{d}日"
    if form < 0.83:
        return f"{y:04d}/{m:02d}/{d:02d}"
    if form < 0.9:
        return f"{y:04d}.{m:02d}.{d:02d}"
    if form < 0.95:
        return f"{y:04d}{m:02d}{d:02d}"
    return f"{y}/{m}/{d}"


def _solar_partial(y: int, m: int, rng: np.random.Generator) -> str:
    form = rng.random()
    approx = rng.random() < 0.15
    if form < 0.55:  # year and month
        text = (f"{y}年{m}月", f"{y}-{m:02d}", f"{y}.{m}", f"{y}年{m}月份")[int(rng.integers(4))]
    else:
        text = (f"{y}年", f"{y}", f"{y % 100:02d}年", f"{y}年")[int(rng.integers(4))]
        if rng.random() < 0.1:
            text += f"（属{_ZODIAC[y % 12]}）"
    if approx:
        suffix = ("左右", "大概", "前后")[int(rng.integers(3))]
        text = ("约" + text) if rng.random() < 0.3 else text + suffix
    return text


def lunar_text(days: int, rng: np.random.Generator, *, partial: bool, marked: bool) -> str:
    """The lunar date of solar day ``days`` as a family writes it (农历1988年三月十八, 阴历1988-3-18 ...).

    The lunar year is the lunar one (it differs from the solar year around Chinese New Year); a leap
    month is written 闰 in characters and lost in digits. ``marked=False`` gives bare digits that do not
    say they are lunar.

    Examples
    --------
    >>> lunar_text(6697, np.random.default_rng(0), partial=False, marked=False)  # 1988-05-03
    '1988-03-18'
    """
    ly, lm, ld = to_lunar(days)
    month_cn = ("闰" if lm < 0 else "") + _LUNAR_MONTHS[abs(lm) - 1] + "月"
    day_cn = _day_cn(ld)
    if not marked:
        return f"{ly}-{abs(lm):02d}" if partial else f"{ly}-{abs(lm):02d}-{ld:02d}"
    prefix = ("农历", "阴历", "农历", "旧历")[int(rng.integers(4))]
    form = rng.random()
    if partial:
        if form < 0.5:
            return f"{prefix}{ly}年{month_cn}"
        if form < 0.8:
            return f"{ly}年{prefix}{month_cn}"
        return f"{prefix}{ly}年{abs(lm)}月"
    if form < 0.4:
        return f"{ly}-{abs(lm):02d}-{ld:02d}"  # calendar column says lunar
    if form < 0.65:
        return f"{prefix}{ly}年{month_cn}{day_cn}"
    if form < 0.85:
        return f"{prefix}{ly}年{abs(lm)}月{ld}日"
    return f"{ly}年{prefix}{month_cn}{day_cn}"


def case_date_text(y: int, m: int, d: int, rng: np.random.Generator, *, partial: bool) -> str:
    """A solar date as a family writes it: padded or not, 年月日, slashes, dots, or only part of it.

    Examples
    --------
    >>> case_date_text(1995, 8, 17, np.random.default_rng(0), partial=False)
    '1995年8月17日'
    """
    if partial:
        return _solar_partial(y, m, rng)
    return _solar_full(y, m, d, float(rng.random()))


def event_text(y: int, m: int, d: int, rng: np.random.Generator) -> str:
    """A loss date: often only the month, sometimes 月底/初/中旬 or a season.

    Examples
    --------
    >>> event_text(1990, 4, 28, np.random.default_rng(1)).startswith("1990")
    True
    """
    form = rng.random()
    if form < 0.4:
        return _solar_full(y, m, d, float(rng.random()))
    if form < 0.75:
        return (f"{y}年{m}月", f"{y}-{m:02d}", f"{y}.{m}")[int(rng.integers(3))]
    if form < 0.85:
        return f"{y}年{m}月" + ("底", "初", "中旬", "上旬", "下旬")[int(rng.integers(5))]
    if form < 0.92:
        return f"{y}年" + ("春天", "夏天", "秋天", "冬天")[(m % 12) // 3]
    return f"{y}年"


def register_date_text(days: I64, rng: np.random.Generator) -> list[str]:
    """Register dates: mostly YYYY-MM-DD, some YYYYMMDD, YYYY/M/D or 年月日.

    Examples
    --------
    >>> register_date_text(np.array([6697]), np.random.default_rng(0))
    ['1988-05-03']
    """
    out = iso(days)
    form = rng.random(len(out))
    odd = np.flatnonzero(form >= 0.85).tolist()
    if odd:
        y, m, d = ymd(days[odd])
        for j, row in enumerate(odd):
            f = form[row]
            yy, mm, dd = int(y[j]), int(m[j]), int(d[j])
            if f < 0.9:
                out[row] = f"{yy:04d}{mm:02d}{dd:02d}"
            elif f < 0.95:
                out[row] = f"{yy}/{mm}/{dd}"
            else:
                out[row] = f"{yy}年{mm}月{dd}日"
    return out
