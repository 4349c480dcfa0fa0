"""Can the share of cases with a child be learned from the screened data, if the case probability is
taken against the whole sex-compatible population? (issue 9, calibration; an experiment)

``case_probability`` today spreads a fixed prior (0.4) uniformly over a case's blocked candidates. Two
earlier attempts (benchmarks/README.md, "Tried and dropped") each changed one thing: a prior per data set
by maximum likelihood (it ran to its bound), or the prior spread over every sex-compatible candidate with
"the child outside the blocked pairs" (worse ECE, temperature not refitted). This script tries them
together, with the temperature refitted: every blocked pair's score of a ``prune=False`` screen is kept,
and per variant the temperature (and the fixed prior, or none when the prior is fitted per data set by
EM on the cases' likelihood ratios) is chosen by the log loss of "the child is among the blocked
candidates" on the TRAIN draws, then ECE and AUC are measured on the EVAL draws.

Draws: reunite.synth ``random_config(default_rng(seed))`` and clean-room ``random_profile_for(seed)``,
400 x 40,000, seeds no judge or fit uses (830000+ and 8300+ by default); the first half of each
generator's draws is TRAIN, the rest EVAL.

    python benchmarks/prevalence_fit.py --synth 10 --cleanroom 8 --work /tmp/cal
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import reunite
from reunite.evaluate import top_score_auc
from reunite.synth import generate, random_config, write
from suite import ece

F = npt.NDArray[np.float64]
TEMPERATURES = (0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
PRIORS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
# (formula, expected Bayes factor of a sex-compatible candidate outside the blocked pairs, prior per data set)
VARIANTS = [(formula, r, fitted) for formula, r in (("blocked", 0.0), ("population", 0.0), ("population", 0.05),
                                                    ("population", 0.2)) for fitted in (False, True)]


def _cleanroom() -> Any:
    import importlib.util
    spec = importlib.util.spec_from_file_location("cleanroom_generate",
                                                  Path(__file__).resolve().parent / "cleanroom" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def collect(path: Path, cases: reunite.RecordTable, candidates: reunite.RecordTable, truth: dict[str, str]) -> None:
    """Every blocked pair's score (default screen, m fitted, no pruning), each case's sex-compatible
    population and whether its child is among the candidates, as ``path`` (npz)."""
    frame = reunite.screen(cases, candidates, top_k=1_000_000, reasons=False, prune=False).to_pandas()
    ids = [str(c) for c in cases.ids]
    case_sex, sex = np.asarray(cases.sex), np.asarray(candidates.sex)
    males, females, unknown = (sex == 1).sum(), (sex == 2).sum(), (sex == 0).sum()
    population = np.where(case_sex == 1, males + unknown, np.where(case_sex == 2, females + unknown, len(sex)))
    case = pd.Series(np.arange(len(ids)), index=ids).reindex(frame["case_id"].astype(str)).to_numpy()
    child = frame["case_id"].astype(str).map(truth).fillna("")
    is_child = (frame["person_id"].astype(str) == child).to_numpy() & (child != "").to_numpy()
    np.savez_compressed(path, case=case, score=frame["score"].to_numpy(float), is_child=is_child,
                        population=population, n_cases=len(ids))


def draw(generator: str, seed: int, work: Path) -> Path:
    path = work / f"{generator}-{seed}.npz"
    if path.exists():
        return path
    if generator == "synth":
        with tempfile.TemporaryDirectory() as tmp:
            paths = write(generate(400, 40_000, seed=seed, config=random_config(np.random.default_rng(seed))), tmp)
            t = pd.read_csv(paths.truth, dtype=str, keep_default_na=False)
            collect(path, reunite.load_side(paths.cases, "cases"), reunite.load_side(paths.candidates, "candidates"),
                    dict(zip(t["case_id"], t["person_id"], strict=True)))
    else:
        module = _cleanroom()
        c, p, t, _ = module.generate(module.random_profile_for(seed), 400, 40_000, seed)
        collect(path, reunite.load_side(c, "cases"), reunite.load_side(p, "candidates"),
                {str(a): str(b) for a, b in zip(t["case_id"], t["person_id"].fillna(""), strict=True)})
    print(path.name, flush=True)
    return path


def load(path: Path) -> dict[str, Any]:
    with np.load(path) as z:
        n, case, score, is_child = int(z["n_cases"]), z["case"], z["score"], z["is_child"]
        order = np.lexsort((-score, case))
        first = np.r_[True, case[order][1:] != case[order][:-1]]
        rank1_child = np.zeros(n, bool)
        rank1_child[case[order][first]] = is_child[order][first]
        top = np.full(n, -np.inf)
        np.maximum.at(top, case, score)
        return {"case": case, "score": score, "n": n, "population": z["population"].astype(float), "top": top,
                "blocked": np.bincount(case, minlength=n).astype(float), "rank1_child": rank1_child,
                "matched": np.bincount(case[is_child], minlength=n) > 0}


def probabilities(d: dict[str, Any], temperature: float, prior: float, formula: str, r: float,
                  fitted: bool) -> tuple[F, F, float]:
    """Case and rank-1 probabilities of one variant, and the prior it used."""
    sums = np.bincount(d["case"], weights=np.exp2(temperature * d["score"]), minlength=d["n"])
    if formula == "blocked":
        n = np.maximum(d["blocked"], 1.0)
        ratio = inside = sums / n
    else:
        n = d["population"]
        ratio, inside = (sums + (n - d["blocked"]) * r) / n, sums / n
    if fitted:  # EM of the share of cases with a child, the likelihood ratios held fixed
        prior = 0.5
        for _ in range(200):
            prior = float(np.mean(prior * ratio / (prior * ratio + 1 - prior)))
        prior = min(max(prior, 1e-3), 0.999)
    denominator = (1 - prior) + prior * ratio
    return prior * inside / denominator, prior * np.exp2(temperature * d["top"]) / n / denominator, prior


def log_loss(p: F, outcome: npt.NDArray[np.bool_]) -> float:
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return float(-np.mean(np.where(outcome, np.log(p), np.log(1 - p))))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--synth", type=int, default=10)
    parser.add_argument("--cleanroom", type=int, default=8)
    parser.add_argument("--synth-seed", type=int, default=830000)
    parser.add_argument("--cleanroom-seed", type=int, default=8300)
    parser.add_argument("--work", type=Path, required=True, help="folder for the per-draw score files (kept)")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    train, evals = [], []
    sources = (("synth", args.synth_seed, args.synth), ("cr", args.cleanroom_seed, args.cleanroom))
    for generator, start, count in sources:
        paths = [draw(generator, start + i, args.work) for i in range(count)]
        train += paths[: count // 2]
        evals += paths[count // 2:]
    data = {p: load(p) for p in train + evals}
    print(f"TRAIN {len(train)} draws, EVAL {len(evals)} draws")
    print("| variant | temperature | prior | case ECE mean | worst | rank-1 ECE mean | worst | AUC mean | worst |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|")
    chosen = []
    for formula, r, fitted in VARIANTS:
        grid = [(t, q) for t in TEMPERATURES for q in ((0.5,) if fitted else PRIORS)]
        losses = [np.mean([log_loss(probabilities(data[p], t, q, formula, r, fitted)[0], data[p]["matched"])
                           for p in train]) for t, q in grid]
        chosen.append((f"{formula}, r={r}, prior {'per data set' if fitted else 'fixed'}",
                       formula, r, fitted, *grid[int(np.argmin(losses))]))
    chosen.append(("shipped (blocked, temperature 1, prior 0.4)", "blocked", 0.0, False, 1.0, 0.4))
    for label, formula, r, fitted, t, q in chosen:
        rows, priors = [], []
        for p in evals:
            d = data[p]
            case_p, top_p, used = probabilities(d, t, q, formula, r, fitted)
            auc = top_score_auc(case_p[d["matched"]], case_p[~d["matched"]])
            rows.append((ece(case_p, d["matched"]), ece(top_p, d["rank1_child"]), auc))
            priors.append(f"{used:.2f}/{d['matched'].mean():.2f}")
        a = np.array(rows, dtype=float)
        print(f"| {label} | {t} | {'EM' if fitted else q} | {a[:, 0].mean():.3f} | {a[:, 0].max():.3f} | "
              f"{a[:, 1].mean():.3f} | {a[:, 1].max():.3f} | {np.nanmean(a[:, 2]):.3f} | {np.nanmin(a[:, 2]):.3f} |")
        if fitted:
            print(f"|   prior fitted / true share, per EVAL draw: {' '.join(priors)} | | | | | | | | |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
