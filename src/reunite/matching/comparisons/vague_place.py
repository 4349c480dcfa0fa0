"""Vague place: where a case's place is known only to its city or province, is the candidate there?
(-1 for a case place known to the county: :mod:`.region` compares those.)"""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING

import numpy as np

from reunite._typing import I8, I32, I64, B
from reunite.matching.compare import Pairs, _case_place_table
from reunite.matching.comparisons.base import CellFacts, Comparison, HitSearch, Pruning, ReferencePair, labels_of
from reunite.matching.comparisons.region import PLACE_KNOWN, PLACE_POSTINGS, PROVINCE
from reunite.matching.engine import DEFAULT_LIMITS, EngineLimits
from reunite.matching.prepare import Prepared, Regions

if TYPE_CHECKING:
    from reunite.matching.spec import ComparisonSpec

__all__ = ["COMPARISON", "Level"]


class Level(IntEnum):
    OTHER_PROVINCE = 0
    PROVINCE_OF_CITY = 1  # a case known to the city: its province, another city
    SAME_PROVINCE = 2     # a case known only to the province: that province
    SAME_CITY = 3         # a case known only to the city: that city


LABELS = {
    Level.OTHER_PROVINCE: "another province than the case's vaguely known place",
    Level.PROVINCE_OF_CITY: "the province of the case's city, another city",
    Level.SAME_PROVINCE: "the province of a case known only to the province",
    Level.SAME_CITY: "the city of a case known only to the city",
}
LABELS_ZH = {
    Level.OTHER_PROVINCE: "不在案件大致地点所在省",
    Level.PROVINCE_OF_CITY: "在案件所在市的省内，另一个市",
    Level.SAME_PROVINCE: "案件只知到省：同省",
    Level.SAME_CITY: "案件只知到市：同市",
}

_PROVINCE, _CITY = 1, 2  # Regions.level of a place known only to its province, its city


def _vague_place_table(regions: Regions, a: I64, b: I64) -> I8:
    """Levels of case places ``a`` against places ``b``; -1 when the case place is a county or
    unknown, or ``b`` is unknown."""
    vague_a = (regions.level[a] == _PROVINCE) | (regions.level[a] == _CITY)
    if a.ndim == 2 and a.shape[1] == 1 and not vague_a.all():
        # a column of case places against places (the memo's table): the rows of case places known to
        # the county or unknown are all -1, and most case places are counties
        out: I8 = np.full(np.broadcast_shapes(a.shape, b.shape), -1, dtype=np.int8)
        rows = np.flatnonzero(vague_a[:, 0])
        out[rows] = _vague_place_table(regions, a[rows], b)
        return out
    same_province = (regions.province[a] > 0) & (regions.province[a] == regions.province[b])
    same_city = (regions.city[a] > 0) & (regions.city[a] == regions.city[b])
    city_only = regions.level[a] == _CITY
    level = np.where(
        city_only,
        np.where(same_city, Level.SAME_CITY, np.where(same_province, Level.PROVINCE_OF_CITY, Level.OTHER_PROVINCE)),
        np.where(same_province, Level.SAME_PROVINCE, Level.OTHER_PROVINCE))
    vague = (regions.level[a] == _PROVINCE) | city_only
    levels: I8 = np.where(vague & (regions.level[b] > 0), level, -1).astype(np.int8)
    return levels


def _case_places(prep: Prepared) -> tuple[I8, I64]:
    """Levels of every case place against every place, and each place's row (computed once per screen)."""
    return prep.memo.get(  # type: ignore[no-any-return]
        ("vague_place_levels",), lambda: _case_place_table(prep, _vague_place_table))


def vague_place_levels(
    prep: Prepared, spec: ComparisonSpec, pairs: Pairs, value: I32 | None = None,
    limits: EngineLimits = DEFAULT_LIMITS,
) -> I8:
    level = np.full(len(pairs), -1, dtype=np.int8)
    vague = prep.regions.level[prep.cases.region_id] % 3 > 0  # known only to the city or province
    if not vague.any():
        return level
    rows = pairs.rows_of_cases(vague)
    if rows.size:
        table, row_of = _case_places(prep)
        case_row = row_of[prep.cases.region_id[pairs.cases]].take(pairs.local.take(rows))
        rb = prep.candidates.region_id.take(pairs.cand.take(rows))
        level[rows] = table.ravel().take(case_row * len(prep.regions) + rb)
    return level


def reference_level(pair: ReferencePair, spec: ComparisonSpec) -> int:
    cases, candidates, i, j = pair.cases, pair.candidates, pair.case_row, pair.cand_row
    case_level = int(cases.region_level[i])
    if case_level not in (_PROVINCE, _CITY) or int(candidates.region_level[j]) == 0:
        return -1
    province = int(cases.region_province[i])
    same_province = province > 0 and province == int(candidates.region_province[j])
    if case_level == _PROVINCE:
        return int(Level.SAME_PROVINCE if same_province else Level.OTHER_PROVINCE)
    city = int(cases.region_city[i])
    if city > 0 and city == int(candidates.region_city[j]):
        return int(Level.SAME_CITY)
    return int(Level.PROVINCE_OF_CITY if same_province else Level.OTHER_PROVINCE)


# -- pruning -----------------------------------------------------------------------------------------

def _hits(search: HitSearch) -> None:
    """Candidates in the city of a case known only to the city (the province levels follow from the
    candidate's province, which its class holds)."""
    table, row_of = _case_places(search.prep)

    def matches(seen: I64) -> B:
        hit: B = table[row_of[seen]] >= int(Level.SAME_CITY)
        return hit

    search.add_matching(PLACE_POSTINGS.name, search.prep.cases.region_id[search.case].astype(np.int64), matches)


def _cell_level(cell: CellFacts) -> I8:
    regions = cell.prep.regions
    place = cell.prep.cases.region_id  # per case, then per cell (cells are many)
    province = (regions.province[place].astype(np.int64) // 10_000)[cell.case]
    same_province = (province > 0) & (province == cell.fact(PROVINCE.name))
    level = regions.level[place][cell.case]
    in_province = np.where(level == _CITY, Level.PROVINCE_OF_CITY, Level.SAME_PROVINCE)
    compared = (level % 3 > 0) & (cell.fact(PLACE_KNOWN.name) == 1)
    return np.where(compared, np.where(same_province, in_province, Level.OTHER_PROVINCE), -1).astype(np.int8)


COMPARISON = Comparison(
    name="vague_place", title="vague place", title_zh="大致地点",
    chart_order=40, chart_colour="#2F6B4F",
    labels=labels_of(Level, LABELS), labels_zh=labels_of(Level, LABELS_ZH),
    kernel=vague_place_levels, reference=reference_level, field="place",
    pruning=Pruning(_cell_level, hits=_hits, facts=(PLACE_KNOWN, PROVINCE), postings=(PLACE_POSTINGS,)),
)
