"""Multipliers of a comparison's contributions by conditional logit: which row of a case is its child.

One function, used by ``rerank_cross.py`` (the ``fs_reweight`` re-rankers), ``scale_transfer.py`` and
``tools/train_default_model.py --fit-scale`` (the model's comparison scales). numpy and scipy only.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

F = npt.NDArray[np.float64]


def fit_multipliers(x: F, y: npt.NDArray[np.bool_], case: npt.NDArray[np.int64], *, start: float = 1.0,
                    ridge: float = 0.0, bounds: tuple[float, float] = (0.0, 5.0)) -> F:
    """Multipliers ``w`` of the columns of ``x`` maximising the mean log-probability that each case's
    softmax of ``x @ w`` picks the row ``y`` marks, less ``ridge`` times the squared distance of ``w``
    from ``start`` (a column the rows cannot tell apart keeps ``start``); each ``w`` within ``bounds``.
    ``case`` numbers the rows' cases 0..n-1; every case should hold one marked row."""
    from scipy.optimize import minimize

    n = int(case.max()) + 1

    def loss(w: F) -> tuple[float, F]:
        z = x @ w
        top = np.full(n, -np.inf)
        np.maximum.at(top, case, z)
        e = np.exp(z - top[case])
        total = np.bincount(case, weights=e, minlength=n)
        soft = e / total[case]
        value = -(z[y].sum() - (top + np.log(total)).sum()) / n + ridge * float(((w - start) ** 2).sum())
        grad = -(x[y].sum(axis=0) - (soft[:, None] * x).sum(axis=0)) / n + 2 * ridge * (w - start)
        return float(value), np.asarray(grad, dtype=np.float64)

    done = minimize(loss, np.full(x.shape[1], start), jac=True, method="L-BFGS-B", bounds=[bounds] * x.shape[1])
    return np.asarray(done.x, dtype=np.float64)
