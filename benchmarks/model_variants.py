"""Variants of the shipped model and of the fit of m, screened on folders of generated data (issue 9).

Usage (from the repository root)::

    python benchmarks/model_variants.py --variants '{"shipped": {}, "a0.1 ps20": {"contamination": 0.1,
        "fit": {"prior_strength": 20}}}' DIR [DIR ...]

Each DIR holds ``cases.csv``, ``candidates.csv`` and ``truth.csv`` (``case_id, person_id``; an empty
person_id: no child among the candidates), as ``reunite generate`` and ``benchmarks/cleanroom/generate.py``
write them. Each variant screens every folder with ``reunite.screen`` (m fitted on the screened data, as
by default) and prints recall@10 / MRR per folder and their means. A variant may set the shipped model's
``contamination`` and keyword arguments of :func:`reunite.matching.learn.fit_m` (``fit``: prior_strength,
share_prior, anchor, ...), which the screen's fit then uses.
"""

from __future__ import annotations

import argparse
import functools
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import reunite.matching.learn as learn
import reunite.pipeline as pipeline
from reunite.ingest import read_table
from reunite.matching.learn import fit_m
from reunite.matching.model import FellegiSunter, default_model
from reunite.normalize import normalize


def _model(contamination: float | None) -> FellegiSunter:
    model = default_model()
    if contamination is None:
        return model
    body = model.to_dict()
    body["params"]["contamination"] = contamination
    return FellegiSunter.from_dict(body)


def _metrics(ranked: pd.DataFrame, truth: pd.DataFrame) -> tuple[float, float]:
    want = truth[truth["person_id"] != ""]
    found = ranked.merge(want, on=["case_id", "person_id"])
    rank = dict(zip(found["case_id"], found["rank"].astype(int), strict=True))
    ranks = np.array([rank.get(c, 0) for c in want["case_id"]])
    return float(((ranks > 0) & (ranks <= 10)).mean()), float(np.where(ranks > 0, 1.0 / np.maximum(ranks, 1), 0).mean())


def run(variant: dict[str, Any], folders: list[Path]) -> list[tuple[float, float]]:
    out = []
    for folder in folders:
        cases = normalize(read_table(folder / "cases.csv", "cases"))
        candidates = normalize(read_table(folder / "candidates.csv", "candidates"))
        truth = pd.read_csv(folder / "truth.csv", dtype=str, keep_default_na=False)
        # the screen's fit, with these options (pipeline.fit_model imports fit_m from learn when it fits)
        learn.fit_m = functools.partial(fit_m, **variant.get("fit", {}))
        try:
            result = pipeline.screen(cases, candidates, model=_model(variant.get("contamination")), top_k=20, seed=1)
        finally:
            learn.fit_m = fit_m
        out.append(_metrics(result.to_pandas(), truth))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", required=True, help="JSON: name -> {contamination, fit: {...}}")
    parser.add_argument("folders", nargs="+", type=Path)
    args = parser.parse_args(argv)
    for name, variant in json.loads(args.variants).items():
        started = time.perf_counter()
        found = run(variant, args.folders)
        print(f"{name}: " + " ".join(f"{r:.3f}/{m:.3f}" for r, m in found)
              + f"  mean recall@10 {np.mean([r for r, _ in found]):.4f}, MRR {np.mean([m for _, m in found]):.4f}"
              + f" ({time.perf_counter() - started:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
