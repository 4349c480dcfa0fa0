"""Each comparison kernel and per-pair scoring step of this tree against another tree's, in one process.

Usage (from the repository root; the other tree e.g. ``git archive main src | tar -x -C /tmp/main``)::

    python benchmarks/kernels_ab.py --before-src /tmp/main/src --data-dir DIR [--chunks 16] [--repeat 4]

The data (``cases.csv``, ``candidates.csv`` in DIR, e.g. from ``reunite generate``) are read, normalized
and prepared once with this tree, and the first ``--chunks`` blocking chunks listed. The other tree's
module files are loaded beside this tree's under other names (they import this tree's package for the
rest; the name kernels are given the other tree's helpers of ``compare.py`` too). Then, chunk by chunk,
the two versions of a step run one after the other, in turns (before first in even repeats; ``--repeat``
rounded up to an even number, as the second run of a chunk finds its arrays in cache), so that the load
of a shared machine falls on both alike, and their outputs are asserted equal. Figures: mean
nanoseconds per pair over the repeats; a step whose code did not change shows the noise.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # (dataclasses look their module up)
    spec.loader.exec_module(module)
    return module


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, tuple):
        return all(_equal(x, y) for x, y in zip(a, b, strict=True))
    if a is None or isinstance(a, list):
        return bool(a == b)
    return a.dtype == b.dtype and bool(np.array_equal(a, b))


def _race(label: str, steps: list[tuple[Callable[[], Any], Callable[[], Any]]], pairs: int, repeat: int) -> None:
    for before, after in steps[:1]:  # once untimed: tables made on first use
        before(), after()
    seconds = [0.0, 0.0]
    for r in range(2 * ((repeat + 1) // 2)):  # an even number: each tree runs first as often
        for before, after in steps:
            out: list[Any] = [None, None]
            for which in ((0, 1) if r % 2 == 0 else (1, 0)):
                started = time.perf_counter()
                out[which] = (before, after)[which]()
                seconds[which] += time.perf_counter() - started
            if not _equal(out[0], out[1]):
                raise SystemExit(f"{label}: the two trees differ")
    old, new = (s / (2 * ((repeat + 1) // 2)) / pairs * 1e9 for s in seconds)
    print(f"| {label} | {old:.2f} | {new:.2f} | {new / old:.2f} |")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before-src", type=Path, required=True, help="the other tree's src folder")
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--chunks", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=4)
    args = parser.parse_args(argv)

    from reunite.ingest import read_table
    from reunite.matching import exact, learn, rank, score
    from reunite.matching.blocking import plan
    from reunite.matching.compare import Pairs, compare_pairs
    from reunite.matching.comparisons import REGISTRY
    from reunite.matching.engine import DEFAULT_LIMITS
    from reunite.matching.kinds import case_kinds
    from reunite.matching.model import default_model
    from reunite.matching.spec import BlockingSpec
    from reunite.normalize import normalize
    from reunite.pipeline import fit_population

    cases = normalize(read_table(args.data_dir / "cases.csv", "cases"))
    candidates = normalize(read_table(args.data_dir / "candidates.csv", "candidates"))
    model, prep = fit_population(default_model(), cases, candidates, seed=1)
    blocks = plan(prep, BlockingSpec())
    chunks = [blocks.chunk(first, last) for first, last in blocks.spans[: args.chunks]]
    runs = []
    for chunk in chunks:
        case, cand = chunk.without(None, len(prep.candidates))
        runs.append((chunk, Pairs.of_local(chunk.cases, case - int(chunk.cases[0]), cand)))
    pairs = sum(len(p) for _, p in runs)
    compare_pairs(prep, model.spec, runs[0][1], {})  # the screen-wide tables, once
    print(f"{args.chunks} chunks, {pairs:,} pairs\n")
    print("| step | before ns/pair | after ns/pair | ratio |\n|---|---:|---:|---:|")

    matching = args.before_src / "reunite" / "matching"
    old_compare = _load("before_compare", matching / "compare.py")
    for name in model.spec.comparisons:
        old = _load(f"before_{name}", matching / "comparisons" / f"{name}.py")
        for helper in dir(old_compare):  # the name kernels' helpers as the other tree has them
            if helper.startswith("_") and not helper.startswith("__") and hasattr(old, helper):
                setattr(old, helper, getattr(old_compare, helper))
        kernels = (old.COMPARISON.kernel, REGISTRY[name].kernel)

        def step(kernel: Any, p: Any, name: str = name) -> Any:
            value = np.full(len(p), -1, dtype=np.int32) if REGISTRY[name].tf_levels else None
            return kernel(prep, model.spec, p, value, DEFAULT_LIMITS), value

        _race(f"compare: {name}", [(lambda p=p, k=kernels[0]: step(k, p), lambda p=p, k=kernels[1]: step(k, p))
                                   for _, p in runs], pairs, args.repeat)

    scored = []
    for _, p in runs:
        values: dict[str, Any] = {}
        levels = compare_pairs(prep, model.spec, p, values)
        kind = p.spread(case_kinds(prep.cases, p.cases)) if model.has_kinds else None
        scored.append((p, levels, kind, score._scores(prep, model, levels, values, kind, DEFAULT_LIMITS)))
    old_score = _load("before_score", matching / "score.py")
    old_exact = _load("before_exact", matching / "exact.py")
    old_rank = _load("before_rank", matching / "rank.py")
    old_learn = _load("before_learn", matching / "learn.py")
    _race("weights (_level_weights)", [
        (lambda lv=lv, k=k: old_score._level_weights(model, lv, k, DEFAULT_LIMITS),
         lambda lv=lv, k=k: score._level_weights(model, lv, k, DEFAULT_LIMITS)) for _, lv, k, _ in scored],
        pairs, args.repeat)
    _race("exact sums (factor_sums)", [
        (lambda p=p, s=s: old_exact.factor_sums(p.local, s, p.cases.size),
         lambda p=p, s=s: exact.factor_sums(p.local, s, p.cases.size)) for p, _, _, s in scored],
        pairs, args.repeat)
    _race("top-k cut (survivors)", [
        (lambda p=p, s=s: old_rank.survivors(p.local, s, 10, (p.run_local, p.run_length)),
         lambda p=p, s=s: rank.survivors(p.local, s, 10, (p.run_local, p.run_length))) for p, _, _, s in scored],
        pairs, args.repeat)
    _race("fit: a chunk's patterns (_chunk_keys, compare included)", [
        (lambda c=c: old_learn._chunk_keys(prep, model, c, None, 0, DEFAULT_LIMITS),
         lambda c=c: learn._chunk_keys(prep, model, c, None, 0, DEFAULT_LIMITS)) for c, _ in runs],
        pairs, args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
