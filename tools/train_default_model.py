"""Build src/reunite/data/default_model.json, the model reunite ships with.

m must not be the rates of one generator setting: it is fitted on the labelled true pairs of many
configurations drawn at random (:func:`reunite.synth.random_config`, wide ranges of renaming, shifted
births, moves, late registration, babies and older children), pooled, overall and per case kind
(baby / child / unknown, :mod:`reunite.matching.kinds`). The configuration seeds (500000 + i) and data
seeds (600000 + i) are disjoint from the randomized suite's (benchmarks/suite.py: 0.., 100000..,
200000..), so the suite never evaluates on a draw the model was fitted on. u comes from random pairs of
the same draws; ``screen`` re-estimates u (and learns m by EM) on the data being screened.

Run: python tools/train_default_model.py [--configs 24 --cases 600 --candidates 30000]
"""

from __future__ import annotations

import argparse
import csv
import json
import tempfile
from pathlib import Path

import numpy as np

from reunite.matching.compare import compare
from reunite.matching.kinds import CASE_KINDS, case_kinds
from reunite.matching.model import FellegiSunter
from reunite.matching.prepare import prepare
from reunite.matching.spec import ComparisonSpec
from reunite.pipeline import load_side
from reunite.synth import generate, random_config, write

OUT = Path(__file__).resolve().parents[1] / "src" / "reunite" / "data" / "default_model.json"
CONFIG_SEED, DATA_SEED = 500_000, 600_000


def labelled_levels(
    spec: ComparisonSpec, n_cases: int, n_candidates: int, index: int, random_pairs: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Levels and case kinds of the true pairs of one random configuration, and levels of random pairs."""
    config = random_config(np.random.default_rng(CONFIG_SEED + index))
    with tempfile.TemporaryDirectory() as tmp:
        paths = write(generate(n_cases, n_candidates, seed=DATA_SEED + index, config=config), tmp)
        cases = load_side(paths.cases, "cases")
        candidates = load_side(paths.candidates, "candidates")
        with open(paths.truth, encoding="utf-8") as handle:
            truth = [(r["case_id"], r["person_id"]) for r in csv.DictReader(handle) if r["person_id"]]
    prep = prepare(cases, candidates)
    case_index = {v: i for i, v in enumerate(cases.ids.tolist())}
    position = np.empty(len(candidates), dtype=np.int64)
    position[prep.cand_order] = np.arange(len(candidates))
    cand_index = {v: int(position[i]) for i, v in enumerate(candidates.ids.tolist())}
    pairs = [(case_index[c], cand_index[p]) for c, p in truth if c in case_index and p in cand_index]
    case = np.array([c for c, _ in pairs], dtype=np.int64)
    cand = np.array([p for _, p in pairs], dtype=np.int64)
    rng = np.random.default_rng(DATA_SEED + index)
    random_case = rng.integers(0, len(cases), random_pairs)
    random_cand = rng.integers(0, len(candidates), random_pairs)
    return (compare(prep, spec, case, cand), case_kinds(prep.cases, case),
            compare(prep, spec, random_case, random_cand))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--configs", type=int, default=24)
    parser.add_argument("--cases", type=int, default=600)
    parser.add_argument("--candidates", type=int, default=30_000)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    spec = ComparisonSpec()
    true_levels, kinds, random_levels = [], [], []
    for index in range(args.configs):
        levels, kind, rand = labelled_levels(spec, args.cases, args.candidates, index, 400_000 // args.configs)
        true_levels.append(levels)
        kinds.append(kind)
        random_levels.append(rand)
    model = FellegiSunter(spec)
    model.fit_labelled(np.concatenate(true_levels, axis=1), kinds=np.concatenate(kinds))
    model.fit_u(np.concatenate(random_levels, axis=1))
    body = model.to_dict()
    counts = np.bincount(np.concatenate(kinds), minlength=len(CASE_KINDS))
    body["provenance"] = (
        f"m from {int(counts.sum())} labelled true pairs ("
        + ", ".join(f"{kind} {int(n)}" for kind, n in zip(CASE_KINDS, counts, strict=True))
        + f") of {args.configs} random configurations (reunite.synth.random_config(default_rng({CONFIG_SEED} + i)), "
        f"generate({args.cases}, {args.candidates}, seed={DATA_SEED} + i)); u from 400000 random pairs of the "
        "same draws; built by tools/train_default_model.py"
    )
    args.out.write_text(json.dumps(body, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    for kind in CASE_KINDS:
        print(kind)
        for name, w in zip(spec.comparisons, model.kind_weights(kind), strict=True):
            print(f"  {name:<13}", " ".join(f"{v:+6.2f}" for v in w))
    print(f"wrote {args.out} (version {body['version']})")


if __name__ == "__main__":
    main()
