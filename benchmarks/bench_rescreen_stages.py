"""Where one nightly ``reunite rescreen`` process spends its CPU time, stage by stage.

Usage (from the repository root, on a copy of a store a full run made; the night's files as
``bench_rescreen.py --input delta`` makes them)::

    python benchmarks/bench_rescreen_stages.py rescreen --db sqlite:///night.db \\
        --candidates day_b/candidates_delta.csv --cases day_a/cases.csv --top-k 20 --seed 0

Runs the command line in this process with CPU timers (``time.process_time``: every thread)
around the imports and the night's main functions, and prints each one's total. Stages nest
(``execute`` holds ``delta_pairs``, which holds ``delta_side``...). The process ends with
``os._exit`` right after, so the interpreter's exit is not counted.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import sys
import time
from collections.abc import Callable
from typing import Any

STARTED = time.process_time()
TOTALS: dict[str, float] = {}

FUNCTIONS = [("reunite.rescreen", "read_input"), ("reunite.rescreen", "look_at"), ("reunite.rescreen", "execute"),
             ("reunite.rescreen.night", "split_input"), ("reunite.rescreen.night", "_cases_read_otherwise"),
             ("reunite.rescreen.night", "load_side"), ("reunite.rescreen.execute", "delta_pairs"),
             ("reunite.rescreen.execute", "delta_side"), ("reunite.merge", "merge_delta"),
             ("reunite.merge", "night_writes")]
STORE_METHODS = ["commit_run", "topk_scores", "case_totals", "case_bounds", "read_rows", "normalized_cases",
                 "content_hashes", "calendar_rows", "open_case_ids"]


def timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            TOTALS[name] = TOTALS.get(name, 0.0) + time.process_time() - started
    return wrapper


def main(argv: list[str]) -> int:
    cli = importlib.import_module("reunite.cli")
    for module in ("reunite.cli_store", "reunite.rescreen", "reunite.rescreen.execute", "reunite.rescreen.night",
                   "reunite.store.store", "reunite.merge"):
        importlib.import_module(module)
    imports = time.process_time() - STARTED
    for module_name, attribute in FUNCTIONS:
        module = sys.modules[module_name]
        if hasattr(module, attribute):
            setattr(module, attribute, timed(f"{module_name}.{attribute}", getattr(module, attribute)))
    store_class = sys.modules["reunite.store.store"].Store
    for method in STORE_METHODS:
        setattr(store_class, method, timed(f"Store.{method}", getattr(store_class, method)))
    started = time.process_time()
    with contextlib.redirect_stdout(io.StringIO()):
        code = int(cli.main(argv))
    run = time.process_time() - started
    print(f"CPU s: imports {imports:.3f}, main {run:.3f}, total {imports + run:.3f} (exit code {code})")
    for name, seconds in sorted(TOTALS.items(), key=lambda item: -item[1]):
        print(f"  {seconds:.3f} {name}")
    sys.stdout.flush()
    os._exit(code)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
