"""Recall@10 by how precisely the case gives the birth, and the birth levels of true pairs and of the
strangers ranked above or beside them (issue 9): clean-room random profiles.

    python benchmarks/birth_precision.py --seeds 8100 8101 8102 8103 --work /tmp/bprec-dev [--reuse]

Each case is put in one class by its birth interval as reunite reads it (``birth_lo .. birth_hi``):
day (one day), month (2 to 31 days), year (32 to 366 days), wider (more than a year: "about", a span),
none. Runs ``reunite screen --top-k 20`` with whichever code ``reunite`` is on the path, then reads the
birth level of each true pair and of each case's top-20 strangers with the same code.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent / "cleanroom"))
from evaluate import child_ranks, screen
from generate import generate, random_profile_for, write

CLASSES = ("day", "month", "year", "wider", "none")


def precision_class(lo: np.ndarray, hi: np.ndarray, known: np.ndarray) -> np.ndarray:
    span = hi.astype(np.int64) - lo
    out = np.select([~known, span == 0, span <= 31, span <= 366], ["none", "day", "month", "year"], "wider")
    return np.asarray(out)


def one(seed: int, work: Path, cases_n: int, cand_n: int,
        reuse: bool) -> tuple[pd.DataFrame, Counter[tuple[str, str, str]]]:
    from reunite.matching.comparisons import REGISTRY
    from reunite.matching.model import default_model
    from reunite.matching.prepare import prepare
    from reunite.matching.score import pair_contributions
    from reunite.pipeline import load_side

    d = work / f"s{seed}"
    if not (reuse and (d / "truth.csv").exists()):
        cases, cand, truth, tiers = generate(random_profile_for(seed), cases_n, cand_n, seed)
        write(d, cases, cand, truth, tiers)
    out = d / "ranked.csv"
    screen(d, out, 20, no_fit=False)
    ranked = pd.read_csv(out, dtype={"case_id": str, "person_id": str}, encoding="utf-8-sig")
    truth = pd.read_csv(d / "truth.csv", dtype=str, encoding="utf-8-sig").fillna("")
    ranks = child_ranks(ranked, truth)
    case_frame = pd.read_csv(d / "cases.csv", dtype=str, encoding="utf-8-sig", keep_default_na=False)
    cand_frame = pd.read_csv(d / "candidates.csv", dtype=str, encoding="utf-8-sig", keep_default_na=False)
    cases_t, cands_t = load_side(case_frame, "cases"), load_side(cand_frame, "candidates")
    klass = precision_class(cases_t.birth_lo, cases_t.birth_hi, cases_t.birth_known)
    case_row = {cid: i for i, cid in enumerate(case_frame["case_id"])}
    cand_row = {pid: i for i, pid in enumerate(cand_frame["person_id"])}
    rows = pd.DataFrame({"case_id": ranks.index, "rank": ranks.to_numpy()})
    rows["class"] = [klass[case_row[c]] for c in rows["case_id"]]
    rows["seed"] = seed
    # birth levels: true pairs, and the top-20 strangers
    prep = prepare(cases_t, cands_t)
    position = np.argsort(prep.cand_order).astype(np.int64)
    model = default_model()
    birth = list(model.spec.comparisons).index("birth")
    labels = REGISTRY["birth"].labels
    true = truth[truth["person_id"] != ""]
    strangers = ranked.merge(truth, on="case_id", suffixes=("", "_true"))
    strangers = strangers[strangers["person_id"] != strangers["person_id_true"]]
    counts: Counter[tuple[str, str, str]] = Counter()
    for who, frame in (("true", true), ("stranger", strangers)):
        ci = np.array([case_row[c] for c in frame["case_id"]], dtype=np.int64)
        pi = position[np.array([cand_row[p] for p in frame["person_id"]], dtype=np.int64)]
        levels, _ = pair_contributions(prep, model, ci, pi)
        for c, level in zip(ci, levels[birth], strict=True):
            counts[(who, str(klass[c]), "null" if level < 0 else labels[level])] += 1
    return rows, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", default=[8100, 8101, 8102, 8103])
    parser.add_argument("--cases", type=int, default=400)
    parser.add_argument("--candidates", type=int, default=40_000)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--reuse", action="store_true", help="reuse generated data in --work")
    args = parser.parse_args()
    frames, total = [], Counter[tuple[str, str, str]]()
    for seed in args.seeds:
        rows, counts = one(seed, args.work, args.cases, args.candidates, args.reuse)
        frames.append(rows)
        total.update(counts)
        r10 = rows.groupby("class")["rank"].apply(lambda r: (r <= 10).mean())
        print(f"seed {seed}: recall@10 {(rows['rank'] <= 10).mean():.3f}; " +
              ", ".join(f"{k} {v:.3f}" for k, v in r10.items()), flush=True)
    rows = pd.concat(frames)
    print("\nrecall@10 by the case's birth precision (cases with a child)")
    print("| class | cases | share | recall@10 | MRR |\n|---|---:|---:|---:|---:|")
    for name in CLASSES:
        sel = rows[rows["class"] == name]
        if len(sel):
            print(f"| {name} | {len(sel)} | {len(sel) / len(rows):.3f} | {(sel['rank'] <= 10).mean():.3f} | "
                  f"{(1.0 / sel['rank']).fillna(0).mean():.3f} |")
    print(f"| all | {len(rows)} | 1 | {(rows['rank'] <= 10).mean():.3f} | "
          f"{(1.0 / rows['rank']).fillna(0).mean():.3f} |")
    print("\nbirth levels: share of true pairs / of top-20 strangers per class")
    for name in CLASSES:
        n_true = sum(v for (w, k, _), v in total.items() if w == "true" and k == name)
        n_str = sum(v for (w, k, _), v in total.items() if w == "stranger" and k == name)
        if not n_true:
            continue
        print(f"\n{name}: {n_true} true pairs, {n_str} strangers")
        for label in sorted({lab for (_, k, lab) in total if k == name}):
            t, s = total[("true", name, label)], total[("stranger", name, label)]
            print(f"  {label}: {t / n_true:.3f} / {s / max(n_str, 1):.3f}")


if __name__ == "__main__":
    main()
