"""Reading and normalizing a large candidate file: the issue's budget is 60 s for 1,000,000 rows.

Usage (from the repository root)::

    python benchmarks/bench_normalize.py                      # 1,000,000 generated candidates
    python benchmarks/bench_normalize.py --rows 200000 --budget 12

A candidate CSV is generated once (seeded) and kept; ``read_table`` and ``normalize`` are then timed
separately, each with its rows per second and the process's peak resident memory after it. The
numeric libraries are held to one thread; ``normalize`` parses names in a second process from
200,000 rows (``--second-process-from`` changes that size; a size above ``--rows`` keeps everything
on one core), whose memory is not in the peak figure. Exit status 1 when normalize takes longer
than ``--budget`` seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# one thread: set before numpy is imported
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")


def _peak_mb() -> float:
    """High-water resident set of this process (VmHWM: the current image only, not the parent's)."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def candidate_file(directory: Path, rows: int, seed: int) -> Path:
    """A generated candidates.csv of ``rows`` rows (made once per size and seed, then reused)."""
    path = directory / f"candidates-{rows}-seed{seed}" / "candidates.csv"
    if not path.exists():
        from reunite.synth import generate, write

        path.parent.mkdir(parents=True, exist_ok=True)
        write(generate(max(1, rows // 100), rows, seed=seed), path.parent)
    return path


def measure(path: Path, second_process_from: int | None = None) -> dict[str, Any]:
    """Time ``read_table`` and ``normalize`` of a candidate file; rows/s and peak memory after each."""
    from reunite.ingest import read_table
    from reunite.normalize import normalize

    baseline = _peak_mb()
    started = time.perf_counter()
    raw = read_table(path, "candidates")
    read_seconds = time.perf_counter() - started
    read_peak = _peak_mb()
    started = time.perf_counter()
    table = normalize(raw) if second_process_from is None else normalize(
        raw, second_process_from=second_process_from)
    normalize_seconds = time.perf_counter() - started
    rows = len(raw)
    return {
        "file": str(path), "rows_read": rows, "rows_accepted": len(table),
        "read_seconds": read_seconds, "read_rows_per_second": rows / read_seconds,
        "normalize_seconds": normalize_seconds, "normalize_rows_per_second": rows / normalize_seconds,
        "peak_mb_before": baseline, "peak_mb_after_read": read_peak, "peak_mb_after_normalize": _peak_mb(),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--budget", type=float, default=60.0, help="seconds allowed for normalize")
    parser.add_argument("--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "reunite-bench")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    parser.add_argument("--second-process-from", type=int, default=None,
                        help="rows from which names are parsed in a second process (default: the library's)")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    path = candidate_file(args.data_dir, args.rows, args.seed)
    print(f"data: {path} ({time.perf_counter() - started:.1f} s)", file=sys.stderr)
    if "reunite.synth" in sys.modules:
        # generation was done here: measure in a fresh process so its memory does not count
        os.execv(sys.executable, [sys.executable, *sys.argv])
    result = measure(path, args.second_process_from)
    result["budget_seconds"] = args.budget
    result["within_budget"] = result["normalize_seconds"] <= args.budget
    print(
        f"read_table  {result['read_seconds']:7.1f} s  {result['read_rows_per_second']:>10,.0f} rows/s  "
        f"peak {result['peak_mb_after_read']:,.0f} MB\n"
        f"normalize   {result['normalize_seconds']:7.1f} s  {result['normalize_rows_per_second']:>10,.0f} rows/s  "
        f"peak {result['peak_mb_after_normalize']:,.0f} MB\n"
        f"{result['rows_read']:,} rows read, {result['rows_accepted']:,} accepted; normalize "
        f"{'within' if result['within_budget'] else 'OVER'} the {args.budget:.0f} s budget"
    )
    if args.out:
        args.out.write_text(json.dumps(result, indent=1), encoding="utf-8")
    return 0 if result["within_budget"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
