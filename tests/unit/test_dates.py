"""Dates: every format the data contract and real postings show, lunar conversion, errors."""

from __future__ import annotations

import datetime

import numpy as np
import pytest

from reunite.errors import InputError
from reunite.normalize.dates import (
    DateError,
    DateInterval,
    from_days,
    parse_date,
    parse_dates,
    parse_zodiac,
    to_days,
)

TODAY = datetime.date(2025, 6, 1)
D = datetime.date


def interval(text: str, calendar: str = "") -> tuple[datetime.date, datetime.date]:
    found = parse_date(text, calendar, today=TODAY)
    assert found is not None
    return found.lo, found.hi


@pytest.mark.parametrize(
    ("text", "lo", "hi"),
    [
        ("1988", D(1988, 1, 1), D(1988, 12, 31)),
        ("1988-05", D(1988, 5, 1), D(1988, 5, 31)),
        ("1988-05-03", D(1988, 5, 3), D(1988, 5, 3)),
        ("1988/05/03", D(1988, 5, 3), D(1988, 5, 3)),
        ("1988.05.03", D(1988, 5, 3), D(1988, 5, 3)),
        ("19880503", D(1988, 5, 3), D(1988, 5, 3)),
        ("198802", D(1988, 2, 1), D(1988, 2, 29)),
        ("1988年5月3日", D(1988, 5, 3), D(1988, 5, 3)),
        ("1988年5月3号", D(1988, 5, 3), D(1988, 5, 3)),
        ("1988年5月", D(1988, 5, 1), D(1988, 5, 31)),
        ("1988年5月份", D(1988, 5, 1), D(1988, 5, 31)),
        ("1988年", D(1988, 1, 1), D(1988, 12, 31)),
        ("1995-8-17", D(1995, 8, 17), D(1995, 8, 17)),
        ("１９９５－８－１７", D(1995, 8, 17), D(1995, 8, 17)),  # full-width
        ("1988 年 5 月", D(1988, 5, 1), D(1988, 5, 31)),
        ("1988-05-03 00:00:00", D(1988, 5, 3), D(1988, 5, 3)),  # Excel datetime
        ("1988-05-03T00:00:00", D(1988, 5, 3), D(1988, 5, 3)),
        ("1988年5月3日出生", D(1988, 5, 3), D(1988, 5, 3)),
        ("1988年5月3日晚上8点", D(1988, 5, 3), D(1988, 5, 3)),
        ("2019年4月底", D(2019, 4, 21), D(2019, 4, 30)),
        ("2019年4月末", D(2019, 4, 21), D(2019, 4, 30)),
        ("2019年4月初", D(2019, 4, 1), D(2019, 4, 10)),
        ("2019年4月上旬", D(2019, 4, 1), D(2019, 4, 10)),
        ("2019年4月中旬", D(2019, 4, 11), D(2019, 4, 20)),
        ("2019年2月下旬", D(2019, 2, 21), D(2019, 2, 28)),
        ("1988年初", D(1988, 1, 1), D(1988, 3, 31)),
        ("1988年底", D(1988, 10, 1), D(1988, 12, 31)),
        ("1988年上半年", D(1988, 1, 1), D(1988, 6, 30)),
        ("1988年下半年", D(1988, 7, 1), D(1988, 12, 31)),
        ("1990年春天", D(1990, 3, 1), D(1990, 5, 31)),
        ("1990年冬天", D(1990, 11, 1), D(1991, 2, 28)),
        ("84年", D(1984, 1, 1), D(1984, 12, 31)),
        ("84.5.3", D(1984, 5, 3), D(1984, 5, 3)),
        ("08年", D(2008, 1, 1), D(2008, 12, 31)),
        ("一九八八年五月三日", D(1988, 5, 3), D(1988, 5, 3)),
        ("二〇〇一年十二月二十", D(2001, 12, 20), D(2001, 12, 20)),
        ("八四年", D(1984, 1, 1), D(1984, 12, 31)),
        ("80年代", D(1980, 1, 1), D(1989, 12, 31)),
        ("八十年代末", D(1986, 1, 1), D(1989, 12, 31)),
        ("1988-1990", D(1988, 1, 1), D(1990, 12, 31)),
        ("1988年或1989年", D(1988, 1, 1), D(1989, 12, 31)),
        ("88-89年", D(1988, 1, 1), D(1989, 12, 31)),
        ("1988-00-00", D(1988, 1, 1), D(1988, 12, 31)),  # database zero parts: not known
        ("1988-05-00", D(1988, 5, 1), D(1988, 5, 31)),
    ],
)
def test_solar_formats(text: str, lo: datetime.date, hi: datetime.date) -> None:
    found = parse_date(text, today=TODAY)
    assert found == DateInterval(lo, hi, lunar=False, approximate=False)


@pytest.mark.parametrize(
    "text", ["", "  ", "不详", "不知道", "未知", "无", "?", "0000-00-00", "null", "属马"]
)
def test_unknown_is_none(text: str) -> None:
    assert parse_date(text, today=TODAY) is None


def test_solar_day_in_january_1990_is_lunar_year_1989() -> None:
    lunar_1989 = parse_date("1989", "lunar", today=TODAY)
    assert lunar_1989 == DateInterval(D(1989, 2, 6), D(1990, 1, 26), lunar=True)
    assert lunar_1989.lo <= D(1990, 1, 20) <= lunar_1989.hi
    lo_1990, _ = interval("1990", "农历")
    assert lo_1990 == D(1990, 1, 27) > D(1990, 1, 20)
    assert interval("1989年腊月二十四") == (D(1990, 1, 20), D(1990, 1, 20))


def test_leap_month_converts() -> None:
    assert interval("农历2020年闰四月初一") == (D(2020, 5, 23), D(2020, 5, 23))
    assert interval("2020年闰四月") == (D(2020, 5, 23), D(2020, 6, 20))  # 29 days, 闰 implies lunar
    assert interval("2020年四月", "lunar") == (D(2020, 4, 23), D(2020, 5, 22))  # the regular month only
    assert interval("2020年上半年", "lunar") == (D(2020, 1, 25), D(2020, 8, 18))  # leap month inside


@pytest.mark.parametrize(
    ("text", "calendar", "lo", "hi"),
    [
        ("1988-05-03", "lunar", D(1988, 6, 16), D(1988, 6, 16)),
        ("1988年5月3日", "农历", D(1988, 6, 16), D(1988, 6, 16)),
        ("1988年5月3日", "阴历", D(1988, 6, 16), D(1988, 6, 16)),
        ("农历1988年5月3日", "", D(1988, 6, 16), D(1988, 6, 16)),
        ("阴历1988年五月初三", "solar", D(1988, 6, 16), D(1988, 6, 16)),  # the text beats the cell
        ("1988年5月初三", "", D(1988, 6, 16), D(1988, 6, 16)),  # 初三 names a lunar day
        ("1988年正月十五", "", D(1988, 3, 2), D(1988, 3, 2)),
        ("1988年元月", "lunar", D(1988, 2, 17), D(1988, 3, 17)),
        ("1988年冬月", "", D(1988, 12, 9), D(1989, 1, 7)),
        ("1988年腊月廿三", "", D(1989, 1, 30), D(1989, 1, 30)),
        ("1989年腊月三十", "", D(1990, 1, 26), D(1990, 1, 26)),  # eve of lunar 1990
        ("(农历)1988年", "", D(1988, 2, 17), D(1989, 2, 5)),
        # other names of the lunar calendar
        ("1988年老历5月3日", "solar", D(1988, 6, 16), D(1988, 6, 16)),
        ("古历1988年五月初三", "", D(1988, 6, 16), D(1988, 6, 16)),
        ("1988年5月3日", "老曆", D(1988, 6, 16), D(1988, 6, 16)),
        # a year of the sexagenary cycle (戊辰 1988, 癸卯 1963, 己亥 2019) is a lunar year of 1960-2019
        ("戊辰年五月初三", "", D(1988, 6, 16), D(1988, 6, 16)),
        ("农历戊辰年5月3日", "", D(1988, 6, 16), D(1988, 6, 16)),
        ("癸卯年", "", D(1963, 1, 25), D(1964, 2, 12)),
        ("己亥年腊月", "", D(2019, 12, 26), D(2020, 1, 24)),
    ],
)
def test_lunar_dates(text: str, calendar: str, lo: datetime.date, hi: datetime.date) -> None:
    found = parse_date(text, calendar, today=TODAY)
    assert found == DateInterval(lo, hi, lunar=True, approximate=False)


@pytest.mark.parametrize("calendar", ["", "solar", "公历", "阳历", "新历", " SOLAR "])
def test_solar_calendar_cells(calendar: str) -> None:
    assert parse_date("1988-05-03", calendar, today=TODAY) == DateInterval(D(1988, 5, 3), D(1988, 5, 3))


def test_solar_cell_keeps_初三_as_a_solar_day() -> None:
    assert interval("1988年5月初三", "solar") == (D(1988, 5, 3), D(1988, 5, 3))


@pytest.mark.parametrize(
    ("text", "lo", "hi"),
    [
        ("1988年左右", D(1987, 1, 1), D(1989, 12, 31)),
        ("大概1988年", D(1987, 1, 1), D(1989, 12, 31)),
        ("1988年5月左右", D(1988, 4, 1), D(1988, 6, 30)),
        ("约1988年5月3日", D(1988, 4, 18), D(1988, 5, 18)),
        ("1988-05-03前后", D(1988, 4, 18), D(1988, 5, 18)),
    ],
)
def test_approximations_widen(text: str, lo: datetime.date, hi: datetime.date) -> None:
    assert parse_date(text, today=TODAY) == DateInterval(lo, hi, lunar=False, approximate=True)


def test_zodiac_narrows_and_conflicts() -> None:
    assert interval("1990年属马") == (D(1990, 1, 27), D(1990, 12, 31))  # 马 starts at lunar new year
    assert interval("1990年1月（属蛇）") == (D(1990, 1, 1), D(1990, 1, 26))
    assert interval("1990年马年") == (D(1990, 1, 27), D(1990, 12, 31))
    with pytest.raises(DateError) as caught:
        parse_date("1990年属羊", today=TODAY)
    assert caught.value.reason == "zodiac conflict"
    assert parse_zodiac("属马") == "马"
    assert parse_zodiac("1990-05-03") is None


def test_two_digit_year_takes_latest_century_not_in_future() -> None:
    assert interval("24年") == (D(2024, 1, 1), D(2024, 12, 31))
    assert interval("26年") == (D(1926, 1, 1), D(1926, 12, 31))
    assert interval("25.12.3") == (D(1925, 12, 3), D(1925, 12, 3))  # 2025-12-03 is after TODAY
    assert interval("25.5.3") == (D(2025, 5, 3), D(2025, 5, 3))


def test_interval_reaching_past_today_is_clipped() -> None:
    assert interval("2025年") == (D(2025, 1, 1), TODAY)


@pytest.mark.parametrize(
    ("text", "calendar", "reason"),
    [
        ("1988-13-01", "", "impossible date"),
        ("1988年2月30日", "", "impossible date"),
        ("1989-02-29", "", "impossible date"),
        ("农历2020年正月三十", "", "impossible date"),  # 正月 2020 has 29 days
        ("1988年腊月三十", "", "impossible date"),  # so has 腊月 1988
        ("1988年闰五月", "", "impossible date"),  # 1988's leap month is not the fifth
        ("2030年", "", "in the future"),
        ("2025-06-02", "", "in the future"),
        ("1850年", "", "before 1900"),
        ("5月3日", "", "no year"),
        ("腊月初八", "", "no year"),
        ("abc", "", "unreadable date"),
        ("880503", "", "unreadable date"),
        ("1988", "julian", "unknown calendar"),
        ("公历1988年腊月", "", "calendar conflict"),
        ("农历公历1988", "", "calendar conflict"),
        ("1990年属羊", "", "zodiac conflict"),
    ],
)
def test_errors_have_stable_reasons(text: str, calendar: str, reason: str) -> None:
    with pytest.raises(DateError) as caught:
        parse_date(text, calendar, today=TODAY)
    assert caught.value.reason == reason
    assert repr(text if reason != "unknown calendar" else calendar) in str(caught.value)
    assert isinstance(caught.value, InputError)
    assert isinstance(caught.value, ValueError)


def test_days_helpers_round_trip() -> None:
    assert to_days(D(1970, 1, 1)) == 0
    assert to_days(D(2020, 5, 23)) == 18405
    assert from_days(18405) == D(2020, 5, 23)
    assert from_days(to_days(D(1900, 1, 1))) == D(1900, 1, 1)


def test_parse_dates_vectorized() -> None:
    texts = ["1988-05-03", "", "1988-13-01", "1988年5月初三", "1988-05-03", "不详", "1988"]
    calendars = ["", "", "", "solar", "lunar", "", "农历"]
    parsed = parse_dates(texts, calendars, today=TODAY)
    assert len(parsed) == 7
    assert parsed.lo.dtype == np.int32 and parsed.hi.dtype == np.int32
    assert [from_days(n) for n in parsed.lo[parsed.known]] == [
        D(1988, 5, 3), D(1988, 1, 1), D(1988, 5, 3), D(1988, 6, 16), D(1988, 2, 17)]
    assert parsed.known.tolist() == [True, False, True, True, True, False, True]
    assert parsed.lunar.tolist() == [False, False, False, False, True, False, True]
    assert parsed.lo[1] == 0 and parsed.hi[2] == to_days(D(1988, 12, 31))
    assert [(i, reason) for i, reason, _ in parsed.errors] == [(2, "impossible date")]
    assert "'1988-13-01'" in parsed.errors[0][2]
    assert parsed.widened is not None and parsed.widened.tolist() == [False, False, True] + [False] * 4


@pytest.mark.parametrize(
    ("text", "reason", "lo", "hi"),
    [
        ("1993-02-30", "impossible date", D(1993, 2, 1), D(1993, 2, 28)),
        ("19490231", "impossible date", D(1949, 2, 1), D(1949, 2, 28)),
        ("1992-13-20", "impossible date", D(1992, 1, 1), D(1992, 12, 31)),
        ("1988-00-05", "impossible date", D(1988, 1, 1), D(1988, 12, 31)),
        ("1988年5月0日", "impossible date", D(1988, 5, 1), D(1988, 5, 31)),
        ("农历1990年闰二月", "impossible date", D(1990, 1, 27), D(1991, 2, 14)),
        ("32874", "excel serial number", D(1990, 1, 1), D(1990, 1, 1)),
        ("2099-01-01", "in the future", None, None),
        ("abc", "unreadable date", None, None),
    ],
)
def test_unusable_dates_read_as_their_widest_interval(
    text: str, reason: str, lo: D | None, hi: D | None
) -> None:
    parsed = parse_dates([text], today=TODAY)
    assert [r for _, r, _ in parsed.errors] == [reason]
    assert bool(parsed.known[0]) is (lo is not None)
    if lo is not None:
        assert (from_days(parsed.lo[0]), from_days(parsed.hi[0])) == (lo, hi)
    with pytest.raises(DateError) as caught:  # one cell alone still says what was wrong
        parse_date(text, today=TODAY)
    assert caught.value.reason == reason


def test_parse_dates_without_calendars_and_repeated_errors() -> None:
    parsed = parse_dates(["84年", "abc", "84年", "abc"], today=TODAY)
    assert parsed.lo.tolist() == [to_days(D(1984, 1, 1)), 0] * 2
    assert [i for i, _, _ in parsed.errors] == [1, 3]
    with pytest.raises(InputError):
        parse_dates(["1988"], ["", ""], today=TODAY)


@pytest.mark.parametrize(
    ("calendar", "lunar"),
    [("农", True), ("農曆", True), ("农历生日", True), ("是", True), ("L", True), ("Lunar calendar", True),
     ("Chinese calendar", True), ("yes", True), ("Y", True), ("true", True),
     ("阳", False), ("否", False), ("公历日期", False), ("不详", False), ("Solar calendar", False),
     ("Gregorian", False), ("no", False), ("N", False), ("FALSE", False)],
)
def test_calendar_cells_as_registers_write_them(calendar: str, lunar: bool) -> None:
    # 1988-05-03 read as a lunar date is solar 1988-06-16
    found = parse_date("1988-05-03", calendar, today=datetime.date(2025, 1, 1))
    assert found is not None and found.lunar is lunar
    assert found.lo == (datetime.date(1988, 6, 16) if lunar else datetime.date(1988, 5, 3))


@pytest.mark.parametrize(
    ("text", "calendar", "lo", "hi", "lunar"),
    [
        ("1990年春节", "", D(1990, 1, 27), D(1990, 1, 27), True),
        ("1990年大年初一", "solar", D(1990, 1, 27), D(1990, 1, 27), True),  # a lunar festival stays lunar
        ("1990年的中秋节", "公历", D(1990, 10, 3), D(1990, 10, 3), True),
        ("1990年腊八", "", D(1991, 1, 23), D(1991, 1, 23), True),  # 腊月 of lunar 1990
        ("1990年国庆节", "农历", D(1990, 10, 1), D(1990, 10, 1), False),  # a solar festival stays solar
        ("1990年五一", "", D(1990, 5, 1), D(1990, 5, 1), False),
        ("1990年清明", "", D(1990, 4, 1), D(1990, 4, 10), False),
        ("1990年冬至", "", D(1990, 12, 21), D(1990, 12, 31), False),
        ("1990年8、9月份", "", D(1990, 8, 1), D(1990, 9, 30), False),
        ("1990年8月或9月", "", D(1990, 8, 1), D(1990, 9, 30), False),
        ("1990年1、2月", "", D(1990, 1, 1), D(1990, 2, 28), False),  # not December: 、 is read before it is dropped
        ("1990年八九月份", "", D(1990, 8, 1), D(1990, 9, 30), False),
        ("五一年", "", D(1951, 1, 1), D(1951, 12, 31), False),  # a year, not 五一 the holiday
        ("六一年8月", "", D(1961, 8, 1), D(1961, 8, 31), False),
    ],
)
def test_festivals_and_month_pairs(text: str, calendar: str, lo: datetime.date, hi: datetime.date,
                                   lunar: bool) -> None:
    got = parse_date(text, calendar, today=TODAY)
    assert got is not None
    assert (got.lo, got.hi, got.lunar) == (lo, hi, lunar)


@pytest.mark.parametrize("year", [1978, 1985, 1990, 1996, 2003])
@pytest.mark.parametrize(("festival", "month", "day"),
                         [("端午", 5, 5), ("中秋", 8, 15), ("重阳", 9, 9), ("元宵", 1, 15)])
def test_lunar_festivals_agree_with_lunar_python(year: int, festival: str, month: int, day: int) -> None:
    from lunar_python import Lunar

    solar = Lunar.fromYmd(year, month, day).getSolar()
    expected = D(solar.getYear(), solar.getMonth(), solar.getDay())
    assert interval(f"{year}年{festival}") == (expected, expected)
    widened = parse_date(f"{year}年{festival}前后", today=TODAY)
    assert widened is not None and widened.approximate
    assert (widened.lo, widened.hi) == (expected - datetime.timedelta(days=15), expected + datetime.timedelta(days=15))


def test_new_years_eve_is_the_end_of_that_lunar_year() -> None:
    lo, hi = interval("1990年除夕")
    eve = D(1991, 2, 14)  # the day before 1991's spring festival (1991-02-15)
    assert lo <= eve <= hi and hi - lo < datetime.timedelta(days=11)
    with pytest.raises(DateError) as caught:
        parse_date("春节", today=TODAY)
    assert caught.value.reason == "no year"


def test_a_sexagenary_year_beside_a_written_year_only_confirms_it() -> None:
    found = parse_date("1988年（戊辰年）", "公历", today=TODAY)
    assert found == DateInterval(D(1988, 1, 1), D(1988, 12, 31), lunar=False, approximate=False)
    with pytest.raises(DateError) as caught:  # 甲 and 丑 never pair in the cycle
        parse_date("甲丑年", today=TODAY)
    assert caught.value.reason == "unreadable date"


def test_an_unknown_calendar_keeps_the_date_as_if_none_were_given() -> None:
    parsed = parse_dates(["1988-05-03", "1988-05-03"], ["1", "moon"], today=TODAY)
    assert parsed.known.tolist() == [True, True] and parsed.lunar.tolist() == [False, False]
    assert [from_days(int(day)) for day in parsed.lo] == [D(1988, 5, 3)] * 2
    assert parsed.widened is not None and parsed.widened.tolist() == [True, True]
    assert [reason for _, reason, _ in parsed.errors] == ["unknown calendar", "unknown calendar"]


@pytest.mark.parametrize(("text", "lo", "hi"), [
    ("1990年春节前", D(1990, 1, 12), D(1990, 1, 27)),    # the 15 days before 正月初一 (1990-01-27)
    ("1990年5月前", D(1990, 4, 1), D(1990, 5, 31)),      # a month before
    ("1990年3月5日之后", D(1990, 3, 5), D(1990, 3, 20)),  # 15 days after
    ("1995年以后", D(1995, 1, 1), D(1996, 12, 31)),       # a year after
])
def test_before_and_after_a_date_widen_one_side(text: str, lo: datetime.date, hi: datetime.date) -> None:
    found = parse_date(text, today=TODAY)
    assert found is not None and (found.lo, found.hi) == (lo, hi) and found.approximate


def test_an_unreadable_date_that_names_a_year_keeps_the_years_around_it() -> None:
    parsed = parse_dates(["1990年春节那阵", "1990到1991年间", "小时候", "1899年的某天"], today=TODAY)
    assert parsed.known.tolist() == [True, True, False, False]
    assert parsed.widened is not None and parsed.widened.tolist()[:2] == [True, True]
    assert [from_days(int(day)) for day in parsed.lo[:2]] == [D(1989, 1, 1), D(1989, 1, 1)]
    assert [from_days(int(day)) for day in parsed.hi[:2]] == [D(1991, 12, 31), D(1992, 12, 31)]
    assert {reason for _, reason, _ in parsed.errors} == {"unreadable date"}
    with pytest.raises(DateError, match="years around the one it names, 1989-1991") as raised:
        parse_date("1990年春节那阵", today=TODAY)
    assert raised.value.widest is not None


@pytest.mark.parametrize(("text", "lo", "hi", "approximate"), [
    ("23/05/1988", D(1988, 5, 23), D(1988, 5, 23), False),   # day first, as in Europe
    ("5/23/1988", D(1988, 5, 23), D(1988, 5, 23), False),    # month first, as a US spreadsheet writes it
    ("03/05/1988", D(1988, 3, 5), D(1988, 5, 3), True),      # either: from one reading to the other
    ("05.05.1988", D(1988, 5, 5), D(1988, 5, 5), False),
    ("23/05/1988左右", D(1988, 5, 8), D(1988, 6, 7), True),  # about: 15 days either side
])
def test_a_date_with_the_year_last(text: str, lo: datetime.date, hi: datetime.date, approximate: bool) -> None:
    found = parse_date(text, today=TODAY)
    assert found is not None and (found.lo, found.hi, found.approximate) == (lo, hi, approximate)


def test_a_date_with_the_year_last_that_no_reading_makes_is_kept_as_its_year() -> None:
    parsed = parse_dates(["31/02/1988"], today=TODAY)
    assert parsed.known.tolist() == [True] and parsed.widened is not None and parsed.widened.tolist() == [True]
    assert (from_days(int(parsed.lo[0])), from_days(int(parsed.hi[0]))) == (D(1988, 1, 1), D(1988, 12, 31))
