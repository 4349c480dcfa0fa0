"""Is "birthday near / same, another year" counted twice with "born within 1 year"? Birth band x birthday
level of the true and random pairs of tools/train_default_model.py's first N draws (not the judges' seeds):
log2 of the joint likelihood ratio of each cell against the product of the two marginal ones.

(1) as the birthyr finding measured it: among the pairs compared on the birthday, marginals among them too;
(2) what the model multiplies: among the pairs the old code compared on the birthday (both births known to
    the day, at least ``birthday_min_gap_days`` apart), the joint over all pairs, the birth marginal over all
    pairs, the birthday marginal among the pairs compared (a birthday not compared, -1, adds nothing).

Run from a checkout: python benchmarks/birthday_overlap.py --draws 8 (PYTHONPATH=OLD/src for older code).
"""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path
from typing import Any

import numpy as np

from reunite.matching.spec import ComparisonSpec

TOOLS = Path(__file__).resolve().parents[1] / "tools"


def _lr(true_n: int, true_all: int, random_n: int, random_all: int) -> float:
    return float(np.log2((true_n / true_all) / (random_n / random_all)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--draws", type=int, default=8)
    args = parser.parse_args()
    loader = importlib.util.spec_from_file_location("train_default_model", TOOLS / "train_default_model.py")
    assert loader is not None and loader.loader is not None
    tool: Any = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(tool)
    spec = ComparisonSpec()
    kb, kd = spec.comparisons.index("birth"), spec.comparisons.index("birth_monthday")
    # the old reading: a first band short of birthday_min_gap_days leaves every far pair compared
    old = ComparisonSpec(birth_band_days=(spec.birthday_min_gap_days - 1, *spec.birth_band_days[1:]))
    compare = tool.compare

    def both(prep: Any, spec_: ComparisonSpec, case: np.ndarray, cand: np.ndarray) -> np.ndarray:
        levels = compare(prep, spec_, case, cand)
        return np.stack([levels[kb], levels[kd], compare(prep, old, case, cand)[kd]])

    tool.compare = both
    true_parts, random_parts = [], []
    for index in range(args.draws):
        levels, _, rand = tool.labelled_levels(spec, 600, 30_000, index, 400_000 // 24)
        true_parts.append(levels)
        random_parts.append(rand)
    t, r = np.concatenate(true_parts, axis=1), np.concatenate(random_parts, axis=1)
    print("(1) among pairs compared on the birthday (as the finding)")
    ct, cr = t[:, t[1] >= 0], r[:, r[1] >= 0]
    for b in range(4):
        for lv in range(3):
            jt, jr = int(((ct[0] == b) & (ct[1] == lv)).sum()), int(((cr[0] == b) & (cr[1] == lv)).sum())
            if jt and jr:
                product = _lr(int((ct[0] == b).sum()), ct.shape[1], int((cr[0] == b).sum()), cr.shape[1]) \
                    + _lr(int((ct[1] == lv).sum()), ct.shape[1], int((cr[1] == lv).sum()), cr.shape[1])
                print(f"  birth {b} birthday {lv}: joint {_lr(jt, ct.shape[1], jr, cr.shape[1]):+.2f} "
                      f"product {product:+.2f} (true {jt}, random {jr})")
    print("(2) among the pairs the old code compared on the birthday; birthday -1 = not compared now")
    wt, wr = t[:, t[2] >= 0], r[:, r[2] >= 0]
    for b in range(4):
        for lv in (-1, 0, 1, 2):
            jt, jr = int(((wt[0] == b) & (wt[1] == lv)).sum()), int(((wr[0] == b) & (wr[1] == lv)).sum())
            if jt and jr:
                product = _lr(int((t[0] == b).sum()), t.shape[1], int((r[0] == b).sum()), r.shape[1])
                if lv >= 0:
                    product += _lr(int((ct[1] == lv).sum()), ct.shape[1], int((cr[1] == lv).sum()), cr.shape[1])
                print(f"  birth {b} birthday {lv:+d}: joint {_lr(jt, t.shape[1], jr, r.shape[1]):+.2f} "
                      f"product {product:+.2f} (true {jt}, random {jr})")


if __name__ == "__main__":
    main()
