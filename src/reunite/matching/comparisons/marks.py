"""Marks: how much of the two records' distinguishing marks (scars, moles, birthmarks by place) agree."""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING

import numpy as np

from reunite._typing import I8, I32, I64
from reunite.matching.compare import Pairs
from reunite.matching.comparisons.base import (
    CellFacts,
    Comparison,
    HitSearch,
    Postings,
    Pruning,
    ReferencePair,
    labels_of,
)
from reunite.matching.engine import DEFAULT_LIMITS, EngineLimits
from reunite.matching.prepare import Prepared

if TYPE_CHECKING:
    from reunite.matching.spec import ComparisonSpec

__all__ = ["COMPARISON", "Level"]


class Level(IntEnum):
    DIFFER = 0
    SHARE_A_FEATURE = 1
    PARTLY_AGREE = 2  # Jaccard similarity of the features at least 0.25
    AGREE = 3         # ... at least 0.5


LABELS = {
    Level.DIFFER: "marks differ",
    Level.SHARE_A_FEATURE: "marks share a feature",
    Level.PARTLY_AGREE: "marks partly agree",
    Level.AGREE: "marks agree",
}
LABELS_ZH = {
    Level.DIFFER: "体貌特征不同",
    Level.SHARE_A_FEATURE: "体貌特征有共同点",
    Level.PARTLY_AGREE: "体貌特征部分相符",
    Level.AGREE: "体貌特征相符",
}


def marks_levels(
    prep: Prepared, spec: ComparisonSpec, pairs: Pairs, value: I32 | None = None,
    limits: EngineLimits = DEFAULT_LIMITS,
) -> I8:
    a, b = pairs.of_case(prep.cases.marks), prep.candidates.marks.take(pairs.cand)
    level = np.full(len(pairs), -1, dtype=np.int8)
    rows = np.flatnonzero((a != 0) & (b != 0))
    if rows.size == 0:
        return level
    shared = np.bitwise_count(a[rows] & b[rows]).astype(np.float32)
    union = np.bitwise_count(a[rows] | b[rows]).astype(np.float32)
    jaccard = shared / union
    level[rows] = np.select([jaccard >= 0.5, jaccard >= 0.25, shared > 0],
                            [Level.AGREE, Level.PARTLY_AGREE, Level.SHARE_A_FEATURE], default=Level.DIFFER)
    return level


def reference_level(pair: ReferencePair, spec: ComparisonSpec) -> int:
    a, b = int(pair.cases.marks[pair.case_row]), int(pair.candidates.marks[pair.cand_row])
    if a == 0 or b == 0:
        return -1
    shared, union = bin(a & b).count("1"), bin(a | b).count("1")
    if shared / union >= 0.5:
        return int(Level.AGREE)
    if shared / union >= 0.25:
        return int(Level.PARTLY_AGREE)
    return int(Level.SHARE_A_FEATURE if shared else Level.DIFFER)


def _marked(prep: Prepared, spec: ComparisonSpec, at: I64) -> tuple[I64, I64]:
    """The candidates with marks, as postings of one code (0)."""
    return np.where(prep.candidates.marks[at] != 0, 0, -1), at


MARKED = Postings("marked", _marked)


def _hits(search: HitSearch) -> None:
    """Every candidate with marks, when the case has some: marks are few and too varied to count."""
    search.add_positions(MARKED.name, search.rows[search.prep.cases.marks[search.case] != 0])


def _cell_level(cell: CellFacts) -> I8:
    return np.full(cell.case.size, -1, dtype=np.int8)  # candidates with marks are hits


COMPARISON = Comparison(
    name="marks", title="marks", title_zh="体貌特征",
    chart_order=100, chart_colour="#7F4F24",
    labels=labels_of(Level, LABELS), labels_zh=labels_of(Level, LABELS_ZH),
    kernel=marks_levels, reference=reference_level, field="marks",
    pruning=Pruning(_cell_level, hits=_hits, postings=(MARKED,)),
)
