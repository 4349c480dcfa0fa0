"""The provincial benchmark (issue 11): 10,000 cases against 20,000,000 candidates on one machine.

Usage (from the repository root)::

    python benchmarks/bench_provincial.py --data-dir /tmp/prov --out prov.json       # 10,000 x 20 x 1,000,000
    python benchmarks/bench_provincial.py --data-dir /tmp/p --slices 2 --slice-rows 2000 --cases 50  # CI size

Stages (``--stages``, comma-separated; a stage whose output exists is not run again unless ``--again``):

``build``    write ``cases.csv``, ``truth.csv`` and ``candidates.csv``. ``synth.generate`` holds a whole
             table in memory (about 1.25 GB a million candidates, so some 25 GB at 20 M: more than this
             machine has), so the candidate file is written in slices: slice 0 is
             ``synth.generate(cases, slice_rows, seed=seed)`` as it is (cases, truth and candidates: at the
             default sizes, exactly the large benchmark's 10,000 x 1,000,000 files), slice ``k`` the
             candidates of ``synth.generate(cases, slice_rows, seed=seed + k)`` with person_id
             ``P{k:02d}{number in the slice}``. The later slices' cases are not screened: their true
             copies and near-twins are people of the population like any other.
``prepare``  ``reunite prepare`` of the candidates, as a separate process under ``/usr/bin/time -v``.
``screen``   the cases screened against the prepared table as ``reunite screen`` screens them (the same
             RANKED.csv), the same way, by ``profile_screen_memory.py``: it also says the pairs scored
             and the memory each stage held.
``evaluate`` recall@k of the ranking against the truth.

Each process's wall, CPU (user + system) and peak RSS come from ``/usr/bin/time -v`` (or from
``getrusage`` of the child when that program is missing); the screen's pairs in windows and pairs
scored from its output. Nothing is asserted about time: the figures go to benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

STAGES = ("build", "prepare", "screen", "evaluate")
_TIME = "/usr/bin/time"


def build(directory: Path, cases: int, slices: int, slice_rows: int, seed: int) -> dict[str, Any]:
    """Write the three files slice by slice (see the module docstring); returns what was written."""
    from reunite.synth import generate, write
    from reunite.synth.candidates import CANDIDATE_COLUMNS

    directory.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    first = generate(cases, slice_rows, seed=seed)
    write(first, directory)  # cases.csv, truth.csv and the first slice's candidates.csv
    del first
    partial = directory / "candidates.csv.partial"
    shutil.move(directory / "candidates.csv", partial)
    with partial.open("a", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        for k in range(1, slices):
            data = generate(cases, slice_rows, seed=seed + k).candidates
            data["person_id"] = [f"P{k:02d}{pid[1:]}" for pid in data["person_id"]]
            writer.writerows(zip(*(data[c] for c in CANDIDATE_COLUMNS), strict=True))
            del data
            print(f"build: slice {k + 1}/{slices} written ({time.perf_counter() - started:.0f} s)", flush=True)
    partial.replace(directory / "candidates.csv")
    return {"candidates": slices * slice_rows, "cases": cases, "build_wall_s": time.perf_counter() - started,
            "candidates_mb": (directory / "candidates.csv").stat().st_size / 1e6}


def measured(command: Sequence[str], log: Path) -> dict[str, Any]:
    """Run ``command`` as a child process; its wall, CPU and peak RSS, and its output (kept in ``log``)."""
    timed = [_TIME, "-v", *command] if Path(_TIME).exists() else list(command)
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    completed = subprocess.run(timed, capture_output=True, text=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    log.write_text(completed.stdout + "\n--- stderr ---\n" + completed.stderr, encoding="utf-8")
    if completed.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({completed.returncode}); see {log}")
    figures: dict[str, Any] = {
        "command": " ".join(command), "wall_s": time.perf_counter() - started,
        "cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "peak_rss_mb": after.ru_maxrss / 1024, "load_1min_after": os.getloadavg()[0],
    }
    found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", completed.stderr)
    if found:
        figures["peak_rss_mb"] = int(found.group(1)) / 1024
    figures["stdout"] = completed.stdout
    return figures


def _pairs(output: str) -> dict[str, int]:
    """The pair counts profile_screen_memory.py prints (numbers with thousands separators)."""
    match = re.search(r"pairs in windows ([\d,]+), scored ([\d,]+)", output)
    if not match:
        return {}
    return {"pairs_in_windows": int(match.group(1).replace(",", "")),
            "pairs_scored": int(match.group(2).replace(",", ""))}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--data-dir", type=Path, required=True, help="where the files are built and kept")
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--slices", type=int, default=20)
    parser.add_argument("--slice-rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--top-k", type=int, default=10)
    parser.add_argument("--stages", default=",".join(STAGES), help=f"comma-separated, of {', '.join(STAGES)}")
    parser.add_argument("--again", action="store_true", help="run the stages even when their output exists")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    args = parser.parse_args(argv)
    stages = [s for s in args.stages.split(",") if s]
    unknown = set(stages) - set(STAGES)
    if unknown:
        parser.error(f"--stages: unknown {', '.join(sorted(unknown))}")
    data = args.data_dir
    cases, candidates, truth = data / "cases.csv", data / "candidates.csv", data / "truth.csv"
    prepared, ranked = data / "candidates.parquet", data / "ranked.csv"
    reunite = [str(Path(sys.executable).with_name("reunite"))]  # the console script beside this Python
    figures: dict[str, Any] = {"cases": args.cases, "candidates": args.slices * args.slice_rows,
                               "nproc": os.cpu_count(), "load_1min_start": os.getloadavg()[0]}
    if "build" in stages and (args.again or not candidates.exists()):
        figures["build"] = build(data, args.cases, args.slices, args.slice_rows, args.seed)
    if "prepare" in stages and (args.again or not prepared.exists()):
        figures["prepare"] = measured([*reunite, "prepare", "--candidates", str(candidates), "--out", str(prepared)],
                                      data / "prepare.log")
    if "screen" in stages:
        # reunite.screen as the command runs it, with its memory by stage and the pairs scored
        profile = Path(__file__).resolve().with_name("profile_screen_memory.py")
        figures["screen"] = measured([sys.executable, str(profile), "--cases", str(cases), "--candidates",
                                      str(prepared), "--top-k", str(args.top_k), "--out", str(ranked),
                                      "--seed", str(args.seed)], data / "screen.log")
        figures["screen"].update(_pairs(figures["screen"]["stdout"]))
    if "evaluate" in stages:
        completed = subprocess.run([*reunite, "evaluate", "--truth", str(truth), "--ranked", str(ranked)],
                                   capture_output=True, text=True, check=True)
        figures["evaluate"] = completed.stdout
    for stage in ("prepare", "screen"):
        if stage in figures:
            f = figures[stage]
            print(f"{stage:<8} {f['wall_s']:8.1f} s wall {f['cpu_s']:8.1f} s CPU {f['peak_rss_mb']:9.0f} MB peak "
                  f"(load {f['load_1min_after']:.1f})")
    if "evaluate" in figures:
        print(figures["evaluate"].strip())
    if args.out:
        args.out.write_text(json.dumps(figures, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
