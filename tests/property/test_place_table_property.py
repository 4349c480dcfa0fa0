"""The vague-place table of case places against places, computed for the vague case places' rows
alone, is the table of every pair, element for element (places known to the county, the city, the
province or not at all, on either side)."""

from __future__ import annotations

import importlib

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from reunite.matching.prepare import Regions

vague_place = importlib.import_module("reunite.matching.comparisons.vague_place")


@st.composite
def regions_and_places(draw: st.DrawFn) -> tuple[Regions, np.ndarray]:
    n = draw(st.integers(1, 25))
    codes = st.integers(0, 3)
    regions = Regions(
        county=np.array(draw(st.lists(codes, min_size=n, max_size=n)), dtype=np.int32),
        city=np.array(draw(st.lists(codes, min_size=n, max_size=n)), dtype=np.int32),
        province=np.array(draw(st.lists(codes, min_size=n, max_size=n)), dtype=np.int32),
        level=np.array(draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)), dtype=np.int8),
        lat=np.zeros(n, dtype=np.float32), lon=np.zeros(n, dtype=np.float32),
    )
    places = np.array(draw(st.lists(st.integers(0, n - 1), max_size=n, unique=True)), dtype=np.int64)
    return regions, places


@settings(max_examples=300, deadline=None)
@given(regions_and_places())
def test_table_of_vague_rows_is_the_table_of_every_pair(data: tuple[Regions, np.ndarray]) -> None:
    regions, places = data
    everywhere = np.arange(len(regions), dtype=np.int64)
    table = vague_place._vague_place_table(regions, places[:, None], everywhere[None, :])
    a, b = np.repeat(places, everywhere.size), np.tile(everywhere, places.size)
    pairwise = vague_place._vague_place_table(regions, a, b)  # aligned pairs: no rows skipped
    assert table.dtype == np.int8 and table.shape == (places.size, everywhere.size)
    assert table.ravel().tolist() == pairwise.tolist()
