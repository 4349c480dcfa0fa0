"""Exact top-k without scoring every pair of a birth window.

Most of a case's ±3-year window cannot reach its top k. A pair's score is the sum of its level
weights; for a candidate that shares no evidence with the case beyond what every candidate born that
day shares, each level is fixed by three things: the case, the candidate's birth day, and a few
facts of the candidate alone (:class:`~reunite.matching.cells.CellIndex`: has a given name, has a surname, place known,
province, registration delay band, late-registered, birthday known). Such candidates are counted,
not scored: per case, per *stretch* of birth days whose day-bound levels (birth, timeline, birthday
far enough apart, which window) agree, and per class of those facts -- a *cell*. Every candidate of
a cell has the same levels, hence the same score, computed once with the very arithmetic of a scored
pair (:func:`reunite.matching.score.weights_of_levels`). The level kernels themselves decide the
day-bound levels: they are run on one candidate per stretch, and around the case's birth (where
rounded, lunar and same-day readings live) on one candidate per day.

The others -- *hits* -- are found through sorted postings (an inverted index over the candidates
known to the day) and scored pair by pair as before: a given name at least similar (Jaro-Winkler
neighbours, dialect-fuzzy, same pinyin or characters), a surname with the same reading, a place in
the case's city or county or nearby in another province (or the case's county in the ID number), the
same month and day of birth, marks on both sides, pairs DNA excluded. Candidates registered after the
case's loss, or on time before it where their cell reads their birth day otherwise, and nothing else
differ from their cell in the registration level alone: they are counted in cells of their own (one per
level). The late ones are counted by band of their registration day (``Pruning.counted_moves``; only
those of the bands holding an edge of the case, its loss or the end of "soon after" it, are listed),
the on-time ones listed.

Nothing here names a comparison: each one's module says how pruning reads it
(:class:`~reunite.matching.comparisons.base.Pruning`): its hits (asked through :class:`_Search`), the
level of a counted cell, whether its levels are day-bound and where they may change, and (registration)
the candidates it moves out of their cells.

The proof, per case: the k-th best score among the scored pairs and the cells (a cell counting as
many times as it holds candidates) is the threshold; every cell scoring at or above it is expanded
and its candidates scored too, so every pair left unscored scores strictly below the k-th best
scored one, ties (broken by person_id) included. The probabilities need the sum of Bayes factors
over every compared pair: this is computed exactly, not bounded -- a cell adds ``count * 2**score``
to the case's exact integer sum (:mod:`reunite.matching.exact`) and ``count`` to its pairs compared.
Rankings, scores, reasons, pair counts and probabilities are therefore the exhaustive path's, bit
for bit.

Candidates whose birth is known only as an interval, and the pairs of the other blocking passes, are
scored pair by pair as before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from reunite._typing import F32, I8, I32, I64, B
from reunite.errors import ConfigError
from reunite.matching.blocking import _COMPATIBLE, BlockPlan, case_birth_interval, range_positions
from reunite.matching.cells import (
    MOVES,
    CellIndex,
    counted_factor_sums,
    counted_moves,
    day_key,
    distinct,
    distinct_inverse,
)
from reunite.matching.compare import Pairs, compare_pairs
from reunite.matching.comparisons import REGISTRY, Comparison
from reunite.matching.comparisons.base import CellFacts, CountedMoves, DayBreaks
from reunite.matching.engine import DEFAULT_LIMITS, EngineLimits
from reunite.matching.kinds import case_kinds
from reunite.matching.model import FellegiSunter
from reunite.matching.prepare import Prepared
from reunite.matching.rank import survivors
from reunite.matching.score import ChunkResult, ScoredPairs, rank_pairs, score_pairs, weights_of_levels
from reunite.matching.spec import BlockingSpec, ComparisonSpec

__all__ = ["compared_patterns", "prunable", "score_span_pruned"]

def prunable(spec: BlockingSpec) -> bool:
    """Whether the blocking passes let windows be counted: birth_window first, late_window (if any) next."""
    passes = spec.passes
    if not passes or passes[0] != "birth_window":
        return False
    return "late_window" not in passes or passes[1] == "late_window"


# -- one span of cases ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Rows:
    """Per (case, candidate sex) of a span: the windows, in days and in runs."""

    case: I64
    sex: I64        # the candidates' sex
    birth_lo: I64   # birth window, days
    birth_hi: I64
    late_lo: I64    # late window, days (empty: lo > hi)
    late_hi: I64
    run_a: I64      # runs of the union of both windows
    run_b: I64
    birth_a: I64    # runs of the birth window
    birth_b: I64


def _rows(prep: Prepared, spec: BlockingSpec, index: CellIndex, first: int, last: int) -> _Rows:
    case_lo, case_hi = case_birth_interval(prep, spec)
    sexes = prep.cases.sex
    late_pass = "late_window" in spec.passes
    parts: list[tuple[I64, ...]] = []
    for s in (0, 1, 2):
        a, b = index.sex_runs[s]
        if a == b:
            continue
        chosen = np.arange(first, last, dtype=np.int64)
        chosen = chosen[np.isin(sexes[chosen], [c for c, ok in _COMPATIBLE.items() if s in ok])]
        lo, hi = case_lo[chosen], case_hi[chosen]
        blo, bhi = lo - spec.birth_margin_days, hi + spec.birth_margin_days
        if late_pass:
            llo, lhi = lo - spec.late_margin_days, hi + spec.late_margin_days
        else:
            llo, lhi = np.ones_like(lo), np.zeros_like(hi)
        sex = np.full(chosen.size, s, dtype=np.int64)
        lower = np.minimum(blo, np.where(llo <= lhi, llo, blo))
        upper = np.maximum(bhi, np.where(llo <= lhi, lhi, bhi))
        run_a = np.searchsorted(index.run_key, day_key(sex, lower), "left")
        run_b = np.searchsorted(index.run_key, day_key(sex, upper), "right")
        birth_a = np.searchsorted(index.run_key, day_key(sex, blo), "left")
        birth_b = np.searchsorted(index.run_key, day_key(sex, bhi), "right")
        parts.append((chosen, sex, blo, bhi, llo, lhi, run_a.astype(np.int64), run_b.astype(np.int64),
                      birth_a.astype(np.int64), birth_b.astype(np.int64)))
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return _Rows(empty, empty, empty, empty, empty, empty, empty, empty, empty, empty)
    joined = [np.concatenate([p[i] for p in parts]) for i in range(10)]
    order = np.argsort(joined[0], kind="stable")
    return _Rows(*(j[order] for j in joined))


def _expand_postings(postings: I64, row: I64, code: I64, lo_pos: I64, hi_pos: I64, n: int) -> tuple[I64, I64]:
    """(row, position) of every posting ``code`` in positions ``[lo_pos, hi_pos)`` of its row."""
    begin = np.searchsorted(postings, code * n + lo_pos, "left")
    end = np.searchsorted(postings, code * n + hi_pos, "left")
    length = end - begin
    return np.repeat(row, length), postings[range_positions(begin, length)] % n


def _expand_sorted(positions: I64, row: I64, lo_pos: I64, hi_pos: I64) -> tuple[I64, I64]:
    begin = np.searchsorted(positions, lo_pos, "left")
    end = np.searchsorted(positions, hi_pos, "left")
    length = end - begin
    return np.repeat(row, length), positions[range_positions(begin, length)]


def _code_pairs(case_rows: I64, codes: I32) -> tuple[I64, I64]:
    """(row, code) of every known code of each row's case; ``codes`` is (rows, slots)."""
    row = np.repeat(np.arange(codes.shape[0], dtype=np.int64), codes.shape[1])
    flat = codes.ravel().astype(np.int64)
    keep = flat >= 0
    return case_rows[row[keep]], flat[keep]


def _through(row: I64, inverse: I64, matches: B) -> tuple[I64, I64]:
    """(row, target) for every target a row's distinct value matches: ``matches`` is (distinct values,
    targets), ``inverse`` each row's distinct value."""
    which, target = np.nonzero(matches)
    per = np.bincount(which, minlength=matches.shape[0])
    length = per[inverse]
    return np.repeat(row, length), target[range_positions((np.cumsum(per) - per)[inverse], length)].astype(np.int64)


@dataclass(frozen=True, slots=True)
class _Hits:
    """Per row of a span: the candidates of its windows scored one by one (``row``, ``at``, sorted),
    and the moved ones listed (``moved_*``, hits among them too: those that are no hit differ from their
    cell in the registration level alone, and are counted in cells of their own); the moves counted by
    band (``Pruning.counted_moves``) are not listed here."""

    row: I64
    at: I64
    moved_row: I64
    moved_at: I64
    moved_level: I8


def _positions(index: CellIndex, run_a: I64, run_b: I64) -> tuple[I64, I64]:
    """Positions ``[lo, hi)`` of runs ``[run_a, run_b)`` (empty: ``lo == hi``)."""
    last = max(index.run_start.size - 1, 0)
    some = run_a < run_b
    lo = np.where(some, index.run_start[np.minimum(run_a, last)], 0)
    hi = np.where(some, index.run_stop[np.clip(run_b - 1, 0, last)], 0)
    return lo, hi


def _inside(index: CellIndex, rows: _Rows, d_birth_lo: I32, row: I64, at: I64) -> B:
    """Whether each candidate ``at`` lies in a counted window of its row."""
    day = d_birth_lo[at].astype(np.int64)
    out: B = (index.cls[at] >= 0) & (
        ((day >= rows.birth_lo[row]) & (day <= rows.birth_hi[row]))
        | (index.late[at] & (day >= rows.late_lo[row]) & (day <= rows.late_hi[row])))
    return out


class _Search:
    """The rows of a span and the hits their comparisons add (:class:`~reunite.matching.comparisons.base.HitSearch`)."""

    def __init__(self, prep: Prepared, spec: ComparisonSpec, limits: EngineLimits, index: CellIndex,
                 rows: _Rows) -> None:
        self.prep, self.spec, self.limits, self.index = prep, spec, limits, index
        self.case = rows.case
        self.sex = rows.sex
        self.rows = np.arange(rows.case.size, dtype=np.int64)
        # positions of the birth window, and of the late window on either side of it (late candidates only)
        pa, pb = _positions(index, rows.birth_a, rows.birth_b)
        self.la, self.lb = _positions(index, rows.run_a, rows.run_b)
        pa, pb = np.where(pa < pb, pa, self.la), np.where(pa < pb, pb, self.la)
        self._spans = ((pa, pb, False), (self.la, pa, True), (pb, self.lb, True))
        self.found: list[tuple[I64, I64]] = []
        self.moved: tuple[I64, I64, I8] | None = None

    def add_postings(self, postings: str, row: I64, code: I64) -> None:
        self.found.extend(self.coded(postings, row, code))

    def coded(self, postings: str, row: I64, code: I64) -> list[tuple[I64, I64]]:
        """(row, candidate) of :meth:`add_postings`, returned instead of added."""
        if not row.size:
            return []
        n = len(self.prep.candidates)
        return [_expand_postings(self.index.keys(postings, late), row, code, lo[row], hi[row], n)
                for lo, hi, late in self._spans]

    def add_agreeing_codes(self, postings: str, agrees: Callable[[I64], B], case_codes: I32) -> None:
        row, code = _code_pairs(self.rows, case_codes)
        if code.size:
            seen, inverse = distinct_inverse(code)
            self.add_postings(postings, *_through(row, inverse, agrees(seen)))

    def add_matching(self, postings: str, values: I64, matches: Callable[[I64], B]) -> None:
        seen, inverse = distinct_inverse(values)
        self.add_postings(postings, *_through(self.rows, inverse, matches(seen)))

    def _sorted(self, positions: str, row: I64, days: tuple[I64, I64] | None = None,
                code: int = 0) -> list[tuple[I64, I64]]:
        spans = [(lo[row], hi[row], late) for lo, hi, late in self._spans]
        if days is not None:  # the positions of the runs of days [first, last] of each row's sex, within each span
            sex = self.sex[row]
            run_a = np.searchsorted(self.index.run_key, day_key(sex, days[0]), "left").astype(np.int64)
            run_b = np.searchsorted(self.index.run_key, day_key(sex, days[1]), "right").astype(np.int64)
            first, last = _positions(self.index, run_a, run_b)
            spans = [(np.maximum(lo, first), np.maximum(np.maximum(lo, first), np.minimum(hi, last)), late)
                     for lo, hi, late in spans]
        if not code:
            return [_expand_sorted(self.index.keys(positions, late), row, lo, hi) for lo, hi, late in spans]
        offset = code * len(self.prep.candidates)  # the keys of one code are its positions plus this
        found = [_expand_sorted(self.index.keys(positions, late), row, lo + offset, hi + offset)
                 for lo, hi, late in spans]
        return [(row_of, keys - offset) for row_of, keys in found]

    def add_positions(self, positions: str, row: I64) -> None:
        self.found.extend(self._sorted(positions, row))

    def positions(self, positions: str, row: I64, days: tuple[I64, I64] | None = None,
                  code: int = 0) -> tuple[I64, I64]:
        found = self._sorted(positions, row, days, code)
        return np.concatenate([f[0] for f in found]), np.concatenate([f[1] for f in found])

    def add_moved(self, row: I64, at: I64, level: I8) -> None:
        if self.moved is not None:
            raise ConfigError("comparisons: at most one may move candidates out of their cells")
        self.moved = (row, at, level)


def _hits(prep: Prepared, model: FellegiSunter, index: CellIndex, rows: _Rows, excluded: I64 | None,
          limits: EngineLimits) -> _Hits:
    """The candidates of the rows' windows whose levels the cells cannot give (see :class:`_Hits`):
    each comparison adds those that agree with their case (``Pruning.hits``), and the pairs DNA excluded."""
    d, n = prep.candidates, len(prep.candidates)
    search = _Search(prep, model.spec, limits, index, rows)
    for name in model.spec.comparisons:
        find = REGISTRY[name].pruning.hits
        if find is not None:
            find(search)
    moving = counted_moves(model.spec)
    if moving is not None:  # the moving candidates whose band holds an edge of their case: moved one by one
        on_edges = _moved_on_edges(search, moving)
        if search.moved is None:
            search.moved = on_edges
        else:
            search.moved = tuple(np.r_[listed, more] for listed, more in zip(search.moved, on_edges, strict=True))
    found = search.found
    r, la, lb = search.rows, search.la, search.lb
    if excluded is not None and excluded.size:
        keys = rows.case * n
        begin = np.searchsorted(excluded, keys + la, "left")
        end = np.searchsorted(excluded, keys + lb, "left")
        length = end - begin
        row, at = np.repeat(r, length), excluded[range_positions(begin, length)] % n
        inside = _inside(index, rows, d.birth_lo, row, at)
        found.append((row[inside], at[inside]))
    if found:
        row = np.concatenate([f[0] for f in found])
        at = np.concatenate([f[1] for f in found])
        key = distinct(row * n + at, runs=True)  # each found part is sorted by row, then by position per code
        row, at = key // n, key % n
    else:
        row = at = np.zeros(0, dtype=np.int64)
    if search.moved is None:
        return _Hits(row, at, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int8))
    return _Hits(row, at, *search.moved)


def _edge_bands(prep: Prepared, spec: ComparisonSpec, index: CellIndex, moving: CountedMoves,
                case: I64) -> tuple[B, list[I64]]:
    """Per case: whether it has edges (``CountedMoves.edges``), and per edge the band holding it."""
    known, edges = moving.edges(prep, spec, case)
    return known, [np.searchsorted(index.move_edges, edge, "right").astype(np.int64) for edge in edges]


def _counted_level(index: CellIndex, moving: CountedMoves, known: B, bands: list[I64], row: I64, at: I64) -> I8:
    """Per pair ``(row, at)``, the moved level at which its candidate is counted (-1: none; it keeps its
    cell's level, or its band holds an edge of the case and it is listed); ``known`` and ``bands``: per
    row, of its case (:func:`_edge_bands`)."""
    out = np.full(at.size, -1, dtype=np.int8)
    band = index.move_band[at]
    some = np.flatnonzero(band >= 0)  # (candidates of a moving class: a few)
    if some.size:
        band, row = band[some], row[some]
        level = np.full(some.size, -1, dtype=np.int8)
        for moved_level, edge_band in zip(moving.levels, bands, strict=True):
            level[known[row] & (band > edge_band[row])] = moved_level
        for edge_band in bands:
            level[band == edge_band[row]] = -1
        out[some] = level
    return out


def _moved_on_edges(search: _Search, moving: CountedMoves) -> tuple[I64, I64, I8]:
    """(row, candidate, level) of the moving candidates of the rows' windows whose band holds an edge
    of their case, moved by their own day (those on or before the first edge are not moved)."""
    prep, spec = search.prep, search.spec
    known, bands = _edge_bands(prep, spec, search.index, moving, search.case)
    rows = search.rows[known]
    found: list[tuple[I64, I64]] = []
    for j, edge_band in enumerate(bands):
        code = edge_band[rows]
        fresh = np.ones(rows.size, dtype=bool)
        for earlier in bands[:j]:  # a band holding two edges is listed once
            fresh &= earlier[rows] != code
        found.extend(search.coded(MOVES, rows[fresh], code[fresh]))
    row = np.concatenate([f[0] for f in found]) if found else np.zeros(0, dtype=np.int64)
    at = np.concatenate([f[1] for f in found]) if found else np.zeros(0, dtype=np.int64)
    _, edges = moving.edges(prep, spec, search.case[row])
    day = moving.day(prep, spec, at)
    level = np.full(at.size, -1, dtype=np.int8)
    for moved_level, edge in zip(moving.levels, edges, strict=True):
        level[day > edge] = moved_level
    moved = level >= 0
    return row[moved], at[moved], level[moved]


def _breaks(prep: Prepared, cspec: ComparisonSpec, rows: _Rows, index: CellIndex,
            day_bound: list[Comparison]) -> tuple[I64, I64]:
    """Sorted run indexes where a row's stretches of equal day-bound levels may change: (row, run):
    the windows' edges, and where each day-bound comparison says (``Pruning.day_breaks``)."""
    days: list[I64] = [rows.birth_lo, rows.birth_hi + 1, rows.late_lo, rows.late_hi + 1]
    around: list[tuple[I64, I64]] = []
    late = rows.late_lo <= rows.late_hi
    asked = DayBreaks(prep, cspec, rows.case, rows.birth_lo,
                      np.minimum(rows.birth_lo, np.where(late, rows.late_lo, rows.birth_lo)),
                      np.maximum(rows.birth_hi, np.where(late, rows.late_hi, rows.birth_hi)))
    for comparison in day_bound:
        assert comparison.pruning.day_breaks is not None  # (checked with day_level: see _day_bound)
        more, near = comparison.pruning.day_breaks(asked)
        days += more
        if near is not None:
            around.append(near)
    n_rows = rows.case.size
    row_ids = np.arange(n_rows, dtype=np.int64)
    out_row = [np.repeat(row_ids, len(days))]
    stacked = np.stack(days, axis=1)  # (rows, breaks)
    # runs of each row's segment: search within [run_a, run_b) by day
    out_run = [_run_at(index, rows, np.repeat(row_ids, len(days)), stacked.ravel())]
    for lo, hi in around:  # days [lo, hi) of a row where every day is its own stretch: levels there are subtle
        za = _run_at(index, rows, row_ids, lo)
        zb = _run_at(index, rows, row_ids, hi)
        length = np.maximum(zb - za, 0)
        out_row.append(np.repeat(row_ids, length))
        out_run.append(range_positions(za, length))
    out_row.append(row_ids)
    out_run.append(rows.run_a)
    return _distinct_in_windows(np.concatenate(out_row), np.concatenate(out_run), rows.run_a, rows.run_b)


def _distinct_in_windows(row: I64, run: I64, run_a: I64, run_b: I64) -> tuple[I64, I64]:
    """The distinct ``(row, run)`` with ``run`` in its row's window ``[run_a, run_b)``, sorted by row, then
    run. Each is marked in a table of the windows' runs, which is then read in order: linear in the
    windows' runs (a sort of the pairs, about as many, was not).

    >>> _distinct_in_windows(np.array([1, 0, 1, 0, 1]), np.array([7, 2, 5, 9, 7]), np.array([0, 5]),
    ...                      np.array([3, 8]))
    (array([0, 1, 1]), array([2, 5, 7]))
    """
    inside = (run >= run_a[row]) & (run < run_b[row])
    row, run = row[inside], run[inside]
    row_runs = np.maximum(run_b - run_a, 0)
    row_offset = np.cumsum(row_runs) - row_runs
    marked = np.zeros(int(row_runs.sum()), dtype=bool)
    marked[row_offset[row] + run - run_a[row]] = True
    at = np.flatnonzero(marked)
    out = np.repeat(np.arange(run_a.size, dtype=np.int64), row_runs)[at]
    out_run: I64 = at - row_offset[out] + run_a[out]
    return out, out_run


def _day_bound(spec: ComparisonSpec) -> list[Comparison]:
    """The comparisons of ``spec`` whose levels a candidate's birth day fixes."""
    out = [REGISTRY[name] for name in spec.comparisons if REGISTRY[name].pruning.day_level is not None]
    for comparison in out:
        if comparison.pruning.day_breaks is None:
            raise ConfigError(f"comparison {comparison.name}: day-bound levels need their day breaks")
    return out


def _run_at(index: CellIndex, rows: _Rows, row: I64, day: I64) -> I64:
    """The first run of each row's window on or after ``day`` (clipped to the window)."""
    found = np.searchsorted(index.run_key, day_key(rows.sex[row], day), "left")
    out: I64 = np.clip(found, rows.run_a[row], rows.run_b[row])
    return out


@dataclass(frozen=True, slots=True)
class _Cells:
    """Per cell: its case (position in the span), score, count and where its candidates lie."""

    local: I64
    score: F32
    count: I64
    run_a: I64
    run_b: I64
    cls: I64
    listed: B          # per cell: its candidates are listed in ``member_at`` (moved one by one)
    moved: I8          # per cell: the moved level of its candidates (-1: they keep their class's levels)
    member_at: I64     # the listed candidates ...
    member_local: I64  # ... their cases ...
    member_cell: I64   # ... and their cells (of a candidate that is a hit: any cell)
    levels: I8         # (comparisons, cells): every level of a cell's candidates


def _cells(prep: Prepared, model: FellegiSunter, index: CellIndex, rows: _Rows, hits: _Hits, moved_hit: B,
           bspec: BlockingSpec, first: int, limits: EngineLimits, *, scored: bool = True) -> _Cells:
    """The counted cells of a span's rows (``moved_hit``: per moved candidate of ``hits``, whether it is
    a hit too, :func:`_moved_hits`)."""
    c, spec = prep.cases, model.spec
    comparisons = [REGISTRY[name] for name in spec.comparisons]
    day_bound = _day_bound(spec)
    row, run = _breaks(prep, spec, rows, index, day_bound)
    case = rows.case[row]
    rep = index.run_start[run]
    pairs = Pairs.of(case, rep, len(c))
    day = index.run_day[run]
    day_levels = [comparison.pruning.day_level(prep, spec, pairs, day)  # type: ignore[misc]
                  for comparison in day_bound]
    window = np.where((day >= rows.birth_lo[row]) & (day <= rows.birth_hi[row]), 2,
                      np.where((day >= rows.late_lo[row]) & (day <= rows.late_hi[row]), 1, 0)).astype(np.int8)
    # stretches: consecutive runs of a row with equal day-bound levels
    if row.size:
        same = (row[1:] == row[:-1]) & (window[1:] == window[:-1])
        for levels_of_day in day_levels:
            same &= levels_of_day[1:] == levels_of_day[:-1]
        same = np.r_[False, same]
    else:
        same = np.zeros(0, dtype=bool)
    begin = np.flatnonzero(~same)
    s_row, s_a = row[begin], run[begin]
    s_b = np.r_[np.where(s_row[1:] == s_row[:-1], s_a[1:], rows.run_b[s_row[:-1]]), rows.run_b[s_row[-1:]]] \
        if begin.size else np.zeros(0, dtype=np.int64)
    # the stretches tile each row's runs: a dense map (row, run) -> stretch, then to the kept ones
    in_window = window[begin] > 0
    row_runs = np.maximum(rows.run_b - rows.run_a, 0)
    row_offset = np.cumsum(row_runs) - row_runs
    dense = np.repeat(np.cumsum(in_window) - 1, s_b - s_a)
    keep = begin[in_window]
    s_row, s_a, s_b = s_row[in_window], s_a[in_window], s_b[in_window]
    s_day = [levels_of_day[keep] for levels_of_day in day_levels]
    s_window = window[keep]
    counts = index.cum[s_b] - index.cum[s_a]
    counts[np.ix_(s_window == 1, ~index.is_late)] = 0
    n_classes = counts.shape[1]

    def cell_of(row: I64, at: I64) -> I64:
        stretch: I64 = dense[row_offset[row] + index.run_of[at] - rows.run_a[row]]
        cell: I64 = stretch * n_classes + index.cls[at]
        return cell

    # candidates that differ from their cell in one comparison's level alone (registered after the
    # loss) are counted in cells of (stretch, class, that level) of their own; the hits among them
    # (``moved_hit``) are counted once, as hits
    moves = next((m for m in (comparison.pruning.moves for comparison in comparisons) if m is not None), None)
    moved_levels = np.asarray(moves.levels if moves is not None else (), dtype=np.int8)
    n_moved = max(moved_levels.size, 1)
    moved_position = np.zeros(int(moved_levels.max()) + 1 if moved_levels.size else 1, dtype=np.int64)
    moved_position[moved_levels] = np.arange(moved_levels.size)
    hit_cell = cell_of(hits.row, hits.at)
    moved_cell = cell_of(hits.moved_row, hits.moved_at)
    # candidates counted as moved (registered late, after the loss) are counted in cells of their own
    # from the index's table: the hits among them are taken from those
    moving = counted_moves(spec)
    if moving is not None and index.move_classes.any():
        known, bands = _edge_bands(prep, spec, index, moving, rows.case)
        hit_level = _counted_level(index, moving, known, bands, hits.row, hits.at)
        counted_hit = hit_level >= 0
        counted_bin, counted_count = _counted_moved(
            index, moving, known, bands, s_row, s_a, s_b, counts,
            hit_cell[counted_hit] * n_moved + moved_position[hit_level[counted_hit]], n_moved, moved_position)
    else:
        counted_hit = np.zeros(hits.row.size, dtype=bool)
        counted_bin = counted_count = np.zeros(0, dtype=np.int64)
    # the listed candidates leave their cells; the moved hits among them were listed twice. (A bincount
    # as long as the counts table: linear, where sorting the listed candidates' cells was not.)
    table = counts.reshape(-1)  # (a view: ``counts`` was just made, C-ordered)
    table -= np.bincount(np.r_[hit_cell[~counted_hit], moved_cell], minlength=table.size).astype(np.int32)
    np.add.at(table, moved_cell[moved_hit], 1)
    flat = np.flatnonzero(counts > 0)
    cell, cls = np.divmod(flat, n_classes)
    count = counts.ravel()[flat].astype(np.int64)
    moved_bin = moved_cell * n_moved + moved_position[hits.moved_level]
    bins, by_level = _tally(moved_bin, moved_bin[moved_hit])
    moved_flat = bins[by_level > 0]
    # each moved candidate's cell among them (of a moved hit: any cell; see ``_Cells.member_cell``)
    member_cell = _at_or_before(moved_flat, moved_bin) + count.size
    extra = by_level[by_level > 0].astype(np.int64)
    cell = np.r_[cell, moved_flat // n_moved // n_classes, counted_bin // n_moved // n_classes]
    cls = np.r_[cls, moved_flat // n_moved % n_classes, counted_bin // n_moved % n_classes]
    moved = np.r_[np.full(count.size, -1, dtype=np.int8), moved_levels[moved_flat % n_moved],
                  moved_levels[counted_bin % n_moved]]
    listed = np.r_[np.zeros(count.size, dtype=bool), np.ones(extra.size, dtype=bool),
                   np.zeros(counted_bin.size, dtype=bool)]
    count = np.r_[count, extra, counted_count]
    cell_case = rows.case[s_row[cell]]
    facts = CellFacts(prep, spec, index, cell_case, cls, {
        comparison.name: levels_of_day[cell] for comparison, levels_of_day in zip(day_bound, s_day, strict=True)
    }, moved)
    levels = np.stack([np.asarray(comparison.pruning.cell_level(facts), dtype=np.int8) for comparison in comparisons]
                      ).reshape(len(comparisons), cell.size)
    kind = case_kinds(c, cell_case) if model.has_kinds else None
    score = (weights_of_levels(model, levels, kind, limits=limits) if scored
             else np.zeros(cell.size, dtype=np.float32))
    return _Cells(cell_case - first, score, count, s_a[cell], s_b[cell], cls.astype(np.int64), listed, moved,
                  hits.moved_at, rows.case[hits.moved_row] - first, member_cell, levels)


def _counted_moved(index: CellIndex, moving: CountedMoves, known: B, bands: list[I64], s_row: I64, s_a: I64,
                   s_b: I64, counts: npt.NDArray[np.int32], hit_bins: I64, n_moved: int,
                   moved_position: I64) -> tuple[I64, I64]:
    """The cells of counted moves (:class:`~reunite.matching.comparisons.base.CountedMoves`): per stretch
    and moving class, the candidates of the bands strictly between two edges of the case (or above the
    last), read from ``index.move_above``; they are taken from ``counts`` (stretches x classes), and the
    hits among them (``hit_bins``, each a cell's bin) from them. ``known``, ``bands``: per row
    (:func:`_edge_bands`). Returns each cell's bin ``(stretch * classes + class) * n_moved + position
    of its level`` (sorted) and count (those with any)."""
    classes = np.flatnonzero(index.move_classes)
    stretch, which = np.nonzero((counts[:, classes] > 0) & known[s_row][:, None])
    cls = classes[which]
    n_classes = counts.shape[1]
    width = index.move_above.shape[1]
    above_flat = index.move_above.reshape(-1)
    cum_flat = index.cum.reshape(-1)  # (flat indexes: one gather each, not a 2-D fancy index)
    offset = index.move_offset[cls]
    first = (offset + cum_flat[s_a[stretch] * n_classes + cls]) * width
    last = (offset + cum_flat[s_b[stretch] * n_classes + cls]) * width

    def above(band: I64) -> I64:  # the stretch's candidates of the class in a band above ``band``
        out: I64 = above_flat[last + band].astype(np.int64) - above_flat[first + band]
        return out

    edge_band = [b[s_row[stretch]] for b in bands]
    n_levels = len(moving.levels)
    got = np.zeros((stretch.size, n_levels), dtype=np.int64)
    position = moved_position[np.asarray(moving.levels, dtype=np.int64)]
    column = np.argsort(position)  # a cell's levels in the order of their bins
    for j in range(n_levels):
        count = above(edge_band[j])
        if j + 1 < n_levels:  # up to the band before the next edge's (none when one band holds both)
            after = edge_band[j + 1]
            count = np.where(after > edge_band[j], count - above(np.maximum(after - 1, 0)), 0)
        got[:, int(np.flatnonzero(column == j)[0])] = count
    cell = stretch * n_classes + cls  # sorted
    counts.reshape(-1)[cell] -= got.sum(axis=1).astype(np.int32)  # (a view: ``counts`` is C-ordered; cells distinct)
    key = (cell * n_moved)[:, None] + position[column][None, :]  # sorted, row-major
    some = got.ravel() > 0
    key, count = key.ravel()[some], got.ravel()[some]
    if hit_bins.size:  # every counted hit is in a cell counted here (its stretch's class had it)
        count = count - np.bincount(np.searchsorted(key, hit_bins), minlength=key.size)
    some = count > 0
    return key[some], count[some]


_TALLY_TABLE_PER_VALUE = 4  # a table of bins up to this many times the values tallied is cheaper than a sort


def _tally(added: I64, taken: I64) -> tuple[I64, I64]:
    """The distinct values of ``added`` and ``taken`` (sorted) and, per value, how often it is in
    ``added`` less how often in ``taken``: ``np.bincount(added) - np.bincount(taken)`` at the values
    present; by those bincounts when the values are dense, by a sort when they are few and far apart
    (a table as long as the largest value would cost more than they do).

    >>> _tally(np.array([5, 1, 5, 9]), np.array([5, 7]))          # bins: a table up to the largest value
    (array([1, 5, 7, 9]), array([ 1,  1, -1,  1]))
    >>> _tally(np.array([10**7, 3, 10**7]), np.array([10**7]))     # few values, far apart: a sort
    (array([       3, 10000000]), array([1, 1]))
    """
    both = np.r_[added, taken].astype(np.int64)
    if both.size and int(both.min()) >= 0 and int(both.max()) < _TALLY_TABLE_PER_VALUE * both.size + 1024:
        # a full screen lists more candidates than the table has cells: two bincounts are linear,
        # a sort of the values is not (a night lists few, and takes the sort below)
        top = int(both.max()) + 1
        plus = np.bincount(added.astype(np.int64), minlength=top)
        minus = np.bincount(taken.astype(np.int64), minlength=top)
        present = np.flatnonzero((plus + minus) > 0)
        difference: I64 = plus[present] - minus[present]
        return present, difference
    values, inverse = np.unique(both, return_inverse=True)
    inverse = inverse.reshape(-1)
    counted: I64 = (np.bincount(inverse[:added.size], minlength=values.size)
                    - np.bincount(inverse[added.size:], minlength=values.size))
    return values, counted


def _at_or_before(ordered: I64, values: I64) -> I64:
    """Per value, the position of the last of the sorted, distinct ``ordered`` that is not above it
    (-1: none): ``np.searchsorted(ordered, values, "right") - 1``, by a table of the
    running count when the values are many against the range (a binary search per value is not).

    >>> _at_or_before(np.array([2, 5, 9]), np.array([5, 0, 9, 7]))
    array([ 1, -1,  2,  1])
    >>> _at_or_before(np.array([2, 5, 10**7]), np.array([5, 0, 10**7]))
    array([ 1, -1,  2])
    >>> _at_or_before(np.array([2, 5]), np.array([-3, 6]))
    array([-1,  1])
    """
    top = int(values.max()) + 1 if values.size else 0
    if not values.size or top > _TALLY_TABLE_PER_VALUE * values.size + 1024 or int(values.min()) < 0 or (
            ordered.size and int(ordered[0]) < 0):
        found: I64 = np.searchsorted(ordered, values, "right") - 1
        return found
    present = np.zeros(top, dtype=np.int64)
    present[ordered[ordered < top]] = 1
    running: I64 = np.cumsum(present) - 1
    return running[values]


def _kth_best(local: I64, score: F32, count: I64, k: int, n_local: int) -> F32:
    """Per group, the k-th best score of items weighing ``count`` each (-inf: fewer than k)."""
    theta = np.full(n_local, -np.inf, dtype=np.float32)
    if not local.size:
        return theta
    order = np.lexsort((-score, local))
    local, score, count = local[order], score[order], count[order]
    total = np.cumsum(count)
    starts = np.flatnonzero(np.r_[True, local[1:] != local[:-1]])
    base = np.repeat(total[starts] - count[starts], np.diff(np.r_[starts, local.size]))
    reached = np.flatnonzero(total - base >= k)
    if reached.size:
        firsts = reached[np.r_[True, local[reached][1:] != local[reached][:-1]]]
        theta[local[firsts]] = score[firsts]
    return theta


def _thresholds(first_pass: ScoredPairs, cells: _Cells, k: int, n_local: int, first: int,
                limits: EngineLimits) -> F32:
    """Per case of the span, the k-th best score over the scored pairs and the cells (-inf: fewer).

    The scored pairs are first cut to a superset of each case's best k (:func:`survivors`); cells
    below the k-th best of those cannot move the k-th best of all.
    """
    local = first_pass.case - first
    rows = survivors(local, first_pass.score, k, limits=limits) if local.size else np.zeros(0, dtype=np.int64)
    local, score = local[rows], first_pass.score[rows]
    ones = np.ones(local.size, dtype=np.int64)
    scored_kth = _kth_best(local, score, ones, k, n_local)
    near = cells.score >= scored_kth[cells.local]
    return _kth_best(np.r_[local, cells.local[near]], np.r_[score, cells.score[near]].astype(np.float32),
                     np.r_[ones, cells.count[near]], k, n_local)


@dataclass(frozen=True, slots=True)
class _Span:
    """What a span of cases lists and counts before any pair is scored."""

    rows: _Rows
    hits: _Hits
    cells: _Cells
    hit_keys: I64       # ``case * n_candidates + candidate`` of every hit, DNA-excluded ones included (sorted)
    moved_keys: I64     # the same of every moved candidate (sorted)
    listed_case: I64    # the pairs compared one by one (the other passes' and the hits left after DNA
    listed_cand: I64    # exclusions), grouped by case
    chunk_pairs: int    # the other passes' pairs, DNA-excluded ones included


def _span(blocks: BlockPlan, model: FellegiSunter, index: CellIndex, first: int, last: int, excluded: I64 | None,
          limits: EngineLimits, *, scored: bool) -> _Span:
    """The rows, hits and cells of cases ``first .. last - 1`` and the pairs to compare one by one
    (cells scored with ``model``'s weights when ``scored``)."""
    prep, bspec = blocks.prep, blocks.spec
    n = len(prep.candidates)
    chunk = blocks.chunk(first, last, exact_windows=False)
    case, cand = chunk.without(excluded, n)
    rows = _rows(prep, bspec, index, first, last)
    hits = _hits(prep, model, index, rows, excluded, limits)
    moved_hit, moved_keys = _moved_hits(rows, hits, n)
    cells = _cells(prep, model, index, rows, hits, moved_hit, bspec, first, limits, scored=scored)
    hit_case, hit_cand = rows.case[hits.row], hits.at
    hit_keys = hit_case * n + hit_cand  # sorted: rows go by case, then by sex (positions ascend)
    if excluded is not None and excluded.size:
        keep = ~_member(hit_keys, excluded)
        hit_case, hit_cand = hit_case[keep], hit_cand[keep]
    listed_case, listed_cand = np.r_[case, hit_case], np.r_[cand, hit_cand]
    order = np.argsort(listed_case, kind="stable")
    return _Span(rows, hits, cells, hit_keys, moved_keys, listed_case[order], listed_cand[order], len(chunk))


def _moved_hits(rows: _Rows, hits: _Hits, n: int) -> tuple[B, I64]:
    """Per moved candidate of ``hits``, whether it is a hit too; and the sorted keys ``case * n +
    candidate`` of the moved candidates. The moved ones' keys by row (a few sorted runs, distinct) are
    looked up among the hits' (sorted, distinct) and sorted on their own, about a tenth as many as the
    hits: keys by row sort as keys by case do (rows go by case, then by sex, whose positions ascend)."""
    moved_by_row = hits.moved_row * n + hits.moved_at
    moved_hit = _member(moved_by_row, hits.row * n + hits.at)
    moved = np.argsort(moved_by_row, kind="stable")
    moved_keys: I64 = rows.case[hits.moved_row[moved]] * n + hits.moved_at[moved]
    return moved_hit, moved_keys


def score_span_pruned(
    blocks: BlockPlan, model: FellegiSunter, index: CellIndex, first: int, last: int, k: int,
    excluded: I64 | None = None, *, limits: EngineLimits = DEFAULT_LIMITS,
) -> tuple[ChunkResult, int]:
    """The exhaustive :func:`reunite.matching.score.score_chunk` result of cases ``first .. last - 1``,
    scoring only the pairs that can reach the top ``k`` (see the module doc); also the pairs scored.
    ``limits``: the engine's strategies (:class:`~reunite.matching.engine.EngineLimits`)."""
    prep = blocks.prep
    n = len(prep.candidates)
    span = _span(blocks, model, index, first, last, excluded, limits, scored=True)
    hits, cells, hit_keys = span.hits, span.cells, span.hit_keys
    n_local = last - first
    scored = score_pairs(prep, model, span.listed_case, span.listed_cand, limits=limits)
    cases = np.arange(first, last, dtype=np.int64)
    blocked = span.chunk_pairs + int(hits.row.size) + int(cells.count.sum())
    theta = _thresholds(scored, cells, k, n_local, first, limits)
    grown = cells.score >= theta[cells.local]
    if grown.any():  # cells that may reach the top k: their candidates are scored as well
        whole = np.flatnonzero(grown & ~cells.listed)
        begin, end = index.run_start[cells.run_a[whole]], index.run_stop[cells.run_b[whole] - 1]
        length = end - begin
        owner = np.repeat(np.arange(whole.size), length)  # (of ``whole``)
        at = range_positions(begin, length)
        mine = index.cls[at] == cells.cls[whole[owner]]
        owner, at = owner[mine], at[mine]
        moving = counted_moves(model.spec)
        if moving is not None:  # a class's cell holds those not counted as moved; a counted cell those moved so
            known, bands = _edge_bands(prep, model.spec, index, moving, cells.local[whole] + first)
            mine = _counted_level(index, moving, known, bands, owner, at) == cells.moved[whole[owner]]
            owner, at = owner[mine], at[mine]
        grown_case = cells.local[whole[owner]] + first
        key = grown_case * n + at
        taken = _member(key, hit_keys) | _member(key, span.moved_keys)
        grown_case, at = grown_case[~taken], at[~taken]
        members = np.flatnonzero(grown[cells.member_cell])
        member_case = cells.member_local[members] + first
        member_at = cells.member_at[members]
        fresh = ~_member(member_case * n + member_at, hit_keys)  # the moved hits are scored already
        grown_case = np.r_[grown_case, member_case[fresh]]
        at = np.r_[at, member_at[fresh]]
        order = np.argsort(grown_case, kind="stable")
        scored = scored.join(score_pairs(prep, model, grown_case[order], at[order], limits=limits))
    rest = ~grown
    unlisted = (np.bincount(cells.local[rest], weights=cells.count[rest], minlength=n_local).astype(np.int64),
                counted_factor_sums(cells.local[rest], cells.score[rest], cells.count[rest], n_local))
    result = rank_pairs(prep, model, cases, scored.case, scored.cand, k, blocked, unlisted, scored, limits=limits)
    return result, len(scored)


def compared_patterns(
    blocks: BlockPlan, model: FellegiSunter, index: CellIndex, first: int, last: int, excluded: I64 | None = None,
    limits: EngineLimits = DEFAULT_LIMITS,
) -> tuple[I64, I8, I64]:
    """The levels of every pair of cases ``first .. last - 1`` that :func:`score_span_pruned` compares,
    without scoring any: ``(case, levels, count)``, ``levels`` of shape (comparisons, rows). The pairs it
    lists come one by one (count 1), each counted cell as one row with its number of candidates. So
    the (case, levels) multiset is exactly that of comparing every blocked pair (DNA-excluded ones left
    out), at the cost of the hits: what a fit of m needs (:func:`reunite.matching.learn.all_case_patterns`).
    Only ``model.spec`` decides the levels; no weight is read. ``limits``: the engine's strategies.
    """
    prep = blocks.prep
    span = _span(blocks, model, index, first, last, excluded, limits, scored=False)
    listed_case, cells = span.listed_case, span.cells
    levels = compare_pairs(prep, model.spec, Pairs.of(listed_case, span.listed_cand, len(prep.cases)),
                           limits=limits)
    return (np.r_[listed_case, cells.local + first], np.concatenate([levels, cells.levels], axis=1),
            np.r_[np.ones(listed_case.size, dtype=np.int64), cells.count])


def _member(keys: I64, sorted_keys: I64) -> B:
    """Whether each key is among the sorted ``sorted_keys``."""
    at = np.searchsorted(sorted_keys, keys)
    out: B = at < sorted_keys.size
    out[out] = sorted_keys[at[out]] == keys[out]
    return out
