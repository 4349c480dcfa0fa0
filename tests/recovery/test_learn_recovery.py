"""One-child-per-case EM (reunite.matching.learn) recovers m from cases simulated with known m and u.

Each simulated case has ``N`` candidates; with probability ``SHARE`` one of them is its child, whose
levels are drawn from m (of the case's kind), the others from u. The fit starts from a wrong m (the
prior centre) and must move m to the truth: within 0.06 of every true probability, and closer than
the start by at least half of the start's error. A data set with no child in any case must be refused.
"""

from __future__ import annotations

import numpy as np

from reunite.matching.kinds import CASE_KINDS
from reunite.matching.learn import CasePatterns, fit_m
from reunite.matching.model import FellegiSunter
from reunite.matching.spec import ComparisonSpec

SPEC = ComparisonSpec(comparisons=("given_name", "surname", "region", "marks"))
M = {  # per kind: baby, child (unknown shares the baby's)
    "baby": [np.array([.66, .04, .05, .05, .05, .15]), np.array([.60, .05, .35]),
             np.array([.15, .05, .10, .20, .50]), np.array([.40, .20, .20, .20])],
    "child": [np.array([.17, .03, .05, .05, .10, .60]), np.array([.30, .05, .65]),
              np.array([.50, .10, .10, .10, .20]), np.array([.10, .10, .20, .60])],
}
U = [np.array([.94, .01, .03, .01, .005, .005]), np.array([.90, .02, .08]),
     np.array([.80, .10, .06, .03, .01]), np.array([.60, .25, .10, .05])]
N, SHARE = 200, 0.7


def simulate(rng: np.random.Generator, n_cases: int, share: float) -> CasePatterns:
    kinds = rng.choice(np.array([1, 2], dtype=np.int8), size=n_cases)
    has_child = rng.random(n_cases) < share
    case = np.repeat(np.arange(n_cases), N)
    levels = np.stack([rng.choice(u.size, size=case.size, p=u) for u in U])
    first = np.arange(n_cases) * N
    for index in np.flatnonzero(has_child):
        m = M[CASE_KINDS[int(kinds[index])]]
        levels[:, first[index]] = [rng.choice(p.size, p=p) for p in m]
    base = 8
    code = np.zeros(case.size, dtype=np.int64)
    for row in levels:
        code = code * base + row + 1
    key = case * base ** len(U) + code
    unique, counts = np.unique(key, return_counts=True)
    distinct, row_pattern = np.unique(unique % base ** len(U), return_inverse=True)
    patterns = np.empty((distinct.size, len(U)), dtype=np.int8)
    rest = distinct.copy()
    for k in range(len(U) - 1, -1, -1):
        patterns[:, k] = rest % base - 1
        rest //= base
    return CasePatterns(patterns, unique // base ** len(U), row_pattern.ravel(), counts.astype(np.float64),
                        np.full(n_cases, float(N)), kinds, int(case.size))


def _start() -> FellegiSunter:
    model = FellegiSunter(SPEC)
    model.u_ = [u.copy() for u in U]
    flat = [np.full(u.size, 1.0 / u.size) for u in U]  # a start that knows nothing
    model.m_ = [0.5 * f + 0.5 * (m_b + m_c) / 2 for f, m_b, m_c in zip(flat, M["baby"], M["child"], strict=True)]
    model.lambda_ = 1e-3
    return model


def test_em_recovers_m_per_case_kind() -> None:
    # Plain EM (no leave-one-out, no anchors) is the maximum-likelihood fit of this, correctly specified,
    # model; the default's anchoring trades that for robustness to misspecified data (benchmarks/suite.py).
    data = simulate(np.random.default_rng(7), 3000, SHARE)
    start = _start()
    fitted, report = fit_m(start, data, prior_strength=5.0, share_prior=SHARE, loo=False, anchor=0.0, max_iter=2000)
    assert report.accepted, report.reason
    assert report.confident_cases > 0.1 * 3000 * SHARE
    for kind in ("baby", "child"):
        for k, (got, want, before) in enumerate(zip(fitted.m_of(kind), M[kind], start.m_, strict=True)):
            error, error_before = np.abs(got - want).max(), np.abs(before - want).max()
            assert error <= 0.06, (kind, SPEC.comparisons[k], got.round(3), want)
            assert error <= 0.5 * error_before, (kind, SPEC.comparisons[k], error, error_before)


def test_em_refuses_data_with_no_children() -> None:
    data = simulate(np.random.default_rng(8), 500, 0.0)
    start = _start()
    fitted, report = fit_m(start, data)
    assert not report.accepted and "likely child" in report.reason
    assert fitted is start
    assert "not fitted" in report.format()
