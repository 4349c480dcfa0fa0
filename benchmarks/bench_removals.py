"""A night that removes 1% of the candidates (half of them from the stored top-k rows), against a
full run, and the check that the night ends as a full run with the same fitted model does.

Usage (from the repository root)::

    python benchmarks/bench_removals.py                  # 1,000 cases x 100,000 candidates, SQLite
    python benchmarks/bench_removals.py --small          # 100 x 5,000 (CI)

A generated set (seeded) is screened in full into an empty SQLite database in ``--out-dir``; then
one night removes 1% of the candidates: half drawn from the persons of the stored top-k rows (so
that reserves are promoted and some cases are screened again), half from all candidates. Both runs
are timed in this process (CPU and wall), then a full run that keeps the stored fitted model; the
stored ranks 1..top-k of the night and of that full run are compared row by row (person, score)
and the largest difference of a probability is printed.
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
from pathlib import Path

import pandas as pd

from reunite.rescreen import rescreen
from reunite.store import Store
from reunite.synth import generate

TOP_K = 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000)
    parser.add_argument("--candidates", type=int, default=100_000)
    parser.add_argument("--small", action="store_true", help="100 x 5,000 (CI)")
    parser.add_argument("--out-dir", type=Path, default=None, help="folder of the database (default: a temporary one)")
    args = parser.parse_args()
    n_cases, n_candidates = (100, 5_000) if args.small else (args.cases, args.candidates)
    folder = args.out_dir or Path(tempfile.mkdtemp(prefix="reunite-removals-"))
    data = generate(n_cases, n_candidates, seed=1)
    cases, candidates = pd.DataFrame(data.cases), pd.DataFrame(data.candidates)
    database = folder / "removals.db"
    database.unlink(missing_ok=True)
    with Store.open(f"sqlite:///{database}") as store:
        cpu, wall = time.process_time(), time.perf_counter()
        rescreen(store, cases=cases, candidates=candidates, top_k=TOP_K)
        print(f"{n_cases:,} x {n_candidates:,}: first full run {time.perf_counter() - wall:.2f} s wall, "
              f"{time.process_time() - cpu:.2f} s CPU", flush=True)
        ranked = sorted({r.person_id for r in store.current_topk()})
        draw = random.Random(5)
        every = list(candidates["person_id"])
        half = n_candidates // 200
        gone = sorted(set(draw.sample(ranked, min(half, len(ranked))) + draw.sample(every, half)))
        cpu, wall = time.process_time(), time.perf_counter()
        night = rescreen(store, remove_candidates=gone, top_k=TOP_K)
        night_cpu = time.process_time() - cpu
        print(f"removal night ({len(gone):,} removed): {time.perf_counter() - wall:.2f} s wall, {night_cpu:.2f} s "
              f"CPU; cases screened in full {night.cases_screened_all}, merged {night.cases_screened_delta}, "
              f"pairs {night.pairs_compared:,}", flush=True)
        merged = [(r.case_id, r.rank, r.person_id, r.score, r.probability)
                  for r in store.current_topk() if r.rank <= TOP_K]
        cpu, wall = time.process_time(), time.perf_counter()
        rescreen(store, top_k=TOP_K, full=True, refit=False)
        full_cpu = time.process_time() - cpu
        print(f"full run with the stored fitted model: {time.perf_counter() - wall:.2f} s wall, {full_cpu:.2f} s CPU "
              f"(the night: {night_cpu / full_cpu:.1%} of it)", flush=True)
        full = [(r.case_id, r.rank, r.person_id, r.score, r.probability)
                for r in store.current_topk() if r.rank <= TOP_K]
    same = [row[:4] for row in merged] == [row[:4] for row in full]
    worst = max((abs(a[4] - b[4]) for a, b in zip(merged, full, strict=False)), default=0.0)
    print(f"ranks 1..{TOP_K} equal to the full run: {same}; largest probability difference {worst:.1e}")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    if not same or worst > 1e-9:
        raise SystemExit("the removal night does not end as the full run")


if __name__ == "__main__":
    main()
