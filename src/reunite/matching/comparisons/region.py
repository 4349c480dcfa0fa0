"""Region: the case's place (known to the county) against the candidate's, from the same county to far
apart; the county coded in a candidate's valid ID counts as its county too.

A case place known only to its city or province is compared by :mod:`.vague_place` instead.
"""

from __future__ import annotations

import math
from enum import IntEnum
from typing import TYPE_CHECKING

import numpy as np

from reunite._typing import F32, I8, I32, I64, B
from reunite.matching.compare import Pairs, _case_place_table, _set_where
from reunite.matching.comparisons.base import (
    CandidateFact,
    CellFacts,
    Comparison,
    HitSearch,
    Postings,
    Pruning,
    ReferencePair,
    labels_of,
)
from reunite.matching.engine import DEFAULT_LIMITS, EngineLimits
from reunite.matching.prepare import Prepared, Regions
from reunite.matching.routes import PROVINCES

if TYPE_CHECKING:
    from reunite.matching.spec import ComparisonSpec

__all__ = ["COMPARISON", "Level"]


class Level(IntEnum):
    FAR = 0
    NEARBY = 1          # centroids at most ``nearby_km`` apart (the kernel writes it as True of that)
    SAME_PROVINCE = 2
    SAME_CITY = 3
    SAME_COUNTY = 4


LABELS = {
    Level.FAR: "region far apart",
    Level.NEARBY: "region nearby",
    Level.SAME_PROVINCE: "same province",
    Level.SAME_CITY: "same city",
    Level.SAME_COUNTY: "same county",
}
LABELS_ZH = {
    Level.FAR: "地区相距远",
    Level.NEARBY: "地区相邻",
    Level.SAME_PROVINCE: "同省",
    Level.SAME_CITY: "同市",
    Level.SAME_COUNTY: "同县",
}


def _km(lat_a: F32, lon_a: F32, lat_b: F32, lon_b: F32) -> F32:
    """Equirectangular distance between places: accurate to a few percent at these ranges, and cheap."""
    x = np.radians(lon_b - lon_a) * np.cos(np.radians((lat_a + lat_b) * np.float32(0.5)))
    y = np.radians(lat_b - lat_a)
    km: F32 = np.float32(6371.0) * np.sqrt(x * x + y * y)
    return km


_KM_PER_DEGREE = 6371.0 * math.pi / 180.0


def _nearby(regions: Regions, spec: ComparisonSpec, a: I64 | I32, b: I64 | I32) -> B:
    """Whether places ``a`` and ``b`` are at most ``nearby_km`` apart (aligned, or a column of ``a``
    against a row of ``b``: the table of every case place against every place).

    For the table, the distance is computed only for the pairs whose latitudes are close enough (a
    pair further apart in latitude alone is further than ``nearby_km``, with a 1% margin for float32
    rounding): the places of ``b`` sorted by latitude, each place of ``a`` takes one slice of them.
    The same elementwise float32 operations give the same bits as over the whole table.
    """
    if not (a.ndim == b.ndim == 2 and a.shape[1] == 1 and b.shape[0] == 1):
        return _km(regions.lat[a], regions.lon[a], regions.lat[b], regions.lon[b]) <= spec.nearby_km
    rows, columns = a[:, 0].astype(np.int64), b[0].astype(np.int64)
    near = np.zeros((rows.size, columns.size), dtype=bool)
    by_lat = np.argsort(regions.lat[columns], kind="stable")  # NaN last: never nearby, left out below
    lat_sorted = regions.lat[columns][by_lat].astype(np.float64)
    lat_rows = regions.lat[rows].astype(np.float64)
    reach = 1.01 * spec.nearby_km / _KM_PER_DEGREE + 1e-6
    start = np.searchsorted(lat_sorted, lat_rows - reach, side="left")
    stop = np.searchsorted(lat_sorted, lat_rows + reach, side="right")
    stop[np.isnan(lat_rows)] = start[np.isnan(lat_rows)]  # a place without coordinates is near nothing
    length = np.maximum(stop - start, 0)
    if int(length.sum()) * 2 > near.size:  # most pairs close in latitude (a wide nearby_km): the whole table
        return _km(regions.lat[a], regions.lon[a], regions.lat[b], regions.lon[b]) <= spec.nearby_km
    row = np.repeat(np.arange(rows.size, dtype=np.int64), length)
    offset = np.arange(int(length.sum()), dtype=np.int64) - np.repeat(np.cumsum(length) - length, length)
    column = by_lat[np.repeat(start, length) + offset]
    place_a, place_b = rows[row], columns[column]
    km = _km(regions.lat[place_a], regions.lon[place_a], regions.lat[place_b], regions.lon[place_b])
    near[row, column] = km <= spec.nearby_km
    return near


def _region_levels(regions: Regions, spec: ComparisonSpec, a: I64 | I32, b: I64 | I32) -> I8:
    """Region levels between places ``a`` and ``b`` (ids into ``regions``; aligned or broadcast)."""
    level: I8 = _nearby(regions, spec, a, b).astype(np.int8)
    for codes, value in ((regions.province, Level.SAME_PROVINCE), (regions.city, Level.SAME_CITY),
                         (regions.county, Level.SAME_COUNTY)):
        ca, cb = codes[a], codes[b]
        level[(ca > 0) & (ca == cb)] = value
    # a case place known only to its city or province is compared by vague_place instead
    level[(regions.level[a] == 0) | (regions.level[b] == 0) | (regions.level[a] < 3)] = -1
    return level


def _case_places(prep: Prepared, spec: ComparisonSpec) -> tuple[I8, I64]:
    """Levels of every case place against every place, and each place's row (computed once per screen)."""
    return prep.memo.get(  # type: ignore[no-any-return]
        ("case_place_levels", spec.nearby_km),
        lambda: _case_place_table(prep, lambda r, a, b: _region_levels(r, spec, a, b)),
    )


def region_levels(
    prep: Prepared, spec: ComparisonSpec, pairs: Pairs, value: I32 | None = None,
    limits: EngineLimits = DEFAULT_LIMITS,
) -> I8:
    regions = prep.regions
    table, row_of = _case_places(prep, spec)
    case_places = prep.cases.region_id[pairs.cases]
    rb = prep.candidates.region_id.take(pairs.cand)
    level: I8 = table.ravel().take(pairs.spread(row_of[case_places] * len(regions)) + rb)
    # The county coded in a valid ID (registration county at issue) is evidence too.
    id_county = prep.candidates.id_county.take(pairs.cand)
    _set_where(level, (id_county > 0) & (id_county == pairs.spread(regions.county[case_places])), Level.SAME_COUNTY)
    return level


def reference_level(pair: ReferencePair, spec: ComparisonSpec) -> int:
    cases, candidates, i, j = pair.cases, pair.candidates, pair.case_row, pair.cand_row
    id_county = int(candidates.id_region_county[j]) if bool(candidates.id_valid[j]) else 0
    if id_county > 0 and id_county == int(cases.region_county[i]):
        return Level.SAME_COUNTY  # the county coded in a valid ID counts as the registration county
    if int(cases.region_level[i]) in (0, 1, 2) or int(candidates.region_level[j]) == 0:
        return -1  # a case place known only to its city or province: see vague_place
    for field, level in (("region_county", Level.SAME_COUNTY), ("region_city", Level.SAME_CITY),
                         ("region_province", Level.SAME_PROVINCE)):
        a, b = int(getattr(cases, field)[i]), int(getattr(candidates, field)[j])
        if a > 0 and a == b:
            return int(level)
    lat_a, lon_a = float(cases.lat[i]), float(cases.lon[i])
    lat_b, lon_b = float(candidates.lat[j]), float(candidates.lon[j])
    x = math.radians(lon_b - lon_a) * math.cos(math.radians((lat_a + lat_b) / 2))
    y = math.radians(lat_b - lat_a)
    km = 6371.0 * math.sqrt(x * x + y * y)  # NaN when a side has no coordinates: not nearby
    return int(Level.NEARBY if km <= spec.nearby_km else Level.FAR)


# -- pruning -----------------------------------------------------------------------------------------

def _place_known(prep: Prepared, spec: ComparisonSpec, at: I64) -> B:
    known: B = prep.regions.level[prep.candidates.region_id[at]] > 0
    return known


def _province(prep: Prepared, spec: ComparisonSpec, at: I64) -> I64:
    """The two-digit province of each candidate's place (0: unknown)."""
    province: I64 = prep.regions.province[prep.candidates.region_id[at]].astype(np.int64) // 10_000
    return province


def _place_codes(prep: Prepared, spec: ComparisonSpec, at: I64) -> tuple[I64, I64]:
    return prep.candidates.region_id[at].astype(np.int64), at


def _id_county_codes(prep: Prepared, spec: ComparisonSpec, at: I64) -> tuple[I64, I64]:
    """The county in each candidate's valid ID number (-1: none)."""
    county = prep.candidates.id_county[at].astype(np.int64)
    return np.where(county > 0, county, -1), at


#: the candidate's place, read by every comparison of places (vague_place and route too)
PLACE_KNOWN = CandidateFact("place_known", 2, _place_known)
PROVINCE = CandidateFact("province", PROVINCES, _province)
PLACE_POSTINGS = Postings("place", _place_codes)
ID_COUNTY_POSTINGS = Postings("id_county", _id_county_codes)


def _hits(search: HitSearch) -> None:
    """Candidates in the case's county or city or nearby in another province, or with the case's county
    in their ID number. (The province level follows from the candidate's province, which its class holds.)"""
    prep, spec = search.prep, search.spec
    places = prep.cases.region_id[search.case].astype(np.int64)
    table, row_of = _case_places(prep, spec)

    def matches(seen: I64) -> B:
        found = table[row_of[seen]]
        hit: B = (found >= int(Level.SAME_CITY)) | (found == int(Level.NEARBY))
        return hit

    search.add_matching(PLACE_POSTINGS.name, places, matches)
    county = prep.regions.county[places].astype(np.int64)
    known = county > 0
    search.add_postings(ID_COUNTY_POSTINGS.name, search.rows[known], county[known])


def _cell_level(cell: CellFacts) -> I8:
    """A counted candidate is in the case's province or far (both places known, the case's to the county)."""
    regions = cell.prep.regions
    place = cell.prep.cases.region_id  # per case, then per cell (cells are many)
    province = (regions.province[place].astype(np.int64) // 10_000)[cell.case]
    same_province = (province > 0) & (province == cell.fact(PROVINCE.name))
    compared = (regions.level[place] >= 3)[cell.case] & (cell.fact(PLACE_KNOWN.name) == 1)
    return np.where(compared, np.where(same_province, Level.SAME_PROVINCE, Level.FAR), -1).astype(np.int8)


COMPARISON = Comparison(
    name="region", title="region", title_zh="地区",
    chart_order=30, chart_colour="#009E73",
    labels=labels_of(Level, LABELS), labels_zh=labels_of(Level, LABELS_ZH),
    kernel=region_levels, reference=reference_level, field="place",
    pruning=Pruning(_cell_level, hits=_hits, facts=(PLACE_KNOWN, PROVINCE),
                    postings=(PLACE_POSTINGS, ID_COUNTY_POSTINGS)),
)
