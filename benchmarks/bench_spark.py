"""reunite on a local Spark beside the one-machine path, in the same run: time, peak memory of the
whole process tree (the JVM and Spark's Python workers included) and equality of the rankings.

Usage (from the repository root, with ``pip install -e '.[dev,spark]'`` and Java 17+)::

    python benchmarks/bench_spark.py --cases 200 --candidates 20000            # small: a minute or two
    python benchmarks/bench_spark.py --cases 1000 --candidates 1000000 --out /tmp/bench_spark.json

Each phase runs in its own subprocess, sampled every 0.2 s by this process (standard library only):
the peak of the sum over the phase's process tree of each process's proportional set size (PSS:
shared pages split between the processes sharing them, so forked workers are not counted twice)
and of the plain resident sizes (RSS, which counts shared pages once per process).

1. ``generate``: seeded synthetic data (``reunite.synth.generate``): cases.csv, candidates as a
   Parquet file, truth.csv.
2. ``spark``: a local Spark (``--master``, default ``local[2]``): ``reunite.spark.prepare`` on the
   Parquet file, ``reunite.spark.screen`` (u and name frequencies fitted on the cluster), the ranked
   rows collected; the fitted model written as JSON.
3. ``one``: the one-machine path on the same files with that fitted model
   (``reunite.screen(..., model=fitted, fit_to_data=False)``), read and normalize included.

Then the two rankings are compared column by column, bit for bit, and recall@10 is computed from
the truth.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

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


def _generate(data: Path, n_cases: int, n_candidates: int, seed: int) -> dict[str, float]:
    import pandas as pd

    from reunite.synth import generate

    started = time.perf_counter()
    made = generate(n_cases, n_candidates, seed=seed)
    data.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(made.cases).to_csv(data / "cases.csv", index=False)
    pd.DataFrame(made.truth).to_csv(data / "truth.csv", index=False)
    pd.DataFrame(made.candidates).astype(str).to_parquet(data / "candidates.parquet", index=False)
    return {"seconds": time.perf_counter() - started}


def _spark(data: Path, master: str, partitions: int | None, driver_memory: str) -> dict[str, float]:
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
    spark.stop()
    return {"session_s": session - started, "prepare_s": prepare_done - session, "screen_s": screen_done - prepare_done,
            "partitions": prepared.partitions, "candidates": prepared.n_candidates}


def _one(data: Path) -> dict[str, float]:
    import pandas as pd

    import reunite

    started = time.perf_counter()
    candidates = pd.read_parquet(data / "candidates.parquet")
    with open(data / "fitted.pkl", "rb") as handle:
        model = pickle.load(handle)
    result = reunite.screen(str(data / "cases.csv"), candidates, model=model, fit_to_data=False, top_k=10)
    frame = result.to_pandas().sort_values(["case_id", "rank"], kind="stable").reset_index(drop=True)
    frame.to_pickle(data / "ranked_one.pkl")
    return {"screen_s": time.perf_counter() - started, "pairs": result.pairs_compared}


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
    parser.add_argument("--phase", choices=("generate", "spark", "one"), help=argparse.SUPPRESS)
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--candidates", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data-dir", type=Path, default=None, help="where the data go (default: a temp folder)")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--partitions", type=int, default=None)
    parser.add_argument("--driver-memory", default="4g")
    parser.add_argument("--out", type=Path, default=None, help="JSON report to write")
    args = parser.parse_args(argv)
    if args.phase is not None:  # a child: do one phase, print its facts as the last line
        data = args.data_dir
        facts = {"generate": lambda: _generate(data, args.cases, args.candidates, args.seed),
                 "spark": lambda: _spark(data, args.master, args.partitions, args.driver_memory),
                 "one": lambda: _one(data)}[args.phase]()
        print(json.dumps(facts))
        return 0
    import tempfile

    with tempfile.TemporaryDirectory(prefix="reunite-bench-spark-") as scratch:
        data = args.data_dir or Path(scratch)
        common = ["--data-dir", str(data), "--cases", str(args.cases), "--candidates", str(args.candidates),
                  "--seed", str(args.seed), "--master", args.master, "--driver-memory", args.driver_memory]
        if args.partitions:
            common += ["--partitions", str(args.partitions)]
        report: dict[str, object] = {"cases": args.cases, "candidates": args.candidates, "master": args.master,
                                     "nproc": os.cpu_count()}
        for phase in ("generate", "spark", "one"):
            report[phase] = _run_phase(["--phase", phase, *common])
            print(f"{phase}: {json.dumps(report[phase])}", file=sys.stderr)
        report["comparison"] = _compare(data)
    print(json.dumps(report, indent=2))
    if args.out is not None:
        args.out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
