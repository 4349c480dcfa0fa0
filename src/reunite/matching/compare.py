"""Comparison kernels: one level per field per pair, on whole arrays.

Every kernel takes aligned index arrays (``case``, ``cand``) and returns ``int8`` levels, ``-1``
where a value is missing on either side. Names are compared over every name of both records
(reported, childhood and former names) and the best level wins. String similarity of pinyin comes
from rapidfuzz's C++ kernels over each distinct pair of pinyin values, never per pair in Python.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler

from reunite.matching.prepare import Prepared
from reunite.matching.spec import ComparisonName, ComparisonSpec

__all__ = ["compare", "pinyin_similar"]

I8 = npt.NDArray[np.int8]
I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

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


def _dense_codes(codes: I32, size: int) -> tuple[I64, I64]:
    """The distinct codes (sorted) and each element's position among them: np.unique without a sort."""
    present = np.zeros(size, dtype=bool)
    present[codes] = True
    distinct = np.flatnonzero(present)
    position = np.cumsum(present, dtype=np.int64) - 1
    return distinct, position[codes]


def _slot_pairs(n_a: int, n_b: int) -> list[tuple[int, int]]:
    return [(i, j) for i in range(n_a) for j in range(n_b)]


def _given_name(
    prep: Prepared, spec: ComparisonSpec, case: I64, cand: I64, value: I32 | None = None
) -> I8:
    """Best level over all name pairs; ``value`` receives the agreeing code for term-frequency
    adjustment: the given-name characters at level 4, the candidate's pinyin at level 3, else -1."""
    c, d = prep.cases, prep.candidates
    best = np.full(case.shape[0], -1, dtype=np.int8)
    for i, j in _slot_pairs(c.n_slots, d.n_slots):
        ga, gb = c.given[:, i].take(case), d.given[:, j].take(cand)
        rows = _both_known(ga, gb)
        if rows is not None:
            if rows.size == 0:
                continue
            ci, dj, ga, gb = case[rows], cand[rows], ga[rows], gb[rows]
        else:
            ci, dj = case, cand
        pa, pb = c.given_py[:, i].take(ci), d.given_py[:, j].take(dj)
        aa, ab = c.given_py_alt[:, i].take(ci), d.given_py_alt[:, j].take(dj)
        level = pinyin_similar(prep, pa, pb, spec.name_similarity).view(np.int8)
        level[c.given_fuzzy[:, i].take(ci) == d.given_fuzzy[:, j].take(dj)] = 2
        same_alt = (pa == ab) | (aa == pb) | (aa == ab)
        level[(pa == pb) | same_alt] = 3
        level[ga == gb] = 4
        if rows is None:
            level[(ga < 0) | (gb < 0)] = -1
        target = best if rows is None else best[rows]
        if value is not None:
            improved = level > target
            # the candidate's own value: term frequencies count candidates' primary readings
            code = np.where(level == 4, ga, np.where(level == 3, pb, -1))
            value[improved.nonzero()[0] if rows is None else rows[improved]] = code[improved]
        if rows is None:
            np.maximum(best, level, out=best)
        else:
            best[rows] = np.maximum(target, level)
    return best


def _both_known(a: I32, b: I32) -> I64 | None:
    """Rows where both codes are present, or None when nearly all are (then masks beat subsets)."""
    both = (a >= 0) & (b >= 0)
    count = int(np.count_nonzero(both))
    if count > 0.6 * both.shape[0]:
        return None
    return np.flatnonzero(both)


def _surname(prep: Prepared, case: I64, cand: I64, value: I32 | None = None) -> I8:
    """Best level over all name pairs; ``value`` receives the agreeing surname code at level 2, else -1."""
    c, d = prep.cases, prep.candidates
    best = np.full(case.shape[0], -1, dtype=np.int8)
    for i, j in _slot_pairs(c.n_slots, d.n_slots):
        sa, sb = c.surname[:, i].take(case), d.surname[:, j].take(cand)
        rows = _both_known(sa, sb)
        if rows is not None:
            if rows.size == 0:
                continue
            ci, dj, sa, sb = case[rows], cand[rows], sa[rows], sb[rows]
        else:
            ci, dj = case, cand
        level = (c.surname_py[:, i].take(ci) == d.surname_py[:, j].take(dj)).view(np.int8).copy()
        level[sa == sb] = 2
        if rows is None:
            level[(sa < 0) | (sb < 0)] = -1
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


def _birth(prep: Prepared, spec: ComparisonSpec, case: I64, cand: I64) -> I8:
    c, d = prep.cases, prep.candidates
    gap = np.maximum(c.birth_lo[case], d.birth_lo[cand]) - np.minimum(c.birth_hi[case], d.birth_hi[cand])
    b1, b2, b3 = spec.birth_band_days
    level = np.select(
        [gap <= spec.birth_month_days, gap <= b1, gap <= b2, gap <= b3], [4, 3, 2, 1], default=0
    ).astype(np.int8)
    to_the_day = (c.birth_lo[case] == c.birth_hi[case]) & (d.birth_lo[cand] == d.birth_hi[cand])
    level[to_the_day & (np.abs(c.birth_lo[case] - d.birth_lo[cand]) <= spec.same_day_days)] = 5
    level[~(c.birth_known[case] & d.birth_known[cand])] = -1
    return level


def _region_level(prep: Prepared, spec: ComparisonSpec, case: I64, cand: I64, county_b: I32) -> I8:
    c, d = prep.cases, prep.candidates
    la, lb = c.level[case], d.level[cand]
    level = np.zeros(case.shape[0], dtype=np.int8)
    lat_a, lon_a = c.lat[case], c.lon[case]
    lat_b, lon_b = d.lat[cand], d.lon[cand]
    # equirectangular distance: accurate to a few percent at these ranges, and cheap
    x = np.radians(lon_b - lon_a) * np.cos(np.radians((lat_a + lat_b) * np.float32(0.5)))
    y = np.radians(lat_b - lat_a)
    km = np.float32(6371.0) * np.sqrt(x * x + y * y)
    level[km <= spec.nearby_km] = 1
    pa, pb = c.province[case], d.province[cand]
    level[(pa > 0) & (pa == pb)] = 2
    ca, cb = c.city[case], d.city[cand]
    level[(ca > 0) & (ca == cb)] = 3
    county_a = c.county[case]
    level[(county_a > 0) & (county_a == county_b)] = 4
    level[(la == 0) | (lb == 0)] = -1
    return level


def _region(prep: Prepared, spec: ComparisonSpec, case: I64, cand: I64) -> I8:
    level = _region_level(prep, spec, case, cand, prep.candidates.county[cand])
    # The county coded in a valid ID (registration county at issue) is evidence too.
    id_county = prep.candidates.id_county[cand]
    same_id_county = (id_county > 0) & (id_county == prep.cases.county[case])
    level[same_id_county] = 4
    return level


def _registration(prep: Prepared, spec: ComparisonSpec, case: I64, cand: I64) -> I8:
    c, d = prep.cases, prep.candidates
    delay = d.event_lo[cand] - d.birth_hi[cand]
    late, years_late = spec.late_registration_days
    level = np.select([delay >= years_late, delay >= late], [2, 1], default=0).astype(np.int8)
    after_missing = c.event_known[case] & (d.event_lo[cand] > c.event_hi[case]) & (delay >= late)
    level[after_missing] = 3
    level[~(d.event_known[cand] & d.birth_known[cand])] = -1
    return level


def _timeline(prep: Prepared, spec: ComparisonSpec, case: I64, cand: I64) -> I8:
    c, d = prep.cases, prep.candidates
    after = d.birth_lo[cand] - c.event_hi[case]
    level = np.select(
        [after <= 0, after <= spec.timeline_grace_days], [2, 1], default=0
    ).astype(np.int8)
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
