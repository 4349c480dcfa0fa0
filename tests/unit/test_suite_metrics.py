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
