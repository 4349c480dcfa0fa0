"""EM recovers known m, u and lambda from comparison levels simulated with them.

Levels are drawn per comparison from m (true pairs) or u (other pairs) with a seeded numpy
Generator; a share of each comparison is then set to the null level (-1), the same for both kinds
of pair, as a missing value is. The model is fitted with ``fix_u=False`` (EM learns m, u and
lambda) and with u fixed from a separate sample of non-matching pairs (as ``screen`` does).

Tolerance: a fitted probability is a share among the pairs EM attributes to its class, so its
sampling error is about the binomial ``sqrt(p (1 - p) / n)`` with ``n`` the non-null pairs of that
class (e.g. 200,000 pairs x lambda 0.1 x 30 % non-null marks = 6,000 true pairs: 0.0065 at p = 0.5).
EM does not know which pairs are true, and the uncertainty of its responsibilities adds variance, so
each value may be off by 5 such standard errors plus 0.004; lambda by 0.005 (7 binomial standard
errors). Wrong updates (a swapped m/u, a mis-weighted null level, counts ignored) miss by tenths.
"""

from __future__ import annotations

import warnings

import numpy as np
import numpy.typing as npt
import pytest

from reunite.errors import ConfigError, NotFittedError
from reunite.matching.model import ConvergenceWarning, FellegiSunter, pattern_counts
from reunite.matching.spec import ComparisonSpec

SPEC = ComparisonSpec(comparisons=("given_name", "surname", "birth", "region", "marks"))
M = [np.array([.08, .02, .05, .10, .15, .60]), np.array([.30, .10, .60]),
     np.array([.05, .05, .10, .15, .05, .05, .05, .20, .05, .25]), np.array([.10, .05, .15, .20, .50]),
     np.array([.10, .10, .20, .60])]
U = [np.array([.76, .04, .10, .05, .03, .02]), np.array([.85, .05, .10]),
     np.array([.48, .20, .15, .10, .01, .02, .02, .01, .005, .005]), np.array([.50, .20, .15, .10, .05]),
     np.array([.60, .25, .10, .05])]
NULL_SHARE = (0.3, 0.4, 0.2, 0.1, 0.7)
LAMBDA = 0.1
N_PAIRS = 200_000

I8 = npt.NDArray[np.int8]


def simulate(rng: np.random.Generator, n: int, lam: float) -> I8:
    is_match = rng.random(n) < lam
    levels = np.empty((len(M), n), dtype=np.int8)
    for k, (m, u) in enumerate(zip(M, U, strict=True)):
        drawn = np.where(is_match, rng.choice(m.size, size=n, p=m), rng.choice(u.size, size=n, p=u))
        drawn[rng.random(n) < NULL_SHARE[k]] = -1
        levels[k] = drawn
    return levels


def _assert_close(fitted: list[np.ndarray], truth: list[np.ndarray], share: float, what: str) -> None:
    for k, (got, want) in enumerate(zip(fitted, truth, strict=True)):
        n = N_PAIRS * share * (1.0 - NULL_SHARE[k])
        tolerance = 5.0 * np.sqrt(want * (1.0 - want) / n) + 0.004
        assert np.all(np.abs(got - want) <= tolerance), (what, SPEC.comparisons[k], got.round(4), want)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_em_recovers_m_u_and_lambda(seed: int) -> None:
    levels = simulate(np.random.default_rng(seed), N_PAIRS, LAMBDA)
    model = FellegiSunter(SPEC, fix_u=False, max_iter=1000).fit(levels)
    assert model.converged_ and model.n_iter_ < 1000
    assert abs(model.lambda_ - LAMBDA) <= 0.005
    _assert_close(model.m_, M, LAMBDA, "m")
    _assert_close(model.u_, U, 1.0 - LAMBDA, "u")


@pytest.mark.parametrize("seed", [0, 1])
def test_em_with_u_fixed_recovers_m_and_keeps_u(seed: int) -> None:
    rng = np.random.default_rng(seed)
    model = FellegiSunter(SPEC, fix_u=True).fit_u(simulate(rng, N_PAIRS, 0.0))
    u_before = [u.copy() for u in model.u_]
    _assert_close(model.u_, U, 1.0, "u from random pairs")
    model.fit(simulate(rng, N_PAIRS, LAMBDA))
    assert model.converged_
    assert abs(model.lambda_ - LAMBDA) <= 0.005
    _assert_close(model.m_, M, LAMBDA, "m")
    for before, after in zip(u_before, model.u_, strict=True):
        np.testing.assert_array_equal(before, after)


def test_em_on_patterns_equals_em_on_pairs() -> None:
    levels = simulate(np.random.default_rng(3), 20_000, LAMBDA)
    by_pairs = FellegiSunter(SPEC, fix_u=False).fit(levels)
    by_patterns = FellegiSunter(SPEC, fix_u=False).fit_patterns(*pattern_counts(levels))
    for a, b in zip(by_pairs.m_ + by_pairs.u_, by_patterns.m_ + by_patterns.u_, strict=True):
        np.testing.assert_allclose(a, b)


def test_fitted_weights_rank_true_pairs_above_others() -> None:
    rng = np.random.default_rng(4)
    model = FellegiSunter(SPEC, fix_u=False).fit(simulate(rng, N_PAIRS, LAMBDA))
    true_pairs = simulate(rng, 2000, 1.0)
    other_pairs = simulate(rng, 2000, 0.0)
    assert np.median(model.match_weight(true_pairs)) > np.quantile(model.match_weight(other_pairs), 0.95)


def test_stopping_at_max_iter_warns_and_says_so() -> None:
    levels = simulate(np.random.default_rng(5), 5000, LAMBDA)
    with pytest.warns(ConvergenceWarning, match="did not converge in 2 iterations"):
        model = FellegiSunter(SPEC, fix_u=False, max_iter=2).fit(levels)
    assert model.converged_ is False and model.n_iter_ == 2
    assert hasattr(model, "m_")  # the last estimate is kept


def test_convergence_does_not_warn() -> None:
    levels = simulate(np.random.default_rng(6), 5000, LAMBDA)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = FellegiSunter(SPEC, fix_u=False, max_iter=1000, tol=1e-4).fit(levels)
    assert model.converged_


def test_an_unfitted_model_raises_not_fitted() -> None:
    model = FellegiSunter(SPEC)
    levels = simulate(np.random.default_rng(7), 10, LAMBDA)
    for use in (lambda: model.match_weight(levels), lambda: model.weights_, model.weight_table,
                model.to_dict, lambda: model.version,
                lambda: model.tf_adjustment("surname", 2, np.array([0.1], dtype=np.float32), 100)):
        with pytest.raises(NotFittedError, match="call fit"):
            use()
    with pytest.raises(NotFittedError, match="fit_u"):
        model.fit(levels)  # fix_u=True needs u first
    assert isinstance(NotFittedError("x"), RuntimeError)


def test_levels_of_the_wrong_shape_or_range_are_rejected() -> None:
    model = FellegiSunter(SPEC, fix_u=False)
    with pytest.raises(ConfigError, match=r"expected shape \(5, pairs\)"):
        model.fit(np.zeros((4, 10), dtype=np.int8))
    bad = np.zeros((5, 10), dtype=np.int8)
    bad[1, 3] = 3  # surname has levels 0..2
    with pytest.raises(ConfigError, match=r"levels of surname: expected -1\.\.2"):
        model.fit(bad)
