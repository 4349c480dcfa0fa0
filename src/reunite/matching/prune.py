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
case's loss and nothing else differ from their cell in the registration level alone: they are counted
in cells of their own (one per level).

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

from reunite._typing import F32, I8, I32, I64, B
from reunite.matching.blocking import _COMPATIBLE, BlockPlan, case_birth_interval, range_positions
from reunite.matching.cells import CellIndex, counted_factor_sums, day_key, distinct, distinct_inverse
from reunite.matching.compare import (
    Pairs,
    _case_given_levels,
    _case_place_table,
    _region_levels,
    _surname_levels_by_code,
    _vague_place_table,
    birth_levels,
    timeline_levels,
)
from reunite.matching.kinds import case_kinds
from reunite.matching.model import FellegiSunter
from reunite.matching.prepare import Prepared
from reunite.matching.rank import survivors
from reunite.matching.routes import route_levels
from reunite.matching.score import ChunkResult, ScoredPairs, rank_pairs, score_pairs, weights_of_levels
from reunite.matching.spec import BlockingSpec, ComparisonSpec

__all__ = ["prunable", "score_span_pruned"]

# Around a case's birth (and its lunar reading) levels are read day by day: a 1 January written for
# "that year" agrees with a birth up to a year and a month later (birth level 4), a lunar or a
# same-day reading lies within a month. Beyond this margin the birth level follows its band edges.
_NEAR_DAYS = 370


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


def _strong_codes(levels_of: Callable[[I64], I8], row_codes: tuple[I64, I64]) -> tuple[I64, I64]:
    """(row, code) for every code whose level against a row's code is at least 1."""
    row, code = row_codes
    if not code.size:
        return row, code
    seen, inverse = distinct_inverse(code)
    return _through(row, inverse, levels_of(seen) >= 1)


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
    and those registered after the case's loss (``moved_*``, hits among them too: those that are no hit
    differ from their cell in the registration level alone, and are counted in cells of their own)."""

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


def _hits(prep: Prepared, model: FellegiSunter, index: CellIndex, rows: _Rows, excluded: I64 | None) -> _Hits:
    """The candidates of the rows' windows whose levels the cells cannot give (see :class:`_Hits`)."""
    c, d, n = prep.cases, prep.candidates, len(prep.candidates)
    spec = model.spec
    r = np.arange(rows.case.size, dtype=np.int64)
    # positions of the birth window, and of the late window on either side of it (late candidates only)
    pa, pb = _positions(index, rows.birth_a, rows.birth_b)
    la, lb = _positions(index, rows.run_a, rows.run_b)
    pa, pb = np.where(pa < pb, pa, la), np.where(pa < pb, pb, la)
    spans = ((pa, pb, False), (la, pa, True), (pb, lb, True))
    found: list[tuple[I64, I64]] = []

    def add_codes(name: str, row_codes: tuple[I64, I64]) -> None:
        row, code = row_codes
        if row.size:
            for lo, hi, late in spans:
                postings = index.late_postings[name] if late else getattr(index, f"{name}_postings")
                found.append(_expand_postings(postings, row, code, lo[row], hi[row], n))

    def add_sorted(name: str, row: I64) -> list[tuple[I64, I64]]:
        out = []
        for lo, hi, late in spans:
            positions = index.late_postings[name] if late else getattr(index, name)
            out.append(_expand_sorted(positions, row, lo[row], hi[row]))
        return out

    comparisons = spec.comparisons
    if "given_name" in comparisons and prep.given_readings.shape[0]:
        add_codes("given", _strong_codes(
            lambda codes: _case_given_levels(prep, spec, codes), _code_pairs(r, c.given[rows.case])))
    if "surname" in comparisons and prep.surname_readings.shape[0]:
        add_codes("surname", _strong_codes(
            lambda codes: _surname_levels_by_code(prep, codes), _code_pairs(r, c.surname[rows.case])))
    places = c.region_id[rows.case].astype(np.int64)
    if "region" in comparisons or "vague_place" in comparisons:
        tables = []  # (table, row of a case place, whether level 1 is a hit)
        if "region" in comparisons:
            tables.append((*prep.memo.get(("case_place_levels", spec.nearby_km), lambda: _case_place_table(
                prep, lambda g, a, b: _region_levels(g, spec, a, b))), True))
        if "vague_place" in comparisons:
            tables.append((*prep.memo.get(("vague_place_levels",), lambda: _case_place_table(
                prep, _vague_place_table)), False))
        for table, row_of, nearby in tables:
            seen, inverse = distinct_inverse(places)
            # the province levels (region 2, vague_place 1 or 2) follow from the candidate's province,
            # which its class holds: only the city, the county and (region) nearby places are hits
            found_levels = table[row_of[seen]]
            hit = (found_levels >= 3) | ((found_levels == 1) & nearby)
            add_codes("place", _through(r, inverse, hit))
        if "region" in comparisons and index.id_county_codes.size:
            county = prep.regions.county[places].astype(np.int64)
            at = np.searchsorted(index.id_county_codes, county)
            ok = (county > 0) & (at < index.id_county_codes.size)
            ok[ok] = index.id_county_codes[at[ok]] == county[ok]
            add_codes("id_county", (r[ok], at[ok].astype(np.int64)))
    if "birth_monthday" in comparisons:
        md = c.birth_md[rows.case].astype(np.int64)
        add_codes("birthday", (r[md >= 0], md[md >= 0]))
    if "registration" in comparisons:
        late_found = add_sorted("registered_late", r[c.event_known[rows.case]])
        row = np.concatenate([f[0] for f in late_found])
        at = np.concatenate([f[1] for f in late_found])
        lost = c.event_hi[rows.case[row]].astype(np.int64)
        registered = d.event_lo[at].astype(np.int64)
        after = registered > lost
        moved_row, moved_at = row[after], at[after]
        moved_level = np.where(registered[after] - lost[after] <= spec.registration_soon_days, 4, 3).astype(np.int8)
    else:
        moved_row = moved_at = np.zeros(0, dtype=np.int64)
        moved_level = np.zeros(0, dtype=np.int8)
    if "marks" in comparisons:
        found.extend(add_sorted("marked", r[c.marks[rows.case] != 0]))
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
    return _Hits(row, at, moved_row, moved_at, moved_level)


def _breaks(prep: Prepared, cspec: ComparisonSpec, rows: _Rows, index: CellIndex) -> tuple[I64, I64]:
    """Sorted run indexes where a row's stretches of equal day-bound levels may change: (row, run)."""
    c = prep.cases
    case = rows.case
    a_lo, a_hi = c.birth_lo[case].astype(np.int64), c.birth_hi[case].astype(np.int64)
    known = c.birth_known[case]
    days: list[I64] = [rows.birth_lo, rows.birth_hi + 1, rows.late_lo, rows.late_hi + 1]
    for edge in (cspec.birth_month_days, *cspec.birth_band_days):
        days += [np.where(known, a_lo - edge, rows.birth_lo), np.where(known, a_hi + edge + 1, rows.birth_lo)]
    gap = cspec.birthday_min_gap_days
    days += [np.where(known, a_lo - gap + 1, rows.birth_lo), np.where(known, a_lo + gap, rows.birth_lo)]
    event = c.event_hi[case].astype(np.int64)
    ev = c.event_known[case]
    days += [np.where(ev, event + 1, rows.birth_lo), np.where(ev, event + cspec.timeline_grace_days + 1, rows.birth_lo)]
    n_rows = case.size
    row_ids = np.arange(n_rows, dtype=np.int64)
    out_row = [np.repeat(row_ids, len(days))]
    stacked = np.stack(days, axis=1)  # (rows, breaks)
    # runs of each row's segment: search within [run_a, run_b) by day
    out_run = [_run_at(index, rows, np.repeat(row_ids, len(days)), stacked.ravel())]
    # around the birth (and its lunar reading) every day is its own stretch: levels there are subtle
    near = _NEAR_DAYS + 2 * cspec.birth_month_days
    near_lo = np.minimum(a_lo, np.where(c.alt_known[case], c.alt_lo[case], a_lo)) - near
    near_hi = np.maximum.reduce([a_hi, c.round_hi[case].astype(np.int64),
                                 np.where(c.alt_known[case], c.alt_hi[case], a_hi)]) + near
    za = _run_at(index, rows, row_ids, np.where(known, near_lo, 0))
    zb = _run_at(index, rows, row_ids, np.where(known, near_hi + 1, 0))
    zb = np.where(known, zb, za)
    length = np.maximum(zb - za, 0)
    out_row.append(np.repeat(row_ids, length))
    out_run.append(range_positions(za, length))
    out_row.append(row_ids)
    out_run.append(rows.run_a)
    row = np.concatenate(out_row)
    run = np.concatenate(out_run)
    inside = (run >= rows.run_a[row]) & (run < rows.run_b[row])
    width = int(index.run_start.size) + 1
    key = np.sort(row[inside] * width + run[inside])
    key = key[np.r_[True, key[1:] != key[:-1]]] if key.size else key
    return key // width, key % width


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
    listed: B          # per cell: its candidates are listed in ``member_at`` (registered after the loss)
    member_at: I64     # the listed candidates ...
    member_local: I64  # ... their cases ...
    member_cell: I64   # ... and their cells (of a candidate that is a hit: any cell)


def _cells(prep: Prepared, model: FellegiSunter, index: CellIndex, rows: _Rows, hits: _Hits,
           bspec: BlockingSpec, first: int) -> _Cells:
    c, spec, regions = prep.cases, model.spec, prep.regions
    row, run = _breaks(prep, spec, rows, index)
    case = rows.case[row]
    rep = index.run_start[run]
    pairs = Pairs.of(case, rep, len(c))
    birth = birth_levels(prep, spec, pairs) if "birth" in spec.comparisons else np.zeros(case.size, np.int8)
    timeline = timeline_levels(prep, spec, pairs) if "timeline" in spec.comparisons else np.zeros(case.size, np.int8)
    day = index.run_day[run]
    far = np.abs(c.birth_lo[case].astype(np.int64) - day) >= spec.birthday_min_gap_days
    window = np.where((day >= rows.birth_lo[row]) & (day <= rows.birth_hi[row]), 2,
                      np.where((day >= rows.late_lo[row]) & (day <= rows.late_hi[row]), 1, 0)).astype(np.int8)
    # stretches: consecutive runs of a row with equal day-bound levels
    same = np.r_[False, (row[1:] == row[:-1]) & (birth[1:] == birth[:-1]) & (timeline[1:] == timeline[:-1])
                 & (far[1:] == far[:-1]) & (window[1:] == window[:-1])] if row.size else np.zeros(0, dtype=bool)
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
    s_birth, s_timeline, s_far, s_window = birth[keep], timeline[keep], far[keep], window[keep]
    counts = index.cum[s_b] - index.cum[s_a]
    counts[np.ix_(s_window == 1, ~index.is_late)] = 0
    n_classes = counts.shape[1]

    def cell_of(row: I64, at: I64) -> I64:
        stretch: I64 = dense[row_offset[row] + index.run_of[at] - rows.run_a[row]]
        cell: I64 = stretch * n_classes + index.cls[at]
        return cell

    # the hits registered after the loss are among the moved candidates: counted once, as hits
    registered = prep.candidates.event_lo[hits.at].astype(np.int64)
    lost = c.event_hi[rows.case[hits.row]].astype(np.int64)
    moved_hit = (index.delay_level[index.cls[hits.at]] >= 1) & c.event_known[rows.case[hits.row]] & (
        registered > lost) & ("registration" in spec.comparisons)
    hit_cell = cell_of(hits.row, hits.at)
    moved_cell = cell_of(hits.moved_row, hits.moved_at)
    # (the counts table has a cell per stretch and class, far more than the listed candidates: the
    # listed ones are tallied over the cells they touch, not over the whole table)
    touched, taken = _tally(np.r_[hit_cell, moved_cell], hit_cell[moved_hit])
    counts.reshape(-1)[touched] -= taken.astype(np.int32)  # (a view: ``counts`` was just made, C-ordered)
    flat = np.flatnonzero(counts > 0)
    cell, cls = np.divmod(flat, n_classes)
    count = counts.ravel()[flat].astype(np.int64)
    registration = np.full(cell.size, -9, dtype=np.int8)  # -9: the class's level
    # candidates registered after the loss: cells of (stretch, class, registration level) of their own
    hit_level = np.where(registered - lost <= spec.registration_soon_days, 1, 0)
    moved_bin = moved_cell * 2 + (hits.moved_level - 3)
    bins, by_level = _tally(moved_bin, hit_cell[moved_hit] * 2 + hit_level[moved_hit])
    moved_flat = bins[by_level > 0]
    # each moved candidate's cell among them (of a moved hit: any cell; see ``_Cells.member_cell``)
    member_cell = _at_or_before(moved_flat, moved_bin) + count.size
    extra = by_level[by_level > 0].astype(np.int64)
    cell = np.r_[cell, moved_flat // 2 // n_classes]
    cls = np.r_[cls, moved_flat // 2 % n_classes]
    registration = np.r_[registration, (moved_flat % 2 + 3).astype(np.int8)]
    listed = np.r_[np.zeros(count.size, dtype=bool), np.ones(extra.size, dtype=bool)]
    count = np.r_[count, extra]
    cell_row = s_row[cell]
    cell_case = rows.case[cell_row]
    place = c.region_id[cell_case]
    case_province = regions.province[place].astype(np.int64) // 10_000
    same_province = ((case_province > 0) & (case_province == index.province[cls])).astype(np.int64)
    named: B = np.any(c.given[rows.case] >= 0, axis=1)
    surnamed: B = np.any(c.surname[rows.case] >= 0, axis=1)
    named, surnamed = named[cell_row], surnamed[cell_row]
    level_of = {
        "given_name": np.where(named & index.has_given[cls], 0, -1),
        "surname": np.where(surnamed & index.has_surname[cls], 0, -1),
        "birth": s_birth[cell],
        "birth_monthday": np.where((c.birth_md[cell_case] >= 0) & index.birthday_known[cls] & s_far[cell], 0, -1),
        "region": np.where((regions.level[place] >= 3) & index.place_known[cls],
                           2 * same_province, -1),
        "vague_place": np.where((regions.level[place] % 3 > 0) & index.place_known[cls],
                                np.where(regions.level[place] == 2, 1, 2) * same_province, -1),
        "route": route_levels(spec.route_shares)[regions.province[place].astype(np.int64) // 10_000,
                                                 index.province[cls]],
        "registration": np.where(registration >= 0, registration, index.delay_level[cls]),
        "timeline": s_timeline[cell],
        "marks": np.full(cell.size, -1),
    }
    levels = np.stack([np.asarray(level_of[name], dtype=np.int8) for name in spec.comparisons]).reshape(
        len(spec.comparisons), cell.size)
    kind = case_kinds(c, cell_case) if model.has_kinds else None
    score = weights_of_levels(model, levels, kind)
    return _Cells(cell_case - first, score, count, s_a[cell], s_b[cell], cls.astype(np.int64), listed,
                  hits.moved_at, rows.case[hits.moved_row] - first, member_cell)


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


def _thresholds(first_pass: ScoredPairs, cells: _Cells, k: int, n_local: int, first: int) -> F32:
    """Per case of the span, the k-th best score over the scored pairs and the cells (-inf: fewer).

    The scored pairs are first cut to a superset of each case's best k (:func:`survivors`); cells
    below the k-th best of those cannot move the k-th best of all.
    """
    local = first_pass.case - first
    rows = survivors(local, first_pass.score, k) if local.size else np.zeros(0, dtype=np.int64)
    local, score = local[rows], first_pass.score[rows]
    ones = np.ones(local.size, dtype=np.int64)
    scored_kth = _kth_best(local, score, ones, k, n_local)
    near = cells.score >= scored_kth[cells.local]
    return _kth_best(np.r_[local, cells.local[near]], np.r_[score, cells.score[near]].astype(np.float32),
                     np.r_[ones, cells.count[near]], k, n_local)


def score_span_pruned(
    blocks: BlockPlan, model: FellegiSunter, index: CellIndex, first: int, last: int, k: int,
    excluded: I64 | None = None,
) -> tuple[ChunkResult, int]:
    """The exhaustive :func:`reunite.matching.score.score_chunk` result of cases ``first .. last - 1``,
    scoring only the pairs that can reach the top ``k`` (see the module doc); also the pairs scored."""
    prep, bspec = blocks.prep, blocks.spec
    n = len(prep.candidates)
    chunk = blocks.chunk(first, last, exact_windows=False)
    case, cand = chunk.without(excluded, n)
    rows = _rows(prep, bspec, index, first, last)
    hits = _hits(prep, model, index, rows, excluded)
    cells = _cells(prep, model, index, rows, hits, bspec, first)
    hit_case, hit_cand = rows.case[hits.row], hits.at
    in_windows = int(hit_case.size) + int(cells.count.sum())
    hit_keys = hit_case * n + hit_cand  # sorted: rows go by case, then by sex (positions ascend)
    moved_keys = np.sort(rows.case[hits.moved_row] * n + hits.moved_at, kind="stable")  # three sorted runs
    if excluded is not None and excluded.size:
        keep = ~_member(hit_keys, excluded)
        hit_case, hit_cand = hit_case[keep], hit_cand[keep]
    n_local = last - first
    listed_case, listed_cand = np.r_[case, hit_case], np.r_[cand, hit_cand]
    order = np.argsort(listed_case, kind="stable")
    scored = score_pairs(prep, model, listed_case[order], listed_cand[order])
    cases = np.arange(first, last, dtype=np.int64)
    blocked = len(chunk) + in_windows
    theta = _thresholds(scored, cells, k, n_local, first)
    grown = cells.score >= theta[cells.local]
    if grown.any():  # cells that may reach the top k: their candidates are scored as well
        whole = grown & ~cells.listed
        begin, end = index.run_start[cells.run_a[whole]], index.run_stop[cells.run_b[whole] - 1]
        length = end - begin
        owner = np.repeat(np.flatnonzero(whole), length)
        at = range_positions(begin, length)
        mine = index.cls[at] == cells.cls[owner]
        owner, at = owner[mine], at[mine]
        grown_case = cells.local[owner] + first
        key = grown_case * n + at
        taken = _member(key, hit_keys) | _member(key, moved_keys)
        grown_case, at = grown_case[~taken], at[~taken]
        members = np.flatnonzero(grown[cells.member_cell])
        member_case = cells.member_local[members] + first
        member_at = cells.member_at[members]
        fresh = ~_member(member_case * n + member_at, hit_keys)  # the moved hits are scored already
        grown_case = np.r_[grown_case, member_case[fresh]]
        at = np.r_[at, member_at[fresh]]
        order = np.argsort(grown_case, kind="stable")
        scored = scored.join(score_pairs(prep, model, grown_case[order], at[order]))
    rest = ~grown
    unlisted = (np.bincount(cells.local[rest], weights=cells.count[rest], minlength=n_local).astype(np.int64),
                counted_factor_sums(cells.local[rest], cells.score[rest], cells.count[rest], n_local))
    result = rank_pairs(prep, model, cases, scored.case, scored.cand, k, blocked, unlisted, scored)
    return result, len(scored)


def _member(keys: I64, sorted_keys: I64) -> B:
    """Whether each key is among the sorted ``sorted_keys``."""
    at = np.searchsorted(sorted_keys, keys)
    out: B = at < sorted_keys.size
    out[out] = sorted_keys[at[out]] == keys[out]
    return out
