"""Comparison kernels: one level per field per pair, on whole arrays.

Every kernel takes aligned index arrays (``case``, ``cand``) and returns ``int8`` levels, ``-1``
where a value is missing on either side. Names are compared over every name of both records
(reported, childhood and former names) and the best level wins. String similarity of pinyin comes
from rapidfuzz's C++ kernels over each distinct pair of pinyin values, never per pair in Python.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt
from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler

from reunite._typing import I8, I32, I64, B
from reunite.matching.prepare import Prepared, Regions
from reunite.matching.spec import ComparisonName, ComparisonSpec

__all__ = ["compare", "pinyin_similar"]


_MATRIX_CELLS = 8_000_000


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
    if rows.size * cols.size <= _MATRIX_CELLS:
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


def _slot_rows(prep: Prepared, case: I64, cand: I64) -> Iterator[tuple[int, int, I64 | None]]:
    """For every name-slot pair (i, j), the pairs whose case has an i-th and candidate a j-th name.

    ``None`` stands for all pairs (when nearly all qualify, masks beat subsets). Most records have
    one or two names, so the later slots touch only the few pairs that have them.
    """
    names_a = prep.cases.n_names.take(case)
    names_b = prep.candidates.n_names.take(cand)
    for i in range(prep.cases.n_slots):
        with_i = np.flatnonzero(names_a > i) if i else None
        for j in range(prep.candidates.n_slots):
            if with_i is None:
                both = (names_a > 0) & (names_b > j)
                count = int(np.count_nonzero(both))
                rows = None if count > 0.6 * case.shape[0] else np.flatnonzero(both)
            else:
                rows = with_i[names_b.take(with_i) > j]
            if rows is None or rows.size:
                yield i, j, rows


def _given_levels_by_code(prep: Prepared, spec: ComparisonSpec, rows: I64) -> I8:
    """Given-name levels of the codes ``rows`` against every given-name code: (rows, codes).

    Levels depend only on the two names' characters, so a chunk's few distinct case names are
    compared once with every name, and each pair then reads its level from this small table.
    """
    readings = prep.given_readings
    py, alt, fuzzy = readings[:, 0], readings[:, 1], readings[:, 2]
    vocab = prep.pinyin_vocab
    scores = process.cdist(
        vocab[py[rows]], vocab, scorer=JaroWinkler.normalized_similarity,
        score_cutoff=spec.name_similarity, dtype=np.float32, workers=-1,
    )
    level = (scores >= np.float32(spec.name_similarity))[:, py].view(np.int8)
    level[fuzzy[rows][:, None] == fuzzy[None, :]] = 2
    r_py, r_alt = py[rows][:, None], alt[rows][:, None]
    level[(r_py == py) | (r_py == alt) | (r_alt == py) | (r_alt == alt)] = 3
    level[(r_py < 0) | (py < 0)[None, :]] = 0  # a name without a reading agrees only by its characters
    level[rows[:, None] == np.arange(py.shape[0])[None, :]] = 4
    return level


def _given_name(
    prep: Prepared, spec: ComparisonSpec, case: I64, cand: I64, value: I32 | None = None
) -> I8:
    """Best level over all name pairs; ``value`` receives the agreeing code for term-frequency
    adjustment: the given-name characters at level 4, the candidate's pinyin at level 3, else -1."""
    c, d = prep.cases, prep.candidates
    n_codes = prep.given_readings.shape[0]
    best = np.full(case.shape[0], -1, dtype=np.int8)
    if case.size == 0 or n_codes == 0:
        return best
    # The chunk's case names (every slot), compared once with every name when that table is small.
    case_codes = c.given[_dense_codes(case, len(c))[0]].ravel()
    codes = _dense_codes(case_codes[case_codes >= 0], n_codes)[0]
    table: I8 | None = None
    row_of_code = np.full(n_codes, 0, dtype=np.int64)
    if codes.size and codes.size * n_codes <= max(_MATRIX_CELLS, 4 * case.shape[0]):
        table = _given_levels_by_code(prep, spec, codes).ravel()
        row_of_code[codes] = np.arange(codes.size, dtype=np.int64) * n_codes
    for i, j, rows in _slot_rows(prep, case, cand):
        ci, dj = (case, cand) if rows is None else (case[rows], cand[rows])
        ga, gb = c.given[:, i].take(ci), d.given[:, j].take(dj)
        if table is not None:
            level = table.take(row_of_code.take(np.maximum(ga, 0)) + np.maximum(gb, 0))
        else:
            level = _given_levels_per_pair(prep, spec, ga, gb)
        level[(ga < 0) | (gb < 0)] = -1  # a slot may hold a surname only
        target = best if rows is None else best[rows]
        if value is not None:
            improved = np.flatnonzero(level > target)
            # the candidate's own value: term frequencies count candidates' primary readings
            lv, gb_improved = level[improved], np.maximum(gb[improved], 0)
            code = np.where(lv == 4, gb_improved, np.where(lv == 3, prep.given_readings[gb_improved, 0], -1))
            value[improved if rows is None else rows[improved]] = code
        if rows is None:
            np.maximum(best, level, out=best)
        else:
            best[rows] = np.maximum(target, level)
    return best


def _given_levels_per_pair(prep: Prepared, spec: ComparisonSpec, ga: I32, gb: I32) -> I8:
    """Given-name levels pair by pair (chunks with very many distinct case names)."""
    readings = prep.given_readings
    a, b = readings[np.maximum(ga, 0)], readings[np.maximum(gb, 0)]
    pa, aa, pb, ab = a[:, 0], a[:, 1], b[:, 0], b[:, 1]
    level = pinyin_similar(prep, pa, pb, spec.name_similarity).view(np.int8)
    level[a[:, 2] == b[:, 2]] = 2
    level[(pa == pb) | (pa == ab) | (aa == pb) | (aa == ab)] = 3
    level[(pa < 0) | (pb < 0)] = 0  # a name without a reading agrees only by its characters
    level[ga == gb] = 4
    return level


def _surname(prep: Prepared, case: I64, cand: I64, value: I32 | None = None) -> I8:
    """Best level over all name pairs; ``value`` receives the agreeing surname code at level 2, else -1."""
    c, d = prep.cases, prep.candidates
    best = np.full(case.shape[0], -1, dtype=np.int8)
    for i, j, rows in _slot_rows(prep, case, cand):
        ci, dj = (case, cand) if rows is None else (case[rows], cand[rows])
        sa, sb = c.surname[:, i].take(ci), d.surname[:, j].take(dj)
        level = (c.surname_py[:, i].take(ci) == d.surname_py[:, j].take(dj)).view(np.int8).copy()
        level[sa == sb] = 2
        level[(sa < 0) | (sb < 0)] = -1  # a childhood name has no surname
        target = best if rows is None else best[rows]
        if value is not None:
            improved = level > target
            code = np.where(level == 2, sa, -1)
            value[improved.nonzero()[0] if rows is None else rows[improved]] = code[improved]
        if rows is None:
            np.maximum(best, level, out=best)
        else:
            best[rows] = np.maximum(target, level)
    return best


def _bands(values: npt.NDArray[np.int32], upper_edges: tuple[int, ...]) -> I8:
    """How many of the increasing ``upper_edges`` lie below each value: 0 if value <= edges[0]."""
    return np.searchsorted(np.asarray(upper_edges, dtype=values.dtype), values, side="left").astype(np.int8)


def _birth(prep: Prepared, spec: ComparisonSpec, case: I64, cand: I64) -> I8:
    c, d = prep.cases, prep.candidates
    a_lo, a_hi, b_lo, b_hi = c.birth_lo.take(case), c.birth_hi.take(case), d.birth_lo.take(cand), d.birth_hi.take(cand)
    gap = np.maximum(a_lo, b_lo) - np.minimum(a_hi, b_hi)
    level = np.int8(4) - _bands(gap, (spec.birth_month_days, *spec.birth_band_days))
    to_the_day = (a_lo == a_hi) & (b_lo == b_hi)
    level[to_the_day & (np.abs(a_lo - b_lo) <= spec.same_day_days)] = 5
    level[~(c.birth_known.take(case) & d.birth_known.take(cand))] = -1
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
    level[(regions.level[a] == 0) | (regions.level[b] == 0)] = -1
    return level


def _region(prep: Prepared, spec: ComparisonSpec, case: I64, cand: I64) -> I8:
    regions = prep.regions
    ra, rb = prep.cases.region_id.take(case), prep.candidates.region_id.take(cand)
    places, row_of = _dense_codes(ra, len(regions))
    if places.size * len(regions) <= max(_MATRIX_CELLS, 4 * case.shape[0]):
        # the chunk's few case places against every place, then one lookup per pair
        table = _region_levels(regions, spec, places[:, None], np.arange(len(regions))[None, :]).ravel()
        level = table.take(row_of * len(regions) + rb)
    else:
        level = _region_levels(regions, spec, ra, rb)
    # The county coded in a valid ID (registration county at issue) is evidence too.
    id_county = prep.candidates.id_county.take(cand)
    level[(id_county > 0) & (id_county == regions.county.take(ra))] = 4
    return level


def _registration(prep: Prepared, spec: ComparisonSpec, case: I64, cand: I64) -> I8:
    c, d = prep.cases, prep.candidates
    registered = d.event_lo.take(cand)
    delay = registered - d.birth_hi.take(cand)
    late, years_late = spec.late_registration_days
    level = _bands(delay + 1, (late, years_late))  # 0 on time, 1 late, 2 years late
    after_missing = c.event_known.take(case) & (registered > c.event_hi.take(case)) & (delay >= late)
    level[after_missing] = 3
    level[~(d.event_known[cand] & d.birth_known[cand])] = -1
    return level


def _timeline(prep: Prepared, spec: ComparisonSpec, case: I64, cand: I64) -> I8:
    c, d = prep.cases, prep.candidates
    after = d.birth_lo.take(cand) - c.event_hi.take(case)
    level = np.int8(2) - _bands(after, (0, spec.timeline_grace_days))
    level[~(c.event_known[case] & d.birth_known[cand])] = -1
    return level


def _marks(prep: Prepared, case: I64, cand: I64) -> I8:
    a, b = prep.cases.marks[case], prep.candidates.marks[cand]
    level = np.full(case.shape[0], -1, dtype=np.int8)
    rows = np.flatnonzero((a != 0) & (b != 0))
    if rows.size == 0:
        return level
    shared = np.bitwise_count(a[rows] & b[rows]).astype(np.float32)
    union = np.bitwise_count(a[rows] | b[rows]).astype(np.float32)
    jaccard = shared / union
    level[rows] = np.select([jaccard >= 0.5, jaccard >= 0.25, shared > 0], [3, 2, 1], default=0)
    return level


def compare_one(
    prep: Prepared, spec: ComparisonSpec, name: ComparisonName, case: I64, cand: I64,
    value: I32 | None = None,
) -> I8:
    """Levels of one comparison for aligned pairs (``value``: see the name kernels)."""
    if name == "given_name":
        return _given_name(prep, spec, case, cand, value)
    if name == "surname":
        return _surname(prep, case, cand, value)
    if name == "birth":
        return _birth(prep, spec, case, cand)
    if name == "region":
        return _region(prep, spec, case, cand)
    if name == "registration":
        return _registration(prep, spec, case, cand)
    if name == "timeline":
        return _timeline(prep, spec, case, cand)
    return _marks(prep, case, cand)


def compare(
    prep: Prepared, spec: ComparisonSpec, case: I64, cand: I64,
    values: dict[str, I32] | None = None,
) -> I8:
    """Levels of every comparison of ``spec``: an ``int8`` array of shape (comparisons, pairs).

    With ``values`` (a dict), the agreeing given-name and surname codes are stored in it under the
    comparison's name (``-1`` where the level is not an agreement), for term-frequency adjustment.
    """
    out = np.empty((len(spec.comparisons), case.shape[0]), dtype=np.int8)
    for k, name in enumerate(spec.comparisons):
        value = None
        if values is not None and name in ("given_name", "surname"):
            value = values[name] = np.full(case.shape[0], -1, dtype=np.int32)
        out[k] = compare_one(prep, spec, name, case, cand, value)
    return out
