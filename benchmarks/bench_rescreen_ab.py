"""The nightly re-screen of two versions of reunite side by side, as whole ``reunite rescreen`` processes.

Usage (from the repository root; ``OLD`` is an export of the older code, e.g.
``git archive <commit> src | tar -x -C OLD``)::

    python benchmarks/bench_rescreen_ab.py --before OLD/src --sizes 1000x100000 2000x400000 --repeat 5

For each size: day A and the night's delta are generated as ``bench_rescreen.py --input delta`` makes
them; each version runs one full ``reunite rescreen`` of day A into an empty SQLite file; then the
night's process runs on a fresh copy of that file, the older and this version alternating ``--repeat``
times, so a loaded machine slows both alike. The older version is the same console script with
``PYTHONPATH`` at ``--before``; both packages are compiled to bytecode first. Printed: each run's CPU
time (user + system, threads and children included) and wall time, and per version the full run and
the nightly medians, and whether the two versions' full runs, and their last nights, stored the same
rows (top-k, totals, bounds, results history; floats compared exactly).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_rescreen import compile_package, make_days, process_seconds


def _with_env(env: Mapping[str, str]) -> dict[str, str | None]:
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    return saved


def _restore(saved: Mapping[str, str | None]) -> None:
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def _run(arguments: Sequence[str], env: Mapping[str, str]) -> tuple[float, float]:
    saved = _with_env(env)
    try:
        wall, cpu, _ = process_seconds(arguments)
    finally:
        _restore(saved)
    return wall, cpu


STORED = {  # what a run leaves that the next runs and exports read: compared between the versions
    "current_topk": "SELECT case_id, person_id, score, probability, reasons FROM current_topk ORDER BY 1, 2",
    "case_totals": "SELECT case_id, pairs, rest, exclusions, log_factor FROM case_totals ORDER BY 1",
    "case_bounds": "SELECT case_id, score, person_id FROM case_bounds ORDER BY 1",
    "results": "SELECT case_id, rank, person_id, score, probability, reasons FROM results ORDER BY 1, 2, 3",
}


def stored_differences(first: Path, second: Path) -> list[str]:
    """The tables of ``STORED`` whose rows differ between two SQLite stores (exactly: floats bit for bit)."""
    def rows(path: Path, query: str) -> list[tuple[object, ...]]:
        with sqlite3.connect(path) as connection:
            return connection.execute(query).fetchall()
    return [name for name, query in STORED.items() if rows(first, query) != rows(second, query)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, required=True, help="src folder of the older version")
    parser.add_argument("--sizes", nargs="+", default=["1000x100000"], metavar="CASESxCANDIDATES")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--top-k", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    versions = {"before": {"PYTHONPATH": str(args.before.resolve())}, "after": {}}
    for env in versions.values():
        saved = _with_env(env)
        try:
            compile_package()
        finally:
            _restore(saved)
    print(f"command: python benchmarks/bench_rescreen_ab.py {' '.join(argv if argv is not None else sys.argv[1:])}")
    for size in args.sizes:
        n_cases, n_candidates = (int(v) for v in size.lower().split("x"))
        with tempfile.TemporaryDirectory(prefix="bench_rescreen_ab_") as tmp:
            work = Path(tmp)
            days = make_days(work, n_cases, n_candidates, args.seed)
            common = ["--top-k", str(args.top_k), "--seed", str(args.seed), "--cases", str(days["cases"])]
            full: dict[str, tuple[float, float]] = {}
            for name, env in versions.items():
                database = work / f"full_{name}.db"
                full[name] = _run(["rescreen", "--db", f"sqlite:///{database}", "--candidates",
                                   str(days["candidates_a"]), *common], env)
                print(f"{size} {name} full: wall {full[name][0]:.2f} s, CPU {full[name][1]:.2f} s", flush=True)
            nights: dict[str, list[tuple[float, float]]] = {name: [] for name in versions}
            for index in range(args.repeat):
                for name, env in versions.items():
                    night = work / f"night_{name}.db"
                    shutil.copy(work / f"full_{name}.db", night)
                    nights[name].append(_run(["rescreen", "--db", f"sqlite:///{night}", "--candidates",
                                              str(days["delta"]), *common], env))
                    wall, cpu = nights[name][-1]
                    print(f"{size} {name} night {index + 1}: wall {wall:.2f} s, CPU {cpu:.2f} s", flush=True)
            for label, stem in (("full runs", "full"), ("last nights", "night")):
                differ = stored_differences(work / f"{stem}_before.db", work / f"{stem}_after.db")
                print(f"{size} {label}: stored results and probabilities "
                      + (f"DIFFER in {', '.join(differ)}" if differ else "identical"), flush=True)
            for name in versions:
                wall = statistics.median(w for w, _ in nights[name])
                cpu = statistics.median(c for _, c in nights[name])
                print(f"{size} {name}: full CPU {full[name][1]:.2f} s, nightly CPU median {cpu:.2f} s "
                      f"({cpu / full[name][1]:.1%}); full wall {full[name][0]:.2f} s, nightly wall median "
                      f"{wall:.2f} s ({wall / full[name][0]:.1%})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
