"""benchmarks/registration_bands.py: its categories, to the day, and a tiny run end to end."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reunite.matching.prepare import prepare
from reunite.pipeline import load_side

_SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "registration_bands.py"


@pytest.fixture(scope="module")
def script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("registration_bands", _SCRIPT)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["registration_bands"] = mod
    spec.loader.exec_module(mod)
    return mod


def test_categories_to_the_day(script) -> None:  # type: ignore[no-untyped-def]
    # a baby born 1994-05-20, lost 1994-06-01: 2,922 days after the loss is 2002-06-01
    registered = ["1994-12-01", "1994-12-02", "1996-06-01", "1996-06-02", "2002-06-01", "2002-06-02",
                  "1994-07-01", "1994-06-01", "1994-05-30", ""]
    births = ["1994-05-20"] * 6 + ["1994-05-20", "1994-05-20", "1993-05-10", "1994-05-20"]
    cases = load_side(pd.DataFrame([{"case_id": "c", "sex": "F", "birth_date": "1994-05-20",
                                     "missing_date": "1994-06-01"}]), "cases")
    people = load_side(pd.DataFrame({"person_id": [f"p{i}" for i in range(len(births))], "sex": "F",
                                     "birth_date": births, "registration_date": registered}), "candidates")
    prep = prepare(cases, people)
    at = np.argsort(prep.cand_order).astype(np.int64)
    found = script.categories(prep, np.zeros(len(births), dtype=np.int64), at).tolist()
    assert found == ["late<=6m", "late6m-2y", "late6m-2y", "late2-8y", "late2-8y", "late>8y",
                     "ontime_after", "ontime_other", "late_notafter", "unknown"]


def test_a_tiny_run_counts_every_pair_once(script, capsys) -> None:  # type: ignore[no-untyped-def]
    recall, rows = script.measure("synth", 1, 30, 600)
    assert 0.0 <= recall <= 1.0
    for row in rows:
        assert sum(row[name] for name in script.CATEGORIES) == row["n"]
