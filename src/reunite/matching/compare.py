"""What the comparison kernels share: batches of pairs, name tables, bands; and running them.

Every kernel (one per comparison, in its module of :mod:`reunite.matching.comparisons`) takes a batch
of aligned pairs (:class:`Pairs`) and returns ``int8`` levels, ``-1`` where a value is missing on
either side. Names are compared over every name of both records (reported, childhood and former names)
and the best level wins. String similarity of pinyin comes from rapidfuzz's C++ kernels over distinct
pinyin values, never per pair in Python.

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
from reunite.matching.engine import DEFAULT_LIMITS, EngineLimits
from reunite.matching.prepare import Prepared, Regions

if TYPE_CHECKING:
    from reunite.matching.spec import ComparisonName, ComparisonSpec

__all__ = ["Pairs", "compare", "compare_one", "compare_pairs", "pinyin_similar"]


# level of the pairs ``rows`` (None: all) against the candidate codes ``codes`` of one name slot
_SlotLevels = Callable[[I64 | None, I32], I8]


@dataclass(slots=True)
class Pairs:
    """Aligned (case, candidate) pairs, each pair's case given as its position among ``cases``.

    Pairs come in runs of one case (blocking yields a case's candidates together), so a case-side
    value is read once per run and repeated, rather than gathered pair by pair. Not frozen: a batch's
    pairs keep the lists of :meth:`later_slots` for its other name comparisons (one batch, one thread).
    """

    cases: I64       # the batch's distinct cases (case table indexes)
    local: I64       # per pair: position of its case in ``cases``
    cand: I64        # per pair: prepared candidate index
    run_local: I64   # per run of consecutive pairs of one case: that case's position
    run_length: I64  # per run: its number of pairs
    _later_slots: list[I64] | None = field(default=None, compare=False, repr=False)

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
        if self._later_slots is None:
            slots: list[I64] = []
            if n_slots > 1:
                names = cand_names.take(self.cand)
                rows = np.flatnonzero(names > 1)
                slots.append(rows)
                for j in range(2, n_slots):
                    rows = rows[names.take(rows) > j]
                    slots.append(rows)
            self._later_slots = slots
        return self._later_slots


def pinyin_similar(prep: Prepared, a: I32, b: I32, threshold: float, limits: EngineLimits) -> B:
    """Whether pinyin codes ``a`` and ``b`` (aligned, all >= 0) are at least ``threshold`` alike.

    Works on distinct values: a small matrix from ``process.cdist`` when the distinct values on
    each side are few (``limits.similarity_cells``), else ``process.cpdist`` over the distinct pairs.
    """
    if a.size == 0:
        return np.zeros(0, dtype=bool)
    vocab = prep.pinyin_vocab
    rows, row_of = _dense_codes(a, vocab.shape[0])
    cols, col_of = _dense_codes(b, vocab.shape[0])
    if rows.size * cols.size <= limits.similarity_cells:
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

def _fits(pairs: Pairs, cells: int, limits: EngineLimits) -> bool:
    """Whether a lookup table of ``cells`` cells is worth building for this batch: it costs less than
    comparing pair by pair (:class:`~reunite.matching.engine.EngineLimits`)."""
    return cells <= min(limits.table_cells, limits.table_cells_per_pair * len(pairs))


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


def _name_levels(
    prep: Prepared, pairs: Pairs, field: str, n_codes: int,
    by_code: Callable[[I64], I8], per_pair: Callable[[I32, I32], I8], limits: EngineLimits,
) -> _SlotLevels:
    """How a batch reads a name comparison's level of a pair and a candidate name slot: from a table
    of the batch's cases against every code (``by_code`` gives its rows) when that is cheaper than
    ``per_pair``, which compares case and candidate codes pair by pair."""
    c = prep.cases
    case_codes = getattr(c, field)
    batch_codes = case_codes[pairs.cases]
    n_distinct = _dense_codes(batch_codes[batch_codes >= 0], n_codes)[0].size
    if _fits(pairs, max(pairs.cases.size, n_distinct) * (n_codes + 1), limits):
        return _table_levels(pairs, _case_table(batch_codes, by_code, n_codes))
    return _pair_levels(pairs, case_codes, c.n_names, per_pair)


# -- dates, places --------------------------------------------------------------------------

def _banded(values: I32 | I64, upper_edges: tuple[int, ...], levels: tuple[int, ...]) -> I8:
    """The level of each value's band: ``levels[0]`` up to ``upper_edges[0]`` (increasing edges),
    ``levels[i]`` above ``upper_edges[i - 1]``: each edge adds its step, in place (the levels are named
    by their comparison; a table lookup of the band would cost a gather per pair).

    >>> _banded(np.array([0, 5, 20, 99]), (1, 10, 50), (6, 3, 2, 0)).tolist()
    [6, 3, 2, 0]
    """
    if len(levels) != len(upper_edges) + 1:
        raise ValueError(f"expected {len(upper_edges) + 1} levels for {len(upper_edges)} edges; got {levels}")
    out = np.full(values.shape, levels[0], dtype=np.int8)
    for edge, below, above in zip(upper_edges, levels, levels[1:], strict=False):
        if above - below == 1:
            out += values > edge
        elif above - below == -1:
            out -= values > edge
        else:
            out += np.int8(above - below) * (values > edge)
    return out


def _set_where(level: I8, mask: B, value: int) -> None:
    """``level[mask] = value`` by arithmetic: a boolean-mask store costs several times more per pair."""
    level += (np.int8(value) - level) * mask


def _null_where(level: I8, mask: B) -> None:
    """``level[mask] = -1`` by one bitwise pass: -1 is every bit set, so OR-ing ``-mask`` (0 or -1 as
    ``int8``) nulls the masked levels and keeps the others.

    >>> level = np.array([0, 3, 6], dtype=np.int8)
    >>> _null_where(level, np.array([False, True, False]))
    >>> level.tolist()
    [0, -1, 6]
    """
    np.bitwise_or(level, np.negative(mask.view(np.int8)), out=level)


def _nulls(known: B) -> I8:
    """0 where known, -1 where not: OR-ed into levels (every bit of -1 set), it nulls the unknown ones."""
    out: I8 = np.negative((~known).view(np.int8))
    return out


def _candidate_nulls(prep: Prepared, field: str) -> I8:
    """:func:`_nulls` of the candidates' flag ``field`` (``birth_known``, ``event_known``), once per screen:
    a gather of it per pair is cheaper than gathering the flag and masking."""
    return prep.memo.get(("candidate_nulls", field),  # type: ignore[no-any-return]
                         lambda: _nulls(getattr(prep.candidates, field)))


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


def compare_one(
    prep: Prepared, spec: ComparisonSpec, name: ComparisonName, pairs: Pairs, value: I32 | None = None, *,
    limits: EngineLimits = DEFAULT_LIMITS,
) -> I8:
    """Levels of one comparison for a batch of pairs (``value``: see the name kernels; ``limits``: how
    the kernels compute them, :class:`~reunite.matching.engine.EngineLimits`)."""
    from reunite.matching.comparisons import REGISTRY  # the registry imports these kernels

    return REGISTRY[name].kernel(prep, spec, pairs, value, limits)


def compare_pairs(
    prep: Prepared, spec: ComparisonSpec, pairs: Pairs, values: dict[str, I32] | None = None, *,
    limits: EngineLimits = DEFAULT_LIMITS,
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
        out[k] = compare_one(prep, spec, name, pairs, value, limits=limits)
    return out


def compare(
    prep: Prepared, spec: ComparisonSpec, case: I64, cand: I64, values: dict[str, I32] | None = None, *,
    limits: EngineLimits = DEFAULT_LIMITS,
) -> I8:
    """:func:`compare_pairs` for aligned arrays of case and prepared-candidate indexes."""
    return compare_pairs(prep, spec, Pairs.of(np.asarray(case, dtype=np.int64), cand, len(prep.cases)), values,
                         limits=limits)
