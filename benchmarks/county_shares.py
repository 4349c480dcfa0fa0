"""Does "same county" mean the same in a crowded county as in a rare one? (issue 9, region term frequencies)

For each data folder (cases.csv, candidates.csv, truth.csv: the clean-room generator's or reunite.synth's,
e.g. ``benchmarks/suite.py --keep-data``), the true pairs' region level and the share of candidates in the
case's county (a candidate counted in its register county and, when different, its valid ID's county, as the
region kernel decides "same county"), by quarter of that share: how often the child is in the case's county.
A term-frequency adjustment of "same county" assumes that rate (m) does not depend on the county's share.

    python benchmarks/county_shares.py /tmp/cr/real_mix-400x40000-s1 [...]
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import numpy as np
import pandas as pd

from reunite.matching.compare import compare
from reunite.matching.comparisons.region import Level
from reunite.matching.model import default_model
from reunite.matching.prepare import prepare
from reunite.normalize import RecordTable
from reunite.pipeline import load_side


def county_shares(candidates: RecordTable) -> dict[int, float]:
    register = candidates.region_county.astype(np.int64)
    by_id = np.where(candidates.id_valid, candidates.id_region_county, 0).astype(np.int64)
    codes = np.concatenate([register[register > 0], by_id[(by_id > 0) & (by_id != register)]])
    values, counts = np.unique(codes, return_counts=True)
    return {int(v): c / len(candidates) for v, c in zip(values.tolist(), counts.tolist(), strict=True)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folders", nargs="+", type=Path)
    a = ap.parse_args()
    spec = default_model().spec
    k = spec.comparisons.index("region")
    for folder in a.folders:
        cases = load_side(folder / "cases.csv", "cases")
        candidates = load_side(folder / "candidates.csv", "candidates")
        truth = pd.read_csv(folder / "truth.csv", dtype=str).fillna("")
        truth = truth[truth["person_id"] != ""]
        prep = prepare(cases, candidates)
        row = {c: i for i, c in enumerate(cases.ids.tolist())}
        position = np.argsort(prep.cand_order)
        at = {p: int(position[i]) for i, p in enumerate(candidates.ids.tolist())}
        case = np.array([row[c] for c in truth["case_id"]], dtype=np.int64)
        cand = np.array([at[p] for p in truth["person_id"]], dtype=np.int64)
        level = compare(prep, spec, case, cand)[k]
        shares = county_shares(candidates)
        share = np.array([shares.get(int(c), 0.0) for c in cases.region_county[case]])
        same = level == int(Level.SAME_COUNTY)
        known = cases.region_level[case] >= 3
        every = np.array([shares.get(int(c), 0.0) for c in cases.region_county[cases.region_level >= 3]])
        name = f"{folder.parent.name}/{folder.name}" if folder.name == "eval" else folder.name
        print(f"{name}: {len(case)} children; in the case's county {same.mean():.2f}; case county share"
              f" median {np.median(every):.4f}, pair-weighted {float((every ** 2).sum() / every.sum()):.4f}")
        edges = np.quantile(share[known], [0, 0.25, 0.5, 0.75, 1])
        for q, (lo, hi) in enumerate(itertools.pairwise(edges)):
            inside = known & (share >= lo) & ((share < hi) if q < 3 else (share <= hi))
            print(f"  quarter {q + 1}: county share {lo:.4f}-{hi:.4f}, {int(inside.sum())} children,"
                  f" in the case's county {same[inside].mean():.2f}")


if __name__ == "__main__":
    main()
