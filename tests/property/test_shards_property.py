"""The shard core: any split of the candidates into shards, scored apart and merged in any order,
equals one machine's ranking of the whole, bit for bit, probabilities included."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reunite.errors import ConfigError
from reunite.matching.model import FellegiSunter, default_model
from reunite.matching.prepare import prepare
from reunite.matching.shards import (
    ShardPartial,
    describe_pairs,
    finish,
    merge,
    route,
    route_cases,
    score_shard,
    summarize,
    take_records,
)
from reunite.matching.spec import BlockingSpec
from reunite.normalize import RecordTable
from reunite.pipeline import fit_population, load_side, screen
from reunite.synth import generate

TOP_K = 4
COMPARED = ("case_id", "rank", "person_id", "score", "probability", "case_probability", "pairs_compared",
            "_case_rest", "reasons", "name", "sex", "birth_date", "region", "id_number")


@functools.cache
def _data() -> tuple[RecordTable, RecordTable, FellegiSunter, dict[str, Any]]:
    data = generate(30, 2500, seed=11)
    cases = load_side(pd.DataFrame(data.cases), "cases")
    candidates = load_side(pd.DataFrame(data.candidates), "candidates")
    fitted, _ = fit_population(default_model(), cases, candidates, seed=1)
    whole = screen(cases, candidates, model=fitted, fit_to_data=False, top_k=TOP_K)
    return cases, candidates, fitted, _by_case(whole.columns)


def _by_case(columns: dict[str, Any]) -> dict[str, Any]:
    order = np.lexsort((np.asarray(columns["rank"]), np.asarray(columns["case_id"]).astype(str)))
    return {name: np.asarray(columns[name])[order].tolist() for name in COMPARED}


def _fold(partials: list[ShardPartial], rng: np.random.Generator) -> ShardPartial:
    """Merge in a random tree: pairs of random partials, until one is left."""
    pool = list(partials)
    while len(pool) > 1:
        rng.shuffle(pool)  # type: ignore[arg-type]
        take = int(rng.integers(2, len(pool) + 1))
        pool = [merge(pool[:take]), *pool[take:]]
    return pool[0]


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 9), st.integers(0, 2**32 - 1), st.booleans(), st.booleans())
def test_any_split_merged_in_any_order_equals_the_whole(n_shards: int, seed: int, by_range: bool,
                                                       prune: bool) -> None:
    cases, candidates, fitted, whole = _data()
    rng = np.random.default_rng(seed)
    if by_range:  # range partitions by (sex, birth day), as Spark makes them, with cases routed
        whole_prep = prepare(cases, candidates, fitted.frequencies_, fitted.frequency_candidates_)
        cuts = np.sort(rng.integers(0, len(candidates) + 1, n_shards - 1))
        shards = np.split(whole_prep.cand_order, cuts)
    else:
        label = rng.integers(0, n_shards, len(candidates))
        shards = [np.flatnonzero(label == j) for j in range(n_shards)]
    partials = []
    for rows in shards:
        shard = take_records(candidates, rows)
        shard_cases = cases
        if by_range:
            shard_cases = take_records(cases, route_cases(cases, shard, fitted))
        partials.append(score_shard(shard_cases, shard, fitted, top_k=TOP_K, prune=prune))
    got = _by_case(finish(_fold(partials, rng), fitted.prior))
    for name in COMPARED:
        assert got[name] == whole[name], name


def test_a_shard_counts_most_window_pairs_instead_of_scoring_them() -> None:
    cases, candidates, fitted, _ = _data()
    shard = take_records(candidates, np.arange(0, len(candidates), 2))
    pruned = score_shard(cases, shard, fitted, top_k=TOP_K)
    every = score_shard(cases, shard, fitted, top_k=TOP_K, prune=False)
    assert pruned.blocked == every.blocked == every.scored > 1000
    assert pruned.scored < every.scored / 3
    assert merge([pruned]).scored == pruned.scored


def test_the_payload_of_final_rows_alone_equals_the_payload_scored_in_the_shards() -> None:
    cases, candidates, fitted, _ = _data()
    shard = take_records(candidates, np.arange(0, len(candidates), 3))
    partial = score_shard(cases, shard, fitted, top_k=TOP_K)
    first = np.flatnonzero(np.r_[True, partial.case_id[1:] != partial.case_id[:-1]])  # one row per case
    mine_cases = take_records(cases, [int(np.flatnonzero(cases.ids == c)[0]) for c in partial.case_id[first]])
    mine_people = take_records(shard, [int(np.flatnonzero(shard.ids == p)[0]) for p in partial.person_id[first]])
    described = describe_pairs(mine_cases, mine_people, fitted, partial.case_id[first].tolist(),
                               partial.person_id[first].tolist())
    assert first.size > 5
    for name, values in described.items():
        assert values.tolist() == partial.payload[name][first].tolist(), name


def test_routing_skips_shards_a_case_cannot_pair_with() -> None:
    cases, candidates, fitted, _ = _data()
    prep = prepare(cases, candidates, fitted.frequencies_, fitted.frequency_candidates_)
    shards = np.array_split(prep.cand_order, 12)
    summaries = [summarize(take_records(candidates, rows)) for rows in shards]
    routed = route(prep, BlockingSpec(passes=("birth_window",)), summaries)
    assert 0 < routed.sum() < routed.size  # narrow windows touch some shards, not all
    everywhere = route(prep, BlockingSpec(), summaries)
    assert (everywhere | ~routed).all()  # more passes never route a case to fewer shards


def test_the_surname_county_pass_is_refused() -> None:
    cases, candidates, fitted, _ = _data()
    with pytest.raises(ConfigError, match="cannot be split into shards"):
        score_shard(cases, candidates, fitted, top_k=2, blocking=BlockingSpec(passes=("surname_county",)))


def test_merge_needs_partials_of_one_top_k() -> None:
    cases, candidates, fitted, _ = _data()
    one = score_shard(cases, take_records(candidates, np.arange(10)), fitted, top_k=2)
    two = score_shard(cases, take_records(candidates, np.arange(10, 20)), fitted, top_k=3)
    with pytest.raises(ConfigError, match="different top_k"):
        merge([one, two])
    with pytest.raises(ConfigError, match="at least one"):
        merge([])
