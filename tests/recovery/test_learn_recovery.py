"""One-child-per-case EM (reunite.matching.learn) recovers m from cases simulated with known m and u.

Each simulated case has ``N`` candidates; with probability ``SHARE`` one of them is its child, whose
levels are drawn from m (of the case's kind), the others from u. The fit starts from a wrong m (the
prior centre) and must move m to the truth: within 0.06 of every true probability, and closer than
the start by at least half of the start's error. A data set with no child in any case must be refused.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from reunite.matching.comparisons import REGISTRY
from reunite.matching.comparisons.registration import Level
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


def simulate(rng: np.random.Generator, n_cases: int, share: float, m_true: dict[str, list[np.ndarray]] = M,
             u_true: list[np.ndarray] = U) -> CasePatterns:
    kinds = rng.choice(np.array([1, 2], dtype=np.int8), size=n_cases)
    has_child = rng.random(n_cases) < share
    case = np.repeat(np.arange(n_cases), N)
    levels = np.stack([rng.choice(u.size, size=case.size, p=u) for u in u_true])
    first = np.arange(n_cases) * N
    for index in np.flatnonzero(has_child):
        m = m_true[CASE_KINDS[int(kinds[index])]]
        levels[:, first[index]] = [rng.choice(p.size, p=p) for p in m]
    base = 8
    code = np.zeros(case.size, dtype=np.int64)
    for row in levels:
        code = code * base + row + 1
    n_comp = len(u_true)
    key = case * base ** n_comp + code
    unique, counts = np.unique(key, return_counts=True)
    distinct, row_pattern = np.unique(unique % base ** n_comp, return_inverse=True)
    patterns = np.empty((distinct.size, n_comp), dtype=np.int8)
    rest = distinct.copy()
    for k in range(n_comp - 1, -1, -1):
        patterns[:, k] = rest % base - 1
        rest //= base
    return CasePatterns(patterns, unique // base ** n_comp, row_pattern.ravel(), counts.astype(np.float64),
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


def test_a_held_level_keeps_its_starting_m_and_the_other_levels_are_still_fitted() -> None:
    # "registered before the child went missing" is held (REGISTRY["registration"].held_levels): the
    # simulated children take it a tenth of the time (a fit without the hold moved it from 0.01 to
    # 0.08-0.12), yet the fit keeps the start's m of it per kind and fits the other levels to the truth's
    # proportions.
    spec = ComparisonSpec(comparisons=(*SPEC.comparisons, "registration"))
    held = list(REGISTRY["registration"].held_levels)
    assert held == [int(Level.BEFORE_MISSING)]
    registration_m = {"baby": np.array([.10, .40, .20, .10, .10, .06, .04]),
                      "child": np.array([.10, .15, .10, .05, .30, .18, .12])}
    registration_u = np.array([.50, .35, .08, .04, .02, .007, .003])
    m_true = {kind: [*M[kind], registration_m[kind]] for kind in ("baby", "child")}
    u_true = [*U, registration_u]
    data = simulate(np.random.default_rng(11), 3000, SHARE, m_true, u_true)
    start = FellegiSunter(spec)
    start.u_ = [u.copy() for u in u_true]
    start.m_ = [*((baby + child) / 2 for baby, child in zip(M["baby"], M["child"], strict=True)),
                np.array([.01, *[.99 / 6] * 6])]
    start.lambda_ = 1e-3
    fitted, report = fit_m(start, data, prior_strength=5.0, share_prior=SHARE, loo=False, anchor=0.0, max_iter=2000)
    assert report.accepted, report.reason
    for kind in ("baby", "child"):
        got = fitted.m_of(kind)[4]
        assert got[held].tolist() == start.m_[4][held].tolist(), (kind, got.round(3))
        assert abs(float(got.sum()) - 1.0) < 1e-9
        free = np.ones(got.size, dtype=bool)
        free[held] = False
        want = registration_m[kind][free] / registration_m[kind][free].sum() * (1.0 - start.m_[4][held].sum())
        error, error_before = np.abs(got[free] - want).max(), np.abs(start.m_[4][free] - want).max()
        assert error <= 0.06 and error <= 0.5 * error_before, (kind, got.round(3), want.round(3))
        for k in range(4):
            assert np.abs(fitted.m_of(kind)[k] - m_true[kind][k]).max() <= 0.06, (kind, spec.comparisons[k])


def test_held_levels_are_checked_when_a_comparison_is_made() -> None:
    registration = REGISTRY["registration"]
    n_levels = len(registration.labels)
    for wrong in ((n_levels,), (0, 0), (-1,), tuple(range(n_levels))):
        with pytest.raises(ValueError, match="held_levels"):
            dataclasses.replace(registration, held_levels=wrong)
