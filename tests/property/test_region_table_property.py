"""The region comparison's table of case places against every place, its distances computed only for
pairs close in latitude, equals the table of the whole formula, bit for bit."""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt
from hypothesis import given, settings
from hypothesis import strategies as st

from reunite.matching.comparisons import region
from reunite.matching.prepare import Regions
from reunite.matching.spec import ComparisonSpec


def _whole_table(regions: Regions, nearby_km: float, a: npt.NDArray[np.int64],
                 b: npt.NDArray[np.int64]) -> npt.NDArray[np.int8]:
    """The levels as the kernel computed them over every pair (before the latitude slices)."""
    lat_a, lon_a, lat_b, lon_b = regions.lat[a], regions.lon[a], regions.lat[b], regions.lon[b]
    x = np.radians(lon_b - lon_a) * np.cos(np.radians((lat_a + lat_b) * np.float32(0.5)))
    y = np.radians(lat_b - lat_a)
    km = np.float32(6371.0) * np.sqrt(x * x + y * y)
    level = (km <= nearby_km).astype(np.int8)
    for codes, value in ((regions.province, 2), (regions.city, 3), (regions.county, 4)):
        ca, cb = codes[a], codes[b]
        level[(ca > 0) & (ca == cb)] = value
    level[(regions.level[a] == 0) | (regions.level[b] == 0) | (regions.level[a] < 3)] = -1
    return level


@st.composite
def places(draw: st.DrawFn) -> Regions:
    n = draw(st.integers(1, 60))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    lat = rng.uniform(18.0, 53.0, n).astype(np.float32)
    lon = rng.uniform(73.0, 135.0, n).astype(np.float32)
    if draw(st.booleans()):  # places in a narrow band: many pairs close in latitude, some exactly at the edge
        lat = (np.float32(30.0) + rng.integers(-3, 4, n).astype(np.float32) * np.float32(0.675)).astype(np.float32)
    lat[rng.random(n) < 0.1] = np.nan  # a place without coordinates
    province = rng.integers(0, 4, n).astype(np.int32) * 10_000
    city = np.where(province > 0, province + rng.integers(0, 3, n).astype(np.int32) * 100, 0).astype(np.int32)
    county = np.where(city > 0, city + rng.integers(0, 3, n).astype(np.int32), 0).astype(np.int32)
    level = rng.integers(0, 4, n).astype(np.int8)
    return Regions(county=county, city=city, province=province, level=level, lat=lat, lon=lon)


@settings(max_examples=300, deadline=None)
@given(places(), st.sampled_from([1.0, 75.0, 150.0, 400.0, 5000.0]), st.data())
def test_the_sliced_table_equals_the_whole_formula(regions: Regions, nearby_km: float, data: st.DataObject) -> None:
    spec = dataclasses.replace(ComparisonSpec(), nearby_km=nearby_km)
    case_places = np.array(data.draw(st.lists(st.integers(0, len(regions) - 1), min_size=1, max_size=20,
                                              unique=True)), dtype=np.int64)
    a, b = case_places[:, None], np.arange(len(regions), dtype=np.int64)[None, :]
    assert np.array_equal(region._region_levels(regions, spec, a, b), _whole_table(regions, nearby_km, a, b))
    # aligned pairs (not a table) take the whole formula
    pairs = np.resize(case_places, len(regions))
    assert np.array_equal(region._region_levels(regions, spec, pairs, b[0]),
                          _whole_table(regions, nearby_km, pairs, b[0]))


def test_places_due_north_just_inside_and_just_outside_nearby_km() -> None:
    degrees = 150.0 / (6371.0 * np.pi / 180.0)  # nearby_km along a meridian
    lat = np.array([30.0, 30.0 + degrees * 0.9999, 30.0 + degrees * 1.0001, 30.0 - degrees * 0.9999],
                   dtype=np.float32)
    regions = Regions(county=np.array([110101, 120101, 130101, 140101], dtype=np.int32),
                      city=np.array([110100, 120100, 130100, 140100], dtype=np.int32),
                      province=np.array([110000, 120000, 130000, 140000], dtype=np.int32),
                      level=np.full(4, 3, dtype=np.int8), lat=lat, lon=np.full(4, 116.0, dtype=np.float32))
    spec = dataclasses.replace(ComparisonSpec(), nearby_km=150.0)
    a, b = np.array([[0]], dtype=np.int64), np.arange(4, dtype=np.int64)[None, :]
    table = region._region_levels(regions, spec, a, b)
    assert table.tolist() == [[4, 1, 0, 1]] == _whole_table(regions, 150.0, a, b).tolist()
