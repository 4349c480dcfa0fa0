"""Where reunite's scoring time goes: seconds and nanoseconds per pair for each stage of ``score_chunk``.

Usage (from the repository root, after ``benchmarks/run.py --size medium`` has generated the data)::

    python benchmarks/profile_stages.py                      # default comparisons and blocking
    python benchmarks/profile_stages.py --simple             # the issue's simple set (see peers.py)
    python benchmarks/profile_stages.py --data-dir DIR --repeat 3

The data are read and normalized once; u and term frequencies are fitted as ``screen`` does; then
every chunk is blocked and scored on this thread, ``--repeat`` times, with each comparison kernel,
the weight sum and the ranking steps timed by wrappers. Figures are the mean over repeats. Thread
pools of numeric libraries are left as they are (rapidfuzz uses both cores for its similarity
matrix, as in a real run).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))


@contextmanager
def _timed(seconds: Counter[str]) -> Iterator[None]:
    import reunite.matching.compare as compare_module
    import reunite.matching.score as score_module

    def wrap(module: Any, name: str, label: Callable[[tuple[Any, ...]], str]) -> None:
        function = getattr(module, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                seconds[label(args)] += time.perf_counter() - started

        originals.append((module, name, function))
        setattr(module, name, wrapper)

    originals: list[tuple[Any, str, Any]] = []
    wrap(compare_module, "compare_one", lambda args: f"compare: {args[2]}")
    for name in ("_scores", "survivors", "top_k", "factor_sums", "posteriors_from_sums", "_contributions"):
        wrap(score_module, name, lambda args, name=name: name.lstrip("_"))
    try:
        yield
    finally:
        for module, name, function in originals:
            setattr(module, name, function)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path,
                        default=Path(tempfile.gettempdir()) / "reunite-bench" / "2000x200000-seed1")
    parser.add_argument("--simple", action="store_true", help="the simple comparison set of issue 3")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    from peers import SIMPLE_BLOCKING, simple_model, simple_tables
    from reunite.ingest import read_table
    from reunite.matching.blocking import plan
    from reunite.matching.model import default_model
    from reunite.matching.score import score_chunk
    from reunite.matching.spec import BlockingSpec
    from reunite.normalize import normalize
    from reunite.pipeline import fit_population

    if not (args.data_dir / "cases.csv").exists():
        print(f"no data in {args.data_dir}: run benchmarks/run.py --size medium first", file=sys.stderr)
        return 2
    cases = normalize(read_table(args.data_dir / "cases.csv", "cases"))
    candidates = normalize(read_table(args.data_dir / "candidates.csv", "candidates"))
    if args.simple:
        cases, candidates = simple_tables(cases, candidates)
    model, blocking = (simple_model(), SIMPLE_BLOCKING) if args.simple else (default_model(), BlockingSpec())
    started = time.perf_counter()
    fitted, prep = fit_population(model, cases, candidates, seed=1)
    fit_seconds = time.perf_counter() - started

    seconds: Counter[str] = Counter()
    pairs = 0
    with _timed(seconds):
        for _ in range(args.repeat):
            blocks = plan(prep, blocking)
            for first, last in blocks.spans:
                started = time.perf_counter()
                chunk = blocks.chunk(first, last)
                seconds["block"] += time.perf_counter() - started
                pairs += len(chunk)
                started = time.perf_counter()
                score_chunk(prep, fitted, chunk, 10)
                seconds["score_chunk (all of the below)"] += time.perf_counter() - started
    per_run = pairs // args.repeat
    print(f"{len(cases)} cases x {len(candidates)} candidates, {per_run:,} pairs, "
          f"{'simple' if args.simple else 'default'} set; fit_population {fit_seconds:.2f} s (once)")
    for name, total in sorted(seconds.items(), key=lambda item: -item[1]):
        print(f"  {name:<34}{total / args.repeat:7.3f} s {total / pairs * 1e9:7.1f} ns/pair")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
