"""Ranking: per-case probabilities, top-k with deterministic ties, and readable reasons."""

from __future__ import annotations

import numpy as np

from reunite._typing import F32, F64, I8, I64
from reunite.matching.spec import LEVEL_LABELS, ComparisonName

__all__ = ["case_posteriors", "format_reasons", "top_k"]


_EXACT_SORT = 200_000


def top_k(group: I64, score: F32, tiebreak: I64, k: int) -> I64:
    """Indices of the best ``k`` rows of each group, ordered by group, score (high first), tiebreak.

    Groups are small non-negative integers (a chunk's local case numbers): they are counted, not sorted.

    Exact and deterministic. Large inputs are first cut at a score threshold that keeps at least
    ``k`` rows of every group that has them (groups short of ``k`` above it keep all their rows), so
    only the survivors are sorted.

    >>> top_k(np.array([0, 0, 0, 1]), np.array([1.0, 3.0, 3.0, 0.5], dtype=np.float32),
    ...       np.array([5, 9, 2, 0]), 2).tolist()
    [2, 1, 3]
    """
    n = group.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    candidates = np.arange(n, dtype=np.int64)
    offset = int(group.min())
    local = group - offset  # groups are small non-negative integers here: count, don't sort
    size = np.bincount(local)
    keep_target = k * int(np.count_nonzero(size)) * 4
    if n > _EXACT_SORT and keep_target < n:
        threshold = np.partition(score, n - keep_target)[n - keep_target]
        above = score >= threshold
        kept = np.bincount(local[above], minlength=size.size)
        short = kept < np.minimum(size, k)
        candidates = np.flatnonzero(above | short[local])
    order = np.lexsort((tiebreak[candidates], -score[candidates], group[candidates]))
    ordered = candidates[order]
    g = group[ordered]
    first = np.r_[True, g[1:] != g[:-1]]
    starts = np.flatnonzero(first)
    position = np.arange(ordered.shape[0]) - np.repeat(starts, np.diff(np.r_[starts, ordered.shape[0]]))
    return ordered[position < k]


def case_posteriors(
    group: I64, score: F32, n_groups: int, prior: float
) -> tuple[F64, F64, I64]:
    """Per-pair probability of being the case's child, under "at most one true match per case".

    Each of a case's N compared candidates is a priori the child with probability ``prior / N``;
    with Bayes factors ``2**score`` the posterior of candidate j is
    ``(prior/N) BF_j / ((1 - prior) + (prior/N) sum_k BF_k)``. Returns the posteriors, the per-case
    probability that the child is among the candidates at all, and N per case.

    >>> p, any_match, n = case_posteriors(np.array([0, 0]), np.array([10.0, 0.0], dtype=np.float32), 1, 0.5)
    >>> [round(float(v), 3) for v in p], round(float(any_match[0]), 3), n.tolist()
    ([0.997, 0.001], 0.998, [2])
    """
    count = np.bincount(group, minlength=n_groups).astype(np.int64)
    score64 = score.astype(np.float64)
    # Match weights are tens of bits, so 2**score is a float64 without scaling; only a case whose
    # every score lies beyond +-1000 bits needs its Bayes factors scaled by its best (rare: done apart).
    with np.errstate(over="ignore", under="ignore"):
        total = np.bincount(group, weights=np.exp2(score64), minlength=n_groups)
    shift = np.zeros(n_groups)
    extreme = (count > 0) & ((total == 0) | ~np.isfinite(total))
    if extreme.any():
        rows = np.flatnonzero(extreme[group])
        best = np.full(n_groups, -np.inf)
        np.maximum.at(best, group[rows], score64[rows])
        shift[extreme] = best[extreme]
        scaled = np.bincount(group[rows], weights=np.exp2(score64[rows] - shift[group[rows]]), minlength=n_groups)
        total = np.where(extreme, scaled, total)
    log_total = np.log2(total + (count == 0)) + shift
    log_prior = np.log2(prior / np.maximum(count, 1))
    log_denominator = np.logaddexp2(np.log2(1.0 - prior), log_prior + log_total)
    posterior = np.exp2(log_prior[group] + score64 - log_denominator[group])
    any_match = np.where(count > 0, np.exp2(log_prior + log_total - log_denominator), 0.0)
    return posterior, any_match, count


def format_reasons(
    comparisons: tuple[ComparisonName, ...], levels: I8, contributions: F32
) -> list[str]:
    """One readable line per pair: each known field's level and its weight, strongest first.

    ``levels`` and ``contributions`` have shape (comparisons, pairs); null levels are left out.

    >>> format_reasons(("surname", "birth"), np.array([[0], [3]], dtype=np.int8),
    ...                np.array([[-0.8], [2.3]], dtype=np.float32))
    ['born within 1 year +2.3; surname differs −0.8']
    """
    n_pairs = levels.shape[1] if levels.ndim == 2 else 0
    lines = []
    for j in range(n_pairs):
        parts = []
        for k, name in enumerate(comparisons):
            level = int(levels[k, j])
            if level < 0:
                continue
            weight = float(contributions[k, j])
            sign = "+" if weight >= 0 else "−"
            parts.append((abs(weight), f"{LEVEL_LABELS[name][level]} {sign}{abs(weight):.1f}"))
        parts.sort(key=lambda item: -item[0])
        lines.append("; ".join(text for _, text in parts))
    return lines
