"""Surname: the same characters, or the same reading, on any name of both records (the best wins)."""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING

import numpy as np

from reunite._typing import I8, I32, I64
from reunite.matching.compare import Pairs, _agreeing_code, _best_over_slots, _name_levels
from reunite.matching.comparisons.base import (
    CellFacts,
    Comparison,
    HitSearch,
    Pruning,
    ReferencePair,
    labels_of,
    name_slot_fact,
    name_slot_postings,
)
from reunite.matching.engine import EngineLimits
from reunite.matching.prepare import Prepared

if TYPE_CHECKING:
    from reunite.matching.reference import NameRow
    from reunite.matching.spec import ComparisonSpec

__all__ = ["COMPARISON", "Level"]


class Level(IntEnum):
    DIFFERS = 0
    SAME_PINYIN = 1  # the kernels write it as True of "same reading" (viewed as int8)
    SAME = 2


LABELS = {Level.DIFFERS: "surname differs", Level.SAME_PINYIN: "surname same pinyin", Level.SAME: "surname same"}
LABELS_ZH = {Level.DIFFERS: "姓氏不同", Level.SAME_PINYIN: "姓氏拼音相同", Level.SAME: "姓氏相同"}


def _surname_levels_by_code(prep: Prepared, rows: I64) -> I8:
    """Surname levels of the codes ``rows`` against every surname code."""
    py = prep.surname_readings
    level: I8 = (py[rows][:, None] == py[None, :]).view(np.int8)
    level[rows[:, None] == np.arange(py.shape[0])[None, :]] = Level.SAME
    return level


def surname_levels(prep: Prepared, spec: ComparisonSpec, pairs: Pairs, value: I32 | None,
                   limits: EngineLimits) -> I8:
    """Best level over all name pairs; ``value`` receives the agreeing surname code at SAME, else -1."""
    d = prep.candidates
    n_codes = prep.surname_readings.shape[0]
    if len(pairs) == 0 or n_codes == 0:
        return np.full(len(pairs), -1, dtype=np.int8)
    py = prep.surname_readings

    def per_pair(a: I32, b: I32) -> I8:
        level: I8 = (py[np.maximum(a, 0)] == py[np.maximum(b, 0)]).view(np.int8)
        level[a == b] = Level.SAME
        return level

    levels = _name_levels(prep, pairs, "surname", n_codes, lambda rows: _surname_levels_by_code(prep, rows),
                          per_pair, limits)
    best = _best_over_slots(pairs, d.surname, d.n_names, levels)
    if value is not None:
        rows = np.flatnonzero(best == int(Level.SAME))
        value[rows] = _agreeing_code(pairs, d.surname, best, rows, levels)
    return best


def _reference_surname(a: NameRow, b: NameRow) -> int:
    if a.surname == b.surname:
        return Level.SAME
    return Level.SAME_PINYIN if a.surname_pinyin == b.surname_pinyin else Level.DIFFERS


def reference_level(pair: ReferencePair, spec: ComparisonSpec) -> int:
    """The best level over every name pair of the two records (-1: no surname on a side)."""
    known = [_reference_surname(a, b) for a in pair.names_a for b in pair.names_b
             if a.surname and b.surname]
    return int(max(known)) if known else -1


def _hits(search: HitSearch) -> None:
    """Candidates with a surname of the same reading or characters."""
    prep = search.prep
    if prep.surname_readings.shape[0]:
        search.add_agreeing_codes("surname", lambda codes: _surname_levels_by_code(prep, codes) > int(Level.DIFFERS),
                                  prep.cases.surname[search.case])


HAS_SURNAME = name_slot_fact("has_surname", "surname")
SURNAME_POSTINGS = name_slot_postings("surname", "surname")


def _cell_level(cell: CellFacts) -> I8:
    """A counted candidate shares no surname reading with the case: "differs" when both have one."""
    surnamed = np.any(cell.prep.cases.surname >= 0, axis=1)[cell.case]  # per case, then per cell (cells are many)
    return np.where(surnamed & (cell.fact(HAS_SURNAME.name) == 1), Level.DIFFERS, -1).astype(np.int8)


COMPARISON = Comparison(
    name="surname", title="surname", title_zh="姓氏",
    chart_order=70, chart_colour="#F0E442",
    labels=labels_of(Level, LABELS), labels_zh=labels_of(Level, LABELS_ZH),
    kernel=surname_levels, reference=reference_level, field="surname",
    pruning=Pruning(_cell_level, hits=_hits, facts=(HAS_SURNAME,), postings=(SURNAME_POSTINGS,)),
    tf_levels=((int(Level.SAME), "surname_freq"),),
)
