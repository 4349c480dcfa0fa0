"""Multipliers of a comparison's contributions by conditional logit: which row of a case is its child.

One function, used by ``rerank_cross.py`` (the ``fs_reweight`` re-rankers), ``scale_transfer.py`` and
``tools/train_default_model.py --fit-scale`` (the model's comparison scales). numpy and scipy only.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

F = npt.NDArray[np.float64]


def fit_multipliers(x: F, y: npt.NDArray[np.bool_], case: npt.NDArray[np.int64], *, start: float = 1.0,
                    ridge: float = 0.0, bounds: tuple[float, float] = (0.0, 5.0), case_weight: F | None = None) -> F:
    """Multipliers ``w`` of the columns of ``x`` maximising the mean log-probability that each case's
    softmax of ``x @ w`` picks the row ``y`` marks, less ``ridge`` times the squared distance of ``w``
    from ``start`` (a column the rows cannot tell apart keeps ``start``); each ``w`` within ``bounds``.
    ``case`` numbers the rows' cases 0..n-1; every case should hold one marked row. ``case_weight`` (one
    per case, default all alike) makes the mean a weighted one: e.g. ``1 / (its generator's cases)`` weighs
    each generator's mean alike, however many cases each brings."""
    from scipy.optimize import minimize

    n = int(case.max()) + 1
    weight = np.ones(n) if case_weight is None else np.asarray(case_weight, dtype=np.float64)
    if weight.shape != (n,) or not (weight >= 0).all() or weight.sum() <= 0:
        raise ValueError("case_weight: one non-negative weight per case, not all zero")
    weight = weight * (n / weight.sum())  # mean weight 1: the ridge pulls as hard as without weights
    row_weight = weight[case]

    def loss(w: F) -> tuple[float, F]:
        z = x @ w
        top = np.full(n, -np.inf)
        np.maximum.at(top, case, z)
        e = np.exp(z - top[case])
        total = np.bincount(case, weights=e, minlength=n)
        soft = e / total[case]
        value = -((row_weight * z)[y].sum() - (weight * (top + np.log(total))).sum()) / n
        value += ridge * float(((w - start) ** 2).sum())
        grad = -((row_weight[y, None] * x[y]).sum(axis=0) - ((row_weight * soft)[:, None] * x).sum(axis=0)) / n
        grad = grad + 2 * ridge * (w - start)
        return float(value), np.asarray(grad, dtype=np.float64)

    done = minimize(loss, np.full(x.shape[1], start), jac=True, method="L-BFGS-B", bounds=[bounds] * x.shape[1])
    return np.asarray(done.x, dtype=np.float64)
