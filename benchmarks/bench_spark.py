"""reunite on a local Spark beside the one-machine path, in the same run: time, peak memory of the
whole process tree (the JVM and Spark's Python workers included) and equality of the rankings.

Usage (from the repository root, with ``pip install -e '.[dev,spark]'`` and Java 17+)::

    python benchmarks/bench_spark.py --cases 200 --candidates 20000            # small: a minute or two
    python benchmarks/bench_spark.py --cases 1000 --candidates 1000000 --out /tmp/bench_spark.json
    python benchmarks/bench_spark.py --cases 10000 --candidates 10000000 --partitions 40 --no-fit-timing \
        --data-dir /tmp/spark10m/big --out /tmp/spark10m/big.json          # the issue's size: hours

Each phase runs in its own subprocess, sampled every 0.2 s by this process (standard library only):
the peak of the sum over the phase's process tree of each process's proportional set size (PSS:
shared pages split between the processes sharing them, so forked workers are not counted twice)
and of the plain resident sizes (RSS, which counts shared pages once per process).

1. ``generate``: seeded synthetic data written in slices of ``--slice-rows`` candidates as
   ``bench_provincial.py`` writes them (slice 0 is ``reunite.synth.generate(cases, slice_rows, seed)``
   as it is, slice k the candidates of seed + k): cases.csv, truth.csv, candidates.csv, and the
   candidates copied batch by batch to a Parquet file of text columns (what Spark reads).
2. ``spark``: a local Spark (``--master``, default ``local[2]``): ``reunite.spark.prepare`` on the
   Parquet file, ``reunite.spark.screen`` (u, name frequencies and m fitted on the cluster), the ranked
   rows collected; the fitted model written as JSON; the fit of m timed once more on its own.
3. ``one``: the one-machine path on the same files with that fitted model, as ``reunite prepare``
   and ``reunite screen`` run it: candidates.csv prepared piece by piece, then
   ``reunite.screen(cases, prepared, model=fitted, fit_to_data=False)``.

4. ``tasks``: the executors' own work measured on one core, without Spark: ``key_rows`` (read and
   normalize, what ``prepare`` runs per partition) on ``--shard-rows`` candidates, and
   ``score_partition`` (normalize again, route, score, partial top-k) on one range shard of that
   many candidates in blocking order against every case. These per-core rates are what a capacity
   plan scales; the rest of a Spark run is its own overhead (JVM, shuffles, Arrow transfers).

Then the two rankings are compared column by column, bit for bit, and recall@10 is computed from
the truth.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import pickle
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

PHASES = ("generate", "spark", "one", "tasks")
COMPARED = ("case_id", "rank", "person_id", "score", "probability", "case_probability", "reasons",
            "pairs_compared")


def _tree(pid: int) -> list[int]:
    """The process and its descendants (from /proc)."""
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    todo.extend(int(c) for c in handle.read().split())
            except OSError:
                pass
    return out


def _memory_kb(pid: int) -> tuple[int, int]:
    """(PSS, RSS) of one process in kB; (0, 0) once it is gone."""
    pss = rss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1])
                elif line.startswith("Rss:"):
                    rss = int(line.split()[1])
    except OSError:
        pass
    return pss, rss


def _run_phase(args: Sequence[str]) -> dict[str, float]:
    """Run one phase in a subprocess; its wall time, peak tree PSS/RSS (MB) and what it printed (JSON)."""
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True)
    peak = {"pss": 0, "rss": 0}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            pss = rss = 0
            for pid in _tree(child.pid):
                p, r = _memory_kb(pid)
                pss, rss = pss + p, rss + r
            peak["pss"], peak["rss"] = max(peak["pss"], pss), max(peak["rss"], rss)
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = child.communicate()
    done.set()
    sampler.join()
    if child.returncode != 0:
        raise SystemExit(f"phase {args[1]} failed with exit code {child.returncode}")
    facts = json.loads(output.strip().splitlines()[-1])
    return {**facts, "wall_s": time.perf_counter() - started, "peak_pss_mb": peak["pss"] / 1024,
            "peak_rss_mb": peak["rss"] / 1024}


def _generate(data: Path, n_cases: int, n_candidates: int, seed: int, slice_rows: int) -> dict[str, float]:
    """cases.csv, truth.csv and candidates.csv written slice by slice as the provincial benchmark writes
    them (``bench_provincial.build``: ``synth.generate`` holds a whole table in memory, about 1.25 GB a
    million candidates), then candidates.csv copied to candidates.parquet batch by batch, every column as
    text: Spark reads the Parquet file, the one-machine path the CSV file, the same values."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    from bench_provincial import build
    from reunite.synth.candidates import CANDIDATE_COLUMNS

    rows = min(slice_rows, n_candidates)
    if n_candidates % rows:
        raise SystemExit(f"--candidates {n_candidates}: expected a multiple of --slice-rows {rows}")
    started = time.perf_counter()
    build(data, n_cases, n_candidates // rows, rows, seed)
    built = time.perf_counter()
    text = {name: pa.string() for name in CANDIDATE_COLUMNS}
    reader = pa_csv.open_csv(data / "candidates.csv", read_options=pa_csv.ReadOptions(block_size=64 << 20),
                             convert_options=pa_csv.ConvertOptions(column_types=text, strings_can_be_null=False))
    with pq.ParquetWriter(data / "candidates.parquet", reader.schema) as writer:
        for batch in reader:
            writer.write_batch(batch)
    return {"seconds": time.perf_counter() - started, "build_s": built - started,
            "parquet_s": time.perf_counter() - built, "slices": n_candidates // rows}


def _spark(data: Path, master: str, partitions: int | None, driver_memory: str,
           time_fit: bool) -> dict[str, float]:
    from pyspark.sql import SparkSession

    import reunite.spark as reunite_spark

    started = time.perf_counter()
    spark = (SparkSession.builder.master(master).appName("reunite bench")
             .config("spark.ui.enabled", "false").config("spark.driver.memory", driver_memory)
             .config("spark.sql.shuffle.partitions", "8").config("spark.local.dir", str(data / "spark-local"))
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    session = time.perf_counter()
    prepared = reunite_spark.prepare(spark, str(data / "candidates.parquet"), partitions=partitions)
    prepare_done = time.perf_counter()
    result = reunite_spark.screen(spark, str(data / "cases.csv"), prepared, top_k=10, seed=1)
    ranked = result.to_pandas()
    screen_done = time.perf_counter()
    ranked.to_pickle(data / "ranked_spark.pkl")
    # pickled, not JSON: the model's JSON rounds u to 8 digits, and the comparison needs the very model
    with open(data / "fitted.pkl", "wb") as handle:
        pickle.dump(result.model, handle)
    facts: dict[str, float] = {"session_s": session - started, "prepare_s": prepare_done - session,
                               "screen_s": screen_done - prepare_done, "partitions": prepared.partitions,
                               "candidates": prepared.n_candidates}
    if time_fit:
        # the unsupervised fit of m inside that screen, timed once more on its own (its share of screen_s)
        from reunite.matching.model import default_model

        base = reunite_spark.fit_on_cluster(spark, default_model(), result.cases, prepared, seed=1)
        fit_started = time.perf_counter()
        _, report = reunite_spark.fit_m_on_cluster(spark, base, result.cases, prepared, seed=1)
        facts.update(fit_m_s=time.perf_counter() - fit_started, fit_m_pairs=report.pairs,
                     fit_m_accepted=report.accepted)
    spark.stop()
    return facts


def _one(data: Path) -> dict[str, float]:
    """The one-machine path as ``reunite prepare`` then ``reunite screen`` run it: candidates.csv prepared
    piece by piece (memory stays flat), then screened from the prepared table with the Spark-fitted model."""
    import reunite
    from reunite.pipeline import prepare_file

    started = time.perf_counter()
    prepared = data / "one" / "candidates.parquet"
    prepared.parent.mkdir(exist_ok=True)
    prepared.unlink(missing_ok=True)
    prepare_file(data / "candidates.csv", prepared, "candidates")
    prepare_s = time.perf_counter() - started
    with open(data / "fitted.pkl", "rb") as handle:
        model = pickle.load(handle)
    result = reunite.screen(str(data / "cases.csv"), str(prepared), model=model, fit_to_data=False, top_k=10)
    frame = result.to_pandas().sort_values(["case_id", "rank"], kind="stable").reset_index(drop=True)
    frame.to_pickle(data / "ranked_one.pkl")
    return {"prepare_s": prepare_s, "screen_s": time.perf_counter() - started - prepare_s,
            "pairs": result.pairs_compared}


def _tasks(data: Path, shard_rows: int) -> dict[str, float]:
    import datetime

    import pandas as pd
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from reunite.ingest.table import CANDIDATE_COLUMNS
    from reunite.matching.spec import BlockingSpec
    from reunite.pipeline import load_side
    from reunite.spark.partitions import Job, _normalize, _raw, key_rows, score_partition

    # the candidates as Arrow (text shared in buffers, not a Python string a cell: 10 M rows fit)
    candidates = pq.read_table(data / "candidates.parquet", columns=list(CANDIDATE_COLUMNS))
    with open(data / "fitted.pkl", "rb") as handle:
        model = pickle.load(handle)
    cases = load_side(str(data / "cases.csv"), "cases")
    today = datetime.date.today()
    # about one range shard: sorted by sex and birth-date text (blocking order without normalizing first;
    # person_id is unique, so the order is total)
    order = pc.sort_indices(candidates, sort_keys=[("sex", "ascending"), ("birth_date", "ascending"),
                                                   ("person_id", "ascending")])
    middle = max(0, (len(order) - shard_rows) // 2)
    shard = candidates.take(order[middle:middle + shard_rows]).to_pandas()
    warm_up = candidates.take(order[:2000]).to_pandas()  # imports and tables, not the shard's names
    del candidates, order
    list(key_rows(iter([warm_up]), None, today))
    started = time.perf_counter()
    keyed = pd.concat(list(key_rows(iter([shard]), None, today)), ignore_index=True)
    key_s = time.perf_counter() - started  # the shard's names met for the first time
    started = time.perf_counter()
    _normalize(_raw(shard, None), today)
    warm_s = time.perf_counter() - started  # the same again, names cached (as score_partition meets them)
    job = Job(cases, model, 10, BlockingSpec(), (), today)
    started, cpu = time.perf_counter(), time.process_time()
    out = pd.concat(list(score_partition(iter([shard]), job)), ignore_index=True)
    score_s, score_cpu_s = time.perf_counter() - started, time.process_time() - cpu
    # the same shard with every pair scored (no exact pruning), for the ratio
    started, cpu = time.perf_counter(), time.process_time()
    every = pd.concat(list(score_partition(iter([shard]), dataclasses.replace(job, prune=False))),
                      ignore_index=True)
    exhaustive_s, exhaustive_cpu_s = time.perf_counter() - started, time.process_time() - cpu
    if not every.equals(out):
        raise SystemExit("bench_spark: the pruned and exhaustive partials of the shard differ")
    sums = out[out["_kind"] == 1]
    pairs = int(sums["pairs"].sum())
    return {"shard_rows": shard_rows, "key_rows_s": key_s, "key_rows_per_core_s": shard_rows / key_s,
            "normalize_cached_s": warm_s, "score_partition_s": score_s, "shard_pairs": pairs,
            "score_partition_cpu_s": score_cpu_s, "exhaustive_s": exhaustive_s, "exhaustive_cpu_s": exhaustive_cpu_s,
            "pairs_per_core_s": pairs / max(score_s - warm_s, 1e-9),
            "cases_routed": int(sums["case_id"].nunique()), "partial_rows": int((out["_kind"] == 0).sum()),
            "keyed_rows": int((keyed["_kind"] == 0).sum())}


def _compare(data: Path) -> dict[str, object]:
    import numpy as np
    import pandas as pd

    spark, one = pd.read_pickle(data / "ranked_spark.pkl"), pd.read_pickle(data / "ranked_one.pkl")
    differing = []
    for name in COMPARED:
        a, b = spark[name].to_numpy(), one[name].to_numpy()
        if name == "score":
            a, b = a.astype(np.float32), b.astype(np.float32)
        if a.shape != b.shape or not (a == b).all():
            differing.append(name)
    truth = pd.read_csv(data / "truth.csv", dtype=str, keep_default_na=False)
    truth = truth[truth["person_id"] != ""]
    hits = one.merge(truth[["case_id", "person_id"]], on=["case_id", "person_id"])
    return {"rows": len(one), "equal": not differing, "differing_columns": differing,
            "recall_at_10": len(hits) / max(len(truth), 1)}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--phase", choices=PHASES, help=argparse.SUPPRESS)
    parser.add_argument("--phases", default=",".join(PHASES),
                        help="phases to run, comma-separated (default all; later ones need the data of earlier ones)")
    parser.add_argument("--shard-rows", type=int, default=250_000, help="candidates per shard in the tasks phase")
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--candidates", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data-dir", type=Path, default=None, help="where the data go (default: a temp folder)")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--partitions", type=int, default=None)
    parser.add_argument("--driver-memory", default="4g")
    parser.add_argument("--slice-rows", type=int, default=1_000_000,
                        help="candidates generated at a time (synth.generate holds a slice in memory)")
    parser.add_argument("--no-fit-timing", action="store_true",
                        help="skip timing the fit of m once more on its own after the Spark screen")
    parser.add_argument("--out", type=Path, default=None, help="JSON report to write")
    args = parser.parse_args(argv)
    if args.phase is not None:  # a child: do one phase, print its facts as the last line
        data = args.data_dir
        facts = {"generate": lambda: _generate(data, args.cases, args.candidates, args.seed, args.slice_rows),
                 "spark": lambda: _spark(data, args.master, args.partitions, args.driver_memory,
                                                 not args.no_fit_timing),
                 "one": lambda: _one(data), "tasks": lambda: _tasks(data, args.shard_rows)}[args.phase]()
        print(json.dumps(facts))
        return 0
    import tempfile

    with tempfile.TemporaryDirectory(prefix="reunite-bench-spark-") as scratch:
        data = args.data_dir or Path(scratch)
        common = ["--data-dir", str(data), "--cases", str(args.cases), "--candidates", str(args.candidates),
                  "--seed", str(args.seed), "--master", args.master, "--driver-memory", args.driver_memory,
                  "--shard-rows", str(min(args.shard_rows, args.candidates)), "--slice-rows", str(args.slice_rows)]
        if args.no_fit_timing:
            common.append("--no-fit-timing")
        if args.partitions:
            common += ["--partitions", str(args.partitions)]
        report: dict[str, object] = {"cases": args.cases, "candidates": args.candidates, "master": args.master,
                                     "nproc": os.cpu_count()}
        for phase in args.phases.split(","):
            report[phase] = _run_phase(["--phase", phase, *common])
            print(f"{phase}: {json.dumps(report[phase])}", file=sys.stderr)
        if (data / "ranked_spark.pkl").exists() and (data / "ranked_one.pkl").exists():
            report["comparison"] = _compare(data)
    print(json.dumps(report, indent=2))
    if args.out is not None:
        args.out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
