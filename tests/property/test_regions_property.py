"""Properties of region resolution and distances."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from reunite.normalize.regions import (
    county_table,
    distance_km,
    historical_codes,
    resolve_region,
    resolve_regions,
)

TABLE = county_table()
row_index = st.integers(min_value=0, max_value=len(TABLE) - 1)
address_chars = st.sampled_from(list("省市区县镇村路号,/ 江西萍乡安源北京朝阳上海南汇undefined0123456789"))
lat = st.floats(min_value=-89.0, max_value=89.0, allow_nan=False)
lon = st.floats(min_value=-179.0, max_value=179.0, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=address_chars, max_size=30) | st.text(max_size=20))
def test_resolve_region_is_deterministic_and_never_raises(text: str) -> None:
    first = resolve_region(text)
    resolve_region.cache_clear()
    second = resolve_region(text)
    assert first.county == second.county and first.city == second.city
    assert first.province == second.province and first.label == second.label
    assert 0 <= first.level <= 3
    assert (first.level == 0) == (first.province == 0)


@settings(max_examples=200, deadline=None)
@given(row_index)
def test_resolving_a_label_gives_the_same_county(row: int) -> None:
    code = int(TABLE.code[row])
    region = resolve_region(str(code))
    assert region.county == code
    again = resolve_region(region.label)
    assert again.county == code
    assert again.level == 3


@settings(max_examples=200, deadline=None)
@given(row_index, st.sampled_from(["", ",", "/", " ", "，"]), st.sampled_from(["", "某某村", "人民路12号"]))
def test_label_parts_with_separators_and_detail_resolve_to_the_county(
    row: int, sep: str, detail: str
) -> None:
    region = resolve_region(str(int(TABLE.code[row])))
    province = resolve_region(str(region.province)).label
    city = resolve_region(str(region.city)).label  # "北京市" for a municipality's districts
    parts = [province, city.removeprefix(province), region.label.removeprefix(city), detail]
    assert resolve_region(sep.join(p for p in parts if p)).county == region.county


@settings(max_examples=100, deadline=None)
@given(row_index)
def test_old_codes_map_into_their_county(row: int) -> None:
    code = int(TABLE.code[row])
    for old in historical_codes(code):
        region = resolve_region(old)
        assert region.county == code
        assert region.historical
        assert len(old) == 6 and old != str(code)


@given(lat, lon, lat, lon)
def test_distance_is_symmetric_and_zero_to_itself(a: float, b: float, c: float, d: float) -> None:
    forward = float(distance_km(a, b, c, d))
    backward = float(distance_km(c, d, a, b))
    assert math.isclose(forward, backward, rel_tol=1e-9, abs_tol=1e-6)
    assert float(distance_km(a, b, a, b)) == 0.0
    assert 0.0 <= forward <= math.pi * 6371.0088 + 1e-6


@given(st.lists(st.tuples(lat, lon), min_size=1, max_size=20))
def test_distance_vectorized_equals_scalar(points: list[tuple[float, float]]) -> None:
    lats = np.array([p[0] for p in points])
    lons = np.array([p[1] for p in points])
    vector = distance_km(lats, lons, lats[::-1], lons[::-1])
    scalar = [float(distance_km(*p, *q)) for p, q in zip(points, points[::-1], strict=True)]
    np.testing.assert_allclose(vector, scalar, rtol=1e-12, atol=1e-9)


# few labels, so that the addresses of one column share their leading parts
label_text = st.builds(
    lambda row: resolve_region(str(int(TABLE.code[row]))).label,
    st.sampled_from(range(0, len(TABLE), max(1, len(TABLE) // 12))),
)
address = st.builds(
    lambda head, cut, tail: head[: max(1, len(head) - cut)] + tail,
    label_text | st.text(alphabet=address_chars, max_size=12),
    st.integers(min_value=0, max_value=6),
    st.text(alphabet=address_chars, max_size=12) | st.sampled_from(["", "12", "县", "市辖区", "某某村5组"]),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(address, min_size=1, max_size=40))
def test_resolving_a_column_equals_resolving_each_cell(texts: list[str]) -> None:
    # the column path resolves an address once per deciding prefix; it must agree with each cell alone
    column = resolve_regions(texts)
    for index, text in enumerate(texts):
        one = resolve_region(text)
        assert (int(column.county[index]), int(column.city[index]), int(column.province[index])) == (
            one.county, one.city, one.province), text
        assert column.label[index] == one.label and bool(column.historical[index]) == one.historical, text
