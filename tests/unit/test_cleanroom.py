"""The clean-room generator (benchmarks/cleanroom/generate.py) writes data reunite's reader accepts."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pandas as pd
import pytest

from reunite.ingest import read_table

_GEN = Path(__file__).resolve().parents[2] / "benchmarks" / "cleanroom" / "generate.py"


def _load(name: str, path: Path):  # type: ignore[no-untyped-def]
    """A benchmark script imported as module ``name``."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def gen():  # type: ignore[no-untyped-def]
    return _load("cleanroom_generate", _GEN)


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


# --- random profiles (benchmarks/cleanroom/suite.py) ---------------------------------------------------------
def _rates(prof) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Every share of a profile (not the loss-year centre/sd, the age tilt or the axes)."""
    out: dict[str, float] = {}
    for k, v in vars(prof).items():
        if k in ("name", "extra", "loss_year_center", "loss_year_sd", "loss_year_range", "trafficked_age_tilt"):
            continue
        if isinstance(v, dict):
            for kk, vv in v.items():
                for j, x in enumerate(vv if isinstance(vv, (list, tuple)) else [vv]):
                    out[f"{k}.{kk}.{j}"] = float(x)
        elif isinstance(v, tuple):
            for j, x in enumerate(v):
                out[f"{k}.{j}"] = float(x)
        else:
            out[k] = float(v)
    return out


def test_random_profiles_valid(gen) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    fields = set(vars(gen.REAL_MIX))
    for seed in range(40):
        p = gen.random_profile_for(seed)
        assert set(vars(p)) == fields
        bad = {k: v for k, v in _rates(p).items() if not 0.0 <= v <= 1.0}
        assert not bad, (seed, bad)
        assert set(p.kinds) == set(gen.REAL_MIX.kinds)
        assert abs(sum(p.kinds.values()) - 1) < 1e-9
        assert abs(sum(p.precision.values()) - 1) < 1e-9
        for kind, w in p.age_bins.items():
            assert len(w) == len(gen.AGE_BINS) and min(w) >= 0 and abs(sum(w) - 1) < 1e-9, kind
        for kind, c in p.local_moves.items():
            assert 0 <= c[0] <= c[1] <= c[2] <= 1, kind
        assert 0 <= p.stranger_county_shares[0] <= p.stranger_county_shares[1] <= 1
        assert 0.05 <= p.no_match_share <= 0.5
        assert p.loss_year_range[0] <= p.loss_year_center <= p.loss_year_range[1] and p.loss_year_sd > 0
        assert np.isfinite(p.trafficked_age_tilt)
        # placeholder + empty name of babies and a shift + the 15 % day/month shift stay below 1
        assert p.placeholder_share_baby + p.empty_name_share_baby < 1
        assert max(p.birth_shift_years.values()) + 0.15 < 1
        assert p.id_15 + p.id_empty + p.id_bad < 1
    # the draws reach both ends of the axes (names kept .. lost etc.)
    axes = np.array([[gen.random_profile_for(s).extra[f"axis_{a}"] for a in gen.RANDOM_AXES] for s in range(40)])
    assert (axes.min(axis=0) < 0.2).all() and (axes.max(axis=0) > 0.8).all()


def test_random_profiles_reproducible(gen) -> None:  # type: ignore[no-untyped-def]
    assert gen.random_profile_for(5000) == gen.random_profile_for(5000)
    assert gen.random_profile_for(5000) != gen.random_profile_for(5001)
    a = gen.generate(gen.random_profile_for(3), 8, 200, 3)
    b = gen.generate(gen.random_profile_for(3), 8, 200, 3)
    for x, y in zip(a, b, strict=True):
        pd.testing.assert_frame_equal(x, y)


@pytest.mark.parametrize("seed", [5000, 5001, 5002])
def test_random_profile_data_accepted(gen, seed) -> None:  # type: ignore[no-untyped-def]
    cases, cand, truth, tiers = gen.generate(gen.random_profile_for(seed), 15, 300, seed)
    rc = read_table(cases.fillna(""), "cases", label="cases.csv")
    rp = read_table(cand.fillna(""), "candidates", label="candidates.csv")
    assert rc.report.read == 15 and rc.report.quarantined == 0
    assert rp.report.read == 300 and rp.report.quarantined == 0
    assert rp.report.flagged <= 0.15 * 300
    assert list(truth["case_id"]) == list(cases["case_id"]) == list(tiers["case_id"])
    matched = truth[truth["person_id"] != ""]
    assert set(matched["person_id"]) <= set(cand["person_id"])


_ORACLE = _GEN.parent / "oracle.py"


@pytest.fixture(scope="module")
def oracle(gen):  # type: ignore[no-untyped-def]
    return _load("cleanroom_oracle", _ORACLE)


def test_oracle_ranks_the_child_above_strangers(oracle, small) -> None:  # type: ignore[no-untyped-def]
    """The generator's own likelihood ratio puts the true child first among 19 strangers of its sex far
    more often than chance (1 in 20)."""
    import numpy as np

    cases, cand, truth, _tiers = small["default"]
    nm, pl = oracle.name_model(), oracle.places()
    c = oracle.read_cases(cases.fillna(""), nm, pl)
    d = oracle.read_candidates(cand.fillna(""), nm, pl)
    orc = oracle.Oracle(oracle.profile_of("default"), nm, pl, d)
    row_of = {p: i for i, p in enumerate(d["person_id"])}
    child = dict(zip(truth["case_id"], truth["person_id"], strict=True))
    female = d["female"].to_numpy()
    rng = np.random.default_rng(0)
    first = scored = 0
    for case in c.itertuples(index=False):
        if not child[case.case_id]:
            continue
        me = row_of[child[case.case_id]]
        others = np.flatnonzero(female == female[me])
        others = rng.choice(others[others != me], 19, replace=False)
        score = orc.score(case, np.concatenate([[me], others]))
        assert np.isfinite(score).all()
        first += int(score[0] > score[1:].max())
        scored += 1
    assert scored >= 10
    assert first >= 0.6 * scored, f"child first in {first} of {scored} cases"


def test_oracle_birth_kernels_are_densities(oracle) -> None:  # type: ignore[no-untyped-def]
    """Each kind's offset kernel (registered minus remembered birth) sums to 1 over its span, less the
    shifted births' share beyond it and the arrival half it hands to the loss day."""
    kernels = oracle._birth_kernels(oracle.profile_of("real_mix"), flat=False)
    for kind in oracle.KINDS:
        assert 0.97 <= kernels[kind][-1] <= 1.0 + 1e-9, kind
        assert abs(kernels[kind + ":near"][-1] - 1.0) < 1e-6


def test_diagnose_keeps_one_tier(gen, small, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``diagnose.py --tier given_only_kept`` reads the misses of that tier only (issue 9: who beats a child
    that kept its given name); an unknown tier is refused with the file it looked in."""
    diagnose = _load("cleanroom_diagnose", _GEN.parent / "diagnose.py")
    cases, cand, truth, tiers = gen.generate("default", 60, 500, 7)
    gen.write(tmp_path, cases, cand, truth, tiers)
    # a ranking without any child (every matched case a miss) and one stranger per case
    strangers = cand[~cand["person_id"].isin(truth["person_id"])]["person_id"].iloc[0]
    pd.DataFrame({"case_id": cases["case_id"], "rank": 1, "person_id": strangers, "score": 1.0,
                  "probability": 0.5, "reasons": "born the same day +9.8"}).to_csv(
        tmp_path / "ranked-top5.csv", index=False)
    matched = truth[truth["person_id"] != ""]["case_id"]
    wanted = int(tiers.set_index("case_id").loc[matched, "given_only_kept"].astype(bool).sum())
    out = tmp_path / "diagnosis.md"
    diagnose.main(["--dir", str(tmp_path), "--top-k", "5", "--show", "0", "--tier", "given_only_kept",
                   "--out", str(out)])
    assert out.read_text().startswith(f"{wanted} of {wanted} matched cases have the child outside the top 10")
    with pytest.raises(SystemExit, match=r"tiers\.csv"):
        diagnose.main(["--dir", str(tmp_path), "--top-k", "5", "--tier", "no_such_tier"])
