"""Keeping a prepared table current: a fresh ``reunite prepare`` of tonight's extract against
``reunite prepare --from yesterday.parquet`` of it, as whole processes, alternating (issue 11).

Usage (from the repository root)::

    python benchmarks/bench_prepare_update.py                  # 1,000,000 candidates, 1% new or changed
    python benchmarks/bench_prepare_update.py --rows 20000 --repeat 1
    python benchmarks/bench_prepare_update.py --rows 4000000 --repeat 1 --rss-limit-gb 6 \
        --pythonpath-before /tmp/before/src            # the update by main's code too, stopped past 6 GB

Yesterday's extract is the generated candidates file of ``bench_prepare.py`` (seeded, kept in
``--data-dir``). Tonight's: 0.5% of the rows edited (a third each: the given name, the region, the
registration date), 0.5% new people (from a second generated pool), 0.1% gone, written in the same
order otherwise. Yesterday's table is prepared once (on the day before); then, ``--repeat`` times,
an update from yesterday's table (also by the code before, ``--pythonpath-before``) and a fresh
prepare of tonight's extract, one after the other, each a ``reunite`` process timed from start to
exit: wall seconds, CPU seconds (user + system, its threads and forked processes included; on a
shared machine the wall time also holds the waits for a core) and peak resident memory. The tables
must hold the same content (reunite's metadata: the report, the dtypes and a digest of every column;
the code before's but for the normalizer digest), or this stops.
"""

from __future__ import annotations

import argparse
import json
import os
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


def process(arguments: Sequence[str], pythonpath: str | None = None, rss_limit_gb: float = 0.0
            ) -> tuple[float, float, float, str]:
    """Wall and CPU seconds of one ``reunite`` process (start-up to exit), its peak resident memory in
    GB (the largest process of its tree, as ``/usr/bin/time`` gives it) and what it printed;
    ``pythonpath`` runs another copy of the code (``PYTHONPATH``). Over ``rss_limit_gb`` (when given),
    the process is stopped (the machine is shared) and its peak given as negative."""
    command = shutil.which("reunite")
    argv = [command] if command else [sys.executable, "-m", "reunite.cli"]
    env = {**os.environ, "PYTHONPATH": pythonpath} if pythonpath else None
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen([*argv, *arguments], stdout=out, stderr=err, text=True, env=env)
        stopped = False
        while rss_limit_gb:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if _rss_gb(child.pid) > rss_limit_gb:
                child.kill()
                stopped = True
                pid, status, usage = os.wait4(child.pid, 0)
                break
            time.sleep(0.1)
        else:
            pid, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        printed, errors = out.read(), err.read()
    peak = usage.ru_maxrss / (1 << 20)
    if stopped:
        return seconds, usage.ru_utime + usage.ru_stime, -peak, printed
    if child.returncode != 0:
        raise SystemExit(f"reunite {' '.join(arguments)} failed ({child.returncode}):\n{errors}")
    return seconds, usage.ru_utime + usage.ru_stime, peak, printed


def _rss_gb(pid: int) -> float:
    """The resident memory of a running process, in GB (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / (1 << 20)
    except OSError:
        pass
    return 0.0


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
                        help="also time an update by this copy of the code (e.g. main's src), in turn")
    parser.add_argument("--pythonpath-after", default=None, metavar="SRC",
                        help="run this copy of the code for the fresh prepare and the update (default: installed)")
    parser.add_argument("--no-fresh", action="store_true",
                        help="no fresh prepare (the updates are checked against each other)")
    parser.add_argument("--rss-limit-gb", type=float, default=0.0,
                        help="stop a process whose resident memory passes this (0: no limit)")
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
    limit = args.rss_limit_gb
    with tempfile.TemporaryDirectory(prefix="bench_prepare_update_") as name:
        folder = Path(name)
        old, fresh, updated = folder / "yesterday.parquet", folder / "fresh.parquet", folder / "updated.parquet"
        old_before, updated_before = folder / "yesterday-before.parquet", folder / "updated-before.parquet"
        # yesterday's table as each copy of the code prepares it (another normalizing code refuses it)
        for path, code in ((old, args.pythonpath_after), (old_before, args.pythonpath_before)):
            if path == old_before and not args.pythonpath_before:
                continue
            seconds, cpu, peak, _ = process(["prepare", "--candidates", str(yesterday), "--out", str(path),
                                             "--today", YESTERDAY], code, limit)
            print(f"yesterday's table ({path.name}): {seconds:.2f} s wall, {cpu:.2f} s CPU, {peak:.2f} GB",
                  flush=True)
        kinds = ("update", "before", "fresh") if args.pythonpath_before else ("update", "fresh")
        kinds = tuple(k for k in kinds if k != "fresh" or not args.no_fresh)
        for turn in range(args.repeat):
            for kind in kinds:
                extra = ["--from", str(old_before if kind == "before" else old)] if kind != "fresh" else []
                target = {"before": updated_before, "update": updated, "fresh": fresh}[kind]
                target.unlink(missing_ok=True)
                load = os.getloadavg()[0]
                seconds, cpu, peak, printed = process(
                    ["prepare", "--candidates", str(tonight), "--out", str(target), "--today", TONIGHT, *extra],
                    args.pythonpath_before if kind == "before" else args.pythonpath_after, limit)
                line = next((x for x in printed.splitlines() if "updated from" in x), "")
                runs.append({"turn": turn, "kind": kind, "wall_s": seconds, "cpu_s": cpu, "peak_gb": peak,
                             "load": load, "line": line.replace(str(old_before), "yesterday.parquet")
                             .replace(str(old), "yesterday.parquet")})
                print(f"{turn} {kind:<6} {seconds:7.2f} s wall {cpu:7.2f} s CPU {peak:6.2f} GB peak (load {load:.1f})"
                      + (" STOPPED at the memory limit" if peak < 0 else ""), flush=True)
            want = fresh if not args.no_fresh else updated
            if content(updated) != content(want):
                raise SystemExit("the updated table differs from the fresh one")
            if args.pythonpath_before and updated_before.exists() and (
                    {k: v for k, v in content(updated_before).items() if k != b"reunite.normalizer"}
                    != {k: v for k, v in content(want).items() if k != b"reunite.normalizer"}):
                raise SystemExit("the code before wrote another table")
    checked = [] if args.no_fresh else ["the fresh one"]
    if any(r["kind"] == "before" and float(str(r["peak_gb"])) > 0 for r in runs):
        checked.append("the code before's")
    print(f"{counts['rows']:,} rows tonight ({counts['edited']:,} edited, {counts['new']:,} new, "
          f"{counts['gone']:,} gone); the updated table equals "
          + (" and ".join(checked) if checked else "no other (none was written)"))
    print(next(str(r["line"]) for r in runs if r["kind"] == "update"))
    if args.out:
        args.out.write_text(json.dumps(figures, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
