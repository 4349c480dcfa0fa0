"""The sample of cases a fit of m reads is chosen alike on one machine and on a cluster: each case's
birth-window pairs counted from candidates tallied by (sex, birth interval, late registration) equal
the pairs blocking lists, the tallies made from the executors' prepared rows (any split) equal one
machine's, and so the sampled cases, and the fit on them, are the same."""

from __future__ import annotations

import dataclasses
import datetime
import functools
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from reunite.ingest import read_table
from reunite.ingest.table import CANDIDATE_COLUMNS
from reunite.matching.blocking import plan
from reunite.matching.kinds import case_kinds
from reunite.matching.learn import (
    BirthCounts,
    birth_counts,
    case_patterns,
    fit_m,
    patterns_from_counts,
    population_of,
    sample_cases,
    window_pairs,
)
from reunite.matching.model import FellegiSunter, default_model
from reunite.matching.prepare import Prepared, prepare
from reunite.matching.shards import excluded_keys, take_records
from reunite.matching.spec import BlockingSpec
from reunite.normalize import RecordTable, normalize
from reunite.pipeline import fit_population, load_side
from reunite.spark.partitions import Job, key_rows, pattern_partition
from reunite.synth import generate

TODAY = datetime.date(2026, 1, 1)
WINDOWS = ("birth_window", "late_window")


@functools.cache
def _data() -> tuple[RecordTable, pd.DataFrame, RecordTable, FellegiSunter, Prepared]:
    data = generate(120, 4000, seed=8)
    cases = normalize(read_table(pd.DataFrame(data.cases), "cases"), today=TODAY)
    raw = pd.DataFrame(data.candidates).reindex(columns=list(CANDIDATE_COLUMNS), fill_value="")
    candidates = normalize(read_table(raw, "candidates"), today=TODAY)
    fitted, prep = fit_population(default_model(), cases, candidates, seed=3)
    return cases, raw, candidates, fitted, prep


@functools.cache
def _keyed() -> pd.DataFrame:
    """The executors' prepared rows of every candidate (what ``reunite.spark.prepare`` persists)."""
    _, raw, _, _, _ = _data()
    return pd.concat(list(key_rows([raw], None, TODAY)), ignore_index=True).query("_kind == 0")


def _cluster_births(keyed: pd.DataFrame, spec: BlockingSpec) -> tuple[BirthCounts, np.ndarray[Any, Any]]:
    """What the driver collects, the group-by done with pandas: candidates by (sex, precision, birth
    interval, registered late), unknown births apart, and by sex."""
    late = keyed["_registration_delay"].ge(spec.late_days).fillna(False).astype(bool)
    rows = (keyed.assign(_late=late).groupby(["_sex", "_precision", "_birth_lo", "_birth_hi", "_late"])
            .size().reset_index(name="n"))
    sex_counts = rows.groupby("_sex")["n"].sum().reindex(range(3), fill_value=0).to_numpy(np.float64)
    known = rows[rows["_precision"] < 2]
    return BirthCounts.of(known["_sex"], known["_birth_lo"], known["_birth_hi"], known["_late"], known["n"]), sex_counts


def _cases_alone(cases: RecordTable) -> Prepared:
    """The cases prepared against no candidates, as the driver prepares them."""
    empty = load_side(pd.DataFrame({c: pd.Series([], dtype=str) for c in ("person_id", "sex", "birth_date")}),
                      "candidates")
    return prepare(cases, empty)


def _equal(a: BirthCounts, b: BirthCounts) -> bool:
    return all(np.array_equal(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(BirthCounts))


specs = st.builds(
    BlockingSpec,
    passes=st.sampled_from([("birth_window", "late_window", "given_pinyin"), ("late_window", "birth_window"),
                            ("birth_window",), ("late_window", "given_pinyin")]),
    birth_margin_days=st.integers(1, 5000),
    late_days=st.integers(1, 4000),
    late_margin_days=st.integers(1, 6000),
    missing_age_days=st.integers(1, 8000),
)


@settings(max_examples=25, deadline=None)
@given(specs)
def test_window_pairs_are_the_pairs_blocking_lists_in_the_birth_windows(spec: BlockingSpec) -> None:
    _, _, _, _, prep = _data()
    blocks = plan(prep, spec)
    listed = np.zeros(len(prep.cases), dtype=np.int64)
    windows = sum(name in WINDOWS for name in spec.passes)  # the window passes come first in these specs
    for first, last in blocks.spans:
        chunk = blocks.chunk(first, last)
        np.add.at(listed, chunk.case[:sum(chunk.pass_sizes[:windows])], 1)
    assert np.array_equal(window_pairs(prep, spec, birth_counts(prep, spec)), listed)


@settings(max_examples=6, deadline=None)
@given(st.integers(1, 5), st.integers(0, 2**32 - 1), specs)
def test_the_executors_rows_of_any_split_count_births_as_one_machine(n_shards: int, split: int,
                                                                     spec: BlockingSpec) -> None:
    _, raw, _, _, prep = _data()
    shard_of = np.random.default_rng(split).integers(0, n_shards, size=len(raw))
    keyed = pd.concat([frame for s in range(n_shards) for frame in key_rows([raw[shard_of == s]], None, TODAY)],
                      ignore_index=True).query("_kind == 0")
    births, sex_counts = _cluster_births(keyed, spec)
    assert _equal(births, birth_counts(prep, spec))
    assert np.array_equal(sex_counts, np.bincount(prep.candidates.sex.astype(np.int64), minlength=3))


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 150), st.integers(0, 60_000), specs)
def test_the_sample_of_cases_is_the_same_from_either_counts(seed: int, max_cases: int, max_pairs: int,
                                                            spec: BlockingSpec) -> None:
    cases, _, _, _, prep = _data()
    births, _ = _cluster_births(_keyed(), spec)
    cluster = window_pairs(_cases_alone(cases), spec, births)
    one = window_pairs(prep, spec, birth_counts(prep, spec))
    assert np.array_equal(cluster, one)
    rows = sample_cases(one, seed=seed, max_cases=max_cases, max_pairs=max_pairs)
    assert np.array_equal(sample_cases(cluster, seed=seed, max_cases=max_cases, max_pairs=max_pairs), rows)
    assert 1 <= rows.size <= max_cases and np.all(np.diff(rows) > 0)
    assert rows.size == 1 or int(one[rows].sum()) <= max_pairs
    if rows.size < min(max_cases, len(cases)):  # stopped by the pairs: the next case would pass max_pairs
        order = np.random.default_rng(seed).permutation(len(cases))
        assert int(one[order[:rows.size + 1]].sum()) > max_pairs


def _sharded_fit(fitted: FellegiSunter, n_shards: int, split: int, seed: int, max_cases: int, max_pairs: int,
                 exclude: tuple[tuple[str, str], ...]) -> Any:
    """The fit as ``reunite.spark.fit_m_on_cluster`` makes it, without Spark: the sample from the
    executors' counts, each shard's patterns of the sampled cases, summed."""
    cases, raw, _, _, _ = _data()
    spec = BlockingSpec()
    births, sex_counts = _cluster_births(_keyed(), spec)
    alone = _cases_alone(cases)
    rows = sample_cases(window_pairs(alone, spec, births), seed=seed, max_cases=max_cases, max_pairs=max_pairs)
    job = Job(take_records(cases, rows), fitted, 1, spec, exclude, TODAY)
    shard_of = np.random.default_rng(split).integers(0, n_shards, size=len(raw))
    pieces = [frame for s in range(n_shards) for frame in pattern_partition([raw[shard_of == s]], job)]
    counted = pd.concat(pieces).groupby("key", sort=False)["count"].sum().reset_index()
    data = patterns_from_counts(counted["key"].to_numpy(np.int64), counted["count"].to_numpy(np.int64), fitted,
                                population_of(alone.cases.sex.take(rows), sex_counts), case_kinds(alone.cases, rows))
    return fit_m(fitted, data, min_matches=5)


@settings(max_examples=8, deadline=None)
@given(st.integers(1, 4), st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1), st.integers(7, 150),
       st.integers(3_000, 45_000), st.booleans())
def test_a_sampled_fit_over_shards_equals_one_machines(n_shards: int, split: int, seed: int, max_cases: int,
                                                       max_pairs: int, with_exclusions: bool) -> None:
    cases, _, candidates, fitted, prep = _data()
    truth = generate(120, 4000, seed=8).truth
    exclude = tuple((str(c), str(p)) for c, p in zip(truth["case_id"], truth["person_id"], strict=True)
                    if p)[:40] if with_exclusions else ()
    data = case_patterns(prep, fitted, BlockingSpec(), max_cases=max_cases, max_pairs=max_pairs, seed=seed,
                         excluded=excluded_keys(prep, cases, candidates, exclude))
    assert data.n_cases < len(cases)  # a sample, not every case
    expected = fit_m(fitted, data, min_matches=5)
    model, report = _sharded_fit(fitted, n_shards, split, seed, max_cases, max_pairs, exclude)
    assert report == expected[1]
    assert model.to_dict() == expected[0].to_dict()


def test_the_sampled_fit_is_accepted_and_moves_m() -> None:
    """Not an equality of two unchanged models: a sample held by both limits in turn, fitted and accepted."""
    cases, _, _, fitted, prep = _data()
    for max_cases, max_pairs in ((60, 10**9), (150, 25_000)):  # 120 cases, about 50,000 window pairs
        data = case_patterns(prep, fitted, BlockingSpec(), max_cases=max_cases, max_pairs=max_pairs, seed=4)
        assert data.n_cases == 60 if max_cases == 60 else 30 < data.n_cases < len(cases)
        model, report = _sharded_fit(fitted, 3, 1, 4, max_cases, max_pairs, ())
        assert report.accepted and report.cases == data.n_cases
        assert model.to_dict() != fitted.to_dict()
        assert model.to_dict() == fit_m(fitted, data, min_matches=5)[0].to_dict()


@settings(max_examples=10, deadline=None)
@given(st.integers(2, 4), st.integers(500, 20_000), st.integers(0, 2**32 - 1))
def test_the_fit_s_patterns_do_not_depend_on_threads_or_chunks(workers: int, chunk_pairs: int, seed: int) -> None:
    """The fit compares its pairs chunk by chunk on ``workers`` threads: the patterns are those of one
    thread over one chunk, whatever the chunks and however the threads finish."""
    _, _, _, fitted, prep = _data()
    one = case_patterns(prep, fitted, BlockingSpec(chunk_pairs=10**9), seed=seed, max_cases=80)
    blocking = BlockingSpec(chunk_pairs=chunk_pairs)
    assert len(plan(prep, blocking).spans) > 1
    many = case_patterns(prep, fitted, blocking, seed=seed, max_cases=80, workers=workers)
    for name in ("patterns", "row_case", "row_pattern", "row_count", "population", "kind"):
        assert np.array_equal(getattr(one, name), getattr(many, name)), name
    assert one.pairs == many.pairs > 0
