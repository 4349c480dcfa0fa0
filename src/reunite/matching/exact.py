"""Exact sums of Bayes factors: the partial posterior sums of shards merge without rounding.

A case's probabilities need ``T = sum(2**score)`` over every candidate compared with it. Summed in
floating point, T depends on the order of the terms, so a ranking computed over shards of the
candidates (:mod:`reunite.matching.shards`) would differ from one machine's in the last bits. Here
every term is the float64 ``2**score``, an exact dyadic rational, and T is summed *exactly* as an
integer (``T * 2**OFFSET``): integer addition is associative, so partial sums from any split of
the candidates, added in any order, give the same T bit for bit, and its float value is correctly
rounded once, at the end.

Scores enter the sums clamped to +-:data:`SCORE_LIMIT` bits (a real pair weighs tens of bits), so
every term is a normal float64 and no sum overflows.

The sum is vectorized: a term ``m * 2**e`` (``m`` in [0.5, 1), 53 bits) is cut into its high 26 and
low 27 mantissa bits, and each half is summed per (case, exponent) by a float64 ``bincount``, exact
while a bin holds fewer than 2**26 terms (longer inputs are summed in blocks); only the few non-empty
bins become Python integers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from reunite._typing import F32, F64, I64

__all__ = ["OFFSET", "SCORE_LIMIT", "factor_sums", "posteriors_from_sums", "term_sum", "to_float"]

SCORE_LIMIT = 1000.0
OFFSET = 1100  # 2**score * 2**OFFSET is an integer for every term (its lowest bit is above 2**-1053)
_BLOCK = 1 << 26  # terms per bin at most, so a float64 bin sum of 27-bit halves stays exact
_MAX_BINS = 1 << 22  # beyond this many (case, exponent) bins, only the occupied ones are numbered


def _terms(score: F32 | F64) -> F64:
    """``2**score`` in float64 of the clamped scores (the terms of every sum and numerator)."""
    exponent = np.asarray(score, dtype=np.float64)
    if exponent.size and not (exponent.min() >= -SCORE_LIMIT and exponent.max() <= SCORE_LIMIT):
        exponent = np.clip(exponent, -SCORE_LIMIT, SCORE_LIMIT)  # (a pass over every term, mostly not needed)
    out: F64 = np.exp2(exponent)
    return out


def factor_sums(group: I64, score: F32, n_groups: int) -> list[int]:
    """Per group ``0 .. n_groups-1``, ``sum(2**score) * 2**OFFSET`` as an exact integer.

    >>> sums = factor_sums(np.array([0, 0, 1]), np.array([3.0, -1.0, 0.0], dtype=np.float32), 3)
    >>> [to_float(s) for s in sums]
    [8.5, 1.0, 0.0]
    """
    totals = [0] * n_groups
    for first in range(0, group.shape[0], _BLOCK):
        block = slice(first, first + _BLOCK)
        _add_block(totals, group[block], score[block])
    return totals


def _add_block(totals: list[int], group: I64, score: F32) -> None:
    if not group.shape[0]:
        return
    # written in place where it can be: every pass over the pairs allocates nothing it need not
    mantissa, exponent = np.frexp(_terms(score))
    high = np.multiply(mantissa, float(1 << 26))
    np.floor(high, out=high)                               # the top 26 bits, an integer
    low = np.multiply(mantissa, float(1 << 53), out=mantissa)
    low -= np.multiply(high, float(1 << 27))              # the other 27 bits, an integer (exact)
    lowest, width = int(exponent.min()), int(exponent.max()) - int(exponent.min()) + 1
    key = np.multiply(group, width, dtype=np.int64)
    key += exponent
    key -= lowest
    if len(totals) * width > _MAX_BINS:  # many cases over a wide range of scores: number the occupied bins
        occupied, key = np.unique(key, return_inverse=True)
    else:
        occupied = np.arange(len(totals) * width, dtype=np.int64)
    high_sums = np.bincount(key, weights=high, minlength=occupied.size)
    low_sums = np.bincount(key, weights=low, minlength=occupied.size)
    nonzero = np.flatnonzero((high_sums != 0) | (low_sums != 0))
    owner, place = np.divmod(occupied[nonzero], width)
    shift = place + lowest - 53 + OFFSET  # the term's lowest mantissa bit, scaled
    for g, h, lo, k in zip(owner.tolist(), high_sums[nonzero].astype(np.int64).tolist(),
                           low_sums[nonzero].astype(np.int64).tolist(), shift.tolist(), strict=True):
        totals[g] += ((h << 27) + lo) << k


def term_sum(scores: Sequence[float] | F32) -> int:
    """``sum(2**score) * 2**OFFSET`` of a few scores, exactly (the kept rows of a case).

    >>> to_float(term_sum([1.0, 1.0]))
    4.0
    """
    total = 0
    for term in _terms(np.asarray(scores, dtype=np.float32)).tolist():
        mantissa, exponent = math.frexp(term)
        total += int(mantissa * (1 << 53)) << (exponent - 53 + OFFSET)
    return total


def to_float(total: int) -> float:
    """The correctly rounded float of an exact sum (Python's integer true division rounds once)."""
    return total / (1 << OFFSET)


def posteriors_from_sums(
    totals: Sequence[int], count: I64, group: I64, score: F32, prior: float
) -> tuple[F64, F64]:
    """Each row's probability of being its case's child, and each case's probability that the child
    is among its compared candidates, from the exact sums (the formula of
    :func:`reunite.matching.rank.case_posteriors`, with exact sums).

    Computed value by value with :mod:`math` (rows are only the kept ones): a vectorized
    transcendental may round an element differently by its place in the array, and the bits must
    not depend on which other cases a shard holds.

    >>> p, any_match = posteriors_from_sums([term_sum([10.0, 0.0])], np.array([2]), np.array([0, 0]),
    ...                                     np.array([10.0, 0.0], dtype=np.float32), 0.5)
    >>> [round(float(v), 3) for v in p], round(float(any_match[0]), 3)
    ([0.997, 0.001], 0.998)
    """
    log_rest = math.log2(1.0 - prior)
    log_prior, log_denominator, any_match = [], [], []
    for total, n in zip(totals, count.tolist(), strict=True):
        lp = math.log2(prior / max(n, 1))
        if n <= 0 or total <= 0:
            log_prior.append(lp)
            log_denominator.append(log_rest)
            any_match.append(0.0)
            continue
        lt = math.log2(to_float(total))
        a, b = max(log_rest, lp + lt), min(log_rest, lp + lt)
        ld = a + math.log2(1.0 + 2.0 ** (b - a))
        log_prior.append(lp)
        log_denominator.append(ld)
        any_match.append(2.0 ** (lp + lt - ld))
    clipped = [min(max(s, -SCORE_LIMIT), SCORE_LIMIT) for s in np.asarray(score, dtype=np.float64).tolist()]
    posterior = [2.0 ** (log_prior[g] + s - log_denominator[g]) for g, s in zip(group.tolist(), clipped, strict=True)]
    return np.array(posterior, dtype=np.float64), np.array(any_match, dtype=np.float64)
