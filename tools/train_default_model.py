"""Build src/reunite/data/default_model.json, the model reunite ships with.

m comes from labelled pairs (the true pairs of a synthetic draw, whose corruption rates are documented
in reunite.synth.SynthConfig), u from random pairs of the same draw; EM is not used here, so the
default does not depend on how well EM separates one particular data set. ``screen`` re-estimates u
on the data being screened (``estimate_u=True``), so only m carries over from this draw.

Run: python tools/train_default_model.py [--cases 3000 --candidates 150000 --seed 20261128]
"""

from __future__ import annotations

import argparse
import csv
import json
import tempfile
from pathlib import Path

import numpy as np

from reunite.matching.compare import compare
from reunite.matching.model import FellegiSunter
from reunite.matching.prepare import prepare
from reunite.matching.spec import ComparisonSpec
from reunite.pipeline import load_side
from reunite.synth import generate, write

OUT = Path(__file__).resolve().parents[1] / "src" / "reunite" / "data" / "default_model.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=3000)
    parser.add_argument("--candidates", type=int, default=150_000)
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        paths = write(generate(args.cases, args.candidates, seed=args.seed), tmp)
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
    spec = ComparisonSpec()
    model = FellegiSunter(spec)
    model.fit_labelled(compare(prep, spec, case, cand))
    rng = np.random.default_rng(args.seed)
    random_case = rng.integers(0, len(cases), 400_000)
    random_cand = rng.integers(0, len(candidates), 400_000)
    model.fit_u(compare(prep, spec, random_case, random_cand))
    body = model.to_dict()
    body["provenance"] = (
        f"m from {len(pairs)} labelled true pairs and u from 400000 random pairs of "
        f"reunite.synth.generate({args.cases}, {args.candidates}, seed={args.seed}) with the default "
        "SynthConfig; built by tools/train_default_model.py"
    )
    args.out.write_text(json.dumps(body, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    for name, w in zip(spec.comparisons, model.weights_, strict=True):
        print(f"{name:<13}", " ".join(f"{v:+6.2f}" for v in w))
    print(f"wrote {args.out} (version {body['version']})")


if __name__ == "__main__":
    main()
