"""Evaluate reunite on the clean-room generator's data (issue 9).

For each profile and seed: generate (benchmarks/cleanroom/generate.py), run ``reunite screen`` as a user
would (subprocess, ``--top-k 20``; once with the default fit of m on the screened data, once with
``--no-fit``), and report recall@1/10/20, MRR, the no-match AUC (rank-1 probability and the case
probability against whether the case has a true child), recall@10 by the generator's tiers and the
namesake rate. Writes JSON and prints a markdown table.

    python benchmarks/cleanroom/evaluate.py --profiles default real_mix --seeds 1 2 3 \
        --cases 400 --candidates 40000 --work /tmp/cleanroom --json benchmarks/cleanroom/results-400x40k.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import PROFILES, generate, write

TIERS = [
    ("no_name_evidence", "no name evidence"),
    ("childhood_name_only", "only a childhood name"),
    ("surname_only_kept", "surname only kept"),
    ("given_only_kept", "given name only kept"),
    ("full_name_kept", "full name kept"),
    ("name_in_former", "birth name among former names"),
    ("name_by_ear", "name written by ear"),
    ("birth_shift_years", "registered birth shifted by whole years"),
    ("other_province", "living in another province"),
    ("partial_birth", "partial birth date"),
    ("lunar_birth", "lunar birth date"),
    ("baby", "babies (lost < 1 month)"),
    ("trafficked_older", "trafficked older children (>= 2 y)"),
    ("late_registration", "registered >= 1 year late"),
]


def auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """P(score of a matched case > score of an unmatched one), ties 1/2."""
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    allv = np.concatenate([pos, neg])
    order = allv.argsort(kind="mergesort")
    ranks = np.empty(len(allv))
    sv = allv[order]
    # average ranks for ties
    i = 0
    r = np.arange(1, len(allv) + 1, dtype=float)
    while i < len(sv):
        j = i
        while j + 1 < len(sv) and sv[j + 1] == sv[i]:
            j += 1
        r[i:j + 1] = (i + j + 2) / 2
        i = j + 1
    ranks[order] = r
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def screen(d: Path, out: Path, top_k: int, no_fit: bool, extra: list[str] | None = None,
           env: dict[str, str] | None = None) -> tuple[float, str]:
    exe = Path(sys.executable).parent / "reunite"
    cmd = [str(exe), "screen", "--cases", str(d / "cases.csv"), "--candidates", str(d / "candidates.csv"),
           "--top-k", str(top_k), "--out", str(out), "--quarantine-dir", str(d)]
    if no_fit:
        cmd.append("--no-fit")
    cmd += extra or []
    t0 = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
    return time.time() - t0, p.stdout + p.stderr


def child_ranks(ranked: pd.DataFrame, truth: pd.DataFrame) -> pd.Series:
    """case_id -> rank of the true child in RANKED.csv (nan = not ranked / no child)."""
    m = truth[truth["person_id"] != ""].merge(ranked[["case_id", "person_id", "rank"]], how="left",
                                               on=["case_id", "person_id"])
    return m.set_index("case_id")["rank"].astype(float)


def _year(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s.fillna("").astype(str).str.extract(r"^(\d{4})")[0], errors="coerce")


def _female(s: pd.Series) -> pd.Series:
    return s.fillna("").astype(str).isin(["F", "女", "f"])


def metrics(ranked: pd.DataFrame, truth: pd.DataFrame, tiers: pd.DataFrame, cand: pd.DataFrame) -> dict[str, Any]:
    truth = truth.fillna("")
    ranks = child_ranks(ranked, truth)
    n_match = len(ranks)
    out: dict[str, Any] = {"n_cases": len(truth), "n_with_match": n_match}
    for k in (1, 5, 10, 20):
        out[f"recall@{k}"] = float((ranks <= k).sum() / n_match) if n_match else float("nan")
    out["mrr"] = float((1.0 / ranks).fillna(0).mean()) if n_match else float("nan")
    # no-match AUC: rank-1 probability, and the case probability column
    first = ranked[ranked["rank"] == 1].set_index("case_id")
    has = truth.set_index("case_id")["person_id"] != ""
    for col, key in (("probability", "auc_top_probability"), ("case_probability", "auc_case_probability")):
        if col in first.columns:
            v = first[col].reindex(has.index).astype(float).fillna(0.0)
            out[key] = auc(v[has].to_numpy(), v[~has].to_numpy())
    # tiers
    t = tiers.set_index("case_id")
    tm = t[t["has_match"].astype(bool)]
    r10 = (ranks.reindex(tm.index) <= 10)
    by: dict[str, Any] = {}
    for col, label in TIERS:
        sel = tm[col].astype(bool)
        by[col] = {"label": label, "n": int(sel.sum()),
                   "recall@10": float(r10[sel].mean()) if sel.sum() else float("nan")}
    for kind in sorted(tm["kind"].unique()):
        sel = tm["kind"] == kind
        by[f"kind={kind}"] = {"label": f"kind {kind}", "n": int(sel.sum()), "recall@10": float(r10[sel].mean())}
    out["tiers"] = by
    # namesakes: a candidate (not the child) with the case's clean full name, sex and birth year
    c = cand[["person_id", "name", "sex", "birth_date"]].copy()
    c["year"] = _year(c["birth_date"])
    c["female"] = _female(c["sex"])
    rk = ranked[["case_id", "rank", "person_id"]].merge(c, on="person_id", how="left")
    named = tm[tm["clean_name"].fillna("") != ""].copy()
    named["year"] = pd.to_datetime(named["birth_true"]).dt.year
    key = c.groupby(["name", "female", "year"]).size()
    n_exists = n_above = 0
    for cid, row in named.iterrows():
        k = (row["clean_name"], bool(row["female"]), int(row["year"]))
        child_rank = ranks.get(cid, np.nan)
        # namesakes present in the candidate file (minus the child if it is one)
        cnt = int(key.get(k, 0))
        if cnt == 0:
            continue
        rows = rk[(rk["case_id"] == cid) & (rk["name"] == k[0]) & (rk["female"] == k[1]) & (rk["year"] == k[2])
                  & (rk["person_id"] != row["person_id"])]
        child_is_namesake = bool(((c["person_id"] == row["person_id"]) & (c["name"] == k[0])).any())
        if cnt - int(child_is_namesake) <= 0:
            continue
        n_exists += 1
        if len(rows) and (np.isnan(child_rank) or rows["rank"].min() < child_rank):
            n_above += 1
    out["namesake"] = {"matched_cases_with_clean_name": len(named),
                       "with_a_namesake_stranger": n_exists,
                       "namesake_ranked_above_child": n_above,
                       "rate_of_named": n_above / len(named) if len(named) else float("nan"),
                       "rate_of_those_with_namesake": n_above / n_exists if n_exists else float("nan")}
    return out


def run_one(profile: str, seed: int, n_cases: int, n_cand: int, work: Path, top_k: int,
            modes: list[str], extra: list[str] | None = None) -> dict[str, Any]:
    d = work / f"{profile}-{n_cases}x{n_cand}-s{seed}"
    t0 = time.time()
    cases, cand, truth, tiers = generate(profile, n_cases, n_cand, seed)
    write(d, cases, cand, truth, tiers)
    gen_s = time.time() - t0
    res: dict[str, Any] = {"profile": profile, "seed": seed, "cases": n_cases, "candidates": n_cand,
                           "generate_seconds": round(gen_s, 1), "dir": str(d), "screen_args": extra or []}
    for mode in modes:
        out = d / f"ranked-{mode}{'-' + '_'.join(extra).strip('-') if extra else ''}.csv"
        secs, log = screen(d, out, top_k, no_fit=(mode == "nofit"), extra=extra)
        ranked = pd.read_csv(out, dtype={"case_id": str, "person_id": str}, encoding="utf-8-sig")
        m = metrics(ranked, truth, tiers, cand)
        m["screen_seconds"] = round(secs, 1)
        m["quarantine_lines"] = [ln for ln in log.splitlines() if "quarantined" in ln]
        res[mode] = m
        print(f"{profile} s{seed} {n_cases}x{n_cand} {mode}: r@1 {m['recall@1']:.3f} r@10 {m['recall@10']:.3f} "
              f"r@20 {m['recall@20']:.3f} mrr {m['mrr']:.3f} auc {m.get('auc_case_probability', float('nan')):.3f}"
              f" ({secs:.0f}s)", file=sys.stderr, flush=True)
    return res


def table(results: list[dict[str, Any]], modes: list[str]) -> str:
    lines = ["| profile | size | seed | mode | recall@1 | recall@10 | recall@20 | MRR | AUC top p | AUC case p "
             "| namesake above child |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        for mode in modes:
            m = r[mode]
            ns = m["namesake"]
            lines.append(
                f"| {r['profile']} | {r['cases']}×{r['candidates']} | {r['seed']} | {mode} | {m['recall@1']:.3f} | "
                f"{m['recall@10']:.3f} | {m['recall@20']:.3f} | {m['mrr']:.3f} | "
                f"{m.get('auc_top_probability', float('nan')):.3f} | {m.get('auc_case_probability', float('nan')):.3f}"
                f" | {ns['namesake_ranked_above_child']}/{ns['with_a_namesake_stranger']} |")
    # tier table, pooled over seeds per profile and mode (weighted by n)
    lines += ["", "Recall@10 by tier (pooled over the seeds of each row above with the same profile and size):", ""]
    keys = sorted({(r["profile"], r["cases"], r["candidates"]) for r in results})
    hdr = "| tier | " + " | ".join(f"{p} {c}×{n} {mode}" for p, c, n in keys for mode in modes) + " |"
    lines += [hdr, "|---|" + "---|" * (len(keys) * len(modes))]
    tier_names = list(results[0][modes[0]]["tiers"])
    for tn in tier_names:
        cells = []
        for p, c, n in keys:
            for mode in modes:
                hits = tot = 0.0
                for r in results:
                    if (r["profile"], r["cases"], r["candidates"]) == (p, c, n):
                        t = r[mode]["tiers"].get(tn)
                        if t and t["n"]:
                            hits += t["recall@10"] * t["n"]
                            tot += t["n"]
                cells.append(f"{hits / tot:.2f} (n={int(tot)})" if tot else "–")
        label = results[0][modes[0]]["tiers"][tn]["label"]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--profiles", nargs="+", default=["default", "real_mix"], choices=sorted(PROFILES))
    ap.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    ap.add_argument("--cases", type=int, default=400)
    ap.add_argument("--candidates", type=int, default=40000)
    ap.add_argument("--top-k", type=int, default=20)
    ap.add_argument("--modes", nargs="+", default=["fit", "nofit"], choices=["fit", "nofit"])
    ap.add_argument("--work", default=os.environ.get("TMPDIR", "/tmp") + "/cleanroom")
    ap.add_argument("--json", default=None)
    ap.add_argument("--screen-arg", action="append", default=[],
                    help="an extra argument for reunite screen (repeatable), e.g. --screen-arg=--birth-margin-years=5")
    a = ap.parse_args(argv)
    work = Path(a.work)
    results = [run_one(p, s, a.cases, a.candidates, work, a.top_k, a.modes, a.screen_arg)
               for p in a.profiles for s in a.seeds]
    if a.json:
        Path(a.json).write_text(json.dumps(results, ensure_ascii=False, indent=1, default=float) + "\n")
    print(table(results, a.modes))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
