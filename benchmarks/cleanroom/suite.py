"""Randomized clean-room suite: reunite on N random profiles of the clean-room generator.

Configuration i draws ``random_profile_for(S + i)`` (generate.py: every rate of a Profile from wide ranges
around the facts) and generates its data with seed S + i (so no two configurations share data), then runs
``reunite screen`` on it as a user would (evaluate.py's ``screen`` and ``metrics``). Reports per
configuration and overall: mean and worst recall@10, recall@1, MRR, no-match AUC, recall@10 by the
generator's tiers (pooled), the namesake rate.

With ``--pythonpath-before DIR`` the same data are screened a second time with ``PYTHONPATH=DIR`` (an
older checkout's ``src``, e.g. ``git archive <commit> src | tar -x -C /tmp/before`` and DIR =
/tmp/before/src), and the output lists before/after per configuration and counts better/equal/worse.

    python benchmarks/cleanroom/suite.py --configs 16 --cases 400 --candidates 40000 --base-seed 5000 \
        --out results.json [--pythonpath-before /tmp/before/src] [--modes fit nofit] [--screen-arg=--x=y]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from evaluate import metrics, screen
from generate import RANDOM_AXES, Profile, generate, random_profile_for, write

# the realised shape of a configuration (shares of its cases), to see what the weakest ones look like
SHAPE = [
    ("no match", lambda t: float((~t["has_match"].astype(bool)).mean())),
    ("babies", lambda t: float(t["baby"].astype(bool).mean())),
    ("trafficked", lambda t: float((t["kind"] == "trafficked").mean())),
    ("no name evidence", lambda t: float(t["no_name_evidence"].astype(bool).mean())),
    ("name kept", lambda t: float((t["surname_only_kept"].astype(bool) | t["given_only_kept"].astype(bool)
                                   | t["full_name_kept"].astype(bool) | t["name_in_former"].astype(bool)).mean())),
    ("birth shifted", lambda t: float(t["birth_shift_years"].astype(bool).mean())),
    ("other province", lambda t: float(t["other_province"].astype(bool).mean())),
    ("late registration", lambda t: float(t["late_registration"].astype(bool).mean())),
    ("partial birth", lambda t: float(t["partial_birth"].astype(bool).mean())),
]


def shape_of(tiers: pd.DataFrame) -> dict[str, float]:
    return {k: round(f(tiers), 3) for k, f in SHAPE}


def run_config(seed: int, n_cases: int, n_cand: int, work: Path, top_k: int, modes: list[str],
               extra: list[str], versions: dict[str, dict[str, str] | None], keep: bool) -> dict[str, Any]:
    prof: Profile = random_profile_for(seed)
    d = work / f"{prof.name}-{n_cases}x{n_cand}"
    t0 = time.time()
    cases, cand, truth, tiers = generate(prof, n_cases, n_cand, seed)
    write(d, cases, cand, truth, tiers)
    res: dict[str, Any] = {"seed": seed, "profile": asdict(prof), "axes": {a: round(prof.extra[f"axis_{a}"], 3)
                                                                          for a in RANDOM_AXES},
                           "shape": shape_of(tiers), "cases": n_cases, "candidates": n_cand,
                           "generate_seconds": round(time.time() - t0, 1), "screen_args": extra, "versions": {}}
    for vname, env in versions.items():
        per: dict[str, Any] = {}
        for mode in modes:
            out = d / f"ranked-{vname}-{mode}.csv"
            secs, log = screen(d, out, top_k, no_fit=(mode == "nofit"), extra=extra, env=env)
            ranked = pd.read_csv(out, dtype={"case_id": str, "person_id": str}, encoding="utf-8-sig")
            m = metrics(ranked, truth, tiers, cand)
            m["screen_seconds"] = round(secs, 1)
            m["quarantine_lines"] = [ln for ln in log.splitlines() if "quarantined" in ln]
            per[mode] = m
            print(f"{prof.name} {vname} {mode}: r@1 {m['recall@1']:.3f} r@10 {m['recall@10']:.3f} "
                  f"mrr {m['mrr']:.3f} auc {m.get('auc_case_probability', float('nan')):.3f} ({secs:.0f}s)",
                  file=sys.stderr, flush=True)
        res["versions"][vname] = per
    if not keep:
        for f in d.glob("*.csv"):
            f.unlink()
        with_files = list(d.iterdir())
        if not with_files:
            d.rmdir()
    return res


def summary(results: list[dict[str, Any]], versions: list[str], modes: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for v in versions:
        for mode in modes:
            ms = [r["versions"][v][mode] for r in results]
            r10 = np.array([m["recall@10"] for m in ms])
            worst = int(r10.argmin())
            tiers: dict[str, Any] = {}
            for tn in ms[0]["tiers"]:
                hits = tot = 0.0
                for m in ms:
                    t = m["tiers"].get(tn)
                    if t and t["n"]:
                        hits += t["recall@10"] * t["n"]
                        tot += t["n"]
                tiers[tn] = {"label": ms[0]["tiers"][tn]["label"], "n": int(tot),
                             "recall@10": hits / tot if tot else float("nan")}
            ns_above = sum(m["namesake"]["namesake_ranked_above_child"] for m in ms)
            ns_named = sum(m["namesake"]["matched_cases_with_clean_name"] for m in ms)
            out[f"{v}/{mode}"] = {
                "configs": len(ms),
                "recall@1_mean": float(np.mean([m["recall@1"] for m in ms])),
                "recall@10_mean": float(r10.mean()), "recall@10_worst": float(r10.min()),
                "recall@10_worst_seed": results[worst]["seed"],
                "recall@20_mean": float(np.mean([m["recall@20"] for m in ms])),
                "mrr_mean": float(np.mean([m["mrr"] for m in ms])), "mrr_worst": float(np.min([m["mrr"] for m in ms])),
                "auc_case_mean": float(np.nanmean([m.get("auc_case_probability", np.nan) for m in ms])),
                "auc_case_worst": float(np.nanmin([m.get("auc_case_probability", np.nan) for m in ms])),
                "namesake_above_child_of_named": f"{ns_above}/{ns_named}",
                "tiers_pooled": tiers,
            }
    if "before" in versions:
        for mode in modes:
            cmp: dict[str, Any] = {}
            for key in ("recall@10", "recall@1", "mrr", "auc_case_probability"):
                d = np.array([r["versions"]["after"][mode].get(key, np.nan)
                              - r["versions"]["before"][mode].get(key, np.nan) for r in results])
                lo = int(np.nanargmin(d))
                cmp[key] = {"better": int((d > 1e-12).sum()), "equal": int((np.abs(d) <= 1e-12).sum()),
                            "worse": int((d < -1e-12).sum()), "mean_change": float(np.nanmean(d)),
                            "lowest_change": float(d[lo]), "lowest_seed": results[lo]["seed"],
                            "highest_change": float(np.nanmax(d))}
            out[f"after-before/{mode}"] = cmp
    return out


def tables(results: list[dict[str, Any]], summ: dict[str, Any], versions: list[str], modes: list[str]) -> str:
    lines: list[str] = []
    for mode in modes:
        hdr = "| seed | " + " | ".join(RANDOM_AXES) + " | no match | "
        cols = []
        for v in versions:
            cols += [f"r@10 {v}", f"MRR {v}", f"AUC {v}"]
        if "before" in versions:
            cols += ["Δ r@10", "Δ MRR"]
        lines += [f"Mode {mode} (m {'fitted' if mode == 'fit' else 'kept, --no-fit'}):", "",
                  hdr + " | ".join(cols) + " |", "|---" * (len(RANDOM_AXES) + 2 + len(cols)) + "|"]
        for r in results:
            cells = [str(r["seed"])] + [f"{r['axes'][a]:.2f}" for a in RANDOM_AXES] + [f"{r['shape']['no match']:.2f}"]
            for v in versions:
                m = r["versions"][v][mode]
                cells += [f"{m['recall@10']:.3f}", f"{m['mrr']:.3f}",
                          f"{m.get('auc_case_probability', float('nan')):.3f}"]
            if "before" in versions:
                a, b = r["versions"]["after"][mode], r["versions"]["before"][mode]
                cells += [f"{a['recall@10'] - b['recall@10']:+.3f}", f"{a['mrr'] - b['mrr']:+.3f}"]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
        for v in versions:
            s = summ[f"{v}/{mode}"]
            lines.append(f"- {v}: recall@10 mean {s['recall@10_mean']:.3f}, worst {s['recall@10_worst']:.3f} "
                         f"(seed {s['recall@10_worst_seed']}); recall@1 mean {s['recall@1_mean']:.3f}; MRR mean "
                         f"{s['mrr_mean']:.3f}, worst {s['mrr_worst']:.3f}; AUC (case p) mean "
                         f"{s['auc_case_mean']:.3f}, worst {s['auc_case_worst']:.3f}; "
                         f"namesake above child {s['namesake_above_child_of_named']}")
        if "before" in versions:
            c = summ[f"after-before/{mode}"]
            for key in ("recall@10", "mrr", "recall@1", "auc_case_probability"):
                x = c[key]
                lines.append(f"- after − before, {key}: better {x['better']}, equal {x['equal']}, worse {x['worse']}; "
                             f"mean {x['mean_change']:+.4f}, lowest {x['lowest_change']:+.3f} "
                             f"(seed {x['lowest_seed']}), highest {x['highest_change']:+.3f}")
        lines += ["", "Recall@10 by tier, pooled over the configurations (matched cases in brackets):", "",
                  "| tier | " + " | ".join(versions) + " |", "|---|" + "---|" * len(versions)]
        first = summ[f"{versions[0]}/{mode}"]["tiers_pooled"]
        for tn, t in first.items():
            cells = [f"{summ[f'{v}/{mode}']['tiers_pooled'][tn]['recall@10']:.3f}" for v in versions]
            lines.append(f"| {t['label']} ({t['n']}) | " + " | ".join(cells) + " |")
        lines.append("")
    lines += ["Realised shape of each configuration (shares of its cases):", "",
              "| seed | " + " | ".join(k for k, _ in SHAPE) + " |", "|---" * (len(SHAPE) + 1) + "|"]
    for r in results:
        lines.append(f"| {r['seed']} | " + " | ".join(f"{r['shape'][k]:.2f}" for k, _ in SHAPE) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--configs", type=int, default=16)
    ap.add_argument("--cases", type=int, default=400)
    ap.add_argument("--candidates", type=int, default=40000)
    ap.add_argument("--base-seed", type=int, default=5000)
    ap.add_argument("--top-k", type=int, default=20)
    ap.add_argument("--modes", nargs="+", default=["fit"], choices=["fit", "nofit"])
    ap.add_argument("--pythonpath-before", default=None,
                    help="also screen every configuration with PYTHONPATH=DIR (an older checkout's src)")
    ap.add_argument("--screen-arg", action="append", default=[],
                    help="an extra argument for reunite screen (repeatable), e.g. --screen-arg=--birth-margin-years=5")
    ap.add_argument("--work", default=os.environ.get("TMPDIR", "/tmp") + "/cleanroom-suite")
    ap.add_argument("--keep-data", action="store_true", help="keep the generated CSVs and RANKED files")
    ap.add_argument("--out", required=True, help="results JSON")
    a = ap.parse_args(argv)
    versions: dict[str, dict[str, str] | None] = {}
    if a.pythonpath_before:
        before = str(Path(a.pythonpath_before).resolve())
        assert (Path(before) / "reunite" / "__init__.py").exists(), f"no reunite package under {before}"
        env = dict(os.environ)
        env["PYTHONPATH"] = before + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        versions["before"] = env
    versions["after"] = None
    t0 = time.time()
    results = [run_config(a.base_seed + i, a.cases, a.candidates, Path(a.work), a.top_k, a.modes, a.screen_arg,
                          versions, a.keep_data) for i in range(a.configs)]
    vs = list(versions)
    summ = summary(results, vs, a.modes)
    Path(a.out).write_text(json.dumps({"args": vars(a), "seconds": round(time.time() - t0), "summary": summ,
                                       "configs": results}, ensure_ascii=False, indent=1, default=float) + "\n")
    print(tables(results, summ, vs, a.modes))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
