"""Given name: do the two records share a given name, by characters, by pinyin (either reading), by
dialect-fuzzy pinyin, by a similar pinyin (Jaro-Winkler), or by a childhood name's key character?

Every name of both records is compared (reported, childhood and former names) and the best level wins.
Levels of a case name against every name depend only on the two names, so they are computed once per
screen for every case name (up to :attr:`EngineLimits.memo_cells <reunite.matching.engine.EngineLimits>`)
and read from that table.
"""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler

from reunite._typing import I8, I32, I64, B
from reunite.matching.compare import (
    Pairs,
    _agreeing_code,
    _best_over_slots,
    _dense_codes,
    _name_levels,
    pinyin_similar,
)
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
from reunite.normalize.name_cells import childhood_key

if TYPE_CHECKING:
    from reunite.matching.reference import NameRow
    from reunite.matching.spec import ComparisonSpec

__all__ = ["COMPARISON", "Level"]


class Level(IntEnum):
    DIFFERS = 0
    CHILDHOOD_KEY = 1     # 小红 and 丽红: the childhood name's key character ends the other name
    SIMILAR_PINYIN = 2    # toneless pinyin at least ``name_similarity`` alike (Jaro-Winkler)
    FUZZY_PINYIN = 3      # the same pinyin once dialect confusions (l/n, z/zh, in/ing ...) are folded
    SAME_PINYIN = 4       # the same pinyin, either reading of either name
    SAME_CHARACTERS = 5


LABELS = {
    Level.DIFFERS: "given name differs",
    Level.CHILDHOOD_KEY: "given name ends in the childhood name's character",
    Level.SIMILAR_PINYIN: "given name similar pinyin",
    Level.FUZZY_PINYIN: "given name same dialect-fuzzy pinyin",
    Level.SAME_PINYIN: "given name same pinyin",
    Level.SAME_CHARACTERS: "given name same characters",
}
LABELS_ZH = {
    Level.DIFFERS: "名字不同",
    Level.CHILDHOOD_KEY: "名字末字即小名的字",
    Level.SIMILAR_PINYIN: "名字拼音相近",
    Level.FUZZY_PINYIN: "名字方言模糊拼音相同",
    Level.SAME_PINYIN: "名字拼音相同",
    Level.SAME_CHARACTERS: "名字相同",
}


# -- kernel ------------------------------------------------------------------------------------------

_NEIGHBOUR_ROWS = 512  # case pinyin values compared with the whole vocabulary per rapidfuzz call


def _pinyin_neighbours(prep: Prepared, threshold: float) -> tuple[I64, I64]:
    """For every pinyin value of a case name: the pinyin values at least ``threshold`` alike.

    Returned as CSR over pinyin codes (``indptr``, ``indices``); computed once per prepared data
    (by the first batch that asks), as every batch's case names are among them.
    """
    vocab = prep.pinyin_vocab
    codes = prep.cases.given[prep.cases.given >= 0]
    readings = prep.given_readings[codes][:, :1].ravel()
    wanted = _dense_codes(readings[readings >= 0], vocab.shape[0])[0]
    rows, cols = [], []
    for start in range(0, wanted.size, _NEIGHBOUR_ROWS):
        block = wanted[start:start + _NEIGHBOUR_ROWS]
        scores = process.cdist(
            vocab[block], vocab, scorer=JaroWinkler.normalized_similarity,
            score_cutoff=threshold, dtype=np.float32, workers=-1,
        )
        r, c = np.nonzero(scores >= np.float32(threshold))
        rows.append(block[r])
        cols.append(c.astype(np.int64))
    row = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    indptr = np.r_[0, np.cumsum(np.bincount(row, minlength=vocab.shape[0]))].astype(np.int64)
    return indptr, np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)


def _similar_by_code(prep: Prepared, threshold: float, rows: I64) -> B:
    """(rows, pinyin vocabulary): whether each given-name code's pinyin is ``threshold``-alike to each value."""
    vocab_size = prep.pinyin_vocab.shape[0]
    py = prep.given_readings[rows, 0]
    indptr, indices = prep.memo.get(("pinyin_neighbours", threshold), lambda: _pinyin_neighbours(prep, threshold))
    similar = np.zeros((rows.size, vocab_size), dtype=bool)
    known = np.flatnonzero(py >= 0)
    begin, end = indptr[py[known]], indptr[py[known] + 1]
    if np.any(begin == end):  # a value not computed with the case names (not expected): compare it now
        missing = known[begin == end]
        similar[missing] = process.cdist(
            prep.pinyin_vocab[py[missing]], prep.pinyin_vocab, scorer=JaroWinkler.normalized_similarity,
            score_cutoff=threshold, dtype=np.float32, workers=-1,
        ) >= np.float32(threshold)
        keep = begin != end
        known, begin, end = known[keep], begin[keep], end[keep]
    length = end - begin
    owner = np.repeat(known, length)
    position = np.arange(int(length.sum()), dtype=np.int64) - np.repeat(np.cumsum(length) - length, length)
    similar[owner, indices[np.repeat(begin, length) + position]] = True
    return similar


def _given_levels_by_code(prep: Prepared, spec: ComparisonSpec, rows: I64) -> I8:
    """Given-name levels of the codes ``rows`` against every given-name code: (rows, codes).

    Levels depend only on the two names' characters, so a batch's few distinct case names are
    compared once with every name.
    """
    return _levels_of_readings(_similar_by_code(prep, spec.name_similarity, rows), prep.given_readings, rows)


def _levels_of_readings(similar: B, readings: I32, rows: I64) -> I8:
    """:func:`_given_levels_by_code` from ``similar`` (rows, pinyin vocabulary) and the codes' ``readings``
    (pinyin, alternative pinyin, fuzzy, childhood key, last character; -1 for none).

    The table is built in row order, as rows are read whole; each rule is written in place, a few
    passes over the table where broadcast formulas took two or three times as many (0.3 -> 0.1 s of
    CPU for 2,096 case names against 9,904 names).
    """
    py, alt, fuzzy, key, last = (readings[:, i] for i in range(5))
    level = np.take(similar, py, axis=1).view(np.int8)
    level *= np.int8(Level.SIMILAR_PINYIN)
    level[fuzzy[rows][:, None] == fuzzy[None, :]] = Level.FUZZY_PINYIN
    r_py, r_alt = py[rows][:, None], alt[rows][:, None]
    same = r_py == py
    same |= r_py == alt
    same |= r_alt == py
    same |= r_alt == alt
    level[same] = Level.SAME_PINYIN
    # a name without a reading agrees only by its characters
    level[py[rows] < 0, :] = Level.DIFFERS
    level[:, py < 0] = Level.DIFFERS
    # 小红 and 丽红, either way round (a register's 曾用名 娜娜 and the case's 李娜); a missing key (-1)
    # is read as -2, which no character's code (-1 and up) equals
    child = np.where(key[rows] >= 0, key[rows], -2)[:, None] == last[None, :]
    child |= np.where(key >= 0, key, -2)[None, :] == last[rows][:, None]
    child &= level == np.int8(Level.DIFFERS)
    level[child] = Level.CHILDHOOD_KEY
    level[np.arange(rows.size), rows] = Level.SAME_CHARACTERS  # each row's own code
    return level


def _every_case_name(prep: Prepared, spec: ComparisonSpec, limits: EngineLimits) -> tuple[I8, I64] | None:
    """Given-name levels of every case name against every name, and each code's row in that table
    (-1: not a case name); computed once per screen. ``None`` when the table would be bigger than
    ``limits.memo_cells``."""
    def compute() -> tuple[I8, I64] | None:
        n_codes = prep.given_readings.shape[0]
        case_codes = _dense_codes(prep.cases.given[prep.cases.given >= 0], n_codes)[0]
        if case_codes.size * n_codes > limits.memo_cells:
            return None
        row_of = np.full(n_codes, -1, dtype=np.int64)
        row_of[case_codes] = np.arange(case_codes.size, dtype=np.int64)
        return _given_levels_by_code(prep, spec, case_codes), row_of

    # the size check is kept too: every batch asks, by table or pair by pair (and under its own limit)
    return prep.memo.get(("case_given_levels", spec.name_similarity, limits.memo_cells),  # type: ignore[no-any-return]
                         compute)


def _case_given_levels(prep: Prepared, spec: ComparisonSpec, rows: I64, limits: EngineLimits) -> I8:
    """:func:`_given_levels_by_code` of the case names ``rows``."""
    every = _every_case_name(prep, spec, limits)
    if every is None:
        return _given_levels_by_code(prep, spec, rows)
    table, row_of = every
    return table[row_of[rows]]


def _given_levels_per_pair(prep: Prepared, spec: ComparisonSpec, ga: I32, gb: I32, limits: EngineLimits) -> I8:
    """Given-name levels pair by pair (``ga`` case names, ``gb`` candidate names); negative codes
    give a level to be masked."""
    every = _every_case_name(prep, spec, limits)
    if every is not None:
        table, row_of = every
        found: I8 = table.ravel().take(np.maximum(row_of.take(np.maximum(ga, 0)), 0) * table.shape[1]
                                       + np.maximum(gb, 0))
        return found
    readings = prep.given_readings
    a, b = readings[np.maximum(ga, 0)], readings[np.maximum(gb, 0)]
    pa, aa, pb, ab = a[:, 0], a[:, 1], b[:, 0], b[:, 1]
    level = (pinyin_similar(prep, np.maximum(pa, 0), np.maximum(pb, 0), spec.name_similarity, limits).view(np.int8)
             * int(Level.SIMILAR_PINYIN)).astype(np.int8)
    level[a[:, 2] == b[:, 2]] = Level.FUZZY_PINYIN
    level[(pa == pb) | (pa == ab) | (aa == pb) | (aa == ab)] = Level.SAME_PINYIN
    level[(pa < 0) | (pb < 0)] = Level.DIFFERS  # a name without a reading agrees only by its characters
    level[(level == int(Level.DIFFERS)) & (((a[:, 3] >= 0) & (a[:, 3] == b[:, 4]))
          | ((b[:, 3] >= 0) & (b[:, 3] == a[:, 4])))] = Level.CHILDHOOD_KEY
    level[ga == gb] = Level.SAME_CHARACTERS
    return level


def given_name_levels(prep: Prepared, spec: ComparisonSpec, pairs: Pairs, value: I32 | None,
                      limits: EngineLimits) -> I8:
    """Best level over all name pairs; ``value`` receives the agreeing code for term-frequency
    adjustment: the given-name characters at SAME_CHARACTERS, the candidate's pinyin at SAME_PINYIN,
    else -1."""
    d = prep.candidates
    n_codes = prep.given_readings.shape[0]
    if len(pairs) == 0 or n_codes == 0:
        return np.full(len(pairs), -1, dtype=np.int8)
    levels = _name_levels(
        prep, pairs, "given", n_codes,
        lambda rows: _case_given_levels(prep, spec, rows, limits),
        lambda a, b: _given_levels_per_pair(prep, spec, a, b, limits), limits,
    )
    best = _best_over_slots(pairs, d.given, d.n_names, levels)
    if value is not None:
        rows = np.flatnonzero(best >= int(Level.SAME_PINYIN))
        code = _agreeing_code(pairs, d.given, best, rows, levels)
        # the candidate's own value: term frequencies count candidates' primary readings
        value[rows] = np.where(best[rows] == int(Level.SAME_CHARACTERS), code, prep.given_readings[code, 0])
    return best



# -- reference, pruning ---------------------------------------------------------------------------------

def reference_level(pair: ReferencePair, spec: ComparisonSpec) -> int:
    """The best level over every name pair of the two records (-1: no given name on a side)."""
    best = -1
    for a in pair.names_a:
        for b in pair.names_b:
            if not (a.given and b.given):
                continue
            best = max(best, _reference_given(a, b, spec.name_similarity))
    return best


def _reference_given(a: NameRow, b: NameRow, threshold: float) -> int:
    import jellyfish

    level = Level.DIFFERS
    if any(childhood_key(x.given) and childhood_key(x.given) == y.given[-1] for x, y in ((a, b), (b, a))):
        level = Level.CHILDHOOD_KEY  # 小红 is what a family calls a 丽红, whichever record holds which
    if jellyfish.jaro_winkler_similarity(a.given_pinyin, b.given_pinyin) >= threshold:
        level = Level.SIMILAR_PINYIN
    if a.given_fuzzy == b.given_fuzzy:
        level = Level.FUZZY_PINYIN
    if {a.given_pinyin, a.given_pinyin_alt} & {b.given_pinyin, b.given_pinyin_alt}:
        level = Level.SAME_PINYIN
    if a.given == b.given:
        level = Level.SAME_CHARACTERS
    return int(level)


def _hits(search: HitSearch) -> None:
    """Candidates with a given name that agrees at any level above "differs"."""
    prep, spec, limits = search.prep, search.spec, search.limits
    if prep.given_readings.shape[0]:
        search.add_agreeing_codes(
            "given", lambda codes: _case_given_levels(prep, spec, codes, limits) > int(Level.DIFFERS),
            prep.cases.given[search.case])


HAS_GIVEN = name_slot_fact("has_given", "given")
GIVEN_POSTINGS = name_slot_postings("given", "given")


def _cell_level(cell: CellFacts) -> I8:
    """A counted candidate shares no name with the case: "differs" when both have one."""
    named = np.any(cell.prep.cases.given >= 0, axis=1)[cell.case]  # per case, then per cell (cells are many)
    return np.where(named & (cell.fact(HAS_GIVEN.name) == 1), Level.DIFFERS, -1).astype(np.int8)


COMPARISON = Comparison(
    name="given_name", title="given name", title_zh="名字",
    chart_order=60, chart_colour="#E69F00",
    labels=labels_of(Level, LABELS), labels_zh=labels_of(Level, LABELS_ZH),
    kernel=given_name_levels, reference=reference_level, field="given name",
    pruning=Pruning(_cell_level, hits=_hits, facts=(HAS_GIVEN,), postings=(GIVEN_POSTINGS,)),
    tf_levels=((int(Level.SAME_CHARACTERS), "given_freq"), (int(Level.SAME_PINYIN), "pinyin_freq")),
)
