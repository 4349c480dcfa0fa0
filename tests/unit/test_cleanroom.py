"""The clean-room generator (benchmarks/cleanroom/generate.py) writes data reunite's reader accepts."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pandas as pd
import pytest

from reunite.ingest import read_table

_GEN = Path(__file__).resolve().parents[2] / "benchmarks" / "cleanroom" / "generate.py"


@pytest.fixture(scope="module")
def gen():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("cleanroom_generate", _GEN)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["cleanroom_generate"] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def small(gen):  # type: ignore[no-untyped-def]
    return {p: gen.generate(p, 20, 500, 7) for p in ("default", "real_mix")}


def _check_digit(body: str) -> str:
    w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return "10X98765432"[sum(int(c) * x for c, x in zip(body, w, strict=True)) % 11]


@pytest.mark.parametrize("profile", ["default", "real_mix"])
def test_accepted_by_reunite_reader(small, profile) -> None:  # type: ignore[no-untyped-def]
    cases, cand, _truth, _tiers = small[profile]
    assert list(cases.columns) == ["case_id", "name", "alias", "sex", "birth_date", "birth_calendar",
                                   "missing_date", "missing_region", "marks"]
    assert list(cand.columns) == ["person_id", "name", "former_names", "sex", "birth_date", "id_number",
                                  "region", "registration_date", "marks"]
    rc = read_table(cases.fillna(""), "cases", label="cases.csv")
    rp = read_table(cand.fillna(""), "candidates", label="candidates.csv")
    assert rc.report.read == 20 and rc.report.quarantined == 0
    assert rp.report.read == 500 and rp.report.quarantined == 0
    # flagged rows (a loss date before birth, a malformed ID ...) are allowed, but few
    assert rp.report.flagged <= 0.1 * 500


@pytest.mark.parametrize("profile", ["default", "real_mix"])
def test_truth_and_ids(small, profile) -> None:  # type: ignore[no-untyped-def]
    cases, cand, truth, tiers = small[profile]
    assert list(truth["case_id"]) == list(cases["case_id"]) == list(tiers["case_id"])
    pids = set(cand["person_id"])
    assert cand["person_id"].is_unique
    matched = truth[truth["person_id"] != ""]
    assert 0 < len(matched) < len(truth) + 1
    assert set(matched["person_id"]) <= pids
    # the true children have the case's sex
    merged = matched.merge(cand, on="person_id").merge(cases[["case_id", "sex"]], on="case_id",
                                                        suffixes=("", "_case"))
    norm = {"F": "F", "女": "F", "M": "M", "男": "M"}
    s = merged[merged["sex_case"] != ""]
    assert (s["sex"].map(norm) == s["sex_case"].map(norm)).all()
    ids = cand["id_number"].fillna("").astype(str)
    long = ids[ids.str.len() == 18]
    assert len(long) >= 0.8 * len(cand)
    ok = [_check_digit(x[:17]) == x[17] for x in long if x[:17].isdigit()]
    assert sum(ok) >= 0.97 * len(long)
    assert (ids.str.len() == 15).any() or len(cand) < 1000


def test_profiles_differ(gen) -> None:  # type: ignore[no-untyped-def]
    _, _, _, t_def = gen.generate("default", 150, 200, 3)
    _, _, _, t_real = gen.generate("real_mix", 150, 200, 3)
    assert t_real["baby"].mean() > t_def["baby"].mean()
    assert (t_real["kind"] == "given").mean() > (t_def["kind"] == "given").mean()
    assert (t_real["kind"] == "trafficked").mean() < (t_def["kind"] == "trafficked").mean()


def test_deterministic(gen) -> None:  # type: ignore[no-untyped-def]
    a = gen.generate("real_mix", 10, 300, 11)
    b = gen.generate("real_mix", 10, 300, 11)
    for x, y in zip(a, b, strict=True):
        pd.testing.assert_frame_equal(x, y)
