"""m learned on a local Spark from a sample of cases (more cases than ``max_cases``, or more
birth-window pairs than ``max_pairs``) equals one machine's fit on the same data, bit for bit, and so
do the rankings."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pandas as pd
import pytest

from reunite.synth import generate

TOP_K = 5
COMPARED = ("case_id", "rank", "person_id", "score", "probability", "case_probability", "reasons", "name", "sex",
            "birth_date", "region", "id_number", "pairs_compared")

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::ResourceWarning",
                                        "ignore::FutureWarning")


@functools.cache
def _data() -> tuple[pd.DataFrame, pd.DataFrame]:
    data = generate(150, 3000, seed=21)  # 150 cases, about 48,000 birth-window pairs
    return pd.DataFrame(data.cases), pd.DataFrame(data.candidates)


def _rows(frame: pd.DataFrame) -> dict[str, list[Any]]:
    frame = frame.sort_values(["case_id", "rank"], kind="stable")
    out = {c: frame[c].tolist() for c in COMPARED}
    out["score"] = frame["score"].astype(np.float32).tolist()
    return out


@pytest.fixture(scope="module")
def fitted_on_both(spark: Any) -> dict[tuple[int, int], tuple[Any, Any, Any]]:
    """Per (max_cases, max_pairs): the fit of m on Spark, on one machine, and the prepared candidates,
    both from the same u and term frequencies (fitted on the cluster)."""
    import reunite.spark as reunite_spark
    from reunite.matching.learn import case_patterns, fit_m
    from reunite.matching.model import default_model
    from reunite.matching.prepare import prepare
    from reunite.matching.spec import BlockingSpec
    from reunite.pipeline import load_side

    cases, candidates = _data()
    case_table, people = load_side(cases, "cases"), load_side(candidates, "candidates")
    prepared = reunite_spark.prepare(spark, spark.createDataFrame(candidates.astype(str)), partitions=3)
    base = reunite_spark.fit_on_cluster(spark, default_model(), case_table, prepared)
    prep = prepare(case_table, people, base.frequencies_, base.frequency_candidates_)
    out = {}
    for max_cases, max_pairs in ((7, 10**9), (150, 24_000)):
        on_spark = reunite_spark.fit_m_on_cluster(spark, base, case_table, prepared, seed=3, max_cases=max_cases,
                                                  max_pairs=max_pairs)
        one = fit_m(base, case_patterns(prep, base, BlockingSpec(), max_cases=max_cases, max_pairs=max_pairs, seed=3))
        out[max_cases, max_pairs] = on_spark, one, prepared
    return out


def test_seven_of_150_cases_give_the_same_fit(fitted_on_both: dict[tuple[int, int], tuple[Any, Any, Any]]) -> None:
    (model, report), (expected, expected_report), _ = fitted_on_both[7, 10**9]
    assert report.cases == 7 and report.pairs > 0
    assert report == expected_report  # refused (7 cases are too few), with the same evidence counted
    assert model.to_dict() == expected.to_dict()


def test_a_pair_budget_gives_the_same_fit_and_the_same_ranking(
    spark: Any, fitted_on_both: dict[tuple[int, int], tuple[Any, Any, Any]]
) -> None:
    import reunite.spark as reunite_spark
    from reunite.pipeline import screen

    (model, report), (expected, expected_report), prepared = fitted_on_both[150, 24_000]
    assert 30 < report.cases < 150 and report.accepted  # stopped by the pairs, and m moved
    assert report == expected_report
    assert model.to_dict() == expected.to_dict()
    cases, candidates = _data()
    got = reunite_spark.screen(spark, cases, prepared, model=model, fit_to_data=False, top_k=TOP_K)
    one = screen(cases, candidates, model=expected, fit_to_data=False, top_k=TOP_K)
    assert _rows(got.to_pandas()) == _rows(one.to_pandas())


def test_the_pair_budget_setting_reads_the_same_cases_on_both(spark: Any) -> None:
    import reunite.spark as reunite_spark
    from reunite.pipeline import screen

    cases, candidates = _data()
    prepared = reunite_spark.prepare(spark, spark.createDataFrame(candidates.astype(str)), partitions=2)
    on_spark = reunite_spark.screen(spark, cases, prepared, top_k=TOP_K, seed=3, fit_max_pairs=24_000).fit_report
    one = screen(cases, candidates, top_k=TOP_K, seed=3, fit_max_pairs=24_000).fit_report
    assert on_spark is not None and one is not None
    assert 30 < on_spark.cases < 150
    assert (on_spark.cases, on_spark.pairs) == (one.cases, one.pairs)
