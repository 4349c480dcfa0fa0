"""Scoring a chunk of pairs: levels -> weights (+ term frequencies) -> probabilities -> top-k."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from reunite._typing import F32, F64, I8, I64
from reunite.matching.blocking import PairChunk
from reunite.matching.compare import Pairs, compare, compare_pairs
from reunite.matching.comparisons import REGISTRY
from reunite.matching.engine import DEFAULT_LIMITS, EngineLimits
from reunite.matching.exact import factor_sums, posteriors_from_sums, to_float
from reunite.matching.kinds import case_kinds
from reunite.matching.model import FellegiSunter
from reunite.matching.prepare import Prepared
from reunite.matching.rank import survivors, top_k

__all__ = ["ChunkResult", "ScoredPairs", "pair_contributions", "rank_pairs", "score_chunk", "score_pairs",
           "weights_of_levels"]




@dataclass(frozen=True, slots=True)
class ChunkResult:
    """The top-k pairs of the chunk's cases, with what is needed to explain them."""

    case: I64
    cand: I64               # prepared candidate index
    score: F32
    probability: F64
    levels: I8              # (comparisons, kept pairs)
    contributions: F32      # (comparisons, kept pairs), term frequencies included
    case_ids: I64           # the chunk's cases
    case_any_match: F64     # per chunk case: probability the child is among its candidates
    case_pairs: I64         # per chunk case: pairs compared
    case_rest: F64          # per chunk case: sum of 2**score over its compared pairs not kept
    pairs: int              # pairs the chunk's blocking produced (DNA-excluded ones included)
    case_factor_sum: tuple[int, ...] = ()  # per chunk case: exact sum of 2**score (reunite.matching.exact)
    scored: int = 0         # pairs scored one by one (fewer than ``pairs`` when windows were counted)


_GROUP_CELLS = 4096  # comparisons are summed in groups of at most this many level combinations


def _tf_terms(
    prep: Prepared, model: FellegiSunter, levels: I8, values: dict[str, npt.NDArray[np.int32]] | None
) -> Iterator[tuple[int, I64, F32]]:
    """Term-frequency adjustments: (comparison, rows, extra weights) for pairs agreeing on a value."""
    if not model.spec.tf_adjust or values is None:
        return
    for k, name in enumerate(model.spec.comparisons):
        tf_levels = REGISTRY[name].tf_levels
        if not tf_levels:
            continue
        agreeing = np.flatnonzero(values[name] >= 0)  # values are set only at agreeing levels
        agreeing_levels = levels[k].take(agreeing)
        for level, freq_name in tf_levels:
            rows = agreeing[agreeing_levels == level]
            if rows.size:
                frequency = getattr(prep, freq_name)[values[name][rows]]
                yield k, rows, model.tf_adjustment(name, level, frequency, prep.frequency_base)


def _contributions(
    prep: Prepared, model: FellegiSunter, levels: I8, values: dict[str, npt.NDArray[np.int32]] | None,
    kind: I8 | None = None,
) -> F32:
    """Each comparison's weight per pair, term frequencies included: (comparisons, pairs).

    ``kind`` (each pair's case kind) picks the weights of a model with m per kind.
    """
    out = np.zeros(levels.shape, dtype=np.float32)
    if kind is not None and model.has_kinds:
        tables = model.kind_weight_tables()
        width = tables.shape[2]
        base = kind.astype(np.int64) * width + 1
        for k in range(levels.shape[0]):
            out[k] = tables[:, k, :].ravel().take(base + levels[k])
    else:
        table = model.weight_table()
        for k in range(levels.shape[0]):
            out[k] = table[k].take(levels[k] + np.int8(1))
    for k, rows, weights in _tf_terms(prep, model, levels, values):
        out[k, rows] += weights
    return out


def _groups(sizes: list[int], cells: int) -> list[list[int]]:
    """Consecutive comparisons whose level combinations number at most ``cells`` (one table each)."""
    groups: list[list[int]] = []
    product = cells + 1
    for k, size in enumerate(sizes):
        if product * size > cells or not groups:
            groups.append([k])
            product = size
        else:
            groups[-1].append(k)
            product *= size
    return groups


def _level_weights(model: FellegiSunter, levels: I8, kind: I8 | None, limits: EngineLimits) -> F32:
    """Per pair, the sum of its level weights.

    Comparisons are taken in small consecutive groups (:data:`_GROUP_CELLS` level combinations
    each): a group's weights are one lookup in a table of all its patterns of levels (a code per
    pair by Horner's rule), or, when that table would be larger than ``limits.pattern_cells``, one
    lookup per comparison. Either way a group's sum is made in the same float32 order, so both give
    the same bits; the sum over groups differs from a plain left-to-right sum of the comparisons by
    float32 rounding only (a few 1e-6 bits). With ``kind`` and a model with m per case kind, each kind
    has its own tables.
    """
    by_kind = kind is not None and model.has_kinds
    tables = model.kind_weight_tables() if by_kind else model.weight_table()[None]
    n_kinds, width = tables.shape[0], tables.shape[2]
    sizes = [1 + len(w) for w in model.weights_]  # the null level, then each level
    n = levels.shape[1]
    out = np.zeros(n, dtype=np.float32)
    base = kind.astype(np.int64) * width + 1 if by_kind and kind is not None else None
    for group in _groups(sizes, _GROUP_CELLS):
        if n_kinds * int(np.prod([sizes[k] for k in group])) > limits.pattern_cells:
            partial = np.zeros(n, dtype=np.float32)
            for k in group:
                if base is None:
                    np.add(partial, tables[0, k].take(levels[k] + np.int8(1)), out=partial)
                else:
                    np.add(partial, tables[:, k, :].ravel().take(base + levels[k]), out=partial)
        else:
            patterns = np.zeros((n_kinds, 1), dtype=np.float32)
            # the pattern's code by Horner's rule, the case kind its first digit (the table is (kinds,
            # patterns)); int16 when the table is small enough, half the bytes of every pass
            cells = n_kinds * int(np.prod([sizes[k] for k in group]))
            narrow = cells <= np.iinfo(np.int16).max
            code: npt.NDArray[np.signedinteger[Any]] = np.zeros(n, dtype=np.int16 if narrow else np.int32)
            if base is not None and kind is not None:
                code += kind
            offset = 0
            for k in group:  # same float32 order of additions as per comparison
                size = sizes[k]
                patterns = (patterns[:, :, None] + tables[:, k, None, :size]).reshape(n_kinds, -1)
                code *= size
                np.add(code, levels[k], out=code)
                offset = offset * size + 1  # level -1 is row 0
            code += offset
            partial = patterns.ravel().take(code)
        np.add(out, partial, out=out)
    return out


def weights_of_levels(model: FellegiSunter, levels: I8, kind: I8 | None = None, *,
                      limits: EngineLimits = DEFAULT_LIMITS) -> F32:
    """Per pair, the sum of its level weights, with the very float32 arithmetic of a scored pair
    (no term frequencies): equal levels give equal bits, wherever the pair is scored."""
    return _level_weights(model, levels, kind, limits)


def _scores(
    prep: Prepared, model: FellegiSunter, levels: I8, values: dict[str, npt.NDArray[np.int32]] | None,
    kind: I8 | None, limits: EngineLimits,
) -> F32:
    """The per-pair sum of :func:`_contributions`, without the (comparisons, pairs) matrix."""
    out = _level_weights(model, levels, kind, limits)
    for _, rows, weights in _tf_terms(prep, model, levels, values):
        out[rows] += weights
    return out


def pair_contributions(
    prep: Prepared, model: FellegiSunter, case: I64, cand: I64, *, limits: EngineLimits = DEFAULT_LIMITS,
) -> tuple[I8, F32]:
    """Levels and per-comparison weight contributions (term frequencies included) of pairs."""
    values: dict[str, npt.NDArray[np.int32]] = {}
    levels = compare(prep, model.spec, case, cand, values, limits=limits)
    kind = case_kinds(prep.cases, np.asarray(case, dtype=np.int64)) if model.has_kinds else None
    return levels, _contributions(prep, model, levels, values, kind)


def score_chunk(
    prep: Prepared,
    model: FellegiSunter,
    chunk: PairChunk,
    k: int,
    excluded: I64 | None = None,
    *,
    limits: EngineLimits = DEFAULT_LIMITS,
) -> ChunkResult:
    """Score every pair of a chunk and keep each case's best ``k``.

    ``excluded`` holds sorted keys ``case * n_candidates + prepared candidate`` of pairs DNA has
    excluded: they are removed before probabilities are computed, so they are never proposed.
    ``limits``: the engine's strategies (:class:`~reunite.matching.engine.EngineLimits`).
    """
    case, cand = chunk.without(excluded, len(prep.candidates))
    return rank_pairs(prep, model, chunk.cases, case, cand, k, len(chunk), limits=limits)


@dataclass(frozen=True, slots=True)
class ScoredPairs:
    """Pairs with their levels, agreeing values (term frequencies) and scores, grouped by case.

    ``case``, ``cand`` and ``score`` go pair by pair; ``levels``, ``values`` and ``kind`` (read for the
    kept pairs alone) hold pair ``i`` at position ``at[i]`` (``at`` None: at ``i``), so that joining
    two sets moves no level: :meth:`rows` reads them.
    """

    case: I64
    cand: I64
    levels: I8
    values: dict[str, npt.NDArray[np.int32]] | None
    kind: I8 | None
    score: F32
    at: I64 | None = None

    def __len__(self) -> int:
        return int(self.case.shape[0])

    def rows(self, rows: I64) -> tuple[I8, dict[str, npt.NDArray[np.int32]] | None, I8 | None]:
        """The levels, agreeing values and kind of pairs ``rows``."""
        stored = rows if self.at is None else self.at[rows]
        return (self.levels[:, stored], None if self.values is None else {n: v[stored] for n, v in self.values.items()},
                None if self.kind is None else self.kind[stored])

    def join(self, other: ScoredPairs) -> ScoredPairs:
        """Both sets of pairs, grouped by case (each set's order kept within a case)."""
        order = np.argsort(np.r_[self.case, other.case], kind="stable")
        at = np.r_[np.arange(len(self)) if self.at is None else self.at,
                   (np.arange(len(other)) if other.at is None else other.at) + self.levels.shape[1]]
        values = None if self.values is None or other.values is None else {
            name: np.r_[v, other.values[name]] for name, v in self.values.items()}
        kind = None if self.kind is None or other.kind is None else np.r_[self.kind, other.kind]
        return ScoredPairs(np.r_[self.case, other.case][order], np.r_[self.cand, other.cand][order],
                           np.concatenate([self.levels, other.levels], axis=1), values, kind,
                           np.r_[self.score, other.score][order], at[order])


def score_pairs(prep: Prepared, model: FellegiSunter, case: I64, cand: I64, *,
                limits: EngineLimits = DEFAULT_LIMITS) -> ScoredPairs:
    """Levels, term-frequency values and scores of the pairs ``(case, cand)``, grouped by case."""
    pairs = Pairs.of(case, cand, len(prep.cases))
    values: dict[str, npt.NDArray[np.int32]] | None = {} if model.spec.tf_adjust else None
    levels = compare_pairs(prep, model.spec, pairs, values, limits=limits)
    kind = pairs.spread(case_kinds(prep.cases, pairs.cases)) if model.has_kinds else None
    return ScoredPairs(case, cand, levels, values, kind, _scores(prep, model, levels, values, kind, limits))


def rank_pairs(
    prep: Prepared,
    model: FellegiSunter,
    cases: I64,
    case: I64,
    cand: I64,
    k: int,
    blocked: int,
    unlisted: tuple[I64, list[int]] | None = None,
    scored: ScoredPairs | None = None,
    *,
    limits: EngineLimits = DEFAULT_LIMITS,
) -> ChunkResult:
    """Score the pairs ``(case, cand)`` (grouped by case, of the consecutive ``cases``), keep each
    case's best ``k`` and compute probabilities.

    ``unlisted``: per case of ``cases``, the number of further compared pairs and the exact sum of
    their Bayes factors (:mod:`reunite.matching.exact`), for pairs accounted for without being listed
    (:mod:`reunite.matching.prune` proves none of them reaches the top ``k``). ``blocked``: pairs the
    blocking produced in all (DNA-excluded ones included), as reported. ``scored``: the pairs already
    scored (:func:`score_pairs`; ``case`` and ``cand`` are then ignored). ``limits``: the engine's
    strategies (:class:`~reunite.matching.engine.EngineLimits`).
    """
    first = int(cases[0]) if cases.size else 0
    if scored is None:
        local = case - first
        n_local = int(cases.size)
        pairs = Pairs.of_local(cases, local, cand)
        # agreeing values only matter for term-frequency adjustment
        values: dict[str, npt.NDArray[np.int32]] | None = {} if model.spec.tf_adjust else None
        levels = compare_pairs(prep, model.spec, pairs, values, limits=limits)
        kind = pairs.spread(case_kinds(prep.cases, cases)) if model.has_kinds else None
        scored = ScoredPairs(case, cand, levels, values, kind, _scores(prep, model, levels, values, kind, limits))
    else:
        case, cand = scored.case, scored.cand
        local = case - first
        n_local = int(cases.size)
        pairs = Pairs.of_local(cases, local, cand)
    score = scored.score
    runs = (pairs.run_local, pairs.run_length)
    rows = survivors(local, score, k, runs, limits=limits)
    kept = rows[top_k(local[rows], score[rows], prep.tiebreak[cand[rows]], k, limits=limits)]
    # probabilities from exact sums, so that shards of the candidates merge to the same bits
    totals = factor_sums(local, score, n_local)
    count = np.bincount(pairs.run_local, weights=pairs.run_length, minlength=n_local).astype(np.int64)
    if unlisted is not None:
        count = count + unlisted[0]
        totals = [a + b for a, b in zip(totals, unlisted[1], strict=True)]
    posterior, any_match = posteriors_from_sums(totals, count, local[kept], score[kept], model.prior)
    kept_sums = factor_sums(local[kept], score[kept], n_local)
    rest = np.array([to_float(t - k) for t, k in zip(totals, kept_sums, strict=True)], dtype=np.float64)
    kept_levels, kept_values, kept_kind = scored.rows(kept)
    contributions = _contributions(prep, model, kept_levels, kept_values, kept_kind)
    return ChunkResult(
        case=case[kept],
        cand=cand[kept],
        score=score[kept],
        probability=posterior,
        levels=kept_levels,
        contributions=contributions,
        case_ids=cases,
        case_any_match=any_match,
        case_pairs=count,
        case_rest=rest,
        pairs=blocked,
        case_factor_sum=tuple(totals),
        scored=len(pairs),
    )
