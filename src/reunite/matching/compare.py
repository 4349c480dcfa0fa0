"""Comparison kernels: one level per field per pair, on whole arrays.

Every kernel takes a batch of aligned pairs (:class:`Pairs`) and returns ``int8`` levels, ``-1``
where a value is missing on either side. Names are compared over every name of both records
(reported, childhood and former names) and the best level wins. String similarity of pinyin comes
from rapidfuzz's C++ kernels over distinct pinyin values, never per pair in Python.

A batch's case-side values are read once per case and spread over its pairs. Names and places are
looked up in tables of the batch's cases against every name or place code, whose rows come from
screen-wide tables computed once per prepared data (``Prepared.memo``: every case name against every
name, every case place against every place, the Jaro-Winkler neighbours of every case pinyin). A pair
then costs a few array reads per comparison.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler

from reunite._typing import I8, I32, I64, B
from reunite.matching.prepare import Prepared, Regions
from reunite.matching.routes import PROVINCES, route_levels

if TYPE_CHECKING:
    from reunite.matching.spec import ComparisonName, ComparisonSpec

__all__ = [
    "Pairs",
    "birth_levels",
    "birthday_levels",
    "compare",
    "compare_pairs",
    "given_name_levels",
    "marks_levels",
    "pinyin_similar",
    "region_levels",
    "registration_levels",
    "route_levels_of_pairs",
    "surname_levels",
    "timeline_levels",
    "vague_place_levels",
]


# A batch builds a name table (its cases against every name) when it costs less than comparing pair by
# pair: at most _CELLS_PER_PAIR cells per pair (a cell costs a few ns, a pair compared alone 20-60 ns
# on the medium benchmark, benchmarks/README.md), and _TABLE_CELLS in all.
_CELLS_PER_PAIR = 8
_TABLE_CELLS = 64_000_000
_SIMILARITY_CELLS = 8_000_000  # pinyin_similar: one rapidfuzz matrix of distinct values up to this size

# level of the pairs ``rows`` (None: all) against the candidate codes ``codes`` of one name slot
_SlotLevels = Callable[[I64 | None, I32], I8]


@dataclass(frozen=True, slots=True)
class Pairs:
    """Aligned (case, candidate) pairs, each pair's case given as its position among ``cases``.

    Pairs come in runs of one case (blocking yields a case's candidates together), so a case-side
    value is read once per run and repeated, rather than gathered pair by pair.
    """

    cases: I64       # the batch's distinct cases (case table indexes)
    local: I64       # per pair: position of its case in ``cases``
    cand: I64        # per pair: prepared candidate index
    run_local: I64   # per run of consecutive pairs of one case: that case's position
    run_length: I64  # per run: its number of pairs
    cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)  # see later_slots

    @classmethod
    def of(cls, case: I64, cand: I64, n_cases: int) -> Pairs:
        """Pairs of any cases (indexes into a case table of ``n_cases``)."""
        cases, local = _dense_codes(np.asarray(case, dtype=np.int64), n_cases)
        return cls.of_local(cases, local, np.asarray(cand, dtype=np.int64))

    @classmethod
    def of_local(cls, cases: I64, local: I64, cand: I64) -> Pairs:
        """Pairs whose case is already a position ``local`` among ``cases``."""
        n = local.shape[0]
        starts = np.flatnonzero(np.r_[True, local[1:] != local[:-1]]) if n else np.zeros(0, dtype=np.int64)
        return cls(cases, local, cand, local[starts], np.diff(np.r_[starts, n]))

    def __len__(self) -> int:
        return int(self.cand.shape[0])

    @property
    def case(self) -> I64:
        return self.spread(self.cases)

    def spread(self, per_case: npt.NDArray[Any]) -> npt.NDArray[Any]:
        """Values given per batch case (aligned with ``cases``), per pair."""
        return np.repeat(per_case.take(self.run_local), self.run_length)

    def of_case(self, values: npt.NDArray[Any]) -> npt.NDArray[Any]:
        """A case-side per-record array (the whole case table), per pair."""
        return self.spread(values[self.cases])

    def rows_of_cases(self, values: B) -> I64:
        """Positions of the pairs whose case has ``values`` True (a per-record array of the case
        table), in order: a pass over the runs, not over the pairs.

        >>> pairs = Pairs.of(np.array([0, 0, 1, 2, 2, 2]), np.arange(6), 3)
        >>> pairs.rows_of_cases(np.array([True, False, True])).tolist()
        [0, 1, 3, 4, 5]
        """
        chosen = values[self.cases].take(self.run_local)
        lengths = self.run_length[chosen]
        begin = (np.cumsum(self.run_length) - self.run_length)[chosen]
        before = np.cumsum(lengths) - lengths
        out: I64 = np.repeat(begin - before, lengths) + np.arange(int(lengths.sum()), dtype=np.int64)
        return out

    def later_slots(self, cand_names: I8, n_slots: int) -> list[I64]:
        """For slots 1, 2, ...: the pairs whose candidate has a name there (each a subset of the last).

        Most candidates have one name, so only the first list costs a pass over the pairs; the
        lists are kept for the batch's other name comparisons.
        """
        if "later_slots" not in self.cache:
            slots: list[I64] = []
            if n_slots > 1:
                names = cand_names.take(self.cand)
                rows = np.flatnonzero(names > 1)
                slots.append(rows)
                for j in range(2, n_slots):
                    rows = rows[names.take(rows) > j]
                    slots.append(rows)
            self.cache["later_slots"] = slots
        return self.cache["later_slots"]  # type: ignore[no-any-return]


def pinyin_similar(prep: Prepared, a: I32, b: I32, threshold: float) -> B:
    """Whether pinyin codes ``a`` and ``b`` (aligned, all >= 0) are at least ``threshold`` alike.

    Works on distinct values: a small matrix from ``process.cdist`` when the distinct values on
    each side are few, else ``process.cpdist`` over the distinct pairs.
    """
    if a.size == 0:
        return np.zeros(0, dtype=bool)
    vocab = prep.pinyin_vocab
    rows, row_of = _dense_codes(a, vocab.shape[0])
    cols, col_of = _dense_codes(b, vocab.shape[0])
    if rows.size * cols.size <= _SIMILARITY_CELLS:
        scores = process.cdist(
            vocab[rows], vocab[cols], scorer=JaroWinkler.normalized_similarity,
            score_cutoff=threshold, dtype=np.float32, workers=-1,
        )
        similar = (scores >= np.float32(threshold)).ravel()
        return similar.take(row_of * cols.size + col_of)
    keys = a.astype(np.int64) * (int(b.max()) + 1) + b
    unique_keys, inverse = np.unique(keys, return_inverse=True)
    ua, ub = unique_keys // (int(b.max()) + 1), unique_keys % (int(b.max()) + 1)
    scores = process.cpdist(
        vocab[ua], vocab[ub], scorer=JaroWinkler.normalized_similarity,
        score_cutoff=threshold, dtype=np.float32, workers=-1,
    )
    return (scores >= np.float32(threshold))[inverse]


def _dense_codes(codes: I32 | I64, size: int) -> tuple[I64, I64]:
    """The distinct codes (sorted) and each element's position among them: np.unique without a sort."""
    present = np.zeros(size, dtype=bool)
    present[codes] = True
    distinct = np.flatnonzero(present)
    position = np.cumsum(present, dtype=np.int64) - 1
    return distinct, position[codes]


# -- names -----------------------------------------------------------------------------------------

def _fits(pairs: Pairs, cells: int) -> bool:
    """Whether a lookup table of ``cells`` cells is worth building for this batch."""
    return cells <= min(_TABLE_CELLS, _CELLS_PER_PAIR * len(pairs))


def _case_table(case_codes: I32, by_code: Callable[[I64], I8], n_codes: int) -> I8:
    """Level of each batch case (best over its name slots) against every code: (cases, 1 + codes).

    ``case_codes`` is (cases, slots), ``-1`` empty; ``by_code(codes)`` gives the levels of the
    distinct ``codes`` against every code. Column 0 stands for "no name" (level -1), so a pair's
    level is ``table[local, 1 + code]`` whatever the code.
    """
    table = np.full((case_codes.shape[0], n_codes + 1), -1, dtype=np.int8)
    known = case_codes >= 0
    distinct, row_of = _dense_codes(case_codes[known], n_codes)
    if distinct.size == 0:
        return table
    levels = by_code(distinct)
    rows_of = np.full(case_codes.shape, -1, dtype=np.int64)
    rows_of[known] = row_of
    for i in range(case_codes.shape[1]):
        have = np.flatnonzero(rows_of[:, i] >= 0)
        if have.size:
            table[have, 1:] = np.maximum(table[have, 1:], levels[rows_of[have, i]])
    return table


def _table_levels(pairs: Pairs, table: I8) -> _SlotLevels:
    flat, width = table.ravel(), table.shape[1]
    base = pairs.spread(np.arange(pairs.cases.size, dtype=np.int64) * width + 1)

    def levels(rows: I64 | None, codes: I32) -> I8:
        return flat.take((base if rows is None else base[rows]) + codes)

    return levels


def _pair_levels(pairs: Pairs, case_codes: I32, case_names: I8, level: Callable[[I32, I32], I8]) -> _SlotLevels:
    """Slot levels pair by pair (batches with too many cases for a table): best over case slots."""
    case = pairs.case

    def levels(rows: I64 | None, codes: I32) -> I8:
        of_rows = case if rows is None else case[rows]
        out = np.full(of_rows.shape[0], -1, dtype=np.int8)
        for i in range(case_codes.shape[1]):
            sub = np.flatnonzero(case_names.take(of_rows) > i)
            if sub.size == 0:
                break
            a, b = case_codes[:, i].take(of_rows[sub]), codes[sub]
            found = level(a, b)
            found[(a < 0) | (b < 0)] = -1  # a slot may hold a surname only, or a childhood name
            out[sub] = np.maximum(out[sub], found)
        return out

    return levels


def _best_over_slots(pairs: Pairs, cand_codes: I32, cand_names: I8, levels: _SlotLevels) -> I8:
    """Best level over the candidate's name slots (the case's slots are inside ``levels``)."""
    best = levels(None, cand_codes[:, 0].take(pairs.cand))
    for j, rows in enumerate(pairs.later_slots(cand_names, cand_codes.shape[1]), start=1):
        if rows.size == 0:
            break
        best[rows] = np.maximum(best[rows], levels(rows, cand_codes[:, j].take(pairs.cand[rows])))
    return best


def _agreeing_code(pairs: Pairs, cand_codes: I32, best: I8, rows: I64, levels: _SlotLevels) -> I32:
    """For the pairs ``rows``, the candidate code of the first slot that reaches the pair's best level."""
    code = np.full(rows.size, -1, dtype=np.int32)
    open_rows = np.arange(rows.size)
    for j in range(cand_codes.shape[1]):
        if open_rows.size == 0:
            break
        slot = cand_codes[:, j].take(pairs.cand[rows[open_rows]])
        hit = levels(rows[open_rows], slot) == best[rows[open_rows]]
        code[open_rows[hit]] = slot[hit]
        open_rows = open_rows[~hit]
    return code


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
    readings = prep.given_readings
    py, alt, fuzzy, key, last = (readings[:, i] for i in range(5))
    level = (_similar_by_code(prep, spec.name_similarity, rows)[:, py].view(np.int8) * 2).astype(np.int8)
    level[fuzzy[rows][:, None] == fuzzy[None, :]] = 3
    r_py, r_alt = py[rows][:, None], alt[rows][:, None]
    level[(r_py == py) | (r_py == alt) | (r_alt == py) | (r_alt == alt)] = 4
    level[(r_py < 0) | (py < 0)[None, :]] = 0  # a name without a reading agrees only by its characters
    r_key, r_last = key[rows][:, None], last[rows][:, None]
    # 小红 and 丽红, either way round (a register's 曾用名 娜娜 and the case's 李娜)
    level[(level == 0) & (((r_key >= 0) & (r_key == last[None, :])) | ((key >= 0)[None, :] & (key == r_last)))] = 1
    level[rows[:, None] == np.arange(py.shape[0])[None, :]] = 5
    return np.ascontiguousarray(level)  # rows are read whole (the column gather above leaves it F-ordered)


_MEMO_CELLS = 32_000_000  # case names x every name: kept for the whole screen up to this size


def _every_case_name(prep: Prepared, spec: ComparisonSpec) -> tuple[I8, I64] | None:
    """Given-name levels of every case name against every name, and each code's row in that table
    (-1: not a case name); computed once per screen. ``None`` when the table would be too big."""
    def compute() -> tuple[I8, I64] | None:
        n_codes = prep.given_readings.shape[0]
        case_codes = _dense_codes(prep.cases.given[prep.cases.given >= 0], n_codes)[0]
        if case_codes.size * n_codes > _MEMO_CELLS:
            return None
        row_of = np.full(n_codes, -1, dtype=np.int64)
        row_of[case_codes] = np.arange(case_codes.size, dtype=np.int64)
        return _given_levels_by_code(prep, spec, case_codes), row_of

    # the size check is kept too: every batch asks, by table or pair by pair
    return prep.memo.get(("case_given_levels", spec.name_similarity), compute)  # type: ignore[no-any-return]


def _case_given_levels(prep: Prepared, spec: ComparisonSpec, rows: I64) -> I8:
    """:func:`_given_levels_by_code` of the case names ``rows``."""
    every = _every_case_name(prep, spec)
    if every is None:
        return _given_levels_by_code(prep, spec, rows)
    table, row_of = every
    return table[row_of[rows]]


def _given_levels_per_pair(prep: Prepared, spec: ComparisonSpec, ga: I32, gb: I32) -> I8:
    """Given-name levels pair by pair (``ga`` case names, ``gb`` candidate names); negative codes
    give a level to be masked."""
    every = _every_case_name(prep, spec)
    if every is not None:
        table, row_of = every
        found: I8 = table.ravel().take(np.maximum(row_of.take(np.maximum(ga, 0)), 0) * table.shape[1]
                                       + np.maximum(gb, 0))
        return found
    readings = prep.given_readings
    a, b = readings[np.maximum(ga, 0)], readings[np.maximum(gb, 0)]
    pa, aa, pb, ab = a[:, 0], a[:, 1], b[:, 0], b[:, 1]
    level = (pinyin_similar(prep, np.maximum(pa, 0), np.maximum(pb, 0), spec.name_similarity).view(np.int8)
             * 2).astype(np.int8)
    level[a[:, 2] == b[:, 2]] = 3
    level[(pa == pb) | (pa == ab) | (aa == pb) | (aa == ab)] = 4
    level[(pa < 0) | (pb < 0)] = 0  # a name without a reading agrees only by its characters
    level[(level == 0) & (((a[:, 3] >= 0) & (a[:, 3] == b[:, 4])) | ((b[:, 3] >= 0) & (b[:, 3] == a[:, 4])))] = 1
    level[ga == gb] = 5
    return level


def _name_levels(
    prep: Prepared, pairs: Pairs, field: str, n_codes: int,
    by_code: Callable[[I64], I8], per_pair: Callable[[I32, I32], I8],
) -> _SlotLevels:
    """How a batch reads a name comparison's level of a pair and a candidate name slot: from a table
    of the batch's cases against every code (``by_code`` gives its rows) when that is cheaper than
    ``per_pair``, which compares case and candidate codes pair by pair."""
    c = prep.cases
    case_codes = getattr(c, field)
    batch_codes = case_codes[pairs.cases]
    n_distinct = _dense_codes(batch_codes[batch_codes >= 0], n_codes)[0].size
    if _fits(pairs, max(pairs.cases.size, n_distinct) * (n_codes + 1)):
        return _table_levels(pairs, _case_table(batch_codes, by_code, n_codes))
    return _pair_levels(pairs, case_codes, c.n_names, per_pair)


def given_name_levels(prep: Prepared, spec: ComparisonSpec, pairs: Pairs, value: I32 | None = None) -> I8:
    """Best level over all name pairs; ``value`` receives the agreeing code for term-frequency
    adjustment: the given-name characters at level 5, the candidate's pinyin at level 4, else -1."""
    d = prep.candidates
    n_codes = prep.given_readings.shape[0]
    if len(pairs) == 0 or n_codes == 0:
        return np.full(len(pairs), -1, dtype=np.int8)
    levels = _name_levels(
        prep, pairs, "given", n_codes,
        lambda rows: _case_given_levels(prep, spec, rows),
        lambda a, b: _given_levels_per_pair(prep, spec, a, b),
    )
    best = _best_over_slots(pairs, d.given, d.n_names, levels)
    if value is not None:
        rows = np.flatnonzero(best >= 4)
        code = _agreeing_code(pairs, d.given, best, rows, levels)
        # the candidate's own value: term frequencies count candidates' primary readings
        value[rows] = np.where(best[rows] == 5, code, prep.given_readings[code, 0])
    return best


def _surname_levels_by_code(prep: Prepared, rows: I64) -> I8:
    """Surname levels of the codes ``rows`` against every surname code: same characters 2, same
    reading 1, else 0."""
    py = prep.surname_readings
    level: I8 = (py[rows][:, None] == py[None, :]).view(np.int8)
    level[rows[:, None] == np.arange(py.shape[0])[None, :]] = 2
    return level


def surname_levels(prep: Prepared, pairs: Pairs, value: I32 | None = None) -> I8:
    """Best level over all name pairs; ``value`` receives the agreeing surname code at level 2, else -1."""
    d = prep.candidates
    n_codes = prep.surname_readings.shape[0]
    if len(pairs) == 0 or n_codes == 0:
        return np.full(len(pairs), -1, dtype=np.int8)
    py = prep.surname_readings

    def per_pair(a: I32, b: I32) -> I8:
        level: I8 = (py[np.maximum(a, 0)] == py[np.maximum(b, 0)]).view(np.int8)
        level[a == b] = 2
        return level

    levels = _name_levels(prep, pairs, "surname", n_codes, lambda rows: _surname_levels_by_code(prep, rows),
                          per_pair)
    best = _best_over_slots(pairs, d.surname, d.n_names, levels)
    if value is not None:
        rows = np.flatnonzero(best == 2)
        value[rows] = _agreeing_code(pairs, d.surname, best, rows, levels)
    return best


# -- dates, places, marks --------------------------------------------------------------------------

def _bands(values: npt.NDArray[np.int32], upper_edges: tuple[int, ...]) -> I8:
    """How many of the increasing ``upper_edges`` lie below each value: 0 if value <= edges[0]."""
    out = np.zeros(values.shape, dtype=np.int8)
    for edge in upper_edges:
        out += values > edge
    return out


def _set_where(level: I8, mask: B, value: int) -> None:
    """``level[mask] = value`` by arithmetic: a boolean-mask store costs several times more per pair."""
    level += (np.int8(value) - level) * mask


def birth_levels(prep: Prepared, spec: ComparisonSpec, pairs: Pairs) -> I8:
    c, d = prep.cases, prep.candidates
    a_lo, a_hi = pairs.of_case(c.birth_lo), pairs.of_case(c.birth_hi)
    b_lo, b_hi = d.birth_lo.take(pairs.cand), d.birth_hi.take(pairs.cand)
    start = np.maximum(a_lo, b_lo)
    gap = start - np.minimum(a_hi, b_hi)
    # 6 overlap or within a month, 3 / 2 / 1 within 1 / 2 / 3 years, 0 further (4, 5: see below)
    within = _bands(gap, (spec.birth_month_days, *spec.birth_band_days))
    apart = within > 0
    level = np.int8(6) - within - apart - apart  # int8 throughout (2 * apart would be int64)
    _set_where(level, (a_lo == a_hi) & (b_lo == b_hi) & (np.abs(a_lo - b_lo) <= spec.same_day_days), 7)
    if c.alt_known.any():  # 5: the case's bare date, read as lunar, overlaps or lies within a month
        alt = pairs.of_case(c.alt_known)
        alt_gap = np.maximum(pairs.of_case(c.alt_lo), b_lo) - np.minimum(pairs.of_case(c.alt_hi), b_hi)
        _set_where(level, alt & (alt_gap <= spec.birth_month_days) & (level < 5), 5)
    # 4: a 1st of the month read as the month (1 January as the year) overlaps or lies within a month;
    # only pairs with such a date on a side are read again (a few percent of them)
    cand_rounded, case_rounded = prep.memo.get(
        ("rounded_births",), lambda: (d.round_hi != d.birth_hi, c.round_hi != c.birth_hi))
    rounded = cand_rounded.take(pairs.cand)
    if case_rounded.any():
        rounded[pairs.rows_of_cases(case_rounded)] = True
    rows = np.flatnonzero(rounded)
    if rows.size:
        a_round = c.round_hi[pairs.cases].take(pairs.local.take(rows))
        round_gap = start.take(rows) - np.minimum(a_round, d.round_hi.take(pairs.cand.take(rows)))
        level[rows[(round_gap <= spec.birth_month_days) & (level.take(rows) < 4)]] = 4
    known = pairs.of_case(c.birth_known) & d.birth_known.take(pairs.cand)
    if not known.all():
        _set_where(level, ~known, -1)
    return level


def birthday_levels(prep: Prepared, spec: ComparisonSpec, pairs: Pairs) -> I8:
    """Births known to the day and at least ``birthday_min_gap_days`` apart: same month and day 1, else 0."""
    c, d = prep.cases, prep.candidates
    a, b = pairs.of_case(c.birth_md), d.birth_md.take(pairs.cand)
    level: I8 = (a == b).view(np.int8)
    far = np.abs(pairs.of_case(c.birth_lo) - d.birth_lo.take(pairs.cand)) >= spec.birthday_min_gap_days
    _set_where(level, ~(far & (a >= 0) & (b >= 0)), -1)
    return level


def _region_levels(regions: Regions, spec: ComparisonSpec, a: I64 | I32, b: I64 | I32) -> I8:
    """Region levels between places ``a`` and ``b`` (ids into ``regions``; aligned or broadcast)."""
    lat_a, lon_a, lat_b, lon_b = regions.lat[a], regions.lon[a], regions.lat[b], regions.lon[b]
    # equirectangular distance: accurate to a few percent at these ranges, and cheap
    x = np.radians(lon_b - lon_a) * np.cos(np.radians((lat_a + lat_b) * np.float32(0.5)))
    y = np.radians(lat_b - lat_a)
    km = np.float32(6371.0) * np.sqrt(x * x + y * y)
    level: I8 = (km <= spec.nearby_km).astype(np.int8)
    for codes, value in ((regions.province, 2), (regions.city, 3), (regions.county, 4)):
        ca, cb = codes[a], codes[b]
        level[(ca > 0) & (ca == cb)] = value
    # a case place known only to its city or province is compared by vague_place_levels instead
    level[(regions.level[a] == 0) | (regions.level[b] == 0) | (regions.level[a] < 3)] = -1
    return level


def _vague_place_table(regions: Regions, a: I64, b: I64) -> I8:
    """vague_place levels of case places ``a`` against places ``b``: 3 the city of a case place known
    only to the city, 2 the province of one known only to the province, 1 that province but another
    city, 0 another province; -1 when the case place is a county or unknown, or ``b`` is unknown."""
    same_province = (regions.province[a] > 0) & (regions.province[a] == regions.province[b])
    same_city = (regions.city[a] > 0) & (regions.city[a] == regions.city[b])
    city_only = regions.level[a] == 2
    level = np.where(city_only, np.where(same_city, 3, same_province.astype(np.int8)), 2 * same_province)
    vague = (regions.level[a] == 1) | city_only
    out: I8 = np.where(vague & (regions.level[b] > 0), level, -1).astype(np.int8)
    return out


def _case_place_table(
    prep: Prepared, table: Callable[[Regions, I64, I64], I8],
) -> tuple[I8, I64]:
    """``table`` of every place a case has against every place, and each place's row in it (-1: no
    case there). Places are counties, cities and provinces: a few thousand at most."""
    regions = prep.regions
    places, _ = _dense_codes(prep.cases.region_id, len(regions))
    row_of = np.full(len(regions), -1, dtype=np.int64)
    row_of[places] = np.arange(places.size, dtype=np.int64)
    return table(regions, places[:, None], np.arange(len(regions))[None, :]), row_of


def vague_place_levels(prep: Prepared, spec: ComparisonSpec, pairs: Pairs) -> I8:
    """Where a case's place is known only to its city or province: is the candidate there (-1 otherwise)."""
    level = np.full(len(pairs), -1, dtype=np.int8)
    vague = prep.regions.level[prep.cases.region_id] % 3 > 0  # known only to the city or province
    if not vague.any():
        return level
    rows = pairs.rows_of_cases(vague)
    if rows.size:
        table, row_of = prep.memo.get(("vague_place_levels",),
                                      lambda: _case_place_table(prep, _vague_place_table))
        case_row = row_of[prep.cases.region_id[pairs.cases]].take(pairs.local.take(rows))
        rb = prep.candidates.region_id.take(pairs.cand.take(rows))
        level[rows] = table.ravel().take(case_row * len(prep.regions) + rb)
    return level


def region_levels(prep: Prepared, spec: ComparisonSpec, pairs: Pairs) -> I8:
    regions = prep.regions
    table, row_of = prep.memo.get(
        ("case_place_levels", spec.nearby_km),
        lambda: _case_place_table(prep, lambda r, a, b: _region_levels(r, spec, a, b)),
    )
    case_places = prep.cases.region_id[pairs.cases]
    rb = prep.candidates.region_id.take(pairs.cand)
    level: I8 = table.ravel().take(pairs.spread(row_of[case_places] * len(regions)) + rb)
    # The county coded in a valid ID (registration county at issue) is evidence too.
    id_county = prep.candidates.id_county.take(pairs.cand)
    _set_where(level, (id_county > 0) & (id_county == pairs.spread(regions.county[case_places])), 4)
    return level


def route_levels_of_pairs(prep: Prepared, spec: ComparisonSpec, pairs: Pairs) -> I8:
    """Places in two provinces: is the candidate's on a known route from the case's? (-1 otherwise)."""
    regions = prep.regions
    table = route_levels(spec.route_shares)
    origin = regions.province[prep.cases.region_id[pairs.cases]].astype(np.int64) // 10_000
    destination = regions.province.take(prep.candidates.region_id.take(pairs.cand)).astype(np.int64) // 10_000
    level: I8 = table.ravel().take(pairs.spread(origin * PROVINCES) + destination)
    return level


def registration_levels(prep: Prepared, spec: ComparisonSpec, pairs: Pairs) -> I8:
    c, d = prep.cases, prep.candidates
    registered = d.event_lo.take(pairs.cand)
    delay = registered - d.birth_hi.take(pairs.cand)
    late, years_late = spec.late_registration_days
    level = _bands(delay + 1, (late, years_late))  # 0 on time, 1 late, 2 years late
    lost = pairs.of_case(c.event_hi)
    after_missing = pairs.of_case(c.event_known) & (registered > lost) & (delay >= late)
    _set_where(level, after_missing, 3)
    _set_where(level, after_missing & (registered - lost <= spec.registration_soon_days), 4)
    _set_where(level, ~(d.event_known.take(pairs.cand) & d.birth_known.take(pairs.cand)), -1)
    return level


def timeline_levels(prep: Prepared, spec: ComparisonSpec, pairs: Pairs) -> I8:
    c, d = prep.cases, prep.candidates
    after = d.birth_lo.take(pairs.cand) - pairs.of_case(c.event_hi)
    level = np.int8(2) - _bands(after, (0, spec.timeline_grace_days))
    _set_where(level, ~(pairs.of_case(c.event_known) & d.birth_known.take(pairs.cand)), -1)
    return level


def marks_levels(prep: Prepared, pairs: Pairs) -> I8:
    a, b = pairs.of_case(prep.cases.marks), prep.candidates.marks.take(pairs.cand)
    level = np.full(len(pairs), -1, dtype=np.int8)
    rows = np.flatnonzero((a != 0) & (b != 0))
    if rows.size == 0:
        return level
    shared = np.bitwise_count(a[rows] & b[rows]).astype(np.float32)
    union = np.bitwise_count(a[rows] | b[rows]).astype(np.float32)
    jaccard = shared / union
    level[rows] = np.select([jaccard >= 0.5, jaccard >= 0.25, shared > 0], [3, 2, 1], default=0)
    return level


def compare_one(
    prep: Prepared, spec: ComparisonSpec, name: ComparisonName, pairs: Pairs, value: I32 | None = None,
) -> I8:
    """Levels of one comparison for a batch of pairs (``value``: see the name kernels)."""
    from reunite.matching.comparisons import REGISTRY  # the registry imports these kernels

    return REGISTRY[name].kernel(prep, spec, pairs, value)


def compare_pairs(
    prep: Prepared, spec: ComparisonSpec, pairs: Pairs, values: dict[str, I32] | None = None,
) -> I8:
    """Levels of every comparison of ``spec``: an ``int8`` array of shape (comparisons, pairs).

    With ``values`` (a dict), the agreeing given-name and surname codes are stored in it under the
    comparison's name (``-1`` where the level is not an agreement), for term-frequency adjustment.
    """
    from reunite.matching.comparisons import REGISTRY

    out = np.empty((len(spec.comparisons), len(pairs)), dtype=np.int8)
    for k, name in enumerate(spec.comparisons):
        value = None
        if values is not None and REGISTRY[name].tf_levels:
            value = values[name] = np.full(len(pairs), -1, dtype=np.int32)
        out[k] = compare_one(prep, spec, name, pairs, value)
    return out


def compare(
    prep: Prepared, spec: ComparisonSpec, case: I64, cand: I64, values: dict[str, I32] | None = None,
) -> I8:
    """:func:`compare_pairs` for aligned arrays of case and prepared-candidate indexes."""
    return compare_pairs(prep, spec, Pairs.of(np.asarray(case, dtype=np.int64), cand, len(prep.cases)), values)
