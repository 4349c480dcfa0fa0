"""The floor of a nightly ``reunite rescreen`` process: the CPU of the imports a night needs, before any work.

Usage (from the repository root)::

    python benchmarks/bench_rescreen_imports.py --repeat 5

Compiles the reunite package the processes import to bytecode (as ``bench_rescreen_ab.py`` does), then
runs ``--repeat`` times, alternating, an empty interpreter (``python -c pass``) and one that imports
what a night imports (``reunite.cli``, ``cli_store``, ``rescreen``, ``export`` and the SQLite dialect,
with the cycle collector off, as ``reunite rescreen`` pauses it): each process's CPU time (user +
system, start-up to exit). Then, ``--repeat`` times in a fresh process, the same imports one library
after another (each timed after those before it), which says where the floor goes. A night cannot
cost less than the import process; 5% of a full run below it is out of reach for any night.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_rescreen import compile_package

NIGHT_IMPORTS = ("reunite.cli", "reunite.cli_store", "reunite.rescreen", "reunite.rescreen.execute",
                 "reunite.export", "sqlalchemy.dialects.sqlite")
"""What a night's process imports before it reads anything."""

PIECES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("numpy", ("numpy",)),
    ("SQLAlchemy core and its SQLite dialect", ("sqlalchemy", "sqlalchemy.dialects.sqlite")),
    ("SQLAlchemy ORM", ("sqlalchemy.orm",)),
    ("the store's declarative models", ("reunite.store.models",)),
    ("pypinyin with its dictionaries", ("pypinyin", "pypinyin.phrases_dict", "pypinyin.pinyin_dict")),
    ("the rest of reunite and what it pulls in", NIGHT_IMPORTS),
)
"""The night's imports split by library, in this order (a piece is what it adds to those before)."""

_PIECES_SCRIPT = """
import gc, importlib, json, sys, time
gc.disable()
out = {}
for name, modules in json.loads(sys.argv[1]):
    started = time.process_time()
    for module in modules:
        importlib.import_module(module)
    out[name] = time.process_time() - started
print(json.dumps(out))
"""


def process_cpu(code: str, *args: str) -> float:
    """CPU seconds (user + system) of one ``python -c code`` process, start-up to exit."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    compile_package()
    given = argv if argv is not None else sys.argv[1:]
    print(f"command: python benchmarks/bench_rescreen_imports.py {' '.join(given)}")
    runs: dict[str, list[float]] = {"empty": [], "imports": []}
    night = f"import gc; gc.disable(); import {', '.join(NIGHT_IMPORTS)}"
    for _ in range(args.repeat):
        runs["empty"].append(process_cpu("pass"))
        runs["imports"].append(process_cpu(night))
    for name, seconds in runs.items():
        each = ", ".join(f"{s:.2f}" for s in seconds)
        print(f"{name} process CPU: {each} s (median {statistics.median(seconds):.2f} s)")
    pieces = json.dumps([[name, list(modules)] for name, modules in PIECES])
    for index in range(args.repeat):
        done = subprocess.run([sys.executable, "-c", _PIECES_SCRIPT, pieces], check=True, capture_output=True,
                              text=True)
        split = json.loads(done.stdout)
        print(f"pieces {index + 1}: " + "; ".join(f"{name} {s:.3f}" for name, s in split.items())
              + f"; in all {sum(split.values()):.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
