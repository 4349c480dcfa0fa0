"""CPU spent in the pruned screen's cell bookkeeping (:mod:`reunite.matching.prune`), one screen.

Usage (from the repository root; ``PYTHONPATH`` picks the tree measured)::

    python benchmarks/prune_cells_time.py --data-dir /tmp/cells-d            # cases.csv, candidates.csv
    PYTHONPATH=/tmp/before/src python benchmarks/prune_cells_time.py --data-dir /tmp/cells-d

``reunite.pipeline.screen`` runs as shipped (seed 1, the fit of m included, which counts its windows
by cells too) except that chunks are scored one after another on the calling thread, so each of the
functions below can be timed by the CPU time of that thread (``time.thread_time``). Prints one JSON
object: seconds per function, summed over calls (nested: ``_cells`` holds ``_counted_moved`` and
``_breaks``; ``_span`` holds ``_hits`` and ``_cells``), and the screen's own thread.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import SerialExecutor  # (run.py imports the standard library only)

TIMED = ("_span", "_hits", "_cells", "_breaks", "_counted_moved", "score_span_pruned", "compared_patterns")


@contextmanager
def _timed(spent: dict[str, float]) -> Iterator[None]:
    import reunite.matching.learn as learn
    import reunite.matching.prune as prune
    import reunite.pipeline as pipeline

    def wrapped(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + time.thread_time() - started

        return wrapper

    replacements: dict[tuple[Any, str], Any] = {
        (pipeline, "ThreadPoolExecutor"): SerialExecutor,
        (learn, "ThreadPoolExecutor"): SerialExecutor,
        **{(prune, name): wrapped(name, getattr(prune, name)) for name in TIMED},
    }
    originals = {key: getattr(*key) for key in replacements}
    for (module, name), value in replacements.items():
        setattr(module, name, value)
    try:
        yield
    finally:
        for (module, name), value in originals.items():
            setattr(module, name, value)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, help="folder holding cases.csv and candidates.csv")
    args = parser.parse_args(argv)
    from reunite.pipeline import screen

    spent: dict[str, float] = {}
    with _timed(spent):
        started = time.thread_time()
        screen(f"{args.data_dir}/cases.csv", f"{args.data_dir}/candidates.csv", seed=1, workers=1)
        spent["screen (its thread)"] = time.thread_time() - started
    print(json.dumps({name: round(seconds, 3) for name, seconds in spent.items()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
