"""Timeline: was the candidate born before the case's child went missing (the consistent story), shortly
after, or long after? Day-bound for pruning: the level follows from the candidate's birth day."""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING

import numpy as np

from reunite._typing import I8, I32, I64
from reunite.matching.compare import Pairs, _banded, _candidate_nulls, _nulls
from reunite.matching.comparisons.base import CellFacts, Comparison, DayBreaks, Pruning, ReferencePair, labels_of
from reunite.matching.engine import DEFAULT_LIMITS, EngineLimits
from reunite.matching.prepare import Prepared

if TYPE_CHECKING:
    from reunite.matching.spec import ComparisonSpec

__all__ = ["COMPARISON", "Level"]


class Level(IntEnum):
    LONG_AFTER = 0
    SHORTLY_AFTER = 1  # at most timeline_grace_days after the loss
    BEFORE = 2


LABELS = {
    Level.LONG_AFTER: "born long after the child went missing",
    Level.SHORTLY_AFTER: "born shortly after the child went missing",
    Level.BEFORE: "born before the child went missing",
}
LABELS_ZH = {Level.LONG_AFTER: "走失很久之后出生", Level.SHORTLY_AFTER: "走失后不久出生", Level.BEFORE: "走失之前出生"}

# the level of births up to the loss, up to timeline_grace_days after, and later
_BANDS = (Level.BEFORE, Level.SHORTLY_AFTER, Level.LONG_AFTER)


def timeline_levels(
    prep: Prepared, spec: ComparisonSpec, pairs: Pairs, value: I32 | None = None,
    limits: EngineLimits = DEFAULT_LIMITS,
) -> I8:
    c, d = prep.cases, prep.candidates
    after = d.birth_lo.take(pairs.cand) - pairs.of_case(c.event_hi)
    level = _banded(after, (0, spec.timeline_grace_days), _BANDS)
    np.bitwise_or(level, _candidate_nulls(prep, "birth_known").take(pairs.cand), out=level)
    if not c.event_known[pairs.cases].all():
        np.bitwise_or(level, pairs.spread(_nulls(c.event_known[pairs.cases])), out=level)
    return level


def reference_level(pair: ReferencePair, spec: ComparisonSpec) -> int:
    if pair.event_a is None or pair.birth_b is None:
        return -1
    after = pair.birth_b[0] - pair.event_a[1]
    return int(Level.BEFORE if after <= 0 else Level.SHORTLY_AFTER if after <= spec.timeline_grace_days
               else Level.LONG_AFTER)


def _day_level(prep: Prepared, spec: ComparisonSpec, pairs: Pairs, day: I64) -> I8:
    return timeline_levels(prep, spec, pairs)


def _day_breaks(rows: DayBreaks) -> tuple[list[I64], tuple[I64, I64] | None]:
    c = rows.prep.cases
    event = c.event_hi[rows.case].astype(np.int64)
    known = c.event_known[rows.case]
    return [np.where(known, event + 1, rows.window_lo),
            np.where(known, event + rows.spec.timeline_grace_days + 1, rows.window_lo)], None


def _cell_level(cell: CellFacts) -> I8:
    return cell.day["timeline"]


COMPARISON = Comparison(
    name="timeline", title="timeline", title_zh="时间先后",
    chart_order=90, chart_colour="#D55E00",
    labels=labels_of(Level, LABELS), labels_zh=labels_of(Level, LABELS_ZH),
    kernel=timeline_levels, reference=reference_level, field="birth date",
    pruning=Pruning(_cell_level, day_level=_day_level, day_breaks=_day_breaks),
)
