"""reunite on a local Spark: the ranking equals one machine's, bit for bit, however the candidates
are stored and partitioned, and whatever task fails once on the way."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from reunite import merge
from reunite.pipeline import screen
from reunite.synth import generate

TOP_K = 5
COMPARED = ("case_id", "rank", "person_id", "score", "probability", "case_probability", "reasons", "name", "sex",
            "birth_date", "region", "id_number", "pairs_compared", "_case_rest")

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::ResourceWarning",
                                        "ignore::FutureWarning")


@functools.cache
def _data() -> tuple[pd.DataFrame, pd.DataFrame]:
    data = generate(60, 6000, seed=21)  # the small benchmark size of the generator's default rates
    return pd.DataFrame(data.cases), pd.DataFrame(data.candidates)


def _rows(frame: pd.DataFrame) -> dict[str, list[Any]]:
    frame = frame.sort_values(["case_id", "rank"], kind="stable")
    out = {c: frame[c].tolist() for c in COMPARED}
    out["score"] = frame["score"].astype(np.float32).tolist()
    return out


@pytest.fixture(scope="module")
def reference(spark: Any) -> tuple[Any, dict[str, list[Any]]]:
    import reunite.spark as reunite_spark

    cases, candidates = _data()
    prepared = reunite_spark.prepare(spark, spark.createDataFrame(candidates.astype(str)), partitions=3)
    result = reunite_spark.screen(spark, cases, prepared, top_k=TOP_K)
    return result, _rows(result.to_pandas())


def test_spark_equals_one_machine_with_the_same_fitted_model(reference: tuple[Any, dict[str, list[Any]]]) -> None:
    result, got = reference
    cases, candidates = _data()
    one = screen(cases, candidates, model=result.model, fit_to_data=False, top_k=TOP_K)
    expected = _rows(one.to_pandas().assign(_case_rest=one.columns["_case_rest"]))
    assert len(got["case_id"]) > 100
    for name in COMPARED:
        assert got[name] == expected[name], name


def test_the_cluster_fit_counts_every_candidate_and_samples_reproducibly(
    spark: Any, reference: tuple[Any, dict[str, list[Any]]]
) -> None:
    import reunite.spark as reunite_spark
    from reunite.matching.model import default_model
    from reunite.matching.prepare import name_frequencies
    from reunite.pipeline import load_side

    result, _ = reference
    _, candidates = _data()
    assert result.model.frequencies_ == name_frequencies(load_side(candidates, "candidates"))
    prepared = reunite_spark.prepare(spark, spark.createDataFrame(candidates.astype(str)), partitions=7)
    again = reunite_spark.fit_on_cluster(spark, default_model(), result.cases, prepared)  # other shards, same fit
    again, report = reunite_spark.fit_m_on_cluster(spark, again, result.cases, prepared)
    assert report == result.fit_report
    assert again.to_dict() == result.model.to_dict()


def test_m_learned_on_the_cluster_equals_the_one_machine_fit(
    spark: Any, reference: tuple[Any, dict[str, list[Any]]]
) -> None:
    import reunite.spark as reunite_spark
    from reunite.matching.learn import case_patterns, fit_m
    from reunite.matching.model import default_model
    from reunite.matching.prepare import prepare
    from reunite.matching.spec import BlockingSpec
    from reunite.pipeline import load_side

    result, _ = reference
    _, candidates = _data()
    prepared = reunite_spark.prepare(spark, spark.createDataFrame(candidates.astype(str)), partitions=3)
    base = reunite_spark.fit_on_cluster(spark, default_model(), result.cases, prepared)  # u and frequencies
    people = load_side(candidates, "candidates")
    prep = prepare(result.cases, people, base.frequencies_, base.frequency_candidates_)
    expected, expected_report = fit_m(base, case_patterns(prep, base, BlockingSpec()))
    assert result.fit_report == expected_report and result.fit_report.pairs > 0
    assert result.model.to_dict() == expected.to_dict()


def test_a_task_that_crashes_once_is_retried_and_the_result_is_unchanged(
    spark: Any, reference: tuple[Any, dict[str, list[Any]]], tmp_path: Path
) -> None:
    import reunite.spark as reunite_spark

    _, expected = reference
    cases, candidates = _data()
    marker = tmp_path / "crashed"
    prepared = reunite_spark.prepare(spark, spark.createDataFrame(candidates.astype(str)), partitions=4)
    result = reunite_spark.screen(spark, cases, prepared, top_k=TOP_K, _crash_once=str(marker))
    assert _rows(result.to_pandas()) == expected
    assert marker.exists()  # a task did fail, and was retried


@pytest.mark.parametrize("partitions", [2, 7, 64])
def test_a_hive_table_of_any_partitioning_gives_the_same_ranking(
    spark: Any, reference: tuple[Any, dict[str, list[Any]]], partitions: int
) -> None:
    import reunite.spark as reunite_spark

    _, expected = reference
    cases, candidates = _data()
    table = f"candidates_{partitions}"
    spark.createDataFrame(candidates.astype(str)).repartition(partitions).write.mode("overwrite").saveAsTable(table)
    spark.createDataFrame(cases.astype(str)).write.mode("overwrite").saveAsTable(f"cases_{partitions}")
    prepared = reunite_spark.prepare(spark, table, partitions=partitions)
    assert prepared.frame.rdd.getNumPartitions() == partitions
    result = reunite_spark.screen(spark, f"cases_{partitions}", prepared, top_k=TOP_K)
    result.write(f"ranked_{partitions}")
    stored = spark.table(f"ranked_{partitions}").toPandas()
    got = _rows(result.to_pandas())
    assert got == expected
    assert _rows(stored.assign(_case_rest=0.0))["person_id"] == expected["person_id"]


def test_the_command_line_reads_parquet_and_writes_ranked_csv(
    spark: Any, reference: tuple[Any, dict[str, list[Any]]], tmp_path: Path
) -> None:
    from reunite.spark.__main__ import main

    _, expected = reference
    cases, candidates = _data()
    spark.createDataFrame(candidates.astype(str)).write.parquet(str(tmp_path / "people.parquet"))
    cases.to_csv(tmp_path / "cases.csv", index=False)
    code = main(["--cases", str(tmp_path / "cases.csv"), "--candidates", str(tmp_path / "people.parquet"),
                 "--out", str(tmp_path / "ranked.csv"), "--top-k", str(TOP_K), "--partitions", "3",
                 "--model-out", str(tmp_path / "fitted.json")])
    assert code == 0
    ranked = pd.read_csv(tmp_path / "ranked.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert ranked["person_id"].tolist() == expected["person_id"]
    assert ranked["case_id"].tolist() == expected["case_id"]
    assert (tmp_path / "fitted.json").exists()


def test_the_preview_counts_the_pairs_one_machine_counts(spark: Any, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    import reunite.spark as reunite_spark
    from reunite.pipeline import screen_preview
    from reunite.spark.__main__ import main

    cases, candidates = _data()
    prepared = reunite_spark.prepare(spark, spark.createDataFrame(candidates.astype(str)), partitions=4)
    got = reunite_spark.preview(spark, cases, prepared)
    expected = screen_preview(cases, candidates)
    assert got.pairs_per_pass == expected.pairs_per_pass and got.total > 1000
    assert (got.n_cases, got.n_candidates) == (expected.n_cases, expected.n_candidates)
    spark.createDataFrame(candidates.astype(str)).write.parquet(str(tmp_path / "people.parquet"))
    cases.to_csv(tmp_path / "cases.csv", index=False)
    capsys.readouterr()
    assert main(["--cases", str(tmp_path / "cases.csv"), "--candidates", str(tmp_path / "people.parquet"),
                 "--preview"]) == 0
    assert f"{expected.total:,}" in capsys.readouterr().out
    assert main(["--cases", str(tmp_path / "cases.csv"), "--candidates", str(tmp_path / "people.parquet")]) == 2
    assert "--out is required" in capsys.readouterr().err


def test_the_nightly_merge_works_from_the_spark_output(
    spark: Any, reference: tuple[Any, dict[str, list[Any]]]
) -> None:
    """Stored states made from a Spark screen of yesterday's candidates, merged with tonight's new
    people scored on one machine, give the top-k and probabilities of a full screen of all of them."""
    import reunite.spark as reunite_spark

    result, _ = reference
    cases, candidates = _data()
    depth = 2 * TOP_K
    old, new = candidates.iloc[:5000], candidates.iloc[5000:]
    prepared = reunite_spark.prepare(spark, spark.createDataFrame(old.astype(str)), partitions=3)
    night = reunite_spark.screen(spark, cases, prepared, top_k=depth, model=result.model, fit_to_data=False)
    stored = night.to_pandas()
    states = {
        case: merge.state_from_screen(list(zip(rows["score"].astype(float), rows["person_id"], strict=True)),
                                      int(rows["pairs_compared"].iloc[0]), float(rows["_case_rest"].iloc[0]),
                                      depth, merge.NO_EXCLUSIONS)
        for case, rows in stored.groupby("case_id")
    }
    fresh_screen = screen(cases, new, model=result.model, fit_to_data=False, top_k=depth)
    fresh_rows = fresh_screen.to_pandas().assign(_case_rest=fresh_screen.columns["_case_rest"])
    fresh = {case: merge.Delta(tuple(zip(rows["score"].astype(float), rows["person_id"], strict=True)),
                               float(rows["_case_rest"].iloc[0]), int(rows["pairs_compared"].iloc[0]))
             for case, rows in fresh_rows.groupby("case_id")}
    everyone = screen(cases, candidates, model=result.model, fit_to_data=False, top_k=TOP_K).to_pandas()
    checked = 0
    for case, rows in everyone.groupby("case_id"):
        state = states.get(case, merge.CaseState((), None, 0, 0.0, merge.NO_EXCLUSIONS))
        after = merge.merge_case(state, gone=merge.Delta(), fresh=fresh.get(case, merge.Delta()), leaving=set(),
                                 depth=depth, top_k=TOP_K)
        if after is None:
            continue  # the case would be screened in full tonight
        assert [p for _, p in after.rows[:TOP_K]] == rows["person_id"].tolist()
        probabilities, any_match = merge.posteriors(after, result.model.prior)
        np.testing.assert_allclose(probabilities[:TOP_K], rows["probability"].to_numpy(), rtol=1e-9)
        assert any_match == pytest.approx(float(rows["case_probability"].iloc[0]), rel=1e-9)
        checked += 1
    assert checked >= 40


def test_the_spark_benchmark_runs_small_and_finds_the_rankings_equal(spark: Any, tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    script = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_spark.py"
    out = tmp_path / "bench.json"
    subprocess.run([sys.executable, str(script), "--cases", "20", "--candidates", "1500", "--shard-rows", "500",
                    "--master", "local[1]", "--driver-memory", "1g", "--out", str(out)],
                   check=True, capture_output=True, timeout=900)
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["comparison"]["equal"] and report["comparison"]["rows"] > 0
    assert report["spark"]["peak_pss_mb"] > report["one"]["peak_pss_mb"] > 0  # the JVM is counted
    assert report["tasks"]["shard_pairs"] > 0


def test_cases_are_read_on_the_day_the_candidates_were_prepared_on(spark: Any) -> None:
    """Both sides read relative to one day: a case lost "2025-03" is in the future, its loss date
    unknown, for candidates prepared as of 2025-01-15, and a plain month when prepared later."""
    import datetime

    import reunite.spark as reunite_spark

    cases = pd.DataFrame({"case_id": ["C1"], "name": ["王红"], "sex": ["F"], "birth_date": ["2024-12"],
                          "missing_date": ["2025-03"]})
    people = spark.createDataFrame(pd.DataFrame({"person_id": ["P1"], "name": ["王红"], "sex": ["F"],
                                                 "birth_date": ["2024-12-20"]}))
    flagged = {}
    for day in (datetime.date(2025, 1, 15), datetime.date(2025, 6, 1)):
        prepared = reunite_spark.prepare(spark, people, partitions=1, today=day)
        result = reunite_spark.screen(spark, cases, prepared, fit_to_data=False, top_k=1)
        flagged[day] = [p.reason.split(":")[0] for p in result.cases.report.problems]
        assert result.to_pandas()["person_id"].tolist() == ["P1"]
    assert flagged == {datetime.date(2025, 1, 15): ["in the future"], datetime.date(2025, 6, 1): []}
