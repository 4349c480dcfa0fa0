"""Route: a candidate in another province than the case's, on a known route of trafficked children from
it (:mod:`reunite.matching.routes`)? (-1 for the same province or an unknown one.)"""

from __future__ import annotations

from enum import IntEnum
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from reunite._typing import I8, I32, I64
from reunite.matching.compare import Pairs
from reunite.matching.comparisons.base import CellFacts, Comparison, Pruning, ReferencePair, labels_of
from reunite.matching.comparisons.region import PROVINCE
from reunite.matching.engine import DEFAULT_LIMITS, EngineLimits
from reunite.matching.prepare import Prepared, Regions
from reunite.matching.routes import PROVINCES, route_shares

if TYPE_CHECKING:
    from reunite.matching.spec import ComparisonSpec

__all__ = ["COMPARISON", "Level", "route_levels"]


class Level(IntEnum):
    OFF_ROUTE = 0
    KNOWN_ROUTE = 1  # the destination's share of the origin's reunions at least route_shares[0]
    MAIN_ROUTE = 2   # ... at least route_shares[1]


LABELS = {
    Level.OFF_ROUTE: "another province, off the known routes",
    Level.KNOWN_ROUTE: "another province on a known route",
    Level.MAIN_ROUTE: "another province on a main route",
}
LABELS_ZH = {
    Level.OFF_ROUTE: "外省，不在已知拐卖路线上",
    Level.KNOWN_ROUTE: "外省，在已知拐卖路线上",
    Level.MAIN_ROUTE: "外省，在主要拐卖路线上",
}


def _level_of_share(share: float, thresholds: tuple[float, float]) -> Level:
    return Level.MAIN_ROUTE if share >= thresholds[1] else Level.KNOWN_ROUTE if share >= thresholds[0] \
        else Level.OFF_ROUTE


@lru_cache(maxsize=8)
def route_levels(thresholds: tuple[float, float]) -> I8:
    """Route level of every (origin, destination) pair of two-digit province codes; -1 for the same
    province or an unknown one (code 0). Read-only.

    >>> levels = route_levels((0.03, 0.12))
    >>> int(levels[52, 35]), int(levels[52, 52]), int(levels[0, 35])
    (2, -1, -1)
    """
    shares = route_shares()
    levels = np.where(shares >= thresholds[1], Level.MAIN_ROUTE,
                      np.where(shares >= thresholds[0], Level.KNOWN_ROUTE, Level.OFF_ROUTE)).astype(np.int8)
    np.fill_diagonal(levels, -1)
    levels[0, :] = -1
    levels[:, 0] = -1
    levels.setflags(write=False)
    return levels


def route_levels_of_pairs(
    prep: Prepared, spec: ComparisonSpec, pairs: Pairs, value: I32 | None = None,
    limits: EngineLimits = DEFAULT_LIMITS,
) -> I8:
    table = route_levels(spec.route_shares)
    origin = _province_numbers(prep.regions, prep.cases.region_id[pairs.cases])
    # the candidates' provinces once per screen: one gather per pair instead of two and a division
    destination = prep.memo.get(("route_destinations",),
                                lambda: _province_numbers(prep.regions, prep.candidates.region_id))
    level: I8 = table.ravel().take(destination.take(pairs.cand) + pairs.spread(origin * PROVINCES))
    return level


def _province_numbers(regions: Regions, region_id: I32) -> I64:
    """The province (its two-digit code, 0 unknown) of each place ``region_id``."""
    out: I64 = regions.province[region_id].astype(np.int64) // 10_000
    return out


def reference_level(pair: ReferencePair, spec: ComparisonSpec) -> int:
    origin = int(pair.cases.region_province[pair.case_row]) // 10_000
    destination = int(pair.candidates.region_province[pair.cand_row]) // 10_000
    if origin == 0 or destination == 0 or origin == destination:
        return -1
    return int(_level_of_share(float(route_shares()[origin, destination]), spec.route_shares))


def _cell_level(cell: CellFacts) -> I8:
    """The route level follows from the two provinces: the candidate's is in its class."""
    # per case, then per cell (cells are many)
    origin = (cell.prep.regions.province[cell.prep.cases.region_id].astype(np.int64) // 10_000)[cell.case]
    return route_levels(cell.spec.route_shares)[origin, cell.fact(PROVINCE.name)]


COMPARISON = Comparison(
    name="route", title="route", title_zh="拐卖路线",
    chart_order=50, chart_colour="#8FD175",
    labels=labels_of(Level, LABELS), labels_zh=labels_of(Level, LABELS_ZH),
    kernel=route_levels_of_pairs, reference=reference_level, field="place",
    pruning=Pruning(_cell_level, facts=(PROVINCE,)),
)
