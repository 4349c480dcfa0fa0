"""The model screen fits scores as its saved form does: the same version, the same scores (the m per case
kind was kept unrounded in memory and saved to 8 decimals, so screen's RANKED.csv differed from export's
after a night with that model by up to 1.5e-7 in probability)."""

from __future__ import annotations

import numpy as np
import pandas as pd

import reunite
from reunite.matching.model import FellegiSunter
from reunite.synth import generate


def test_the_fitted_model_is_the_one_saved() -> None:
    data = generate(60, 3000, seed=8109)
    result = reunite.screen(pd.DataFrame(data.cases), pd.DataFrame(data.candidates), top_k=5)
    assert result.fit_report is not None and result.fit_report.accepted and result.model.has_kinds
    saved = FellegiSunter.from_dict(result.model.to_dict())
    for kind, ms in result.model.kind_m_.items():
        for mine, theirs in zip(ms, saved.kind_m_[kind], strict=True):
            np.testing.assert_array_equal(mine, theirs)
