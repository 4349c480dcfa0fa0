"""Learning m without labels over shards of the candidates (what Spark's executors run) gives the
one-machine fit bit for bit, however the candidates are split."""

from __future__ import annotations

import datetime
import functools
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from reunite.ingest import read_table
from reunite.ingest.table import CANDIDATE_COLUMNS
from reunite.matching.kinds import case_kinds
from reunite.matching.learn import case_patterns, fit_m, patterns_from_counts, population_of
from reunite.matching.model import FellegiSunter, default_model
from reunite.matching.prepare import prepare
from reunite.matching.spec import BlockingSpec
from reunite.normalize import RecordTable, normalize
from reunite.pipeline import fit_model, fit_population
from reunite.spark.partitions import Job, pattern_partition
from reunite.synth import generate

TODAY = datetime.date(2026, 1, 1)


@functools.cache
def _data() -> tuple[RecordTable, pd.DataFrame, RecordTable, FellegiSunter]:
    data = generate(90, 4000, seed=5)
    cases = normalize(read_table(pd.DataFrame(data.cases), "cases"), today=TODAY)
    raw = pd.DataFrame(data.candidates).reindex(columns=list(CANDIDATE_COLUMNS), fill_value="")
    candidates = normalize(read_table(raw, "candidates"), today=TODAY)
    fitted, _ = fit_population(default_model(), cases, candidates, seed=2)
    return cases, raw, candidates, fitted


def _sharded_fit(shard_of: list[int], n_shards: int, exclude: tuple[tuple[str, str], ...] = ()) -> Any:
    cases, raw, candidates, fitted = _data()
    job = Job(cases, fitted, 1, BlockingSpec(), exclude, TODAY)
    pieces = [frame for s in range(n_shards)
              for frame in pattern_partition([raw[np.asarray(shard_of) == s]], job)]
    counted = pd.concat(pieces).groupby("key", sort=False)["count"].sum().reset_index()
    sex_counts = np.bincount(prepare(cases, candidates).candidates.sex.astype(np.int64), minlength=3)
    kind = case_kinds(prepare(cases, candidates).cases)
    data = patterns_from_counts(counted["key"].to_numpy(np.int64), counted["count"].to_numpy(np.int64), fitted,
                                population_of(cases.sex, sex_counts.astype(np.float64)), kind)
    return fit_m(fitted, data)


@functools.cache
def _one_machine(exclude: tuple[tuple[str, str], ...] = ()) -> Any:
    cases, _, candidates, fitted = _data()
    prep = prepare(cases, candidates, fitted.frequencies_, fitted.frequency_candidates_)
    from reunite.matching.shards import excluded_keys

    keys = excluded_keys(prep, cases, candidates, exclude)
    return fit_m(fitted, case_patterns(prep, fitted, BlockingSpec(), excluded=keys))


@settings(max_examples=12, deadline=None)
@given(st.integers(1, 6), st.integers(0, 2**32 - 1))
def test_any_split_of_the_candidates_fits_m_as_one_machine(n_shards: int, seed: int) -> None:
    _, raw, _, _ = _data()
    shard_of = np.random.default_rng(seed).integers(0, n_shards, size=len(raw)).tolist()
    model, report = _sharded_fit(shard_of, n_shards)
    expected, expected_report = _one_machine()
    assert report == expected_report
    assert model.to_dict() == expected.to_dict()


def test_the_fit_moves_m_and_leaves_dna_excluded_pairs_out() -> None:
    _, raw, _, fitted = _data()
    model, report = _sharded_fit([i % 3 for i in range(len(raw))], 3)
    assert report.accepted and report.pairs > 0
    assert model.to_dict() != fitted.to_dict()  # the data moved m (by less than the report lists here)
    truth = generate(90, 4000, seed=5).truth
    excluded = tuple((str(c), str(p)) for c, p in zip(truth["case_id"], truth["person_id"], strict=True) if p)[:10]
    model_x, report_x = _sharded_fit([i % 3 for i in range(len(raw))], 3, excluded)
    assert report_x.pairs == report.pairs - len(excluded)
    assert model_x.to_dict() == _one_machine(excluded)[0].to_dict()


def test_a_one_machine_screen_fits_the_same_m() -> None:
    cases, _, candidates, _ = _data()
    screened, _, screen_report = fit_model(default_model(), cases, candidates, blocking=BlockingSpec(), seed=2)
    expected, expected_report = _one_machine()
    assert screen_report == expected_report
    assert screened.to_dict() == expected.to_dict()
