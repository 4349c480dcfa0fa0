"""Exact top-k with pruning (issue 11): the pruned screen beside the exhaustive one, same data, same process.

Usage (from the repository root)::

    python benchmarks/bench_prune.py --cases 2000 --candidates 200000
    python benchmarks/bench_prune.py --data-dir /tmp/reunite-bench/10000x1000000-seed1 --repeat 1

The data are generated once (``reunite.synth``, seed 1) or read from ``--data-dir``, read and
normalized once, and the model fitted once as ``screen`` fits it (u, term frequencies, m by EM).
Then ``screen(..., fit_to_data=False)`` runs with ``prune=True`` and ``prune=False`` alternately,
``--repeat`` times each, on ``--workers`` threads; CPU time (``time.process_time``, all threads) and
wall time are taken around each call. The two RANKED.csv files must be byte-identical, and the
probabilities equal; the script exits 1 if they are not.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--candidates", type=int, default=200_000)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--top-k", type=int, default=10)
    parser.add_argument("--out", type=Path, default=None, help="also write the figures as JSON")
    args = parser.parse_args(argv)

    import numpy as np

    from reunite.ingest import read_table
    from reunite.matching.model import default_model
    from reunite.matching.spec import BlockingSpec
    from reunite.normalize import normalize
    from reunite.pipeline import fit_model, screen
    from reunite.synth import generate, write

    data = args.data_dir or Path(tempfile.gettempdir()) / "reunite-bench" / f"{args.cases}x{args.candidates}-seed1"
    if not (data / "candidates.csv").exists():
        data.mkdir(parents=True, exist_ok=True)
        write(generate(args.cases, args.candidates, seed=1), data)
    cases = normalize(read_table(data / "cases.csv", "cases"))
    candidates = normalize(read_table(data / "candidates.csv", "candidates"))
    started = time.process_time()
    fitted, _, _ = fit_model(default_model(), cases, candidates, blocking=BlockingSpec(), seed=1)
    print(f"{len(cases)} cases x {len(candidates)} candidates; model fitted in {time.process_time() - started:.1f} s "
          "CPU", flush=True)
    figures: dict[str, list[dict[str, float]]] = {"pruned": [], "exhaustive": []}
    outputs: dict[str, bytes] = {}
    columns: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for _ in range(args.repeat):
            for name, prune in (("pruned", True), ("exhaustive", False)):
                cpu, wall = time.process_time(), time.perf_counter()
                result = screen(cases, candidates, model=fitted, fit_to_data=False, top_k=args.top_k,
                                workers=args.workers, prune=prune)
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                figures[name].append({"cpu_s": cpu, "wall_s": wall, "pairs": result.pairs_compared,
                                      "pairs_scored": result.pairs_scored})
                print(f"  {name:<10} CPU {cpu:7.2f} s  wall {wall:7.2f} s  pairs {result.pairs_compared:,}  "
                      f"scored one by one {result.pairs_scored:,}", flush=True)
                path = Path(scratch) / f"{name}.csv"
                result.to_csv(path)
                outputs[name] = path.read_bytes()
                columns[name] = result.columns
    same_csv = outputs["pruned"] == outputs["exhaustive"]
    gap = float(np.max(np.abs(np.asarray(columns["pruned"]["probability"], dtype=np.float64)
                              - np.asarray(columns["exhaustive"]["probability"], dtype=np.float64)), initial=0.0))
    best = {name: min(f["cpu_s"] for f in runs) for name, runs in figures.items()}
    pruned, exhaustive = figures["pruned"][0], figures["exhaustive"][0]
    print(f"RANKED.csv byte-identical: {same_csv}; largest probability difference {gap:.3g}")
    print(f"pairs scored one by one: {pruned['pairs_scored']:,} of {exhaustive['pairs']:,} "
          f"({exhaustive['pairs'] / max(pruned['pairs_scored'], 1):.1f}x fewer)")
    print(f"screen CPU (best of {args.repeat}): pruned {best['pruned']:.2f} s, exhaustive {best['exhaustive']:.2f} s "
          f"({best['exhaustive'] / best['pruned']:.2f}x)")
    if args.out is not None:
        args.out.write_text(json.dumps({"runs": figures, "identical": same_csv, "probability_gap": gap}, indent=1),
                            encoding="utf-8")
    return 0 if same_csv and gap <= 1e-9 else 1


if __name__ == "__main__":
    raise SystemExit(main())
