"""Where true pairs and the strangers that compete with them fall by registration, on development seeds
(issue 9): late registers after the case's loss by years after it, and on-time registers after the loss.

For each seed: generate (the clean-room generator's ``random_profile_for(seed)``, or reunite.synth's
``random_profile(default_rng(seed))``), screen as a user would (``reunite.screen``, top 20, seed 1), then
count, per case kind, the true pairs and the top-20 strangers by category, read from the prepared records
(not from the model's levels, so any code can be measured):

* ``late<=6m``, ``late6m-2y``, ``late2-8y``, ``late>8y``: registered late (at least 183 days after the
  latest reading of the registered birth) and that long after the case's loss;
* ``ontime_after``: on time and after the loss's last day (a baby given away in its first weeks and
  registered by its new family as their own newborn); ``ontime_before``: on time and surely before the
  loss; ``ontime_other``: on time, neither;
* ``late_notafter``: late, not after the loss; ``noloss``: the case has no loss date; ``unknown``: no
  registration or birth date.

    python benchmarks/registration_bands.py --generator cleanroom --seeds 8100 8101 8102 8103
    python benchmarks/registration_bands.py --generator synth --seeds 810000 810001 810002 810003
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import reunite
from reunite.matching.kinds import CASE_KINDS, case_kinds
from reunite.matching.prepare import Prepared
from reunite.synth import generate as synth_generate
from reunite.synth import random_profile

sys.path.insert(0, str(Path(__file__).resolve().parent / "cleanroom"))
from generate import generate as cleanroom_generate
from generate import random_profile_for

LATE_DAYS = 183
#: the bands of a late register after the loss: upper edges in days (8 years: school age, see
#: reunite.matching.comparisons.registration)
AFTER_EDGES = (183, 731, 2922)
AFTER_NAMES = ("late<=6m", "late6m-2y", "late2-8y", "late>8y")
CATEGORIES = (*AFTER_NAMES, "ontime_after", "ontime_other", "ontime_before", "late_notafter", "noloss", "unknown")


def data(generator: str, seed: int, n_cases: int, n_candidates: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    if generator == "cleanroom":
        cases, candidates, truth, _ = cleanroom_generate(random_profile_for(seed), n_cases, n_candidates, seed)
        return cases, candidates, truth.fillna("")[["case_id", "person_id"]].astype(str)
    drawn = synth_generate(n_cases, n_candidates, seed=seed, config=random_profile(np.random.default_rng(seed)).config)
    truth = pd.DataFrame(drawn.truth)[["case_id", "person_id"]].astype(str)
    return pd.DataFrame(drawn.cases), pd.DataFrame(drawn.candidates), truth


def categories(prep: Prepared, case: np.ndarray, cand: np.ndarray) -> np.ndarray:
    """The category of each pair (see the module's docstring)."""
    c, d = prep.cases, prep.candidates
    dated = d.event_known[cand] & d.birth_known[cand]
    lost_lo, lost_hi = c.event_lo[case].astype(np.int64), c.event_hi[case].astype(np.int64)
    registered = d.event_lo[cand].astype(np.int64)
    late = registered - d.round_hi[cand] >= LATE_DAYS
    after = registered > lost_hi
    band = np.searchsorted(np.asarray(AFTER_EDGES), registered - lost_hi, "left")
    out = np.full(case.size, "unknown", dtype=object)
    known = dated & c.event_known[case]
    for j, name in enumerate(AFTER_NAMES):
        out[known & late & after & (band == j)] = name
    out[known & ~late & after] = "ontime_after"
    surely_before = d.event_hi[cand] < lost_lo
    out[known & ~late & ~after & surely_before] = "ontime_before"
    out[known & ~late & ~after & ~surely_before] = "ontime_other"
    out[known & late & ~after] = "late_notafter"
    out[dated & ~c.event_known[case]] = "noloss"
    return out


def measure(generator: str, seed: int, n_cases: int, n_candidates: int) -> tuple[float, list[dict[str, Any]]]:
    cases, candidates, truth = data(generator, seed, n_cases, n_candidates)
    result = reunite.screen(cases, candidates, top_k=20, seed=1)
    prep = result.prepared
    case_of = {cid: i for i, cid in enumerate(result.cases.ids.tolist())}
    position = np.argsort(prep.cand_order)
    cand_of = {pid: int(position[i]) for i, pid in enumerate(result.candidates.ids.tolist())}
    kinds = case_kinds(prep.cases)
    true = truth[truth["person_id"] != ""]
    ranked = pd.DataFrame({name: result.columns[name] for name in ("case_id", "person_id", "rank")})
    ranks = true.merge(ranked, on=["case_id", "person_id"], how="left")["rank"]
    is_true = set(zip(true["case_id"], true["person_id"], strict=True))
    strangers = ranked[[(a, b) not in is_true for a, b in zip(ranked["case_id"], ranked["person_id"], strict=True)]]
    rows = []
    for who, frame in (("true", true), ("stranger", strangers)):
        case = np.array([case_of[x] for x in frame["case_id"]], dtype=np.int64)
        cand = np.array([cand_of[x] for x in frame["person_id"]], dtype=np.int64)
        found = categories(prep, case, cand)
        for k, kind in enumerate(CASE_KINDS):
            counts = Counter(found[kinds[case] == k].tolist())
            rows.append({"generator": generator, "seed": seed, "who": who, "kind": kind,
                         "n": int((kinds[case] == k).sum()), **{name: counts.get(name, 0) for name in CATEGORIES}})
    return float((ranks <= 10).mean()), rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--generator", choices=("cleanroom", "synth"), required=True)
    parser.add_argument("--seeds", type=int, nargs="+", required=True)
    parser.add_argument("--cases", type=int, default=400)
    parser.add_argument("--candidates", type=int, default=40_000)
    args = parser.parse_args(argv)
    rows = []
    for seed in args.seeds:
        recall, found = measure(args.generator, seed, args.cases, args.candidates)
        print(f"{args.generator} {seed}: recall@10 {recall:.4f}", flush=True)
        rows.extend(found)
    table = pd.DataFrame(rows).groupby(["who", "kind"])[["n", *CATEGORIES]].sum()
    print(table.to_string())
    for kind in CASE_KINDS:
        true, stranger = table.loc[("true", kind)], table.loc[("stranger", kind)]
        for label, part, whole in (
                ("2-8 years among years after", ["late2-8y"], ["late2-8y", "late>8y"]),
                ("after the loss among on time", ["ontime_after"], ["ontime_after", "ontime_other"])):
            shares = [row[part].sum() / max(row[whole].sum(), 1) for row in (true, stranger)]
            print(f"{kind}: {label}: true {shares[0]:.3f} ({true[part].sum()} of {true[whole].sum()}), strangers "
                  f"{shares[1]:.3f} ({stranger[part].sum()} of {stranger[whole].sum()})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
