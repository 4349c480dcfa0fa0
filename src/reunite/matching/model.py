"""Fellegi–Sunter scoring with scikit-learn habits.

Parameters are stored by ``__init__``; learned values end in ``_`` (``m_``, ``u_``, ``lambda_``,
``n_iter_``, ``converged_``). ``fit`` runs EM on the unique comparison patterns with their counts,
``fit_u`` takes u from random pairs, ``fit_labelled`` takes m from confirmed pairs. A missing value
(level -1) contributes nothing. The model is data: ``to_dict``/``save`` write versioned JSON.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from reunite._typing import F64, I8
from reunite.errors import ConfigError, NotFittedError
from reunite.matching.comparisons import REGISTRY
from reunite.matching.kinds import CASE_KINDS
from reunite.matching.prepare import PRECISIONS
from reunite.matching.spec import LEVEL_LABELS, ORDERED, ComparisonSpec

__all__ = [
    "MODEL_FORMAT",
    "ConvergenceWarning",
    "FellegiSunter",
    "default_model",
    "merge_pattern_counts",
    "pattern_counts",
]

MODEL_FORMAT = "reunite.model/7"  # 2: birth, registration levels refined; route, birth_monthday
# 3: birth level "a 1st of the month means the month"; vague_place; 4: registration "on time, before the loss"
# 5: registration "within 6 months after the loss" split off "within 2 years after"; birth_monthday "birthday
# within two months, another year"; 6: birth_monthday "near" and "differs" read only beyond "born within 1 year"
# 7: birth "in the case's month" / "in the case's year" (a case known only so) split off "within a month",
# the birth levels renumbered, params.precision_shares; and birth_month "born in the case's month, another
# year" (cases known only to the month), a comparison of its own
_TF_PRIOR_CANDIDATES = 5000



# Bump when a comparison kernel changes what a level means: scores of another revision are not
# comparable, and a nightly re-screen then screens everything anew (the model version changes).
# registration: the delay counted from the latest day a birth written as the 1st of the month may mean;
# birth_monthday: the same birthday allows a day either way; registration: a level for registrations
# on time and surely before the case's loss; registration: "within 6 months after the loss" a band of its own;
# birth_monthday: a level for a birthday near in another year; birth_monthday: near or differs only beyond
# the birth comparison's first band; birth: a birth inside a case's month or year (a case known only so) a
# level of its own, a month beyond a case's year within 1 year; birth_month: a comparison of the case's month
# with the candidate's birthday
_KERNEL_REVISION = ("2026-12-07 registered on time before the loss, birthday a day off, a baby born the day it came, "
                    "registered within 6 months after the loss; birthday near in another year; "
                    "birthday near or differing read only beyond born within 1 year; "
                    "born in the case's month or year; "
                    "2026-12-08 born in the case's month, another year")


@lru_cache(maxsize=1)
def _data_digest() -> str:
    """A digest of the shipped tables that levels read (trafficking routes, divisions)."""
    digest = hashlib.sha256()
    for name in ("reunion_flows.csv", "regions_divisions.tsv"):
        digest.update(resources.files("reunite.data").joinpath(name).read_bytes())
    return digest.hexdigest()[:12]


class ConvergenceWarning(UserWarning):
    """EM stopped at ``max_iter`` before the change fell below ``tol``."""


_ROUNDED_FLOOR = 0.01  # the share a data set with no rounding is treated as having (m never reaches 0)
_PRECISION_FLOOR = 0.001  # the share of cases known only to the month (year) a data set with none is treated as having

_PATTERN_BASE = 11  # levels -1..9 coded 0..10: 18 comparisons fit in an int64 (11**18 < 2**63)


def pattern_counts(levels: I8) -> tuple[I8, npt.NDArray[np.int64]]:
    """Unique comparison patterns (rows of shape (patterns, comparisons)) and how often each occurs.

    >>> levels = np.array([[1, 1, 0], [-1, -1, 2]], dtype=np.int8)
    >>> patterns, counts = pattern_counts(levels)
    >>> patterns.tolist(), counts.tolist()
    ([[0, 2], [1, -1]], [1, 2])
    """
    n_comp = levels.shape[0]
    if n_comp > 18:
        raise ConfigError(f"patterns: at most 18 comparisons; got {n_comp}")
    if levels.size and int(levels.max()) >= _PATTERN_BASE - 1:
        raise ConfigError(f"patterns: levels up to {_PATTERN_BASE - 2}; got {int(levels.max())}")
    key = np.zeros(levels.shape[1], dtype=np.int64)
    for k in range(n_comp):
        key = key * _PATTERN_BASE + (levels[k].astype(np.int64) + 1)
    unique, counts = np.unique(key, return_counts=True)
    patterns = np.empty((unique.shape[0], n_comp), dtype=np.int8)
    rest = unique.copy()
    for k in range(n_comp - 1, -1, -1):
        patterns[:, k] = (rest % _PATTERN_BASE - 1).astype(np.int8)
        rest //= _PATTERN_BASE
    return patterns, counts.astype(np.int64)


def merge_pattern_counts(
    parts: list[tuple[I8, npt.NDArray[np.int64]]],
) -> tuple[I8, npt.NDArray[np.int64]]:
    """Add up pattern counts from several chunks (each from :func:`pattern_counts`)."""
    if not parts:
        return np.zeros((0, 0), dtype=np.int8), np.zeros(0, dtype=np.int64)
    patterns = np.concatenate([p for p, _ in parts])
    counts = np.concatenate([c for _, c in parts])
    unique, inverse = np.unique(patterns, axis=0, return_inverse=True)
    return unique.astype(np.int8), np.bincount(inverse.ravel(), weights=counts).astype(np.int64)


def _scaled_level(m: F64, level: int, factor: float) -> F64:
    """``m`` with its share at ``level`` times ``factor`` (at most 0.5), the others keeping their proportions."""
    out = np.asarray(m, dtype=np.float64).copy()
    new = min(out[level] * factor, 0.5)
    out *= (1.0 - new) / max(1.0 - out[level], 1e-12)
    out[level] = new
    return out


def _monotone(values: F64) -> F64:
    """The closest non-decreasing sequence (pool adjacent violators, equal weights).

    Weights of ordered comparisons must not fall as agreement gets closer.

    >>> _monotone(np.array([-2.0, 1.0, 0.0, 3.0])).tolist()
    [-2.0, 0.5, 0.5, 3.0]
    """
    out = values.astype(np.float64).copy()
    blocks: list[list[float]] = []
    for v in out:
        blocks.append([v, 1.0])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            total, count = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += count
    result: list[float] = []
    for total, count in blocks:
        result.extend([total / count] * int(count))
    return np.array(result)


class FellegiSunter:
    """A Fellegi–Sunter model over the comparisons of a :class:`ComparisonSpec`.

    Parameters
    ----------
    spec:
        The comparisons and their parameters (default: the cold-case preset).
    prior:
        Probability that a case's true match is among the candidates it is compared with; turns
        match weights into per-case probabilities.
    max_iter, tol:
        EM stops after ``max_iter`` iterations or when no m, u or lambda moves more than ``tol``.
    fix_u:
        Keep u (from ``fit_u``) fixed during EM, as Splink does; EM then learns m and lambda.

    Attributes
    ----------
    m_, u_:
        Per comparison, the probability of each level among true pairs and among other pairs.
    lambda_:
        Share of true pairs among the compared pairs (EM).
    kind_m_:
        Optional m per case kind (:data:`reunite.matching.kinds.CASE_KINDS`): a pair is weighed with the m
        of its case's kind; a kind without its own m uses ``m_``.
    frequencies_:
        Optional term frequencies (share of candidates per given name, pinyin and surname), set by
        ``fit_frequencies``; when present, scores do not depend on which candidates are screened.
    floor:
        Smallest probability any m or u may take, so no level gets an infinite weight.
    temperature:
        Every weight is ``temperature * log2(m / u)``. Fields are not independent (a renamed child is
        often also re-registered and moved), so summed weights overstate the evidence; a temperature
        below 1, fitted with ``prior`` on held-out labelled data (tools/train_default_model.py), makes
        probabilities calibrated. It never changes a ranking.
    contamination:
        Share ``a`` of each comparison of a true pair taken as unrelated to the case: a level is weighed
        ``log2(((1 - a) m + a u) / u)`` instead of ``log2(m / u)``. A child's new identity changes its
        name, birth and place together, which independent weights count once per field; with ``a``
        no single disagreement costs more than ``log2(1 / a)`` bits (before the temperature), and a
        rare agreement a little less. It changes rankings (the shipped ``a`` was chosen on random
        configurations disjoint from the suite, benchmarks/README.md); m itself, and its fit, are
        unchanged. 0 weighs by m alone.
    scale:
        A multiplier per comparison (by name; an absent one is 1) of its weights and term-frequency
        adjustments: the temperature for one comparison. Correlated fields count their evidence more
        than once (a kept identity keeps given name, surname and former names together), so a sum of
        independent weights over-weighs some comparisons against others; the shipped scales were fitted
        by which candidate of a case's top 50 is its child, on labelled random configurations of two
        generators (tools/train_default_model.py, benchmarks/README.md). It changes rankings; m, u and
        their fit are unchanged.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> model = FellegiSunter(ComparisonSpec(comparisons=("surname", "birth")))
    >>> u_levels = np.stack([rng.choice(3, 5000, p=[.9, .05, .05]), rng.choice(5, 5000)]).astype(np.int8)
    >>> _ = model.fit_u(u_levels)
    >>> round(float(model.u_[0][0]), 2)
    0.9
    """

    # learned values: absent until fitted (``hasattr`` tells), as in scikit-learn
    m_: list[F64]
    u_: list[F64]
    lambda_: float
    n_iter_: int
    converged_: bool
    frequencies_: dict[str, dict[str, float]]
    frequency_candidates_: int
    kind_m_: dict[str, list[F64]]

    def __init__(
        self,
        spec: ComparisonSpec | None = None,
        *,
        prior: float = 0.5,
        max_iter: int = 200,
        tol: float = 1e-6,
        fix_u: bool = True,
        floor: float = 1e-5,
        temperature: float = 1.0,
        rounded_share: float | None = None,
        precision_shares: Mapping[str, float] | None = None,
        contamination: float = 0.0,
        scale: Mapping[str, float] | None = None,
    ) -> None:
        self.spec = spec if spec is not None else ComparisonSpec()
        self.prior = prior
        self.max_iter = max_iter
        self.tol = tol
        self.fix_u = fix_u
        self.floor = floor
        self.temperature = temperature
        self.rounded_share = rounded_share
        self.precision_shares = None if precision_shares is None else \
            {str(name): float(value) for name, value in precision_shares.items()}
        self.contamination = contamination
        self.scale = {str(name): float(value) for name, value in (scale or {}).items()}
        unknown = sorted(set(self.scale) - set(self.spec.comparisons))
        if unknown:
            raise ConfigError(f"scale: unknown comparison(s) {', '.join(unknown)}; expected some of "
                              f"{', '.join(self.spec.comparisons)}")
        wrong = {name: value for name, value in self.scale.items() if not 0.0 < value <= 4.0}
        if wrong:
            raise ConfigError(f"scale: expected a multiplier in (0, 4] per comparison; got {wrong}")
        if not 0.0 <= contamination < 1.0:
            raise ConfigError(f"contamination: expected a share in [0, 1); got {contamination}")
        if rounded_share is not None and not 0.0 <= rounded_share <= 1.0:
            raise ConfigError(f"rounded_share: expected a share in [0, 1]; got {rounded_share}")
        if self.precision_shares is not None and (
                not set(self.precision_shares) <= set(PRECISIONS)
                or not all(0.0 <= v <= 1.0 for v in self.precision_shares.values())):
            raise ConfigError(f"precision_shares: expected shares in [0, 1] of some of {', '.join(PRECISIONS)}; "
                              f"got {precision_shares}")
        if not 0.0 < temperature <= 4.0:
            raise ConfigError(f"temperature: expected a scale in (0, 4]; got {temperature}")
        if not 0.0 < prior < 1.0:
            raise ConfigError(f"prior: expected a probability in (0, 1); got {prior}")

    # -- fitting -----------------------------------------------------------------------------
    def _check_levels(self, levels: I8) -> I8:
        levels = np.asarray(levels, dtype=np.int8)
        sizes = self.spec.n_levels()
        if levels.ndim != 2 or levels.shape[0] != len(sizes):
            raise ConfigError(
                f"levels: expected shape ({len(sizes)}, pairs) for {self.spec.comparisons}; got {levels.shape}"
            )
        for k, size in enumerate(sizes):
            if levels.shape[1] and (levels[k].max() >= size or levels[k].min() < -1):
                raise ConfigError(
                    f"levels of {self.spec.comparisons[k]}: expected -1..{size - 1}; "
                    f"got {levels[k].min()}..{levels[k].max()}"
                )
        return levels

    def _frequencies(self, patterns: I8, weights: F64) -> list[F64]:
        out = []
        for k, size in enumerate(self.spec.n_levels()):
            column = patterns[:, k]
            valid = column >= 0
            counts = np.bincount(column[valid], weights=weights[valid], minlength=size).astype(np.float64)
            total = counts.sum()
            probs = counts / total if total > 0 else np.full(size, 1.0 / size)
            probs = np.maximum(probs, self.floor)
            out.append(probs / probs.sum())
        return out

    def fit_u(self, levels: I8, *, prior_pairs: float = 0.0) -> FellegiSunter:
        """u from comparison levels of random (overwhelmingly non-matching) pairs.

        With ``prior_pairs > 0`` and a u already set, the old u counts as that many pairs: a small
        data set then moves u only a little (``(counts + prior_pairs * u_old) / (n + prior_pairs)``).
        """
        levels = self._check_levels(levels)
        patterns, counts = pattern_counts(levels)
        observed = self._frequencies(patterns, counts.astype(np.float64))
        if prior_pairs > 0 and hasattr(self, "u_"):
            share = levels.shape[1] / (levels.shape[1] + prior_pairs)
            observed = [share * new + (1.0 - share) * old for new, old in zip(observed, self.u_, strict=True)]
        self.u_ = observed
        return self

    def fit_labelled(
        self, levels: I8, *, smoothing: float = 0.2, kinds: I8 | None = None, kind_strength: float = 50.0
    ) -> FellegiSunter:
        """m from comparison levels of confirmed true pairs (reunions confirmed by DNA).

        ``smoothing`` mixes the observed shares with a uniform distribution over levels
        (``m = (1 - smoothing) * observed + smoothing / levels``): a few hundred labelled pairs never
        saw every way a real record can differ, and no level should become near-impossible for a
        true pair because the labels happened not to show it.

        ``kinds`` (each pair's case kind) also fits m per kind: a kind's shares count
        ``kind_strength`` pseudo-pairs of the pooled shares, so a kind with few labels stays near them.
        """
        levels = self._check_levels(levels)
        if levels.shape[1] == 0:
            raise ConfigError("fit_labelled: expected at least one confirmed pair; got none")
        if not 0.0 <= smoothing < 1.0:
            raise ConfigError(f"smoothing: expected a value in [0, 1); got {smoothing}")
        patterns, counts = pattern_counts(levels)
        observed = self._frequencies(patterns, counts.astype(np.float64))
        self.m_ = [(1.0 - smoothing) * m + smoothing / m.size for m in observed]
        if kinds is None and hasattr(self, "kind_m_"):
            del self.kind_m_  # m per kind of an earlier fit would override the m just fitted
        if kinds is not None:
            kinds = np.asarray(kinds, dtype=np.int8)
            if kinds.shape != (levels.shape[1],) or kinds.min() < 0 or kinds.max() >= len(CASE_KINDS):
                raise ConfigError(f"kinds: expected one kind in 0..{len(CASE_KINDS) - 1} per pair; got {kinds.shape}")
            self.kind_m_ = {}
            for index, kind in enumerate(CASE_KINDS):
                mine = levels[:, kinds == index]
                n = mine.shape[1]
                mine_patterns, mine_counts = pattern_counts(mine)
                own = self._frequencies(mine_patterns, mine_counts.astype(np.float64)) if n else observed
                shares = [(n * a + kind_strength * b) / (n + kind_strength) for a, b in zip(own, observed, strict=True)]
                self.kind_m_[kind] = [(1.0 - smoothing) * m + smoothing / m.size for m in shares]
        if not hasattr(self, "lambda_"):
            self.lambda_ = 1e-4
        return self

    def fit_rounded_share(self, share: float) -> FellegiSunter:
        """Move m of the birth level "a 1st of the month means the month" (a comparison's
        ``rounding_level``) to data whose registers write ``share`` of their births as the 1st of the
        month (beyond the one in thirty born on a 1st).

        That level's m is the share of true pairs whose dates agree only on that reading: in proportion
        to how often registers round, which the data show and labels of other data do not. m of the
        level (overall and per kind) is scaled by ``(share + 0.01) / (rounded_share + 0.01)``, the other
        levels keep their proportions, and ``rounded_share`` becomes ``share``. Without a
        ``rounded_share`` (m fitted on data with unknown rounding) or a comparison with such a level: unchanged.
        """
        if not 0.0 <= share <= 1.0:
            raise ConfigError(f"rounded share: expected a share in [0, 1]; got {share}")
        rounding = {k: level for k, name in enumerate(self.spec.comparisons)
                    if (level := REGISTRY[name].rounding_level) is not None}
        if self.rounded_share is None or not rounding:
            return self
        self._require_fitted()
        factor = (share + _ROUNDED_FLOOR) / (self.rounded_share + _ROUNDED_FLOOR)

        def scaled(m: F64, level: int) -> F64:
            out = np.asarray(m, dtype=np.float64).copy()
            new = min(out[level] * factor, 0.5)
            out *= (1.0 - new) / max(1.0 - out[level], 1e-12)
            out[level] = new
            return out

        def rescaled(ms: list[F64]) -> list[F64]:
            return [scaled(m, rounding[k]) if k in rounding else m for k, m in enumerate(ms)]

        self.m_ = rescaled(self.m_)
        if self.has_kinds:
            self.kind_m_ = {kind: rescaled(ms) for kind, ms in self.kind_m_.items()}
        self.rounded_share = share
        return self

    def fit_precision_shares(self, shares: Mapping[str, float], *, pairs: int = 0,
                             prior_pairs: float = 0.0) -> FellegiSunter:
        """Move m of the levels that only a case of one birth precision takes (a comparison's
        ``precision_levels``: "born in the case's month" for a case known only to the month) to data
        whose cases are ``shares`` of each precision (of the cases with a known birth).

        m of such a level is the share of true pairs whose case has that precision times the share of
        those that take it; u, fitted on the screened data's random pairs (:meth:`fit_u`), holds the
        screened cases' share, m the share of the data it was fitted on. The weight is the ratio of the
        two given the precision only when both hold the same share: m of the level (overall and per kind)
        is scaled by the new share over ``precision_shares`` (each floored at 0.001), the other levels
        keep their proportions. ``pairs`` and ``prior_pairs`` weigh the new shares against the old as
        :meth:`fit_u` weighs its pairs against the old u, so that m and u move alike. Without
        ``precision_shares`` (m fitted on data of unknown shares): unchanged.
        """
        wrong = {k: v for k, v in shares.items() if k not in PRECISIONS or not 0.0 <= v <= 1.0}
        if wrong:
            raise ConfigError(f"precision shares: expected shares in [0, 1] of some of {', '.join(PRECISIONS)}; "
                              f"got {wrong}")
        levels = [(k, precision, level) for k, name in enumerate(self.spec.comparisons)
                  for precision, level in REGISTRY[name].precision_levels]
        if self.precision_shares is None or not levels:
            return self
        self._require_fitted()
        weight = pairs / (pairs + prior_pairs) if pairs + prior_pairs > 0 else 1.0
        new = {p: weight * float(shares.get(p, 0.0)) + (1.0 - weight) * self.precision_shares.get(p, 0.0)
               for p in self.precision_shares}
        factors = {p: (new[p] + _PRECISION_FLOOR) / (self.precision_shares[p] + _PRECISION_FLOOR) for p in new}

        def rescaled(ms: list[F64]) -> list[F64]:
            out = [np.asarray(m, dtype=np.float64).copy() for m in ms]
            for k, precision, level in levels:
                if precision in factors:
                    out[k] = _scaled_level(out[k], level, factors[precision])
            return out

        self.m_ = rescaled(self.m_)
        if self.has_kinds:
            self.kind_m_ = {kind: rescaled(ms) for kind, ms in self.kind_m_.items()}
        self.precision_shares = new
        return self

    def fit_frequencies(self, frequencies: dict[str, dict[str, float]], n_candidates: int) -> FellegiSunter:
        """Fix the term frequencies (see :func:`reunite.matching.prepare.name_frequencies`).

        ``n_candidates`` is how many candidates they were counted over: shares from a few hundred
        people say little, and the adjustment shrinks towards zero for them.
        """
        missing = {"given", "pinyin", "surname"} - set(frequencies)
        if missing:
            raise ConfigError("frequencies: expected given, pinyin and surname tables; missing "
                              + ", ".join(sorted(missing)))
        if n_candidates < 1:
            raise ConfigError(f"n_candidates: expected at least 1; got {n_candidates}")
        self.frequencies_ = {k: dict(v) for k, v in frequencies.items()}
        self.frequency_candidates_ = int(n_candidates)
        return self

    def fit(self, levels: I8) -> FellegiSunter:
        """EM on the blocked pairs' comparison levels (shape (comparisons, pairs)).

        Runs on the unique patterns with their counts, so its cost does not grow with the pair count.
        """
        levels = self._check_levels(levels)
        patterns, counts = pattern_counts(levels)
        return self.fit_patterns(patterns, counts)

    def fit_patterns(self, patterns: I8, counts: npt.NDArray[np.int64]) -> FellegiSunter:
        """EM on unique comparison patterns (shape (patterns, comparisons)) and their counts.

        Patterns of many chunks can be merged (:func:`merge_pattern_counts`) and fitted at once.
        """
        patterns = np.asarray(patterns, dtype=np.int8)
        self._check_levels(patterns.T)
        weights = np.asarray(counts, dtype=np.float64)
        sizes = self.spec.n_levels()
        m = list(getattr(self, "m_", None) or [np.linspace(1.0, float(s), s) / np.linspace(1.0, float(s), s).sum()
                                                for s in sizes])
        if self.fix_u and not hasattr(self, "u_"):
            raise NotFittedError("fit with fix_u=True needs u first: call fit_u on random pairs")
        u = list(getattr(self, "u_", None) or [np.linspace(float(s), 1.0, s) / np.linspace(float(s), 1.0, s).sum()
                                               for s in sizes])
        lam = float(getattr(self, "lambda_", 0.01))
        lam = min(max(lam, 1e-6), 0.5)
        self.converged_ = False
        for iteration in range(1, self.max_iter + 1):
            log_m = np.zeros(patterns.shape[0])
            log_u = np.zeros(patterns.shape[0])
            for k in range(len(sizes)):
                column = patterns[:, k]
                valid = column >= 0
                log_m[valid] += np.log(m[k][column[valid]])
                log_u[valid] += np.log(u[k][column[valid]])
            log_a = np.log(lam) + log_m
            log_b = np.log1p(-lam) + log_u
            resp = 1.0 / (1.0 + np.exp(np.clip(log_b - log_a, -700, 700)))
            new_lam = float((resp * weights).sum() / weights.sum())
            new_m = self._frequencies(patterns, resp * weights)
            new_u = u if self.fix_u else self._frequencies(patterns, (1.0 - resp) * weights)
            change = max(
                abs(new_lam - lam),
                max(float(np.abs(a - b).max()) for a, b in zip(new_m, m, strict=True)),
                max(float(np.abs(a - b).max()) for a, b in zip(new_u, u, strict=True)),
            )
            m, u, lam = new_m, new_u, min(max(new_lam, 1e-9), 1 - 1e-9)
            self.n_iter_ = iteration
            if change < self.tol:
                self.converged_ = True
                break
        if not self.converged_:
            warnings.warn(
                f"EM did not converge in {self.max_iter} iterations (tol {self.tol}); "
                "raise max_iter or check the comparison levels",
                ConvergenceWarning,
                stacklevel=2,
            )
        self.m_, self.u_, self.lambda_ = m, u, lam
        if hasattr(self, "kind_m_"):
            del self.kind_m_  # m per kind of an earlier fit would override the m just fitted
        return self

    # -- scoring -----------------------------------------------------------------------------
    def _require_fitted(self) -> None:
        if not (hasattr(self, "m_") and hasattr(self, "u_")):
            raise NotFittedError(
                "this FellegiSunter model has no m and u yet: call fit/fit_u/fit_labelled or load one"
            )

    @property
    def weights_(self) -> list[F64]:
        """log2(m/u) per level (m mixed with u by :attr:`contamination`, times the temperature and the
        comparison's :attr:`scale`); ordered comparisons made non-decreasing in level."""
        self._require_fitted()
        return self._weights(self.m_)

    def _weights(self, m_per_comparison: list[F64]) -> list[F64]:
        out = []
        a = self.contamination
        for name, m, u in zip(self.spec.comparisons, m_per_comparison, self.u_, strict=True):
            w = self.temperature * self.scale.get(name, 1.0) * np.log2(((1.0 - a) * m + a * u if a else m) / u)
            out.append(_monotone(w) if name in ORDERED else w)
        return out

    @staticmethod
    def _table(weights: list[F64]) -> npt.NDArray[np.float32]:
        table = np.zeros((len(weights), 1 + max(len(w) for w in weights)), dtype=np.float32)
        for k, w in enumerate(weights):
            table[k, 1:1 + len(w)] = w
        return table

    @property
    def has_kinds(self) -> bool:
        """Whether m differs by case kind (:attr:`kind_m_` is set)."""
        return bool(getattr(self, "kind_m_", None))

    def m_of(self, kind: str) -> list[F64]:
        """m of a case kind: its own when fitted, else the pooled ``m_``."""
        self._require_fitted()
        return self.kind_m_.get(kind, self.m_) if self.has_kinds else self.m_

    def kind_weights(self, kind: str) -> list[F64]:
        """:attr:`weights_` for pairs of a case kind."""
        return self._weights(self.m_of(kind))

    def kind_weight_tables(self) -> npt.NDArray[np.float32]:
        """Weights per case kind as a (kinds, comparisons, 1 + max levels) table; column 0 is null."""
        return np.stack([self._table(self.kind_weights(kind)) for kind in CASE_KINDS])

    def weight_table(self) -> npt.NDArray[np.float32]:
        """Weights as a (comparisons, 1 + max levels) table; column 0 is the null level (0)."""
        return self._table(self.weights_)

    def match_weight(self, levels: I8) -> npt.NDArray[np.float32]:
        """Sum of level weights per pair (log2 Bayes factor), before term-frequency adjustment."""
        table = self.weight_table()
        levels = np.asarray(levels)
        total = np.zeros(levels.shape[1], dtype=np.float32)
        for k in range(levels.shape[0]):
            total += table[k][levels[k].astype(np.intp) + 1]
        return total

    def tf_adjustment(
        self, comparison: str, level: int, frequency: npt.NDArray[np.float32], n_candidates: int
    ) -> npt.NDArray[np.float32]:
        """Extra weight for agreeing on a value as common as ``frequency`` (a share of candidates).

        Agreeing on a rare value is stronger evidence than on a common one: the level's u is replaced
        by the value's own frequency, log2(u_level / frequency), clipped to +-4 bits and shrunk by
        ``n / (n + 5000)`` for shares counted over ``n`` candidates (a share among 30 people is noise).
        """
        self._require_fitted()
        k = self.spec.comparisons.index(comparison)
        u_level = float(self.u_[k][level])
        freq = np.maximum(frequency.astype(np.float64), 1e-7)
        shrink = n_candidates / (n_candidates + _TF_PRIOR_CANDIDATES)
        factor = self.temperature * self.scale.get(comparison, 1.0) * shrink
        return (factor * np.clip(np.log2(u_level / freq), -4.0, 4.0)).astype(np.float32)

    # -- persistence -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        self._require_fitted()
        body = {
            "format": MODEL_FORMAT,
            "spec": self.spec.to_dict(),
            "params": {"prior": self.prior, "max_iter": self.max_iter, "tol": self.tol,
                       "fix_u": self.fix_u, "floor": self.floor, "temperature": self.temperature,
                       "rounded_share": self.rounded_share,
                       **({"precision_shares": {p: self.precision_shares[p] for p in PRECISIONS
                                                if p in self.precision_shares}}
                          if self.precision_shares is not None else {}),
                       **({"contamination": self.contamination} if self.contamination else {}),
                       **({"scale": {n: self.scale[n] for n in self.spec.comparisons if n in self.scale}}
                          if self.scale else {})},
            "m": {n: [round(float(v), 8) for v in m] for n, m in zip(self.spec.comparisons, self.m_, strict=True)},
            "u": {n: [round(float(v), 8) for v in u] for n, u in zip(self.spec.comparisons, self.u_, strict=True)},
            "lambda": float(getattr(self, "lambda_", 0.0)),
            "levels": {n: list(LEVEL_LABELS[n]) for n in self.spec.comparisons},
        }
        if self.has_kinds:
            body["m_by_kind"] = {
                kind: {n: [round(float(v), 8) for v in m] for n, m in zip(self.spec.comparisons, ms, strict=True)}
                for kind, ms in self.kind_m_.items()
            }
        if hasattr(self, "frequencies_"):
            body["frequencies"] = self.frequencies_
            body["frequency_candidates"] = self.frequency_candidates_
        scoring = ("format", "spec", "params", "m", "m_by_kind", "u", "frequencies", "frequency_candidates")
        content = {k: body.get(k) for k in scoring}
        content["kernels"] = _KERNEL_REVISION  # what the levels mean, and the data they read
        content["data"] = _data_digest()
        body["version"] = hashlib.sha256(
            json.dumps(content, sort_keys=True, ensure_ascii=False).encode()
        ).hexdigest()[:12]
        return body

    @property
    def version(self) -> str:
        """A short content hash of everything that changes a score or probability (spec, params incl.
        the prior, m, u, term frequencies): a run is replayed by the model of the same version."""
        return str(self.to_dict()["version"])

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FellegiSunter:
        if not isinstance(data, dict):
            raise ConfigError(f"model: expected a JSON object; got {type(data).__name__}")
        if data.get("format") in ("reunite.model/1", "reunite.model/2", "reunite.model/3", "reunite.model/4",
                                   "reunite.model/5"):
            raise ConfigError(
                f"model: made by an earlier reunite (format {data['format']}, whose comparisons and levels "
                "differ): fit a new one with `reunite train` or `reunite screen --model-out`, or use the model "
                "that ships with reunite"
            )
        if data.get("format") != MODEL_FORMAT:
            raise ConfigError(f"model: expected format {MODEL_FORMAT!r}; got {data.get('format')!r}")
        try:
            spec = ComparisonSpec.from_dict(data["spec"])
            model = cls(spec, **data["params"])
            model.m_ = [np.asarray(data["m"][n], dtype=np.float64) for n in spec.comparisons]
            model.u_ = [np.asarray(data["u"][n], dtype=np.float64) for n in spec.comparisons]
            model.lambda_ = float(data["lambda"])
            if data.get("m_by_kind"):
                unknown = set(data["m_by_kind"]) - set(CASE_KINDS)
                if unknown:
                    raise ConfigError(f"model: m_by_kind has unknown case kinds {', '.join(sorted(unknown))}; "
                                      f"expected some of {', '.join(CASE_KINDS)}")
                model.kind_m_ = {
                    str(kind): [np.asarray(ms[n], dtype=np.float64) for n in spec.comparisons]
                    for kind, ms in data["m_by_kind"].items()
                }
            if "frequencies" in data:
                model.fit_frequencies(
                    {str(kind): {str(v): float(f) for v, f in table.items()}
                     for kind, table in data["frequencies"].items()},
                    int(data["frequency_candidates"]),
                )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConfigError(f"model: missing or malformed field ({exc!r})") from exc
        if not 0.0 <= model.lambda_ <= 1.0:  # the share of matches among pairs (EM's start): a probability
            raise ConfigError(f"model: lambda must be a probability in [0, 1]; got {data['lambda']!r}")
        for k, (name, m, u) in enumerate(zip(spec.comparisons, model.m_, model.u_, strict=True)):
            extra = [("m", ms[k]) for ms in getattr(model, "kind_m_", {}).values()]
            if m.shape != (len(LEVEL_LABELS[name]),) or u.shape != m.shape or any(e.shape != m.shape for _, e in extra):
                raise ConfigError(f"model: {name} expects {len(LEVEL_LABELS[name])} levels; got {m.shape}")
            for what, probs in (("m", m), ("u", u), *extra):
                if not (np.all(np.isfinite(probs)) and np.all(probs > 0) and abs(float(probs.sum()) - 1) < 1e-3):
                    raise ConfigError(
                        f"model: {what} of {name} must be positive probabilities summing to 1; got {probs.tolist()}"
                    )
        return model

    def save(self, path: str | Path) -> Path:
        out = Path(path)
        out.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
        return out

    @classmethod
    def load(cls, path: str | Path) -> FellegiSunter:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ConfigError(f"model file {path}: cannot read it ({exc})") from exc
        return cls.from_dict(data)


def default_model() -> FellegiSunter:
    """The model that ships with reunite (see ``reunite/data/default_model.json`` for provenance)."""
    text = resources.files("reunite.data").joinpath("default_model.json").read_text(encoding="utf-8")
    return FellegiSunter.from_dict(json.loads(text))
