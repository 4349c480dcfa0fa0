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
    base = 10  # levels -1..8 coded 0..9
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


def _split_fit(refit_split: tuple[int, ...], monkeypatch: pytest.MonkeyPatch) -> list[np.ndarray]:
    """Registration's m per kind (baby, child) fitted, leave-one-out and anchored as by default, on
    cases whose children are told apart by their birth date, with registration's ``refit_split``."""
    monkeypatch.setitem(REGISTRY, "registration", dataclasses.replace(REGISTRY["registration"],
                                                                      refit_split=refit_split))
    spec = ComparisonSpec(comparisons=(*SPEC.comparisons, "birth", "registration"))
    weak = [0.7 * u + 0.3 * np.full(u.size, 1.0 / u.size) for u in U]  # m near u: little evidence
    birth_m = np.array([.02, .02, .03, .05, .03, .02, .08, .75])
    birth_u = np.array([.80, .06, .063, .054, .003, .0025, .0095, .0080])
    m_true = {kind: [*weak, birth_m, REGISTRATION_M] for kind in ("baby", "child")}
    u_true = [*U, birth_u, REGISTRATION_U]
    data = simulate(np.random.default_rng(12), 3000, SHARE, m_true, u_true)
    start = FellegiSunter(spec)
    start.u_ = [u.copy() for u in u_true]
    start.m_ = [*(w.copy() for w in weak), birth_m.copy(), REGISTRATION_START.copy()]
    start.lambda_ = 1e-3
    fitted, report = fit_m(start, data, share_prior=SHARE, max_iter=2000)
    assert report.accepted, report.reason
    return [fitted.m_of(kind)[5] for kind in ("baby", "child")]


#: registration's levels: before the loss, on time, late, years late, years after the loss, 6 months to
#: 2 years after, within 6 months after; the children mostly registered within 6 months of the loss,
#: the start (and its prior) says years after
REGISTRATION_M = np.array([.01, .10, .04, .04, .10, .15, .56])
REGISTRATION_U = np.array([.50, .35, .08, .04, .02, .007, .003])
REGISTRATION_START = np.array([.01, .30, .10, .05, .40, .10, .04])


def test_registration_splits_its_after_loss_mass_as_an_e_step_that_keeps_birth_says(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Registration's m is learned with the whole birth-date field left out of its E-step (names, place
    # and marks alone rarely find the child, so it stays near the start). ``refit_split`` re-splits the
    # mass of the three "after the loss" levels among themselves by an E-step that leaves out
    # registration alone (birth finds the children): their total and every other level stay close to
    # the whole-field fit (they differ only through the other comparisons' E-steps, which see the new
    # split), and the split comes well towards the truth's.
    after = list(REGISTRY["registration"].refit_split)
    assert sorted(after) == [int(Level.AFTER_MISSING), int(Level.SOON_AFTER_MISSING), int(Level.MONTHS_AFTER_MISSING)]
    others = [level for level in range(REGISTRATION_M.size) if level not in after]
    whole_field = _split_fit((), monkeypatch)
    split = _split_fit(tuple(after), monkeypatch)
    want = REGISTRATION_M[after] / REGISTRATION_M[after].sum()
    for kind, got, today in zip(("baby", "child"), split, whole_field, strict=True):
        assert np.abs(got[others] - today[others]).max() <= 0.005, (kind, got.round(3), today.round(3))
        assert abs(float(got[after].sum() - today[after].sum())) <= 0.005, (kind, got.round(3), today.round(3))
        error = np.abs(got[after] / got[after].sum() - want).max()
        error_today = np.abs(today[after] / today[after].sum() - want).max()
        assert error <= 0.5 * error_today, (kind, got.round(3), today.round(3), want.round(3))


def test_refit_split_is_checked_when_a_comparison_is_made() -> None:
    registration = REGISTRY["registration"]
    n_levels = len(registration.labels)
    for wrong in ((4,), (4, 4), (4, n_levels), (-1, 4), (int(Level.BEFORE_MISSING), 4)):
        with pytest.raises(ValueError, match="refit_split"):
            dataclasses.replace(registration, refit_split=wrong)
