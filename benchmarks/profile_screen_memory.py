"""Where a screen's memory goes, stage by stage (issue 11's provincial benchmark).

Usage (from the repository root)::

    python benchmarks/profile_screen_memory.py --cases cases.csv --candidates people.parquet [--out RANKED.csv]

Runs ``reunite.screen`` as ``reunite screen`` does (a prepared table read compactly, u and m fitted,
pruning; ``--out`` writes the same RANKED.csv byte for byte), with a thread sampling this process's resident set size
every 50 ms; prints, for each stage (loading either side, preparing the arrays, fitting, the cell
index, scoring, assembling), the RSS when it ended and the highest RSS seen while it ran.
"""

from __future__ import annotations

import argparse
import functools
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Sampler:
    """The highest RSS since the last mark, sampled on a thread."""

    def __init__(self) -> None:
        self.peak = 0.0
        self.stages: list[tuple[str, float, float, float]] = []
        self._started = time.perf_counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, _rss_mb())

    def mark(self, stage: str) -> None:
        now = _rss_mb()
        self.stages.append((stage, time.perf_counter() - self._started, now, max(self.peak, now)))
        print(f"{stage:<28} {self.stages[-1][1]:7.1f} s  RSS {now:8.0f} MB  peak in stage {self.stages[-1][3]:8.0f} MB",
              flush=True)
        self.peak = now

    def wrap(self, module: Any, name: str, stage: str) -> None:
        function: Callable[..., Any] = getattr(module, name)

        @functools.wraps(function)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            self.mark(f"before {stage}")
            result = function(*args, **kwargs)
            self.mark(stage)
            return result

        setattr(module, name, wrapped)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--cases", required=True)
    parser.add_argument("--candidates", required=True)
    parser.add_argument("--top-k", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", help="write RANKED.csv here, as reunite screen --out does")
    args = parser.parse_args(argv)
    sampler = Sampler()
    import reunite.pipeline as pipeline

    sampler.mark("imports")
    for name, stage in (("load_side", "load a side"), ("prepare", "prepare arrays"), ("fit_model", "fit u and m"),
                        ("_cell_index", "cell index"), ("plan", "blocking plan"), ("_assemble", "score + assemble")):
        sampler.wrap(pipeline, name, stage)
    result = pipeline.screen(args.cases, args.candidates, top_k=args.top_k, seed=args.seed)
    sampler.mark("screen done")
    if args.out:
        result.to_csv(args.out)
        sampler.mark("RANKED.csv written")
    print(f"pairs in windows {result.pairs_compared:,}, scored {result.pairs_scored:,}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
