"""The nightly re-screen: a full re-screen, then an incremental one where 1% of candidates are new or
changed. Goal: the incremental run costs at most 5% of the full one.

Usage (from the repository root)::

    python benchmarks/bench_rescreen.py                 # 1,000 cases x 100,000 candidates, SQLite
    python benchmarks/bench_rescreen.py --small         # 200 x 10,000 (CI)
    python benchmarks/bench_rescreen.py --db postgresql+psycopg://postgres@127.0.0.1:5432/bench
    python benchmarks/bench_rescreen.py --input delta   # the night's file holds only the 1%
    python benchmarks/bench_rescreen.py --process --input delta --sizes 1000x100000 2000x400000

Day A is generated (seeded) and screened in full into an empty database. Day B edits 0.5% of the
candidates (given name or registration date) and adds 0.5% new ones (from a second generated pool).
``--input extract`` (default) hands the incremental run the whole day-B candidate file, as a nightly
register extract would be; ``--input delta`` only the new and changed rows. Both runs are timed in
this process, warm (imports and the lazily loaded pinyin, region and date tables excluded: a
small screen runs first), from reading the files to the committed results. recall@k of the
stored top-k against the generated truth is printed beside the times. With ``--db`` the database
must be empty (or hold only a previous run of this benchmark: use a fresh one).

``--process`` times ``reunite rescreen`` as cron runs it instead: each run a whole process of the
installed command line, from start-up (imports, opening and upgrading the database) to exit, cold
tables included; ``--sizes`` runs several sizes one after another and prints them side by side;
``--repeat N`` runs the full and the nightly process N times each, alternating (each full run into
an empty database), and reports the medians. Each process's CPU time (user + system, threads and
children included) is printed beside its wall time: on a machine shared with other jobs the wall time
also holds the waits for a core. Before the first process the reunite package the command line
imports is compiled to bytecode (``compileall``), as ``pip install`` leaves it: with
``PYTHONDONTWRITEBYTECODE`` set and no ``__pycache__``, every process would compile reunite's
modules from source again (about 0.2 s of CPU each).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

# one core per process, as on the shared batch machine: set before numpy is imported
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


def make_days(directory: Path, n_cases: int, n_candidates: int, seed: int) -> dict[str, Path]:
    """Write day A (cases, candidates, truth) and day B (whole extract and the 1% delta)."""
    from reunite.synth import generate, write

    paths = write(generate(n_cases, n_candidates, seed=seed), directory / "day_a")
    candidates = pd.read_csv(paths.candidates, dtype=str, keep_default_na=False)
    rng = np.random.default_rng(seed + 1)
    n_changed = max(1, n_candidates // 200)
    edited = rng.choice(n_candidates, n_changed, replace=False)
    half = n_changed // 2
    names = candidates.loc[edited[:half], "name"]
    candidates.loc[edited[:half], "name"] = names.str[:1] + names.str[1:].str[::-1] + "儿"
    candidates.loc[edited[half:], "registration_date"] = "2003-06-01"
    extra = generate(max(1, n_cases // 10), n_changed, seed=seed + 2).candidates
    new = pd.DataFrame(extra)
    new["person_id"] = [f"N{i:07d}" for i in range(len(new))]
    day_b = pd.concat([candidates, new], ignore_index=True)
    (directory / "day_b").mkdir(exist_ok=True)
    extract = directory / "day_b" / "candidates.csv"
    day_b.to_csv(extract, index=False)
    delta = directory / "day_b" / "candidates_delta.csv"
    pd.concat([candidates.loc[np.sort(edited)], new]).to_csv(delta, index=False)
    return {"cases": paths.cases, "candidates_a": paths.candidates, "truth": paths.truth,
            "extract": extract, "delta": delta}


def recall_at_k(store: object, truth: Path, top_k: int) -> float:
    from reunite.store import Store

    assert isinstance(store, Store)
    frame = pd.read_csv(truth, dtype=str, keep_default_na=False)
    true = {c: p for c, p in zip(frame["case_id"], frame["person_id"], strict=True) if p}
    found = {(r.case_id, r.person_id) for r in store.current_topk() if r.rank <= top_k}
    return sum((c, p) in found for c, p in true.items()) / max(1, len(true))


def process_seconds(arguments: Sequence[str]) -> tuple[float, float, str]:
    """Wall seconds and CPU seconds (user + system, its threads and children included) of one
    ``reunite`` process, start-up to exit, and what it printed. On a shared machine the wall time
    also holds the waits for a core; the CPU time does not."""
    command = shutil.which("reunite")
    argv = [command] if command else [sys.executable, "-m", "reunite.cli"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([*argv, *arguments], capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"reunite {' '.join(arguments)} failed ({done.returncode}):\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu, done.stdout


def compile_package() -> str:
    """Compile the reunite package the ``reunite`` processes will import to bytecode; its folder."""
    found = subprocess.run([sys.executable, "-c", "import os, reunite; print(os.path.dirname(reunite.__file__))"],
                           capture_output=True, text=True, check=True).stdout.strip()
    subprocess.run([sys.executable, "-m", "compileall", "-q", found], capture_output=True, check=True)
    return found


def run_processes(args: argparse.Namespace, n_cases: int, n_candidates: int) -> dict[str, float | str]:
    """Generate the two days, then a full and a nightly ``reunite rescreen`` as whole processes."""
    from reunite.store import Store

    compile_package()
    with tempfile.TemporaryDirectory(prefix="bench_rescreen_") as tmp:
        work = Path(tmp)
        days = make_days(work, n_cases, n_candidates, args.seed)
        database = work / "reunite.db"
        url = args.db or f"sqlite:///{database}"
        common = ["--db", url, "--top-k", str(args.top_k), "--seed", str(args.seed)]
        fulls, nights, full_cpus, night_cpus = [], [], [], []
        for _ in range(args.repeat):  # full, night, full, night, ...: load on a shared machine hits both
            database.unlink(missing_ok=True)
            seconds, cpu, _ = process_seconds(["rescreen", "--cases", str(days["cases"]), "--candidates",
                                               str(days["candidates_a"]), *common])
            fulls.append(seconds)
            full_cpus.append(cpu)
            seconds, cpu, printed = process_seconds(["rescreen", "--cases", str(days["cases"]), "--candidates",
                                                     str(days[args.input]), *common])
            nights.append(seconds)
            night_cpus.append(cpu)
        with Store.open(url) as store:
            recall = recall_at_k(store, days["truth"], args.top_k)
    summary = next((line for line in printed.splitlines() if "new and" in line and "candidates" in line), "")
    full_s, night_s = float(np.median(fulls)), float(np.median(nights))
    full_cpu, night_cpu = float(np.median(full_cpus)), float(np.median(night_cpus))
    return {"size": f"{n_cases:,} x {n_candidates:,}", "full": full_s, "nightly": night_s,
            "ratio": night_s / full_s, "recall": recall, "night": summary,
            "full_cpu": full_cpu, "nightly_cpu": night_cpu, "cpu_ratio": night_cpu / full_cpu,
            "runs": f"full {', '.join(f'{v:.2f}' for v in fulls)}; nightly {', '.join(f'{v:.2f}' for v in nights)}; "
                    f"CPU full {', '.join(f'{v:.2f}' for v in full_cpus)}; "
                    f"nightly {', '.join(f'{v:.2f}' for v in night_cpus)}"}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--candidates", type=int, default=100_000)
    parser.add_argument("--small", action="store_true", help="200 cases x 10,000 candidates (CI)")
    parser.add_argument("--top-k", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--input", choices=("extract", "delta"), default="extract")
    parser.add_argument("--db", help="database URL (default: a SQLite file in a temporary folder)")
    parser.add_argument("--work-dir", type=Path, help="where the generated files go (default: temporary)")
    parser.add_argument("--process", action="store_true",
                        help="time each run as a whole `reunite rescreen` process, start-up to exit")
    parser.add_argument("--repeat", type=int, default=1,
                        help="with --process: run full and nightly this many times, alternating, from an empty "
                             "database each time (SQLite only); medians are reported")
    parser.add_argument("--sizes", nargs="+", metavar="CASESxCANDIDATES",
                        help="with --process: sizes to run one after another, e.g. 1000x100000 2000x400000")
    args = parser.parse_args(argv)
    if args.small:
        args.cases, args.candidates = 200, 10_000
    if args.repeat < 1 or (args.repeat > 1 and args.db):
        parser.error("--repeat: a whole number >= 1, more than 1 only with the default SQLite database")
    if args.process:
        sizes = [tuple(int(v) for v in size.lower().split("x")) for size in args.sizes or
                 [f"{args.cases}x{args.candidates}"]]
        results = [run_processes(args, n_cases, n_candidates) for n_cases, n_candidates in sizes]
        given = [a for a in (argv if argv is not None else sys.argv[1:]) if "://" not in a]
        print(f"command: python benchmarks/bench_rescreen.py {' '.join(given)}")
        print(f"whole processes of `reunite rescreen`; top-{args.top_k}; night input: {args.input}; "
              f"database {(args.db or 'sqlite').split(':')[0]}")
        print(f"| size | full run (s) | nightly run (s) | nightly / full | full CPU (s) | nightly CPU (s) | "
              f"nightly / full CPU | recall@{args.top_k} after |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for r in results:
            print(f"| {r['size']} | {r['full']:.2f} | {r['nightly']:.2f} | {r['ratio']:.1%} | {r['full_cpu']:.2f} | "
                  f"{r['nightly_cpu']:.2f} | {r['cpu_ratio']:.1%} | {r['recall']:.3f} |")
        for r in results:
            print(f"{r['size']}: {r['night']}" + (f" (seconds per run: {r['runs']})" if args.repeat > 1 else ""))
        return 0

    from reunite.pipeline import screen
    from reunite.rescreen import rescreen
    from reunite.store import Store
    from reunite.synth import generate

    # load the lazily built tables (pinyin, regions, dates) first, so both runs are timed warm
    warm = generate(20, 500, seed=99)
    screen(pd.DataFrame(warm.cases), pd.DataFrame(warm.candidates))

    with tempfile.TemporaryDirectory(prefix="bench_rescreen_") as tmp:
        work = args.work_dir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        days = make_days(work, args.cases, args.candidates, args.seed)
        url = args.db or f"sqlite:///{Path(tmp) / 'reunite.db'}"
        with Store.open(url) as store:
            started = time.perf_counter()
            full = rescreen(store, cases=days["cases"], candidates=days["candidates_a"], top_k=args.top_k,
                            seed=args.seed)
            full_s = time.perf_counter() - started
            recall_a = recall_at_k(store, days["truth"], args.top_k)
            started = time.perf_counter()
            nightly = rescreen(store, cases=days["cases"], candidates=days[args.input], top_k=args.top_k,
                               seed=args.seed)
            incremental_s = time.perf_counter() - started
            recall_b = recall_at_k(store, days["truth"], args.top_k)
    from reunite.store.db import safe_url

    given = [safe_url(a) if "://" in a else a for a in (argv if argv is not None else sys.argv[1:])]
    command = " ".join(["python", "benchmarks/bench_rescreen.py", *given])
    print(f"command: {command}")
    print(f"data: {args.cases:,} cases x {args.candidates:,} candidates (seed {args.seed}); top-{args.top_k}; "
          f"database {safe_url(url).split(':')[0]}; night input: {args.input}")
    print(f"full re-screen:        {full_s:8.2f} s  ({full.pairs_compared:,} pairs; recall@{args.top_k} "
          f"{recall_a:.3f})")
    print(f"incremental re-screen: {incremental_s:8.2f} s  ({nightly.new_candidates:,} new + "
          f"{nightly.changed_candidates:,} changed candidates; {nightly.pairs_compared:,} pairs; "
          f"{nightly.cases_screened_all} cases screened against all; "
          f"{nightly.cases_with_new_candidates} cases with new candidates; recall@{args.top_k} {recall_b:.3f})")
    ratio = incremental_s / full_s
    print(f"incremental / full:    {ratio:8.1%}  (goal <= 5%)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
