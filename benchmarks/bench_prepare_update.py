"""Keeping a prepared table current: a fresh ``reunite prepare`` of tonight's extract against
``reunite prepare --from yesterday.parquet`` of it, as whole processes, alternating (issue 11).

Usage (from the repository root)::

    python benchmarks/bench_prepare_update.py                  # 1,000,000 candidates, 1% new or changed
    python benchmarks/bench_prepare_update.py --rows 20000 --repeat 1

Yesterday's extract is the generated candidates file of ``bench_prepare.py`` (seeded, kept in
``--data-dir``). Tonight's: 0.5% of the rows edited (a third each: the given name, the region, the
registration date), 0.5% new people (from a second generated pool), 0.1% gone, written in the same
order otherwise. Yesterday's table is prepared once (on the day before); then, ``--repeat`` times,
a fresh prepare of tonight's extract and an update from yesterday's table, one after the other, each
a ``reunite`` process timed from start to exit: wall seconds and CPU seconds (user + system, its
threads and forked processes included; on a shared machine the wall time also holds the waits for
a core). The two tables must hold the same content (reunite's metadata: the report, the dtypes and a
digest of every column), or this stops.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

sys.path.insert(0, str(Path(__file__).resolve().parent))

TONIGHT, YESTERDAY = "2026-12-07", "2026-12-06"


def make_tonight(yesterday: Path, out: Path, seed: int) -> dict[str, int]:
    """Tonight's extract from yesterday's: 0.5% edited, 0.5% new, 0.1% gone (counts returned)."""
    import numpy as np
    import pandas as pd

    from reunite.synth import generate

    frame = pd.read_csv(yesterday, dtype=str, keep_default_na=False)
    n = len(frame)
    rng = np.random.default_rng(seed)
    picked = rng.choice(n, n // 200 + n // 1000, replace=False)
    edited, gone = picked[: n // 200], picked[n // 200:]
    third = edited.shape[0] // 3
    names = frame.loc[edited[:third], "name"]
    frame.loc[edited[:third], "name"] = names.str[:1] + names.str[1:].str[::-1] + "儿"
    frame.loc[edited[third: 2 * third], "region"] = frame["region"].to_numpy()[rng.choice(n, third)]
    frame.loc[edited[2 * third:], "registration_date"] = "2003-06-01"
    new = pd.DataFrame(generate(max(1, n // 20000), n // 200, seed=seed + 1).candidates)
    new["person_id"] = [f"N{i:07d}" for i in range(len(new))]
    tonight = pd.concat([frame.drop(index=gone), new[frame.columns]], ignore_index=True)
    tonight.to_csv(out, index=False)
    return {"rows": len(tonight), "edited": int(edited.shape[0]), "new": len(new), "gone": int(gone.shape[0])}


def process(arguments: Sequence[str], pythonpath: str | None = None) -> tuple[float, float, str]:
    """Wall and CPU seconds of one ``reunite`` process (start-up to exit) and what it printed;
    ``pythonpath`` runs another copy of the code (``PYTHONPATH``)."""
    command = shutil.which("reunite")
    argv = [command] if command else [sys.executable, "-m", "reunite.cli"]
    env = {**os.environ, "PYTHONPATH": pythonpath} if pythonpath else None
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([*argv, *arguments], capture_output=True, text=True, check=False, env=env)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"reunite {' '.join(arguments)} failed ({done.returncode}):\n{done.stderr}")
    return seconds, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), done.stdout


def content(path: Path) -> dict[bytes, bytes]:
    """reunite's metadata of a prepared table (the report, the dtypes, every column's digest)."""
    import pyarrow.parquet as pq

    return {k: v for k, v in pq.read_metadata(path).metadata.items() if k.startswith(b"reunite.")}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="fresh/update pairs, alternating")
    parser.add_argument("--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "reunite-bench")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    parser.add_argument("--pythonpath-before", default=None, metavar="SRC",
                        help="also time a fresh prepare by this copy of the code (e.g. main's src), in turn")
    args = parser.parse_args(argv)

    from bench_normalize import candidate_file

    yesterday = candidate_file(args.data_dir, args.rows, args.seed)
    tonight = yesterday.parent / "tonight.csv"
    if not tonight.exists():
        counts = make_tonight(yesterday, tonight, args.seed + 7)
        (yesterday.parent / "tonight.json").write_text(json.dumps(counts), encoding="utf-8")
    counts = json.loads((yesterday.parent / "tonight.json").read_text(encoding="utf-8"))
    figures: dict[str, object] = {"tonight": counts, "runs": []}
    print(f"load average {os.getloadavg()[0]:.1f} at the start", flush=True)
    runs: list[dict[str, object]] = figures["runs"]  # type: ignore[assignment]
    with tempfile.TemporaryDirectory(prefix="bench_prepare_update_") as name:
        folder = Path(name)
        old, fresh, updated = folder / "yesterday.parquet", folder / "fresh.parquet", folder / "updated.parquet"
        seconds, cpu, _ = process(["prepare", "--candidates", str(yesterday), "--out", str(old),
                                   "--today", YESTERDAY])
        print(f"yesterday's table: {seconds:.2f} s wall, {cpu:.2f} s CPU", flush=True)
        earlier: dict[bytes, bytes] = {}
        for turn in range(args.repeat):
            for kind in ("before", "fresh", "update") if args.pythonpath_before else ("fresh", "update"):
                extra = ["--from", str(old)] if kind == "update" else []
                target = updated if kind == "update" else fresh
                target.unlink(missing_ok=True)
                load = os.getloadavg()[0]
                seconds, cpu, printed = process(["prepare", "--candidates", str(tonight), "--out", str(target),
                                                 "--today", TONIGHT, *extra],
                                                args.pythonpath_before if kind == "before" else None)
                line = next((x for x in printed.splitlines() if "updated from" in x), "")
                runs.append({"turn": turn, "kind": kind, "wall_s": seconds, "cpu_s": cpu, "load": load,
                             "line": line.replace(str(old), "yesterday.parquet")})
                print(f"{turn} {kind:<6} {seconds:7.2f} s wall {cpu:7.2f} s CPU (load {load:.1f})", flush=True)
                if kind == "before":  # the same table, but for the digest of the (changed) normalizing code
                    earlier = content(fresh)
            if content(updated) != content(fresh):
                raise SystemExit("the updated table differs from the fresh one")
            if args.pythonpath_before and ({k: v for k, v in earlier.items() if k != b"reunite.normalizer"}
                                           != {k: v for k, v in content(fresh).items() if k != b"reunite.normalizer"}):
                raise SystemExit("the code before wrote another table")
    print(f"{counts['rows']:,} rows tonight ({counts['edited']:,} edited, {counts['new']:,} new, "
          f"{counts['gone']:,} gone); the updated table equals the fresh one")
    print(next(str(r["line"]) for r in runs if r["kind"] == "update"))
    if args.out:
        args.out.write_text(json.dumps(figures, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
