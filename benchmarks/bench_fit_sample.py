"""The sample of cases an unsupervised fit of m reads (``reunite.matching.learn.case_patterns``): its
time, its cases and pairs, and the fit on it.

Usage (from the repository root)::

    python benchmarks/bench_fit_sample.py --cases 2000 --candidates 200000
    python benchmarks/bench_fit_sample.py --data-dir /tmp/reunite-bench/10000x1000000-seed1 --repeat 1

The data are generated once (``reunite.synth``, seed 1) or read from ``--data-dir``, read and
normalized once, and u and the term frequencies fitted once (``fit_population``, ``--seed``). Then,
``--repeat`` times, the tables are prepared afresh (so no table derived by an earlier call is reused)
and ``case_patterns`` is timed (wall and CPU, all threads) both ways, one after the other: comparing
every pair, and with the windows counted by cells as ``screen`` fits (``index=``, the cell index built
beforehand and timed apart); the two must give the same patterns (the script exits 1 if not). Then
``fit_m`` on them.

With ``--spark N`` (pyspark and Java needed), a local Spark (``local[2]``) then prepares the candidates
in N partitions, fits u and term frequencies on the cluster, and m (``fit_m_on_cluster``, timed); one
machine fits m from that same u on the same limits, and the two fits must be equal bit for bit (the
script exits 1 if not).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--candidates", type=int, default=200_000)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--max-cases", type=int, default=2000)
    parser.add_argument("--max-pairs", type=int, default=40_000_000)
    parser.add_argument("--spark", type=int, default=0, metavar="N",
                        help="also fit m on a local Spark with N partitions and check it equals one machine's")
    parser.add_argument("--out", type=Path, default=None, help="also write the figures as JSON")
    args = parser.parse_args(argv)

    import numpy as np

    from reunite.ingest import read_table
    from reunite.matching.cells import cell_index
    from reunite.matching.learn import case_patterns, fit_m
    from reunite.matching.model import default_model
    from reunite.matching.prepare import prepare
    from reunite.matching.spec import BlockingSpec
    from reunite.normalize import normalize
    from reunite.pipeline import fit_population
    from reunite.synth import generate, write

    data = args.data_dir or Path(tempfile.gettempdir()) / "reunite-bench" / f"{args.cases}x{args.candidates}-seed1"
    if not (data / "candidates.csv").exists():
        data.mkdir(parents=True, exist_ok=True)
        write(generate(args.cases, args.candidates, seed=1), data)
    cases = normalize(read_table(data / "cases.csv", "cases"))
    candidates = normalize(read_table(data / "candidates.csv", "candidates"))
    fitted, _ = fit_population(default_model(), cases, candidates, seed=args.seed)
    print(f"{len(cases)} cases x {len(candidates)} candidates", flush=True)
    runs: list[dict[str, Any]] = []
    same = True
    for _ in range(args.repeat):
        for counted in (False, True):
            prep = prepare(cases, candidates, fitted.frequencies_, fitted.frequency_candidates_)
            index_s = time.process_time()
            index = cell_index(prep, fitted.spec, BlockingSpec()) if counted else None
            index_s = time.process_time() - index_s
            wall, cpu = time.perf_counter(), time.process_time()
            patterns = case_patterns(prep, fitted, BlockingSpec(), max_cases=args.max_cases,
                                     max_pairs=args.max_pairs, seed=args.seed, index=index)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            if not counted:
                every = patterns
            else:
                same &= all(np.array_equal(getattr(every, name), getattr(patterns, name))
                            for name in ("patterns", "row_case", "row_pattern", "row_count", "population", "kind"))
            fit_wall = time.perf_counter()
            _, report = fit_m(fitted, patterns)
            fit_wall = time.perf_counter() - fit_wall
            way = "counted by cells" if counted else "every pair"
            run = {"way": way, "case_patterns_wall_s": wall, "case_patterns_cpu_s": cpu, "cell_index_cpu_s": index_s,
                   "cases": patterns.n_cases, "pairs": patterns.pairs, "patterns": int(patterns.row_case.size),
                   "fit_m_wall_s": fit_wall, "accepted": report.accepted}
            runs.append(run)
            print(f"{way}: case_patterns {wall:.2f} s wall, {cpu:.2f} s CPU (+ cell index {index_s:.2f} s CPU): "
                  f"{patterns.n_cases:,} cases, {patterns.pairs:,} pairs, {patterns.row_case.size:,} (case, pattern) "
                  f"rows; fit_m {fit_wall:.2f} s, {'accepted' if report.accepted else 'refused: ' + report.reason}",
                  flush=True)
    print("patterns counted by cells equal every pair compared" if same else "PATTERNS DIFFER", flush=True)
    spark_run = _on_spark(data, cases, candidates, args) if args.spark else None
    if args.out:
        args.out.write_text(json.dumps({"data": str(data), "runs": runs, "spark": spark_run}, indent=1))
    return 0 if same and (spark_run is None or spark_run["equal"]) else 1


def _on_spark(data: Path, cases: Any, candidates: Any, args: argparse.Namespace) -> dict[str, object]:
    """m fitted on a local Spark and on one machine from the same u, same sample limits: time and equality."""
    import pandas as pd
    from pyspark.sql import SparkSession

    import reunite.spark as reunite_spark
    from reunite.matching.learn import case_patterns, fit_m
    from reunite.matching.model import default_model
    from reunite.matching.prepare import prepare
    from reunite.matching.spec import BlockingSpec
    spark = (SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
             .config("spark.driver.memory", "4g").config("spark.sql.shuffle.partitions", "4").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    try:
        started = time.perf_counter()
        raw = pd.read_csv(data / "candidates.csv", dtype=str, keep_default_na=False)
        prepared = reunite_spark.prepare(spark, spark.createDataFrame(raw), partitions=args.spark)
        prepare_s = time.perf_counter() - started
        base = reunite_spark.fit_on_cluster(spark, default_model(), cases, prepared, seed=args.seed)
        started = time.perf_counter()
        model, report = reunite_spark.fit_m_on_cluster(spark, base, cases, prepared, seed=args.seed,
                                                       max_cases=args.max_cases, max_pairs=args.max_pairs)
        fit_s = time.perf_counter() - started
    finally:
        spark.stop()
    prep = prepare(cases, candidates, base.frequencies_, base.frequency_candidates_)
    expected, expected_report = fit_m(base, case_patterns(prep, base, BlockingSpec(), max_cases=args.max_cases,
                                                          max_pairs=args.max_pairs, seed=args.seed))
    equal = report == expected_report and model.to_dict() == expected.to_dict()
    print(f"Spark ({args.spark} partitions): prepare {prepare_s:.1f} s, fit_m_on_cluster {fit_s:.1f} s wall: "
          f"{report.cases:,} cases, {report.pairs:,} pairs, {'accepted' if report.accepted else 'refused'}; "
          f"{'equal' if equal else 'NOT EQUAL'} to one machine's fit", flush=True)
    return {"prepare_s": prepare_s, "fit_m_on_cluster_s": fit_s, "cases": report.cases, "pairs": report.pairs,
            "accepted": report.accepted, "equal": equal}


if __name__ == "__main__":
    raise SystemExit(main())
