"""Properties of date parsing: intervals hold the true day, partial dates span whole units,
lunar dates round-trip through lunar_python, parsing is deterministic and lo <= hi."""

from __future__ import annotations

import calendar
import datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from lunar_python import Solar

from reunite.normalize.dates import DateError, DateInterval, from_days, parse_date, parse_dates

TODAY = datetime.date(2025, 6, 1)
DAYS = st.dates(datetime.date(1900, 1, 1), TODAY)
CN = "〇一二三四五六七八九"

FULL_FORMATS = [
    "{y}-{m:02d}-{d:02d}", "{y}/{m:02d}/{d:02d}", "{y}.{m:02d}.{d:02d}", "{y}{m:02d}{d:02d}",
    "{y}年{m}月{d}日", "{y}-{m}-{d}", "{y}/{m}/{d}", "{y}年{m}月{d}号", "{y}-{m:02d}-{d:02d} 00:00:00",
    "{y}年{m:02d}月{d:02d}日出生",
]


def cn_number(n: int) -> str:
    """1..31 written as people write day and month numbers: 三, 十二, 二十三, 三十."""
    tens, units = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else CN[tens] + "十")
    return head + (CN[units] if units else "")


def lunar_day_name(n: int) -> str:
    if n <= 10:
        return "初" + cn_number(n)
    if 20 < n < 30:
        return "廿" + CN[n - 20]
    return cn_number(n)


@given(DAYS, st.sampled_from(FULL_FORMATS))
def test_full_dates_are_exact(day: datetime.date, form: str) -> None:
    text = form.format(y=day.year, m=day.month, d=day.day)
    found = parse_date(text, today=TODAY)
    assert found is not None and found.lo == found.hi == day and not found.lunar


@given(DAYS)
def test_chinese_numerals_are_exact(day: datetime.date) -> None:
    year = "".join(CN[int(c)] for c in str(day.year))
    text = f"{year}年{cn_number(day.month)}月{cn_number(day.day)}日"
    found = parse_date(text, "solar", today=TODAY)
    assert found is not None and found.lo == found.hi == day


@given(st.dates(datetime.date(1926, 1, 1), TODAY), st.sampled_from(["{y}.{m}.{d}", "{y}年{m}月{d}日"]))
def test_two_digit_years_within_a_century_are_exact(day: datetime.date, form: str) -> None:
    found = parse_date(form.format(y=f"{day.year % 100:02d}", m=day.month, d=day.day), today=TODAY)
    assert found is not None and found.lo == found.hi == day


@given(DAYS, st.sampled_from(["{y}-{m:02d}", "{y}/{m}", "{y}{m:02d}", "{y}年{m}月", "{y}年{m}月份"]))
def test_month_formats_span_the_month(day: datetime.date, form: str) -> None:
    found = parse_date(form.format(y=day.year, m=day.month), today=TODAY)
    assert found is not None
    last = calendar.monthrange(day.year, day.month)[1]
    assert found.lo == day.replace(day=1)
    assert found.hi == min(day.replace(day=last), TODAY)


@given(DAYS, st.sampled_from(["{y}", "{y}年", "{y}-00-00"]))
def test_year_formats_span_the_year(day: datetime.date, form: str) -> None:
    found = parse_date(form.format(y=day.year), today=TODAY)
    assert found is not None
    last = min(datetime.date(day.year, 12, 31), TODAY)
    assert (found.lo, found.hi) == (datetime.date(day.year, 1, 1), last)


# a period of the last month before TODAY may begin after it (中旬 of TODAY's month): days before then
@given(st.dates(datetime.date(1900, 1, 1), datetime.date(TODAY.year, TODAY.month, 1) - datetime.timedelta(days=1)),
       st.sampled_from(["上旬", "中旬", "下旬", "初", "底"]))
def test_month_periods_hold_their_days(day: datetime.date, period: str) -> None:
    found = parse_date(f"{day.year}年{day.month}月{period}", today=TODAY)
    in_period = {"上旬": day.day <= 10, "初": day.day <= 10, "中旬": 11 <= day.day <= 20}.get(
        period, day.day >= 21)
    assert found is not None
    assert (found.lo <= day <= found.hi) == in_period


@given(DAYS, st.sampled_from(["左右", "前后"]), st.sampled_from(["{y}年", "{y}年{m}月", "{y}年{m}月{d}日"]))
def test_approximate_dates_still_hold_the_day(day: datetime.date, marker: str, form: str) -> None:
    found = parse_date(form.format(y=day.year, m=day.month, d=day.day) + marker, today=TODAY)
    assert found is not None and found.approximate
    assert found.lo <= day <= found.hi
    # widened, unless clipped at either end of the accepted range (1900-01-01 .. today)
    assert (found.hi - found.lo).days >= 30 or found.hi == TODAY or found.lo == datetime.date(1900, 1, 1)


@settings(max_examples=150)
@given(DAYS, st.booleans())
def test_lunar_dates_round_trip(day: datetime.date, chinese: bool) -> None:
    lunar = Solar.fromYmd(day.year, day.month, day.day).getLunar()
    year, month, lday = lunar.getYear(), lunar.getMonth(), lunar.getDay()
    leap = "闰" if month < 0 else ""
    if chinese:
        month_name = {1: "正月", 11: "冬月", 12: "腊月"}.get(abs(month), cn_number(abs(month)) + "月")
        text = f"农历{year}年{leap}{month_name}{lunar_day_name(lday)}"
    else:
        text = f"{year}年{leap}{abs(month)}月{lday}日"
    found = parse_date(text, "lunar", today=TODAY)
    assert found is not None and found.lunar
    assert found.lo == found.hi == day
    whole_year = parse_date(f"{year}年", "农历", today=TODAY)
    assert whole_year is not None and whole_year.lo <= day <= whole_year.hi


NOISE = st.text(alphabet="0123456789-/.年月日号初十廿卅正腊冬闰左右约属马底中旬上下半农历公 ", max_size=14)
PIECES = st.tuples(
    st.sampled_from(["", "", "农历", "公历", "约", "大概"]),
    st.one_of(st.integers(1890, 2030).map(str), st.integers(0, 99).map(lambda y: f"{y:02d}")),
    st.sampled_from(["年", "-", ".", "/", "年代"]),
    st.sampled_from(["", "", "闰"]),
    st.one_of(st.just(""), st.integers(0, 13).map(str), st.sampled_from(["正", "腊", "冬", "十一"])),
    st.sampled_from(["月", "-", "月底", "月下旬", "月初"]),
    st.one_of(st.just(""), st.integers(0, 32).map(str), st.sampled_from(["初三", "廿九", "三十"])),
    st.sampled_from(["", "日", "左右", "属马"]),
)
TEXT = st.one_of(NOISE, PIECES.map("".join))


@given(TEXT, st.sampled_from(["", "solar", "lunar", "农历"]))
def test_deterministic_and_ordered(text: str, calendar_cell: str) -> None:
    outcomes: list[DateInterval | str | None] = []
    for _ in range(2):
        try:
            outcomes.append(parse_date(text, calendar_cell, today=TODAY))
        except DateError as error:
            outcomes.append(error.reason)
    assert outcomes[0] == outcomes[1]
    found = outcomes[0]
    if isinstance(found, DateInterval):
        assert datetime.date(1900, 1, 1) <= found.lo <= found.hi <= TODAY


@settings(max_examples=40)
@given(st.lists(st.tuples(TEXT, st.sampled_from(["", "lunar"])), max_size=20))
def test_vectorized_matches_scalar(cells: list[tuple[str, str]]) -> None:
    parsed = parse_dates([t for t, _ in cells], [c for _, c in cells], today=TODAY)
    failed = {i: reason for i, reason, _ in parsed.errors}
    for i, (text, calendar_cell) in enumerate(cells):
        try:
            found = parse_date(text, calendar_cell, today=TODAY)
        except DateError as error:
            assert failed[i] == error.reason
            assert error.widest is not None or not parsed.known[i]
            continue
        assert i not in failed
        assert bool(parsed.known[i]) == (found is not None)
        if found is not None:
            assert (from_days(parsed.lo[i]), from_days(parsed.hi[i])) == (found.lo, found.hi)
            assert bool(parsed.lunar[i]) == found.lunar


PLAIN = st.builds(
    lambda year, month, day, separators, pad: (
        f"{year}{month:02d}{day:02d}" if separators == "" else
        f"{year}年{month:0{pad}d}月{day:0{pad}d}{separators[1:]}" if separators[0] == "年" else
        f"{year}{separators[0]}{month:0{pad}d}{separators[-1]}{day:0{pad}d}"),
    st.integers(1890, 2030), st.integers(0, 13), st.integers(0, 32),
    st.sampled_from(["", "-", "/", ".", "-/", "./", "年", "年日", "年号", "年号日"]), st.sampled_from([1, 2]),
)


@settings(max_examples=60)
@given(st.lists(st.tuples(PLAIN | TEXT, st.sampled_from(["", "", "solar", "lunar"])), max_size=30), st.booleans())
def test_plain_dates_read_as_whole_arrays_match_scalar(cells: list[tuple[str, str]], calendars: bool) -> None:
    # plain solar days skip the scalar parser: they must come out exactly as it reads them
    parsed = parse_dates([t for t, _ in cells], [c for _, c in cells] if calendars else None, today=TODAY)
    failed = {i: (reason, message) for i, reason, message in parsed.errors}
    for i, (text, calendar_cell) in enumerate(cells):
        try:
            found = parse_date(text, calendar_cell if calendars else "", today=TODAY)
        except DateError as error:
            assert failed[i] == (error.reason, str(error))
            continue
        assert i not in failed
        assert bool(parsed.known[i]) == (found is not None)
        if found is not None:
            assert (from_days(parsed.lo[i]), from_days(parsed.hi[i])) == (found.lo, found.hi)
            assert (bool(parsed.lunar[i]), bool(parsed.approximate[i])) == (found.lunar, found.approximate)
