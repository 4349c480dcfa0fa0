"""Birth, loss and registration dates as closed day intervals, solar or lunar, exact or partial.

A date cell becomes a :class:`DateInterval` ``[lo, hi]``: the earliest and latest day the text
allows. Partial dates are wide intervals (``1988年`` is the whole year), lunar dates are converted
to the solar days they cover (with ``lunar_python``), approximations are widened, and a cell that
says "unknown" gives ``None``. A value that is present but unusable raises :class:`DateError`
with a stable ``reason`` the caller reports.

Decisions (each is a documented guess about how families and clerks write dates):

- Two-digit years (``84年``, ``84.5.3``) take the latest century that keeps the date out of the
  future: ``20yy`` when that is not after ``today``, else ``19yy``. A bare two-digit number is
  not read as a year.
- Calendar: a marker in the text (农历/阴历/旧历/夏历/老历/古历/黄历 or 公历/阳历/新历) beats the calendar cell;
  a year of the sexagenary cycle alone (戊辰年七月初七) is a lunar year, the one of 1960-2019;
  lunar-only words (闰, 正月, 腊月, 冬月) make the date lunar even when the cell says solar (a
  solar marker in the same text is a ``calendar conflict``); lunar-style days (初三, 廿一) make
  it lunar only when neither text nor cell names a calendar. 元月 is month 1 in either calendar.
- A lunar month alone is the regular month, not its leap twin; a range of months (年底, 上半年)
  includes any leap month inside it. The twin is a second reading, not part of the interval: the
  birth comparison also judges a pair on it (:func:`lunar_leap_twin`).
- Periods: 年初 months 1-3, 年中 5-8, 年底/年末 10-12, 上半年 1-6, 下半年 7-12; seasons
  (solar) 春 3-5, 夏 6-8, 秋 9-11, 冬 November to February of the next year, (lunar) 春 1-3,
  夏 4-6, 秋 7-9, 冬 10-12; 上旬/月初 days 1-10, 中旬/月中 11-20, 下旬/月底/月末 21 to the end;
  80年代 the decade, 初 its years 0-4, 中 3-7, 末/后期 6-9.
- Approximations (左右, 大概, 约, 前后, ...) widen the interval by one year for a year, one month
  for a month (or range of months) and 15 days for a day; 前/之前/以前 (before) and 后/之后/以后
  (after) at the end widen its one side so (1990年春节前: the 15 days up to 正月初一).
- A date with the year last (23/05/1988, 5/23/1988) takes the part above 12 as the day; when either
  part could be the month, it is the approximate interval between the two readings.
- A text that cannot be read but names a year (1990年春节那阵) is kept, flagged, as the years around
  it: a birth window needs the year more than anything.
- Festivals name their day: 春节/大年初一 正月初一, 元宵 正月十五, 端午 五月初五, 七夕 七月初七, 中秋
  八月十五, 重阳 九月初九, 腊八 腊月初八 (lunar, whatever the calendar cell says); 除夕/大年三十/小年
  腊月下旬 of that lunar year (腊月 may have 29 days; families say "1990年腊月" of lunar 1990); 元旦 1月1日,
  五一/劳动节 5月1日, 六一/儿童节 6月1日, 国庆 10月1日, 清明 4月上旬, 冬至 12月下旬 (solar). 期间 widens
  as 前后 does.
- Two months written together (8、9月份, 8月或9月, 8-9月, 八九月) are the range of both.
- Zeros at the end of a numeric date mean "not known" (``1988-00-00`` is 1988, ``1988-05-00`` May).
- Intervals reaching past ``today`` or before 1900-01-01 are clipped; wholly outside is an error.
- A zodiac with a date (``1990年属马``) narrows the interval to the lunar years of that animal
  (an empty result is a ``zodiac conflict``); a zodiac alone cannot be placed and gives ``None``
  (:func:`parse_zodiac` reads it, so the caller can keep a flag).
"""

from __future__ import annotations

import datetime
import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import Literal

import numpy as np
import numpy.typing as npt

from reunite._codes import factorize
from reunite.errors import InputError

__all__ = [
    "DateError",
    "DateErrorReason",
    "DateInterval",
    "ParsedDates",
    "from_days",
    "lunar_digits_as_solar",
    "lunar_leap_twin",
    "parse_date",
    "parse_dates",
    "parse_zodiac",
    "to_days",
]

DateErrorReason = Literal[
    "unreadable date", "impossible date", "in the future", "before 1900", "no year",
    "unknown calendar", "calendar conflict", "zodiac conflict", "excel serial number",
]

_EPOCH_ORDINAL = datetime.date(1970, 1, 1).toordinal()
_JD_1970 = 2440588  # Julian day number (noon) of 1970-01-01
_MIN_DAY = datetime.date(1900, 1, 1)
_EXPECTED = "expected a date such as 1988-05-03, 1988年5月, 84年 or 农历1988年腊月初三"
_EXCEL_EPOCH = datetime.date(1899, 12, 30)  # Excel's day 0 (its 1900 leap-year bug included)
_EXCEL_SERIAL = re.compile(r"[1-9]\d{4}")  # 10000 = 1927-05-18; four digits are a year


class DateError(InputError):
    """A date cell holds a value that cannot be used as written; ``reason`` is a short, stable kind.

    ``widest`` is the widest interval of days the value can still mean (``1993-02-30`` is February
    1993; a day or month out of range leaves the month or the year; an Excel serial number is its
    day), or None when nothing can be read from it (an unreadable value, a date in the future).
    """

    def __init__(self, reason: DateErrorReason, value: str, detail: str = "",
                 widest: tuple[int, int] | None = None) -> None:
        self.reason: DateErrorReason = reason
        self.value = value
        self.widest = widest
        super().__init__(f"{reason}: {detail or _EXPECTED}, got {value!r}")


@dataclass(frozen=True, slots=True)
class DateInterval:
    """The closed interval of solar days a date cell allows."""

    lo: datetime.date
    hi: datetime.date
    lunar: bool = False
    approximate: bool = False


@dataclass(frozen=True, slots=True)
class ParsedDates:
    """Aligned arrays for a column of date cells; days count from 1970-01-01, 0 where unknown."""

    lo: npt.NDArray[np.int32]
    hi: npt.NDArray[np.int32]
    known: npt.NDArray[np.bool_]
    lunar: npt.NDArray[np.bool_]
    approximate: npt.NDArray[np.bool_]
    errors: list[tuple[int, DateErrorReason, str]] = field(default_factory=list)
    widened: npt.NDArray[np.bool_] | None = None  # an error row read as its widest interval

    def __len__(self) -> int:
        return int(self.lo.shape[0])


def to_days(day: datetime.date) -> int:
    """Days since 1970-01-01.

    >>> to_days(datetime.date(1970, 1, 2))
    1
    """
    return day.toordinal() - _EPOCH_ORDINAL


def from_days(days: int) -> datetime.date:
    """The date ``days`` after 1970-01-01.

    >>> from_days(-1)
    datetime.date(1969, 12, 31)
    """
    return datetime.date.fromordinal(int(days) + _EPOCH_ORDINAL)


# --- vocabulary -------------------------------------------------------------------------------

_UNKNOWN = frozenset({
    "不详", "不知道", "未知", "无", "不清楚", "不记得", "记不清", "忘了", "忘记了", "不确定", "没有",
    "?", "??", "???", "-", "--", "/", "null", "none", "nan", "nat", "n/a", "na", "undefined",
})
_CALENDARS: dict[str, bool | None] = {
    "": None, "solar": False, "lunar": True, "gregorian": False, "s": False, "l": True,
    "公历": False, "阳历": False, "新历": False, "农历": True, "阴历": True, "旧历": True, "夏历": True,
    "老历": True, "古历": True, "黄历": True, "皇历": True,
    # a column headed 农历 holds yes/no; the one-character forms are shorthand of the words above
    "是": True, "否": False, "公": False, "阳": False, "新": False, "农": True, "阴": True, "旧": True,
    "不详": None, "未知": None, "不知道": None,
    # a yes/no column ("is the birthday lunar"), as spreadsheets write it (1 / 0 could be codes of
    # either calendar: read as not given, and flagged)
    "y": True, "yes": True, "true": True, "n": False, "no": False, "false": False,
}


def _calendar_cell(cell: str) -> str:
    """The calendar cell reduced to a key of _CALENDARS: 農曆 -> 农历, 农历生日 -> 农历, 阳历日期 -> 阳历,
    Lunar calendar -> lunar."""
    cell = cell.translate(_TRADITIONAL_CALENDAR)
    for word in ("农历", "阴历", "旧历", "夏历", "老历", "古历", "黄历", "皇历", "公历", "阳历", "新历"):
        if word in cell:
            return word
    for word, key in (("lunar", "lunar"), ("chinese", "lunar"), ("solar", "solar"), ("gregorian", "gregorian"),
                      ("western", "solar")):
        if word in cell:
            return key
    return cell


_TRADITIONAL_CALENDAR = str.maketrans("農曆陰陽舊曆黃", "农历阴阳旧历黄")
_ZODIAC = "鼠牛虎兔龙蛇马羊猴鸡狗猪"  # 鼠 is lunar year 1984 (and every 12th year from it)
_ZODIAC_VARIANT = str.maketrans("龍馬雞豬", "龙马鸡猪")
_ZODIAC_RE = re.compile(r"[(]?(?:生肖|属相)?[属屬]?([鼠牛虎兔龙蛇马羊猴鸡狗猪龍馬雞豬])(?:相|年)?[)]?")
_ZODIAC_CUE = re.compile(r"[属屬]|生肖|[鼠牛虎兔龙蛇马羊猴鸡狗猪龍馬雞豬]年")
_LUNAR_MARK = re.compile(r"农历|阴历|旧历|夏历|老历|古历|黄历|皇历|農曆|陰曆|舊曆|老曆|古曆|黃曆|皇曆")
# a year named in the sexagenary cycle (戊辰年): a lunar year, read as the one in 1960-2019
_STEMS, _BRANCHES = "甲乙丙丁戊己庚辛壬癸", "子丑寅卯辰巳午未申酉戌亥"
_GANZHI_YEAR = re.compile(f"([{_STEMS}])([{_BRANCHES}])年")
_HAS_YEAR = re.compile(r"[0-9〇零○一二三四五六七八九]{2,4}年")
_SOLAR_MARK = re.compile(r"公历|阳历|新历|公曆|陽曆|新曆")
_APPROX = re.compile(r"大概|大约|大致|约莫|估计|可能|差不多|好像|应该是|应该|左右|前后|上下|期间|约|[?]")
# A festival after a year (or alone) names a day; the word is replaced by the date it means. Lunar
# festivals carry 农历 so that a solar calendar cell cannot turn them solar; solar ones carry 公历.
_FESTIVALS = {
    "大年初一": "正月初一", "春节": "正月初一", "元宵节": "正月十五", "元宵": "正月十五",
    "端午节": "农历五月初五", "端午": "农历五月初五", "七夕节": "农历七月初七", "七夕": "农历七月初七",
    "中秋节": "农历八月十五", "中秋": "农历八月十五", "重阳节": "农历九月初九", "重阳": "农历九月初九",
    "腊八节": "腊月初八", "腊八": "腊月初八", "大年三十": "腊月下旬", "年三十": "腊月下旬", "除夕": "腊月下旬",
    "小年": "腊月下旬", "元旦节": "公历1月1日", "元旦": "公历1月1日", "五一劳动节": "公历5月1日",
    "劳动节": "公历5月1日", "五一": "公历5月1日", "六一儿童节": "公历6月1日", "儿童节": "公历6月1日",
    "六一": "公历6月1日", "国庆节": "公历10月1日", "国庆": "公历10月1日", "清明节": "公历4月上旬",
    "清明": "公历4月上旬", "冬至": "公历12月下旬",
}
_FESTIVAL = re.compile(
    r"(?:(?<=年)|(?<=年的)|^)(" + "|".join(sorted(_FESTIVALS, key=len, reverse=True)) + ")(?![年代])")
# two months written together: 8、9月份, 8月或9月, 8-9月, 8至9月 (before 、 is dropped as filler)
_MONTH_PAIR = re.compile(r"(?<=年)(\d{1,2})月?(?:、|或|到|至|~|-|/)(\d{1,2})月")
_CN_MONTH_PAIR = re.compile(r"(?<=年)([一二三四五六七八九])([二三四五六七八九十])月")
_NOISE = re.compile(
    r"出生于|出生在|出生|生于|生日|生人|出世|公元|日期|[生在于是的,;:。、]|[()\[\]【】<>《》\"']")
# Excel: 1988-05-03 00:00:00; a database's or DataFrame's timestamp with its zone: 1988-05-03 14:30:00+08:00
# (the day as written there is the day meant)
_CLOCK = re.compile(r"[Tt\s]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*(?:[Zz]|UTC|GMT|[+-]\d{2}:?\d{2}))?\s*$")
_TIME_OF_DAY = re.compile(r"(?:凌晨|早上|早晨|清晨|上午|中午|下午|傍晚|晚上|夜里|半夜|夜晚|\d{1,2}[点时]).*$")
_STRONG_LUNAR = re.compile(r"闰|閏|正月|腊月|臘月|冬月")
_WEAK_LUNAR = re.compile(r"初[一二三四五六七八九十\d]|[廿卅]")
_MONTH_NAMES = (("閏", "闰"), ("正月", "1月"), ("元月", "1月"), ("端月", "1月"), ("冬月", "11月"),
                ("腊月", "12月"), ("臘月", "12月"))
_NUMERAL_RUN = re.compile(r"[〇零○一二两三四五六七八九十廿卅]+")
_CN_DIGIT = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "○": 0, "两": 2}
_POSITIONAL = re.compile(r"([一二三四五六七八九]?)([十廿卅])([一二三四五六七八九]?)")

_Y = r"(\d{4}|\d{2})"
_YEAR_PERIODS = {"初": (1, 3), "中": (5, 8), "底": (10, 12), "末": (10, 12), "上半年": (1, 6),
                 "前半年": (1, 6), "下半年": (7, 12), "后半年": (7, 12)}
_SEASONS = {"春": ((3, 5), (1, 3)), "夏": ((6, 8), (4, 6)), "秋": ((9, 11), (7, 9)),
            "冬": ((11, 14), (10, 12))}  # (solar months, lunar months); 13, 14 = next Jan, Feb
_MONTH_PERIODS = {"初": (1, 10), "上旬": (1, 10), "中": (11, 20), "中旬": (11, 20), "底": (21, 31),
                  "末": (21, 31), "下旬": (21, 31)}
_DECADE_PERIODS = {"": (0, 9), "初": (0, 4), "初期": (0, 4), "前期": (0, 4), "中": (3, 7),
                   "中期": (3, 7), "末": (6, 9), "末期": (6, 9), "后期": (6, 9)}
_NUMERIC_4 = re.compile(r"(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?")
_NUMERIC_2 = re.compile(r"(\d{2})[-/.](\d{1,2})(?:[-/.](\d{1,2}))?")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})?")
_CHINESE = re.compile(
    _Y + r"年(?:(?P<yper>初|中|底|末|上半年|前半年|下半年|后半年)|(?P<season>[春夏秋冬])[天季]?"
    r"|(?P<leap>闰)?(?P<month>\d{1,2})月份?(?:(?P<mper>初|中|底|末|上旬|中旬|下旬)"
    r"|初?(?P<day>\d{1,2})[日号]?)?)?"
)
_RANGE = re.compile(r"(\d{4})年?(?:-|~|至|到|或|/)(\d{4})年?|(\d{2})年?(?:-|~|至|到|或)(\d{2})年")
_MONTHS = re.compile(_Y + r"年(\d{1,2})-(\d{1,2})月份?")
_DECADE = re.compile(r"(\d{2}|\d{4})年代(初期|初|前期|中期|中|末期|末|后期)?")
_NO_YEAR = re.compile(r"(闰?\d{1,2}月|初\d|\d{1,2}[日号])")
_YEAR_LIKE = re.compile(r"\d{2,4}(?:年|[-/.])")
# "before" / "after" a date, at its end (前后, about, is an approximation and gone by then)
_SIDE = re.compile(r"(?:之|以)?([前后])$")
_DAY_FIRST = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})")
_FOUR_DIGIT_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")


@dataclass(slots=True)
class _Spec:
    """What the text says, before calendars: years, months and days (0 = not given)."""

    year_lo: int
    year_hi: int
    two_digit: bool = False
    month_lo: int = 0
    month_hi: int = 0
    leap: bool = False
    day_lo: int = 0
    day_hi: int = 0
    season: str = ""  # 春/夏/秋/冬: which months depends on the calendar
    impossible: str = ""  # a part out of range was dropped: why (the date is then an error)


def _numeral(match: re.Match[str]) -> str:
    """一九八八 -> 1988, 八四 -> 84, 十二 -> 12, 二十三 / 廿三 -> 23, 三十 / 卅 -> 30."""
    run = match.group(0)
    if not any(c in run for c in "十廿卅"):
        return "".join(str(_CN_DIGIT[c]) for c in run)
    found = _POSITIONAL.fullmatch(run)
    if found is None or (found.group(1) and found.group(2) != "十"):
        return run  # not a number we know how to read; the parser will call it unreadable
    head, tens, tail = found.groups()
    base = {"十": 10 * (_CN_DIGIT[head] if head else 1), "廿": 20, "卅": 30}[tens]
    return str(base + (_CN_DIGIT[tail] if tail else 0))


def _solar_month_end(year: int, month: int) -> int:
    """Last day (in days) of a solar month; months past 12 run into the next year."""
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return to_days(datetime.date(year + month // 12, month % 12 + 1, 1)) - 1


@functools.cache
def _lunar_table() -> dict[int, dict[tuple[int, bool], tuple[int, int]]]:
    """Every lunar year of ``reunite/data/lunar_months.tsv`` (lunar_python's months, written once by
    ``tools/build_lunar_table.py``): reading it takes a millisecond, computing a year a few."""
    text = (resources.files("reunite") / "data" / "lunar_months.tsv").read_text(encoding="utf-8")
    years: dict[int, dict[tuple[int, bool], tuple[int, int]]] = {}
    for line in text.splitlines()[2:]:
        year, month, first, days = map(int, line.split("\t"))
        years.setdefault(year, {})[abs(month), month < 0] = first, days
    return years


@functools.cache
def _lunar_year(year: int) -> dict[tuple[int, bool], tuple[int, int]]:
    """(month, leap) -> (first day, number of days) for every month of a lunar year.

    From the shipped table, else computed a whole year at a time: lunar_python recomputes a year
    (some milliseconds of astronomy) whenever it is asked about a year other than the last one.
    """
    shipped = _lunar_table().get(year)
    if shipped is not None:
        return shipped
    return _computed_lunar_year(year)


def _computed_lunar_year(year: int) -> dict[tuple[int, bool], tuple[int, int]]:
    from lunar_python import LunarYear

    months = LunarYear.fromYear(year).getMonthsInYear()
    return {
        (abs(m.getMonth()), m.getMonth() < 0): (int(m.getFirstJulianDay()) - _JD_1970, int(m.getDayCount()))
        for m in months
        if m.getYear() == year
    }


def _lunar_month(year: int, month: int, leap: bool) -> tuple[int, int] | None:
    """(first day, number of days) of a lunar month, or None when that month does not exist."""
    return _lunar_year(year).get((month, leap))


def _lunar_new_year(year: int) -> int:
    first = _lunar_month(year, 1, False)
    assert first is not None  # 正月 exists in every lunar year
    return first[0]


def _lunar_date(day: int) -> tuple[int, int, int] | None:
    """(lunar year, month, day of month) of a solar day (days from 1970), or None outside the table."""
    year = from_days(day).year
    for lunar_year in (year, year - 1):
        for (month, _leap), (first, length) in _lunar_year(lunar_year).items():
            if first <= day < first + length:
                return lunar_year, month, day - first + 1
    return None


def lunar_digits_as_solar(lo: int, hi: int) -> tuple[int, int] | None:
    """A lunar birth (solar days ``lo .. hi``, one day or one whole lunar month) with its lunar digits
    written as a solar date, as many household registers did: 农历1988年七月初七 -> 1988-07-07, 农历1988年
    七月 -> July 1988. None for another span, or digits that are no solar date (2月30日).

    >>> from_days(lunar_digits_as_solar(to_days(datetime.date(1988, 8, 18)), to_days(datetime.date(1988, 8, 18)))[0])
    datetime.date(1988, 7, 7)
    """
    first = _lunar_date(lo)
    if first is None:
        return None
    year, month, day = first
    if lo == hi:
        try:
            return (to_days(datetime.date(year, month, day)),) * 2
        except ValueError:
            return None
    after = _lunar_date(hi + 1)
    last = _lunar_date(hi)
    if day != 1 or last is None or last[:2] != (year, month) or after is None or after[2] != 1:
        return None
    return to_days(datetime.date(year, month, 1)), _solar_month_end(year, month)


def lunar_leap_twin(lo: int, hi: int) -> tuple[int, int] | None:
    """A lunar birth in a regular month (solar days ``lo .. hi``, one day or the whole month) read in
    that month's leap twin, when its lunar year has one: families often write 十月 for 闰十月, so
    农历1984年十月十八 (1984-11-10) may be 闰十月十八 (1984-12-10). None for another span, a year with no
    such leap month, a day the leap month lacks (its 30th when it has 29 days), or a birth already in a
    leap month (an explicit 闰 keeps only the leap month).

    >>> from_days(lunar_leap_twin(to_days(datetime.date(1984, 11, 10)), to_days(datetime.date(1984, 11, 10)))[0])
    datetime.date(1984, 12, 10)
    """
    first = _lunar_position(lo)
    if first is None or first[2]:
        return None
    year, month, _leap, day = first
    twin = _lunar_month(year, month, True)
    if twin is None:
        return None
    start, length = twin
    if lo == hi:
        return (start + day - 1,) * 2 if day <= length else None
    regular = _lunar_month(year, month, False)
    if day != 1 or regular is None or hi != regular[0] + regular[1] - 1:
        return None
    return start, start + length - 1


def _lunar_position(day: int) -> tuple[int, int, bool, int] | None:
    """(lunar year, month, leap, day of month) of a solar day (days from 1970), or None outside the table."""
    year = from_days(day).year
    for lunar_year in (year, year - 1):
        for (month, leap), (first, length) in _lunar_year(lunar_year).items():
            if first <= day < first + length:
                return lunar_year, month, leap, day - first + 1
    return None


def _solar_interval(spec: _Spec, value: str) -> tuple[int, int]:
    year = spec.year_lo
    whole_years = to_days(datetime.date(year, 1, 1)), to_days(datetime.date(spec.year_hi, 12, 31))
    if not spec.month_lo:
        return whole_years
    if not 1 <= spec.month_lo <= 12:
        raise DateError("impossible date", value, f"expected a month from 1 to 12, not {spec.month_lo}",
                        widest=whole_years)
    first = to_days(datetime.date(year, spec.month_lo, 1))
    last = _solar_month_end(year, spec.month_hi)
    if not spec.day_lo:
        return first, last
    length = last - first + 1
    if spec.day_lo > length:
        raise DateError("impossible date", value, f"{year}-{spec.month_lo:02d} has {length} days",
                        widest=(first, last))
    return first + spec.day_lo - 1, first + min(spec.day_hi, length) - 1


def _lunar_interval(spec: _Spec, value: str) -> tuple[int, int]:
    year = spec.year_lo
    whole_years = _lunar_new_year(year), _lunar_new_year(spec.year_hi + 1) - 1
    if not spec.month_lo:
        return whole_years
    if not 1 <= spec.month_lo <= 12:
        raise DateError("impossible date", value, f"expected a lunar month from 1 to 12, not {spec.month_lo}",
                        widest=whole_years)
    month = _lunar_month(year, spec.month_lo, spec.leap)
    if month is None:
        raise DateError("impossible date", value, f"lunar year {year} has no leap month {spec.month_lo}",
                        widest=whole_years)
    first, length = month
    if spec.month_hi > spec.month_lo:  # a range of months takes in any leap month inside it
        following = _lunar_month(year, spec.month_hi + 1, False) if spec.month_hi < 12 else None
        return first, (following[0] if following else _lunar_new_year(year + 1)) - 1
    if not spec.day_lo:
        return first, first + length - 1
    if spec.day_lo > length:
        kind = "leap month" if spec.leap else "month"
        raise DateError("impossible date", value, f"lunar {year} {kind} {spec.month_lo} has {length} days",
                        widest=(first, first + length - 1))
    return first + spec.day_lo - 1, first + min(spec.day_hi, length) - 1


def _read(text: str, value: str) -> _Spec:
    """Match the cleaned text (Arabic digits, a few CJK tokens) against the known forms."""
    if m := _NUMERIC_4.fullmatch(text) or _NUMERIC_2.fullmatch(text) or _COMPACT.fullmatch(text):
        if m.re is _COMPACT and len(text) == 6 and text[:2] not in ("19", "20"):
            raise DateError("unreadable date", value, "expected six digits to be YYYYMM such as 198805")
        year, month, day = (int(g) if g else 0 for g in m.groups())
        if day and not month:  # a zero part means "not known" (1988-00-00), but only at the end
            return _Spec(year, year, len(m.group(1)) == 2, impossible="expected a month from 1 to 12, not 0")
        return _Spec(year, year, len(m.group(1)) == 2, month, month, False, day, day)
    if m := _CHINESE.fullmatch(text):
        year = int(m.group(1))
        spec = _Spec(year, year, len(m.group(1)) == 2, season=m.group("season") or "")
        if m.group("yper"):
            spec.month_lo, spec.month_hi = _YEAR_PERIODS[m.group("yper")]
        elif m.group("month"):
            spec.month_lo = spec.month_hi = int(m.group("month"))
            spec.leap = bool(m.group("leap"))
            if not spec.month_lo:
                spec.leap, spec.impossible = False, "expected a month from 1 to 12, not 0"
                return spec
            if m.group("mper"):
                spec.day_lo, spec.day_hi = _MONTH_PERIODS[m.group("mper")]
            elif m.group("day"):
                spec.day_lo = spec.day_hi = int(m.group("day"))
                if not spec.day_lo:
                    spec.impossible = "expected a day from 1 to 31, not 0"
        return spec
    if m := _MONTHS.fullmatch(text):
        year, low, high = int(m.group(1)), *sorted((int(m.group(2)), int(m.group(3))))
        spec = _Spec(year, year, len(m.group(1)) == 2, low, high)
        if low < 1 or high > 12:
            spec.month_lo = spec.month_hi = 0
            spec.impossible = f"expected months from 1 to 12, not {low}-{high}"
        return spec
    if m := _RANGE.fullmatch(text):
        first, second = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        low, high = sorted((int(first), int(second)))
        return _Spec(low, high, len(first) == 2)
    if m := _DECADE.fullmatch(text):
        start = int(m.group(1))
        if start % 10:
            raise DateError("unreadable date", value, "expected a decade such as 80年代 or 1980年代")
        lo, hi = _DECADE_PERIODS[m.group(2) or ""]
        return _Spec(start + lo, start + hi, len(m.group(1)) == 2)
    if _NO_YEAR.search(text) and not _YEAR_LIKE.match(text):
        raise DateError("no year", value, "expected a year with the month or day")
    raise DateError("unreadable date", value)


def _shift(days: int, years: int, months: int) -> int:
    """Move a day by whole years and months, clamping the day of month (Feb 29 -> Feb 28)."""
    day = from_days(days)
    year, month0 = divmod(day.year * 12 + day.month - 1 + years * 12 + months, 12)
    first = datetime.date(year, month0 + 1, 1)
    return to_days(first) + min(day.day, _solar_month_end(year, month0 + 1) - to_days(first) + 1) - 1


def parse_zodiac(text: str) -> str | None:
    """The zodiac animal named in a date cell (属马, 马年), simplified, or None.

    >>> parse_zodiac("1990年属馬"), parse_zodiac("1990-05-03")
    ('马', None)
    """
    text = unicodedata.normalize("NFKC", text)
    if not _ZODIAC_CUE.search(text):
        return None
    found = _ZODIAC_RE.search(text)
    return found.group(1).translate(_ZODIAC_VARIANT) if found else None


def _ganzhi_year(text: str) -> str:
    """戊辰年 -> 农历1988年 (甲子 is 1984; the year of the cycle in 1960-2019). Beside a year written in
    digits or numerals (1988年（戊辰年）) it only confirms that year, as 属龙 does, and is dropped.

    >>> _ganzhi_year("戊辰年七月初七"), _ganzhi_year("癸卯年"), _ganzhi_year("1988年戊辰年")
    ('农历1988年七月初七', '农历1963年', '1988年')
    """
    found = _GANZHI_YEAR.search(text)
    if found is None:
        return text
    stem, branch = _STEMS.index(found.group(1)), _BRANCHES.index(found.group(2))
    if stem % 2 != branch % 2:
        return text  # not a pair of the cycle
    offset = next(n for n in range(stem, 60, 10) if n % 12 == branch)
    year = 1984 + offset if 1984 + offset <= 2019 else 1924 + offset
    rest = text[: found.start()] + text[found.end():]
    named = "" if _HAS_YEAR.search(rest) else f"农历{year}年"
    return text[: found.start()] + named + text[found.end():]


def _consecutive_months(match: re.Match[str]) -> str:
    """八九月 -> 8-9月 (two consecutive months); anything else is left to the numeral reader."""
    first, second = _CN_DIGIT[match.group(1)], "一二三四五六七八九十".index(match.group(2)) + 1
    return f"{first}-{second}月" if second == first + 1 else match.group(0)


def _clean(text: str) -> tuple[str, bool, bool, str | None, bool]:
    """Strip clock times, calendar markers, the zodiac, approximation and filler words.

    Returns the cleaned text, whether the text says lunar, whether it says solar, the zodiac
    animal and whether the date is approximate.
    """
    text = _ganzhi_year(text)
    text = _FESTIVAL.sub(lambda m: _FESTIVALS[m.group(1)], text)
    text = _CN_MONTH_PAIR.sub(_consecutive_months, text)
    text = _MONTH_PAIR.sub(r"\1-\2月", text)
    text_lunar, text_solar = bool(_LUNAR_MARK.search(text)), bool(_SOLAR_MARK.search(text))
    text = _SOLAR_MARK.sub("", _LUNAR_MARK.sub("", _CLOCK.sub("", text)))
    zodiac = parse_zodiac(text)
    if zodiac and (found := _ZODIAC_RE.search(text)):
        text = text[: found.start()] + text[found.end():]
    approximate = bool(_APPROX.search(text))
    text = _NOISE.sub("", _APPROX.sub("", text))
    text = re.sub(r"\s+", "", re.sub(r"(?<=\d)\s+(?=\d)", "-", text))
    return text, text_lunar, text_solar, zodiac, approximate


def _parse(text: str, calendar: str, today: datetime.date) -> tuple[int, int, bool, bool] | None:
    """The work of :func:`parse_date`, in days: (lo, hi, lunar, approximate) or None."""
    value = text
    text = unicodedata.normalize("NFKC", text).strip().lower()
    cell = unicodedata.normalize("NFKC", calendar).strip().lower()
    cell = _calendar_cell(cell)
    if cell not in _CALENDARS:  # the date is still read, as if no calendar were given
        found = _parse(text, "", today)
        raise DateError("unknown calendar", calendar,
                        "expected a calendar of solar, lunar, 公历, 阳历, 新历, 农历, 阴历, 旧历 or 是/否; "
                        "the date was read as if none were given",
                        widest=None if found is None else found[:2])
    if text in _UNKNOWN or not text.strip("0-/. :"):
        return None  # empty, a placeholder, or an all-zero database null (0000-00-00)
    text, text_lunar, text_solar, zodiac, approximate = _clean(text)
    if text_lunar and text_solar:
        raise DateError("calendar conflict", value, "expected one calendar, the text names both")
    strong, weak = bool(_STRONG_LUNAR.search(text)), bool(_WEAK_LUNAR.search(text))
    if text_solar and strong:
        raise DateError("calendar conflict", value, "闰, 正月, 腊月 and 冬月 are lunar, the text says solar")
    cell_lunar = _CALENDARS[cell]
    lunar = text_lunar or strong or (not text_solar and (weak if cell_lunar is None else cell_lunar))
    for old, new in _MONTH_NAMES:
        text = text.replace(old, new)
    text = _TIME_OF_DAY.sub("", _NUMERAL_RUN.sub(_numeral, text)).strip("-/.~")
    if not text:
        if zodiac:
            return None  # a zodiac alone cannot be placed: it fits one year in every twelve
        raise DateError("unreadable date", value)
    if _EXCEL_SERIAL.fullmatch(text) and not lunar:
        day = _EXCEL_EPOCH + datetime.timedelta(days=int(text))
        if _MIN_DAY <= day <= today:
            raise DateError("excel serial number", value,
                            f"expected a date, not an Excel day number (read as {day.isoformat()})",
                            widest=(to_days(day), to_days(day)))
    if not lunar and (written := _DAY_FIRST.fullmatch(text)):  # 23/05/1988, 5/23/1988: the year last
        lo, hi, _, either = _day_first(written, value, today)
        if approximate:
            lo, hi = max(lo - 15, to_days(_MIN_DAY)), min(hi + 15, to_days(today))
        return lo, hi, False, either or approximate
    side = ""
    if found_side := _SIDE.search(text):  # 1990年春节前, 1995年以后: the time just before (after) the date
        side, text = found_side.group(1), text[: found_side.start()]
    try:
        spec = _read(text, value)
    except DateError as error:
        raise _years_named(error, text, value, today) from None
    lo, hi = _place(spec, lunar, value, today)
    if spec.impossible:
        raise DateError("impossible date", value, spec.impossible,
                        widest=(max(lo, to_days(_MIN_DAY)), min(hi, to_days(today))))
    if approximate or side:
        widen_lo, widen_hi = (approximate or side == "前"), (approximate or side == "后")
        if spec.day_lo:
            lo, hi = lo - 15 * widen_lo, hi + 15 * widen_hi
        elif spec.month_lo or spec.season:
            lo, hi = _shift(lo, 0, -widen_lo), _shift(hi, 0, widen_hi)
        else:
            lo, hi = _shift(lo, -widen_lo, 0), _shift(hi, widen_hi, 0)
        approximate = True
    if zodiac:
        lo, hi = _narrow_to_zodiac(lo, hi, zodiac, value)
    if lo > to_days(today):
        raise DateError("in the future", value, f"expected a date no later than {today.isoformat()}")
    if hi < to_days(_MIN_DAY):
        raise DateError("before 1900", value, "expected a date on or after 1900-01-01")
    return max(lo, to_days(_MIN_DAY)), min(hi, to_days(today)), lunar, approximate


def _day_first(written: re.Match[str], value: str, today: datetime.date) -> tuple[int, int, bool, bool]:
    """A date written with the year last (23/05/1988 as in Europe, 5/23/1988 as a US spreadsheet
    writes it): the part above 12 is the day; when both could be the month, the interval from the
    earlier reading to the later one, approximate."""
    first, second, year = (int(g) for g in written.groups())
    readings = []
    for day, month in ((first, second), (second, first)):
        try:
            readings.append(to_days(datetime.date(year, month, day)))
        except ValueError:
            continue
    if not readings:
        whole = (to_days(datetime.date(year, 1, 1)), to_days(datetime.date(year, 12, 31)))
        raise DateError("impossible date", value, "expected a day and a month before the year",
                        widest=whole if 1900 <= year <= today.year else None)
    lo, hi = min(readings), max(readings)
    if lo > to_days(today):
        raise DateError("in the future", value, f"expected a date no later than {today.isoformat()}")
    if lo < to_days(_MIN_DAY):
        raise DateError("before 1900", value, "expected a date on or after 1900-01-01")
    return lo, min(hi, to_days(today)), False, lo != hi


def _years_named(error: DateError, text: str, value: str, today: datetime.date) -> DateError:
    """An unreadable date that names a year (1990年春节那阵, 1988年头几个月) kept as the years around it
    (around the first and last of several), rather than lost: the year is what a birth window needs
    most."""
    years = sorted({int(y) for y in _FOUR_DIGIT_YEAR.findall(text)})
    if error.reason != "unreadable date" or error.widest is not None or not years:
        return error
    first, last = years[0] - 1, min(years[-1] + 1, today.year)
    if not (_MIN_DAY.year <= first and years[-1] <= today.year):
        return error
    return DateError("unreadable date", value, "expected a date such as 1988-05-03 or 1988年5月; read as the "
                     f"years around the {'one' if len(years) == 1 else 'ones'} it names, {first}-{last}",
                     widest=(to_days(datetime.date(first, 1, 1)),
                             min(to_days(datetime.date(last, 12, 31)), to_days(today))))


def _place(spec: _Spec, lunar: bool, value: str, today: datetime.date) -> tuple[int, int]:
    """Resolve the century of a two-digit year, check the years, compute the interval."""
    if spec.two_digit:
        modern = replace(spec, year_lo=2000 + spec.year_lo, year_hi=2000 + spec.year_hi, two_digit=False)
        if modern.year_lo <= today.year:
            lo, hi = _place(modern, lunar, value, today)
            if lo <= to_days(today):
                return lo, hi
        old = replace(modern, year_lo=modern.year_lo - 100, year_hi=modern.year_hi - 100)
        return _place(old, lunar, value, today)
    if spec.year_lo > today.year:
        raise DateError("in the future", value, f"expected a date no later than {today.isoformat()}")
    if spec.year_hi < 1899:  # lunar 1899 runs into 1900
        raise DateError("before 1900", value, "expected a date on or after 1900-01-01")
    if spec.season:
        months = _SEASONS[spec.season][1 if lunar else 0]
        spec = replace(spec, month_lo=months[0], month_hi=months[1])
    if spec.leap and not lunar:
        raise DateError("calendar conflict", value, "a leap (闰) month exists only in the lunar calendar")
    return _lunar_interval(spec, value) if lunar else _solar_interval(spec, value)


def _narrow_to_zodiac(lo: int, hi: int, zodiac: str, value: str) -> tuple[int, int]:
    """Keep the part of [lo, hi] inside a lunar year of the zodiac animal."""
    for year in range(from_days(lo).year - 1, from_days(hi).year + 1):
        if _ZODIAC[(year - 1984) % 12] == zodiac:
            first, last = _lunar_new_year(year), _lunar_new_year(year + 1) - 1
            if first <= hi and last >= lo:
                return max(lo, first), min(hi, last)
    raise DateError("zodiac conflict", value, f"expected the date to fall in a year of the {zodiac}")


def parse_date(text: str, calendar: str = "", *, today: datetime.date | None = None) -> DateInterval | None:
    """Read a date cell into the interval of solar days it allows.

    Parameters
    ----------
    text
        The cell as written: ``1988-05-03``, ``1988年5月``, ``84.5.3``, ``农历1988年腊月初三``,
        ``2019年4月底``, ``1990年左右属马`` ...
    calendar
        The calendar cell: ``""`` (not given), ``solar``, ``lunar``, 公历, 阳历, 新历, 农历, 阴历, 旧历.
    today
        The latest acceptable day (default: today's date).

    Returns
    -------
    DateInterval or None
        None for an empty cell, an "unknown" placeholder (不详, 不知道, 未知, 无) or a zodiac alone.

    Raises
    ------
    DateError
        For a value that is present but unusable; ``reason`` is one of :data:`DateErrorReason`.

    Examples
    --------
    >>> parse_date("1988年5月")
    DateInterval(lo=datetime.date(1988, 5, 1), hi=datetime.date(1988, 5, 31), lunar=False, approximate=False)
    >>> found = parse_date("1989年腊月二十四")
    >>> found.lo, found.lunar
    (datetime.date(1990, 1, 20), True)
    >>> parse_date("不详") is None
    True
    """
    found = _parse(text, calendar, today or datetime.date.today())
    if found is None:
        return None
    lo, hi, lunar, approximate = found
    return DateInterval(from_days(lo), from_days(hi), lunar, approximate)


_PLAIN_DAY = re.compile(
    r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})|(\d{4})(\d{2})(\d{2})|(\d{4})年(\d{1,2})月(\d{1,2})[日号]?", re.ASCII)


def _plain_days(keys: Sequence[tuple[str, str]], first_day: int, last_day: int) -> npt.NDArray[np.int64]:
    """The day of each plain solar date (``1988-05-03``, ``1988/5/3``, ``19880503``, ``1988年5月3日``, no calendar
    cell, a real day from ``first_day`` to ``last_day``), as whole arrays; -1 for any other cell.

    These are most cells, and :func:`_parse` reads them as exactly this day.
    """
    found = [_PLAIN_DAY.fullmatch(text) if not calendar else None for text, calendar in keys]
    rows = np.array([index for index, match in enumerate(found) if match is not None], dtype=np.int64)
    days = np.full(len(keys), -1, dtype=np.int64)
    if not rows.shape[0]:
        return days
    parts = np.array([[int(g) for g in match.groups() if g is not None]
                      for match in found if match is not None], dtype=np.int64).reshape(-1, 3)
    year, month, day = parts[:, 0], parts[:, 1], parts[:, 2]
    month_ok = (month >= 1) & (month <= 12)
    start = ((year - 1970) * 12 + np.where(month_ok, month, 1) - 1).astype("M8[M]")
    length = ((start + 1).astype("M8[D]") - start.astype("M8[D]")).astype(np.int64)
    value = (start.astype("M8[D]") - np.datetime64("1970-01-01", "D")).astype(np.int64) + day - 1
    ok = month_ok & (day >= 1) & (day <= length) & (value >= first_day) & (value <= last_day)
    days[rows[ok]] = value[ok]
    return days


def parse_dates(
    texts: Sequence[str], calendars: Sequence[str] | None = None, *, today: datetime.date | None = None
) -> ParsedDates:
    """Read a column of date cells, parsing each distinct (text, calendar) once.

    Parameters
    ----------
    texts
        The date cells.
    calendars
        The calendar cells aligned with ``texts`` (None: all empty).
    today
        The latest acceptable day (default: today's date).

    Returns
    -------
    ParsedDates
        ``lo``/``hi`` in days since 1970-01-01 (0 where unknown), ``known``, ``lunar``,
        ``approximate`` and ``errors`` as (index, reason, message) for every failing cell. A failing
        cell that still says something is read as the widest interval it can mean (``widened``):
        ``1988-13-01`` is the year 1988, ``1993-02-30`` February 1993, ``32874`` (an Excel serial
        number) 1990-01-01; one that says nothing usable (``2099-01-01``, ``abc``) is unknown.

    Examples
    --------
    >>> parsed = parse_dates(["1970-01-02", "", "1988-13-01", "2099-01-01"], today=datetime.date(2026, 1, 1))
    >>> parsed.known.tolist(), [e[:2] for e in parsed.errors]
    ([True, False, True, False], [(2, 'impossible date'), (3, 'in the future')])
    >>> [from_days(d).isoformat() for d in (parsed.lo[2], parsed.hi[2])], parsed.widened.tolist()
    (['1988-01-01', '1988-12-31'], [False, False, True, False])
    """
    today = today or datetime.date.today()
    text_codes, text_values = factorize(np.asarray(texts, dtype=object))
    if calendars is None:
        codes = text_codes
        keys = [(text, "") for text in text_values.tolist()]
    else:
        if len(calendars) != len(texts):
            raise InputError(
                f"expected as many calendar cells as date cells ({len(texts)}), got {len(calendars)}")
        calendar_codes, calendar_values = factorize(np.asarray(calendars, dtype=object))
        pair = text_codes.astype(np.int64) * max(1, len(calendar_values)) + calendar_codes
        codes, pairs = factorize(pair)
        text_list, calendar_list = text_values.tolist(), calendar_values.tolist()
        keys = [(text_list[p // max(1, len(calendar_list))], calendar_list[p % max(1, len(calendar_list))])
                for p in pairs.tolist()]
    unique = len(keys)
    u_lo, u_hi = np.zeros(unique, np.int32), np.zeros(unique, np.int32)
    u_known, u_lunar, u_approx, u_bad, u_widened = (np.zeros(unique, bool) for _ in range(5))
    problems: dict[int, tuple[DateErrorReason, str]] = {}
    first_day, last_day = to_days(_MIN_DAY), to_days(today)
    plain = _plain_days(keys, first_day, last_day)
    u_lo[plain >= 0] = u_hi[plain >= 0] = plain[plain >= 0]
    u_known[plain >= 0] = True
    for code in np.flatnonzero(plain < 0).tolist():
        text, calendar = keys[code]
        try:
            found = _parse(text, calendar, today)
        except DateError as error:
            problems[code] = (error.reason, str(error))
            u_bad[code] = True
            if error.widest is not None:
                lo, hi = max(error.widest[0], first_day), min(error.widest[1], last_day)
                if lo <= hi:
                    u_lo[code], u_hi[code] = lo, hi
                    u_known[code] = u_widened[code] = True
            continue
        if found is not None:
            u_lo[code], u_hi[code], u_lunar[code], u_approx[code] = found
            u_known[code] = True
    code_array = codes.astype(np.int32)
    bad_rows = np.flatnonzero(u_bad[code_array])
    errors: list[tuple[int, DateErrorReason, str]] = [
        (int(row), *problems[int(code)]) for row, code in zip(bad_rows, code_array[bad_rows], strict=True)
    ]
    return ParsedDates(u_lo[code_array], u_hi[code_array], u_known[code_array], u_lunar[code_array],
                       u_approx[code_array], errors, u_widened[code_array])


def says_solar(calendar: str, text: str) -> bool:
    """Whether a birth date is said to be solar, in its calendar cell or in its own text.

    >>> says_solar("阳历", "1988-05-03"), says_solar("", "公历1988年5月3日"), says_solar("", "1988-05-03")
    (True, True, False)
    """
    return _CALENDARS.get(_calendar_cell(calendar.strip().lower())) is False or bool(_SOLAR_MARK.search(text))
