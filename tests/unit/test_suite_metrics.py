"""The randomized suite's own arithmetic: calibration error, weak tiers, re-ranking (benchmarks/suite.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sklearn")
_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "suite.py"
_SPEC = importlib.util.spec_from_file_location("reunite_benchmarks_suite", _PATH)
assert _SPEC is not None and _SPEC.loader is not None
suite = importlib.util.module_from_spec(_SPEC)
sys.modules[_SPEC.name] = suite  # dataclasses look their module up while the file runs
_SPEC.loader.exec_module(suite)


def test_ece_is_the_weighted_gap_between_confidence_and_outcome() -> None:
    p = np.array([0.05, 0.05, 0.95, 0.95])
    assert suite.ece(p, np.array([False, False, True, True])) == pytest.approx(0.05)
    assert suite.ece(p, np.array([True, True, False, False])) == pytest.approx(0.95)
    # two bins: 0.25 with 1 of 2 right (gap 0.25), 0.75 with 2 of 2 right (gap 0.25)
    p = np.array([0.25, 0.25, 0.75, 0.75])
    assert suite.ece(p, np.array([True, False, True, True])) == pytest.approx(0.25)
    assert np.isnan(suite.ece(np.zeros(0), np.zeros(0, dtype=bool)))


def test_tiers_follow_the_issue_definitions() -> None:
    tiers = suite.TIERS
    assert tiers["surname_only"](frozenset({"given_replaced"}))
    assert not tiers["surname_only"](frozenset({"given_replaced", "adoptive_surname"}))
    assert tiers["given_only"](frozenset({"adoptive_surname", "baby"}))
    assert not tiers["given_only"](frozenset({"adoptive_surname", "given_replaced"}))
    assert tiers["other_province"](frozenset({"moved_out", "route"}))
    assert not tiers["no_name"](frozenset({"alias_only"}))


def test_configurations_have_distinct_fixed_seeds() -> None:
    first = suite.configurations(3, 10)
    again = suite.configurations(3, 10)
    assert [c.config for c in first] == [c.config for c in again]
    assert [c.name for c in first] == ["random-10", "random-11", "random-12", "real-mix"]
    seeds = [c.eval_seed for c in first] + [c.train_seed for c in first]
    assert len(set(seeds)) == len(seeds)


def test_namesakes_counts_a_namesake_ranked_above_a_renamed_child() -> None:
    import pandas as pd

    import reunite

    cases = reunite.load_side(pd.DataFrame([
        {"case_id": "c1", "name": "王芳", "sex": "F", "birth_date": "1990-05-01", "missing_region": "贵州省遵义市"},
        {"case_id": "c2", "name": "刘强", "sex": "M", "birth_date": "1991", "missing_region": "贵州省遵义市"},
    ]), "cases")
    people = reunite.load_side(pd.DataFrame([
        # c1's child, renamed, registered far away; a namesake born the same year where the child was lost
        {"person_id": "p1", "name": "李娜", "sex": "F", "birth_date": "1990-05-01", "region": "福建省莆田市"},
        {"person_id": "p2", "name": "王芳", "sex": "F", "birth_date": "1990-09-12", "region": "贵州省遵义市"},
        # not namesakes of c1: another year, another sex
        {"person_id": "p3", "name": "王芳", "sex": "F", "birth_date": "1993-09-12", "region": "贵州省遵义市"},
        {"person_id": "p4", "name": "王芳", "sex": "M", "birth_date": "1990-09-12", "region": "贵州省遵义市"},
        # c2's child kept the name; no other 刘强 of 1991
        {"person_id": "p5", "name": "刘强", "sex": "M", "birth_date": "1991-02-02", "region": "贵州省遵义市"},
    ]), "candidates")
    truth = pd.DataFrame({"case_id": ["c1", "c2"], "person_id": ["p1", "p5"], "tags": ["", ""]})
    result = reunite.screen(cases, people, top_k=5)
    ranks = {(c, p): r for c, p, r in zip(result.columns["case_id"], result.columns["person_id"],
                                          result.columns["rank"], strict=True)}
    counted = suite.namesakes(result, truth)
    assert counted["n"] == 1 and counted["n_renamed"] == 1 and counted["n_kept"] == 0
    assert counted["above"] == float(ranks[("c1", "p2")] < ranks.get(("c1", "p1"), 99))


def _tiny_screen() -> object:
    import pandas as pd

    import reunite

    cases = reunite.load_side(pd.DataFrame([
        {"case_id": "c1", "name": "王芳", "sex": "F", "birth_date": "1990-05-01", "missing_region": "贵州省遵义市"},
        {"case_id": "c2", "name": "", "sex": "M", "birth_date": "1991", "missing_region": "贵州省"},
    ]), "cases")
    people = reunite.load_side(pd.DataFrame([
        {"person_id": "p1", "name": "王芳", "sex": "F", "birth_date": "1990-05-01", "region": "贵州省遵义市"},
        {"person_id": "p2", "name": "王芳", "sex": "F", "birth_date": "1990-09-12", "region": "贵州省遵义市"},
        {"person_id": "p5", "name": "刘强", "sex": "M", "birth_date": "1991-02-02", "region": "贵州省遵义市"},
        {"person_id": "p6", "name": "张伟", "sex": "M", "birth_date": "1991-07-02", "region": "贵州省贵阳市"},
    ]), "candidates")
    return reunite.screen(cases, people, top_k=5, reasons=False)


def test_pair_features_columns_are_named_and_hold_what_they_say() -> None:
    result = _tiny_screen()
    x = suite.pair_features(result)
    names = suite.feature_names(result.model)
    assert x.shape == (len(result), len(names)) and len(set(names)) == len(names)
    col = {n: i for i, n in enumerate(names)}
    cols = result.columns
    np.testing.assert_allclose(x[:, col["score"]], cols["score"].astype(np.float64))
    np.testing.assert_array_equal(x[:, col["rank"]], cols["rank"])
    assert (x[:, col["gap"]] >= 0).all() and (x[cols["rank"] == 1, col["gap"]] == 0).all()
    for k, comparison in enumerate(result.model.spec.comparisons):  # one level (or missing) per comparison
        block = [i for n, i in col.items() if n.startswith(f"level:{comparison}=")]
        assert (x[:, block].sum(axis=1) == 1).all()
        level = result.levels[k].astype(np.int64)
        chosen = np.array(block)[x[:, block].argmax(axis=1)]
        assert [names[i] for i in chosen] == [f"level:{comparison}={'missing' if v < 0 else v}" for v in level]
        np.testing.assert_allclose(x[:, col[f"contribution:{comparison}"]], result.contributions[k], rtol=1e-6)
    named = x[:, col["context:name"]]
    assert (named[cols["case_id"] == "c1"] == 1).all() and (named[cols["case_id"] == "c2"] == 0).all()


def test_rerank_cross_metrics_follow_the_new_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "suite", suite)  # rerank_cross imports the suite by its file name
    spec = importlib.util.spec_from_file_location("reunite_benchmarks_rerank_cross",
                                                  _PATH.parent / "rerank_cross.py")
    assert spec is not None and spec.loader is not None
    cross = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, cross)
    spec.loader.exec_module(cross)
    # case 0: the child is the default's rank 3; case 1: the child is not listed; case 2 has no child
    s = cross.Screened("synth", 0, np.zeros((7, 1), np.float32), np.array([0, 0, 1, 0, 0, 0, 0], np.int8),
                       np.array([0, 0, 0, 1, 1, 2, 2]), np.array([1, 2, 3, 1, 2, 1, 2]),
                       np.array([0.5, 0.3, 0.2, 0.9, 0.1, 0.4, 0.2]), np.array([0.8, 0.8, 0.8, 0.9, 0.9, 0.85, 0.85]),
                       np.array([True, True, False]))
    base = cross.default_metrics(s)
    assert base["recall@1"] == 0 and base["recall@10"] == 0.5 and base["mrr"] == pytest.approx(1 / 6)
    # the default's rank-1 probabilities 0.5 (wrong), 0.9 (wrong), 0.4 (wrong)
    assert base["ece_top"] == pytest.approx((0.5 + 0.9 + 0.4) / 3)
    p = np.array([0.1, 0.2, 0.7, 0.3, 0.2, 0.05, 0.05])
    new = cross.reranked_metrics(s, p)
    assert new["recall@1"] == 0.5 and new["mrr"] == pytest.approx(0.5)
    # case scores 1 - prod(1 - p): 0.784, 0.44, 0.0975, both matched cases above the unmatched one; the
    # default's case probabilities 0.8, 0.9 against 0.85: one of two pairs in order
    assert new["auc_case"] == 1.0 and base["auc_case"] == 0.5
