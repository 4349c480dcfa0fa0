"""Rank-1 and case ECE of the shipped model at other priors, on folders of generated data (issue 9).

Usage (from the repository root)::

    python benchmarks/prior_ece.py --priors 0.2,0.4 DIR [DIR ...]

Each DIR holds ``cases.csv``, ``candidates.csv`` and ``truth.csv`` (an empty person_id: no child among the
candidates). Each folder is screened once as by default; its probabilities are then re-read at each prior
(the ranking does not depend on the prior: a case's mean Bayes factor is recovered from its case
probability, as ``tools/train_default_model.py`` does). ECE: ``benchmarks/suite.py``'s (10 equal bins) of
the rank-1 probability against "rank 1 is the child" and of the case probability against "the case has a
child among the candidates".
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from reunite.matching.model import default_model
from reunite.pipeline import load_side, screen
from suite import ece


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--priors", default="0.2,0.4")
    parser.add_argument("folders", nargs="+", type=Path)
    args = parser.parse_args(argv)
    priors = [float(p) for p in args.priors.split(",")]
    found: dict[float, list[tuple[float, float]]] = {p: [] for p in priors}
    model = default_model()
    for folder in args.folders:
        truth = pd.read_csv(folder / "truth.csv", dtype=str, keep_default_na=False)
        want = {c: p for c, p in zip(truth["case_id"], truth["person_id"], strict=True) if p}
        cases, candidates = load_side(folder / "cases.csv", "cases"), load_side(folder / "candidates.csv", "candidates")
        frame = screen(cases, candidates, model=model, top_k=10, reasons=False).to_pandas()
        top = frame[frame["rank"] == 1].set_index("case_id")
        ids = [str(c) for c in cases.ids]
        case_p = np.clip(top["case_probability"].reindex(ids).fillna(0).to_numpy(float), 0, 1 - 1e-12)
        top_p = top["probability"].reindex(ids).fillna(0).to_numpy(float)
        first = np.array([c in want and str(top["person_id"].get(c, "")) == want[c] for c in ids])
        matched = np.array([c in want for c in ids])
        mean_bf = (1 - model.prior) * case_p / (model.prior * (1 - case_p))
        top_bf = top_p * ((1 - model.prior) + model.prior * mean_bf) / model.prior
        for prior in priors:
            denominator = (1 - prior) + prior * mean_bf
            found[prior].append((ece(prior * top_bf / denominator, first), ece(prior * mean_bf / denominator, matched)))
        print(folder.name, "  ".join(f"prior {p}: {found[p][-1][0]:.3f} / {found[p][-1][1]:.3f}" for p in priors),
              flush=True)
    for prior in priors:
        rows = np.array(found[prior])
        print(f"prior {prior}: ECE rank-1 mean {rows[:, 0].mean():.3f} (worst {rows[:, 0].max():.3f}), "
              f"case mean {rows[:, 1].mean():.3f} (worst {rows[:, 1].max():.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
