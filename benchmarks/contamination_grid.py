"""Choose the model's contamination on random configurations the suite never evaluates (issue 9).

Usage (from the repository root)::

    python benchmarks/contamination_grid.py --configs 16 --shares 0,0.15,0.25,0.35,0.5,0.75 --out grid.jsonl

For configuration ``i`` (``random_profile(default_rng(3000 + i))``, data ``generate(400, 40000, seed=400000 +
i)``: the tuning seeds of earlier sessions, disjoint from ``benchmarks/suite.py``'s), m is fitted without
labels as ``screen`` fits it (``reunite.train(..., em=True)``), then the data are screened with that m at each
contamination share ``a`` (each level weighed ``log2(((1 - a) m + a u) / u)``, temperature and prior as
shipped). One JSON line per configuration: recall@10, MRR, top-score AUC and the ECE of the rank-1 and case
probabilities per share; a summary per share (mean, worst, configurations better / worse than the first
share, lowest change) is printed at the end.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import reunite
from reunite.evaluate import top_score_auc
from reunite.matching.model import FellegiSunter
from reunite.synth import generate, random_profile
from suite import ece

CONFIG_SEED, DATA_SEED = 3000, 400_000


def with_contamination(model: FellegiSunter, share: float) -> FellegiSunter:
    body = model.to_dict()
    body["params"]["contamination"] = share
    return FellegiSunter.from_dict(body)


def metrics(result: reunite.ScreenResult, truth: dict[str, list[str]], case_ids: list[str]) -> dict[str, float]:
    frame = result.to_pandas()
    want = {c: p for c, p in zip(truth["case_id"], truth["person_id"], strict=True) if p}
    rank = {(str(c), str(p)): int(r) for c, p, r in zip(frame["case_id"], frame["person_id"], frame["rank"],
                                                       strict=True)}
    found = [rank.get((c, p)) for c, p in want.items()]
    top = frame[frame["rank"] == 1].set_index("case_id")
    score = np.array([top["score"].get(c, -1e9) for c in case_ids])
    matched = np.array([c in want for c in case_ids])
    first = np.array([c in want and rank.get((c, want[c])) == 1 for c in case_ids])
    return {
        "r10": sum(r is not None for r in found) / max(len(want), 1),
        "mrr": sum(1 / r for r in found if r) / max(len(want), 1),
        "auc": top_score_auc(score[matched], score[~matched]),
        "ece_r1": ece(np.array([top["probability"].get(c, 0.0) for c in case_ids]), first),
        "ece_case": ece(np.array([top["case_probability"].get(c, 0.0) for c in case_ids]), matched),
    }


def summary(rows: list[dict[str, Any]], shares: list[str]) -> list[str]:
    base = shares[0]
    lines = []
    for share in shares:
        mean = {k: float(np.mean([r[share][k] for r in rows])) for k in rows[0][share]}
        change = [r[share]["r10"] - r[base]["r10"] for r in rows]
        lines.append(
            f"a={share}: mean r@10 {mean['r10']:.4f} (worst {min(r[share]['r10'] for r in rows):.4f}), "
            f"MRR {mean['mrr']:.4f}, AUC {mean['auc']:.4f}, ECE rank-1 {mean['ece_r1']:.3f} / case "
            f"{mean['ece_case']:.3f}; against a={base}: better in {sum(c > 1e-9 for c in change)}, worse in "
            f"{sum(c < -1e-9 for c in change)}, lowest {min(change):+.4f}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", type=int, default=16)
    parser.add_argument("--shares", default="0,0.15,0.25,0.35,0.5,0.75")
    parser.add_argument("--cases", type=int, default=400)
    parser.add_argument("--candidates", type=int, default=40_000)
    parser.add_argument("--out", type=Path, required=True, help="JSON lines, one per configuration")
    args = parser.parse_args(argv)
    shares = [s.strip() for s in args.shares.split(",")]
    rows: list[dict[str, Any]] = []
    with args.out.open("w", encoding="utf-8") as out:
        for i in range(args.configs):
            config = random_profile(np.random.default_rng(CONFIG_SEED + i)).config
            data = generate(args.cases, args.candidates, seed=DATA_SEED + i, config=config)
            cases, candidates = pd.DataFrame(data.cases), pd.DataFrame(data.candidates)
            fitted = reunite.train(cases, candidates, em=True)  # m learned as screen learns it
            row: dict[str, Any] = {"config": i, "coupling": config.identity_coupling}
            for share in shares:
                result = reunite.screen(cases, candidates, model=with_contamination(fitted, float(share)), em=False,
                                        top_k=10, reasons=False)
                row[share] = metrics(result, data.truth, [str(c) for c in data.cases["case_id"]])
            rows.append(row)
            out.write(json.dumps(row) + "\n")
            out.flush()
            print(f"[{i + 1}/{args.configs}] " + "  ".join(f"a={s} {row[s]['r10']:.3f}" for s in shares), flush=True)
    print("\n".join(summary(rows, shares)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
