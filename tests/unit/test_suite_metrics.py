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
