"""Ranking: per-case probabilities, top-k with deterministic ties, and readable reasons."""

from __future__ import annotations

import numpy as np

from reunite._typing import F32, F64, I8, I64
from reunite.i18n import Language, reason_separator
from reunite.matching.comparisons import REGISTRY
from reunite.matching.engine import DEFAULT_LIMITS, EngineLimits
from reunite.matching.spec import ComparisonName

__all__ = ["case_posteriors", "format_reasons", "outside_sums", "survivors", "top_k"]


_BINS = 256  # histogram bins per group in survivors


def top_k(group: I64, score: F32, tiebreak: I64, k: int, *, limits: EngineLimits = DEFAULT_LIMITS) -> I64:
    """Indices of the best ``k`` rows of each group, ordered by group, score (high first), tiebreak.

    Groups are small non-negative integers (a chunk's local case numbers). Exact and deterministic;
    inputs of more than ``limits.exact_sort_rows`` rows are first cut to their :func:`survivors`, so
    only those are sorted.

    >>> top_k(np.array([0, 0, 0, 1]), np.array([1.0, 3.0, 3.0, 0.5], dtype=np.float32),
    ...       np.array([5, 9, 2, 0]), 2).tolist()
    [2, 1, 3]
    """
    n = group.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    candidates = survivors(group, score, k, limits=limits) if n > limits.exact_sort_rows \
        else np.arange(n, dtype=np.int64)
    order = np.lexsort((tiebreak[candidates], -score[candidates], group[candidates]))
    ordered = candidates[order]
    g = group[ordered]
    first = np.r_[True, g[1:] != g[:-1]]
    starts = np.flatnonzero(first)
    position = np.arange(ordered.shape[0]) - np.repeat(starts, np.diff(np.r_[starts, ordered.shape[0]]))
    return ordered[position < k]


def survivors(group: I64, score: F32, k: int, runs: tuple[I64, I64] | None = None, *,
              limits: EngineLimits = DEFAULT_LIMITS) -> I64:
    """Rows that may be among their group's best ``k``: a superset of the top k, in row order.

    Each group is cut at the lowest bin of a histogram of scores (per group, ``_BINS`` bins over
    the range of all scores) whose rows and those above number at least ``k``; a group with fewer
    keeps every row. ``runs`` (group and length of each run of equal groups, in row order) lets
    per-group values be spread by repetition instead of per-row lookups. The histogram is built only
    when the rows outnumber its cells ``limits.histogram_rows_per_cell`` times; else every row is kept.

    >>> rows = survivors(np.zeros(2000, dtype=np.int64), np.arange(2000, dtype=np.float32), 10)
    >>> rows.size, int(rows.min())  # the top 10 (1990..1999) lie in the top bins, which hold 16 rows
    (16, 1984)

    A chunk of many small groups keeps every row (a (groups x bins) histogram would outweigh them):

    >>> survivors(np.array([0, 0, 0, 1]), np.array([1.0, 3.0, 2.0, 0.5], dtype=np.float32), 2).tolist()
    [0, 1, 2, 3]
    """
    n = group.shape[0]
    lo, hi = (float(score.min()), float(score.max())) if n else (0.0, 0.0)
    if not (np.isfinite(lo) and np.isfinite(hi)) or hi <= lo:
        return np.arange(n, dtype=np.int64)
    offset = int(group.min())
    n_groups = int(group.max()) - offset + 1
    if n_groups * _BINS > limits.histogram_rows_per_cell * n:  # few rows per group (many small windows): sort them all
        return np.arange(n, dtype=np.int64)
    # (B - 1) / range: the top score lands in bin B - 1 (float rounding stays below B)
    binned = ((score - np.float32(lo)) * np.float32((_BINS - 1) / (hi - lo))).astype(np.int16)

    def per_row(per_group: I64) -> I64:
        if runs is None:
            return per_group.take(group - offset)
        return np.repeat(per_group.take(runs[0] - offset), runs[1])

    keys = per_row(np.arange(n_groups, dtype=np.int64) * _BINS) + binned
    counts = np.bincount(keys, minlength=n_groups * _BINS).reshape(n_groups, _BINS)
    at_or_above = np.cumsum(counts[:, ::-1], axis=1)[:, ::-1]
    cut = np.count_nonzero(at_or_above >= k, axis=1) - 1  # -1: fewer than k rows, keep them all
    return np.flatnonzero(binned >= per_row(cut))


def case_posteriors(
    group: I64, score: F32, n_groups: int, prior: float, rows: I64 | None = None,
    runs: tuple[I64, I64] | None = None,
) -> tuple[F64, F64, I64]:
    """Per-pair probability of being the case's child, under "at most one true match per case".

    Each of a case's N compared candidates is a priori the child with probability ``prior / N``;
    with Bayes factors ``2**score`` the posterior of candidate j is
    ``(prior/N) BF_j / ((1 - prior) + (prior/N) sum_k BF_k)``. Returns the posteriors (of ``rows``
    only, when given), the per-case probability that the child is among the candidates at all, and
    N per case. ``runs``: see :func:`survivors`. The scorer computes the same formula from exact
    sums (:func:`reunite.matching.exact.posteriors_from_sums`), so that shards of the candidates
    merge to the same bits; this float version is the reference it is tested against.

    >>> p, any_match, n = case_posteriors(np.array([0, 0]), np.array([10.0, 0.0], dtype=np.float32), 1, 0.5)
    >>> [round(float(v), 3) for v in p], round(float(any_match[0]), 3), n.tolist()
    ([0.997, 0.001], 0.998, [2])
    """
    n = group.shape[0]
    score64 = score.astype(np.float64)
    # Sums run over runs of equal groups (a chunk's pairs come case by case), then per group.
    if runs is None:
        starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]]) if n else np.zeros(0, dtype=np.int64)
        run_group, run_length = group[starts], np.diff(np.r_[starts, n])
    else:
        run_group, run_length = runs
        starts = np.cumsum(run_length) - run_length
    count = np.bincount(run_group, weights=run_length, minlength=n_groups).astype(np.int64)
    # Match weights are tens of bits, so 2**score is a float64 without scaling; only a case whose
    # every score lies beyond +-1000 bits needs its Bayes factors scaled by its best (rare: done apart).
    with np.errstate(over="ignore", under="ignore"):
        run_total = np.add.reduceat(np.exp2(score64), starts) if n else np.zeros(0)
    total = np.bincount(run_group, weights=run_total, minlength=n_groups)
    shift = np.zeros(n_groups)
    extreme = (count > 0) & ((total == 0) | ~np.isfinite(total))
    if extreme.any():
        hit = np.flatnonzero(extreme[group])
        best = np.full(n_groups, -np.inf)
        np.maximum.at(best, group[hit], score64[hit])
        shift[extreme] = best[extreme]
        scaled = np.bincount(group[hit], weights=np.exp2(score64[hit] - shift[group[hit]]), minlength=n_groups)
        total = np.where(extreme, scaled, total)
    log_total = np.log2(total + (count == 0)) + shift
    log_prior = np.log2(prior / np.maximum(count, 1))
    log_denominator = np.logaddexp2(np.log2(1.0 - prior), log_prior + log_total)
    g, s = (group, score64) if rows is None else (group[rows], score64[rows])
    posterior = np.exp2(log_prior[g] + s - log_denominator[g])
    any_match = np.where(count > 0, np.exp2(log_prior + log_total - log_denominator), 0.0)
    return posterior, any_match, count


def outside_sums(group: I64, score: F32, n_groups: int, kept: I64) -> F64:
    """Per group, the sum of the Bayes factors ``2**score`` of the rows not in ``kept``.

    With the kept rows' own scores this is every term of :func:`case_posteriors`' sum, split so that
    the nightly re-screen can keep a case's posterior exact as candidates enter and leave its kept
    rows: the terms are added here, never recovered by subtracting from a total (which would lose
    the small terms beside a large one).

    >>> outside_sums(np.array([0, 0, 1]), np.array([3.0, 1.0, 2.0], dtype=np.float32), 2,
    ...              np.array([0])).tolist()
    [2.0, 4.0]
    """
    outside = np.ones(group.shape[0], dtype=bool)
    outside[kept] = False
    with np.errstate(over="ignore", under="ignore"):
        terms = np.exp2(score[outside].astype(np.float64))
    return np.bincount(group[outside], weights=terms, minlength=n_groups).astype(np.float64)


def format_reasons(
    comparisons: tuple[ComparisonName, ...], levels: I8, contributions: F32, lang: Language = "en"
) -> list[str]:
    """One readable line per pair: each known field's level and its weight, strongest first.

    ``levels`` and ``contributions`` have shape (comparisons, pairs); null levels are left out.
    ``lang="zh"`` writes each comparison's Chinese labels, joined by "；".

    >>> levels, weights = np.array([[0], [3]], dtype=np.int8), np.array([[-0.8], [2.3]], dtype=np.float32)
    >>> format_reasons(("surname", "birth"), levels, weights)
    ['born within 1 year +2.3; surname differs −0.8']
    >>> format_reasons(("surname", "birth"), levels, weights, lang="zh")
    ['出生相差1年内 +2.3；姓氏不同 −0.8']
    """
    n_pairs = levels.shape[1] if levels.ndim == 2 else 0
    weights = contributions.astype(np.float64)  # as float() reads each float32
    if n_pairs == 0 or np.isnan(weights).any():  # NaN has no place in the strongest-first order
        return _format_reasons_per_pair(comparisons, levels, contributions, lang)
    known = levels >= 0
    texts = np.full(levels.shape, None, dtype=object)
    for k, name in enumerate(comparisons):
        comparison = REGISTRY[name]
        # each distinct (level, weight) of the comparison formatted once (as level + weight j: one sort)
        key = np.empty(int(known[k].sum()), dtype=np.complex128)  # not level + 1j * weight: 0 * inf is NaN
        key.real, key.imag = levels[k, known[k]], weights[k, known[k]]
        pairs, inverse = np.unique(key, return_inverse=True)
        reasons = [comparison.reason(int(level), weight, lang)
                   for level, weight in zip(pairs.real.tolist(), pairs.imag.tolist(), strict=True)]
        texts[k, known[k]] = np.array(reasons, dtype=object)[inverse.ravel()] if reasons else None
    # strongest first; equal strengths in the comparisons' order (a stable sort, as the per-pair one)
    order = np.argsort(np.where(known, -np.abs(weights), np.inf).T, axis=1, kind="stable")
    separator = reason_separator(lang)
    return [separator.join([text for text in row if text is not None])
            for row in np.take_along_axis(texts.T, order, axis=1).tolist()]


def _format_reasons_per_pair(
    comparisons: tuple[ComparisonName, ...], levels: I8, contributions: F32, lang: Language = "en"
) -> list[str]:
    """:func:`format_reasons` one pair at a time (the reference it is tested against)."""
    n_pairs = levels.shape[1] if levels.ndim == 2 else 0
    owners = [REGISTRY[name] for name in comparisons]
    lines = []
    for j in range(n_pairs):
        parts = []
        for k, comparison in enumerate(owners):
            level = int(levels[k, j])
            if level < 0:
                continue
            weight = float(contributions[k, j])
            parts.append((abs(weight), comparison.reason(level, weight, lang)))
        parts.sort(key=lambda item: -item[0])
        lines.append(reason_separator(lang).join(text for _, text in parts))
    return lines
