"""Read + normalize a large candidate file, prepare it once, and load the prepared table (issue 11).

Usage (from the repository root)::

    python benchmarks/bench_prepare.py                       # 1,000,000 generated candidates
    python benchmarks/bench_prepare.py --rows 200000 --out /tmp/prepare.json
    python benchmarks/bench_prepare.py --stages read,normalize  # also runs on code without reunite prepare

Stages, each timed as wall seconds and as CPU seconds of this process and of the processes it forked
(the second core's work shows as CPU beyond wall):

``read``       ``read_table`` of the CSV (Arrow's parser for a plain file, else row by row);
``rows``       ``read_table`` forced row by row (the reader before issue 11), for the ratio;
``normalize``  ``normalize`` of the table read (names in a second process from 200,000 rows);
``write``      writing the prepared Parquet file (digests and all), as ``reunite prepare`` does;
``load``       reading it back as the screen reads it (every check included).

The candidate CSV is generated once (seeded) and kept. Numeric libraries are held to one thread;
Arrow's CSV parser uses its own threads. Exit status 1 when read + normalize takes longer than
``--budget`` seconds of wall time.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

sys.path.insert(0, str(Path(__file__).resolve().parent))

STAGES = ("read", "rows", "normalize", "write", "load")


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(function: Callable[[], Any]) -> tuple[Any, dict[str, float]]:
    """``function()`` and its wall and CPU seconds (this process and its reaped children)."""
    wall, cpu = time.perf_counter(), _cpu()
    result = function()
    return result, {"wall_s": time.perf_counter() - wall, "cpu_s": _cpu() - cpu}


def run(path: Path, stages: Sequence[str], scratch: Path) -> dict[str, Any]:
    from unittest import mock

    import reunite
    import reunite.ingest.read as read_module
    from reunite.ingest import read_table
    from reunite.normalize import normalize

    figures: dict[str, Any] = {"file": str(path), "code": str(Path(reunite.__file__).parent),
                               "load_1min": os.getloadavg()[0]}
    raw, figures["read"] = timed(lambda: read_table(path, "candidates"))
    figures["rows_read"] = len(raw)
    if "rows" in stages and hasattr(read_module, "_plain"):
        with mock.patch.object(read_module, "_plain", lambda *args: None):
            _, figures["rows"] = timed(lambda: read_table(path, "candidates"))
    today = datetime.date.today()
    table, figures["normalize"] = timed(lambda: normalize(raw, today=today))
    figures["read_normalize_wall_s"] = figures["read"]["wall_s"] + figures["normalize"]["wall_s"]
    if "write" in stages or "load" in stages:
        from reunite.normalize.stored import file_sha256, read_prepared, write_prepared

        out = scratch / "candidates.parquet"
        _, figures["write"] = timed(lambda: write_prepared(raw, table, out, today=today,
                                                           source_sha256=file_sha256(path)))
        figures["parquet_mb"] = out.stat().st_size / 1e6
        if "load" in stages:
            loaded, figures["load"] = timed(lambda: read_prepared(out))
            assert len(loaded) == len(table)
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--stages", default=",".join(STAGES), help=f"comma-separated, of {', '.join(STAGES)}")
    parser.add_argument("--budget", type=float, default=8.0, help="wall seconds allowed for read + normalize")
    parser.add_argument("--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "reunite-bench")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    args = parser.parse_args(argv)
    stages = [s for s in args.stages.split(",") if s]
    unknown = set(stages) - set(STAGES)
    if unknown:
        parser.error(f"--stages: unknown {', '.join(sorted(unknown))}")

    from bench_normalize import candidate_file

    path = candidate_file(args.data_dir, args.rows, args.seed)
    if "reunite.synth" in sys.modules:  # generated here: measure in a fresh process
        os.execv(sys.executable, [sys.executable, *sys.argv])
    with tempfile.TemporaryDirectory() as scratch:
        figures = run(path, stages, Path(scratch))
    for stage in STAGES:
        if stage in figures:
            print(f"{stage:<10} {figures[stage]['wall_s']:7.2f} s wall  {figures[stage]['cpu_s']:7.2f} s CPU")
    met = figures["read_normalize_wall_s"] <= args.budget
    print(f"{figures['rows_read']:,} rows; read + normalize {figures['read_normalize_wall_s']:.2f} s wall "
          f"({'within' if met else 'OVER'} the {args.budget:g} s budget); load average {figures['load_1min']:.2f}")
    if args.out:
        args.out.write_text(json.dumps(figures, indent=1), encoding="utf-8")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
