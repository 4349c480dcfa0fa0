"""Do comparison scales fitted on one generator help on the other, and would scales per case kind, or
another ridge, transfer better? (benchmarks/README.md, "Comparison scales".)

Reads the top-50 caches that ``benchmarks/rerank_cross.py`` writes into its ``--work`` folder
(``synth-<i>-400x40000.npz``, ``cleanroom-<i>-400x40000.npz``: each row's features, whether it is the
child, its case and default rank). Fits one multiplier per comparison of the rows' contributions (or
one per comparison and case kind) by conditional logit on which row of a case is its child, with a ridge
towards "as weighed", on one generator, and measures recall@10 (mean, worst configuration) and MRR of the
top 50 re-ranked by it on the other.

    python benchmarks/rerank_cross.py --synth 16 --cleanroom 16 --work /tmp/rc --out /tmp/rc.json --models fs_reweight
    python benchmarks/scale_transfer.py /tmp/rc
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

import suite  # the randomized suite's feature columns (this script's folder)
from conditional_logit import fit_multipliers
from reunite.matching.model import default_model

F = npt.NDArray[np.float64]
Set = dict[str, Any]
NEUTRAL = float(np.log(2.0) / 0.85)  # contributions are 0.85 x log2 Bayes factors in the caches
KINDS = 3  # unknown, baby (lost before its first birthday), child


def load(work: Path, generator: str) -> list[Set]:
    sets = []
    for path in sorted(work.glob(f"{generator}-*-400x40000.npz")):
        with np.load(path) as z:
            sets.append({key: z[key] for key in z.files})
    return sets


def columns() -> tuple[list[int], int]:
    names = suite.feature_names(default_model())
    return [i for i, n in enumerate(names) if n.startswith("contribution:")], names.index("context:age_at_loss")


def design(s: Set, per_kind: bool) -> F:
    contrib, age = columns()
    x = s["x"][:, contrib].astype(np.float64)
    if not per_kind:
        return x
    days = s["x"][:, age].astype(np.float64)
    kind = np.where(~np.isfinite(days) | (days < 0), 0, np.where(days < 366, 1, 2))
    out = np.zeros((x.shape[0], x.shape[1] * KINDS))
    for k in range(KINDS):
        out[kind == k, k * x.shape[1]:(k + 1) * x.shape[1]] = x[kind == k]
    return out


def fit(sets: list[Set], per_kind: bool, ridge: float) -> F:
    xs, ys, cases, offset = [], [], [], 0
    for s in sets:
        x, y, case = design(s, per_kind), s["y"].astype(bool), s["case"].astype(np.int64)
        keep = np.isin(case, case[y])  # cases whose child is among the rows
        case = pd.factorize(case[keep])[0] + offset
        xs.append(x[keep])
        ys.append(y[keep])
        cases.append(case)
        offset = int(case.max()) + 1 if case.size else offset
    return fit_multipliers(np.vstack(xs), np.concatenate(ys), np.concatenate(cases), start=NEUTRAL, ridge=ridge,
                           bounds=(0.05 * NEUTRAL, 4.0 * NEUTRAL))


def measure(sets: list[Set], w: F | None, per_kind: bool) -> tuple[float, float, float]:
    """Mean and worst recall@10 and mean MRR (ranks up to 20) over ``sets``; ``w`` None: the default order."""
    recall, mrr = [], []
    for s in sets:
        z = -s["rank"].astype(np.float64) if w is None else design(s, per_kind) @ w
        frame = pd.DataFrame({"case": s["case"], "z": z, "child": s["y"].astype(bool)})
        rank = frame.groupby("case")["z"].rank(ascending=False, method="first")[frame["child"]].to_numpy()
        matched = int(s["has_match"].sum())
        recall.append(float((rank <= 10).sum()) / matched)
        mrr.append(float(np.where(rank <= 20, 1.0 / rank, 0.0).sum()) / matched)
    return float(np.mean(recall)), float(np.min(recall)), float(np.mean(mrr))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("work", type=Path, help="rerank_cross.py's --work folder")
    args = parser.parse_args()
    synth, cleanroom = load(args.work, "synth"), load(args.work, "cleanroom")
    print(f"{len(synth)} reunite.synth and {len(cleanroom)} clean-room configurations")
    fmt = "{:.4f} / {:.3f} / {:.4f}"
    for train, test, label in ((synth, cleanroom, "synth -> clean-room"), (cleanroom, synth, "clean-room -> synth")):
        print(f"{label}: recall@10 mean / worst / MRR")
        print("  default order      ", fmt.format(*measure(test, None, False)))
        for ridge in (0.0, 0.003, 0.01, 0.03, 0.1, 0.3):
            print(f"  scales, ridge {ridge:<5}", fmt.format(*measure(test, fit(train, False, ridge), False)))
        print("  scales per kind    ", fmt.format(*measure(test, fit(train, True, 0.01), True)))
    for ridge in (0.0, 0.01, 0.03, 0.1):
        w = fit(synth + cleanroom, False, ridge) / NEUTRAL
        print(f"both generators, ridge {ridge}: scales", " ".join(f"{v:.2f}" for v in w))


if __name__ == "__main__":
    main()
