"""Does a learned re-ranker generalize to a generator it was not trained on? (issue 9, item 3)

Usage (from the repository root)::

    python benchmarks/rerank_cross.py --synth 12 --cleanroom 12 --cases 400 --candidates 40000 \
        --work /tmp/rerank --out /tmp/rerank/cross.json

Data: ``--synth`` random configurations of ``reunite.synth`` (``random_profile(default_rng(SYNTH_CONFIG_SEED
+ i))``, data seed ``SYNTH_DATA_SEED + i``; disjoint from the randomized suite's 0.., 100000.., 200000..,
50000.. and the training tool's 500000.. 600000.. 700000..) and ``--cleanroom`` random profiles of the
clean-room generator (``random_profile_for(CLEANROOM_SEED + i)``, data seed the same; disjoint from its
suite's 5000 + i and the calibration's 7000 + i). Each is screened with today's default ``reunite.screen``
(m fitted on the screened data), top 50 per case, and described by ``suite.pair_features`` (one-hot levels,
contributions, score, rank, gap to the case's best, case probability, case context). The features and
labels of each configuration are cached in ``--work`` (a second run only fits and evaluates).

Re-rankers (:data:`MODELS`) are fitted on the rows of some configurations and re-order the top 50 of others:

``A->B``   fitted on every configuration of generator A, evaluated on each configuration of B;
``in-A``   leave-configuration-out within A (``--folds`` folds of A's configurations);
``both``   fitted on both generators leaving a fold of configurations out, evaluated on the held-out ones.

With ``--judges`` the re-rankers are also fitted on every ``--synth`` configuration, every ``--cleanroom``
one and both, and measured on the judges' own configurations, which they never see: benchmarks/suite.py's
``random-i`` EVAL draws (``random_profile(default_rng(i))``, data seed 100000 + i) and
benchmarks/cleanroom/suite.py's ``random_profile_for(5000 + i)`` (``suite`` and ``crsuite`` in the table).

Metrics per evaluated configuration, for the re-ranker and for the default screen on the same rows (its
own order, probability and case probability): recall@1 and @10, MRR (ranks beyond 20 count 0, as a top-20
RANKED.csv), AUC of the case score against "the case has a true child" (default: ``case_probability``;
re-ranker: 1 - prod(1 - p) over its top 50) and of the rank-1 probability, and the ECE of the rank-1
probability against "rank 1 is the child". The table gives mean and worst configuration and
better / equal / worse counts against the default.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

import reunite
import suite  # the randomized suite's features and metrics (this script's folder)

F = npt.NDArray[np.float64]
SYNTH_CONFIG_SEED, SYNTH_DATA_SEED = 900_000, 910_000
CLEANROOM_SEED = 9000
RERANK_K = suite.RERANK_K  # 50 rows per case
LIST_K = 20  # the default RANKED.csv length: MRR counts ranks up to here
GENERATORS = ("synth", "cleanroom")


# -- data --------------------------------------------------------------------------------------------

@dataclass
class Screened:
    """One configuration's default top 50: features, labels and what the default screen says."""

    generator: str
    seed: int
    x: npt.NDArray[np.float32]       # (rows, features)
    y: npt.NDArray[np.int8]          # 1 = the row is the case's true child
    case: npt.NDArray[np.int64]      # row -> case index in 0..n_cases-1
    rank: npt.NDArray[np.int64]      # the default rank
    probability: F                   # the default rank probability
    case_probability: F              # per row, the default case probability
    has_match: npt.NDArray[np.bool_]  # per case

    @property
    def name(self) -> str:
        return f"{self.generator}-{self.seed}"


def _screen(cases_csv: Path, candidates_csv: Path, truth: pd.DataFrame, generator: str, seed: int) -> Screened:
    cases = reunite.load_side(cases_csv, "cases")
    candidates = reunite.load_side(candidates_csv, "candidates")
    result = reunite.screen(cases, candidates, top_k=RERANK_K, reasons=False)
    cols = result.columns
    answer = dict(zip(truth["case_id"].astype(str), truth["person_id"].fillna("").astype(str), strict=True))
    ids = pd.Index(np.asarray(cases.ids).astype(str))
    has = np.array([answer.get(c, "") != "" for c in ids], dtype=bool)
    row_case = ids.get_indexer(cols["case_id"].astype(str)).astype(np.int64)
    truth_of_row = pd.Series(cols["case_id"].astype(str)).map(answer).fillna("").to_numpy()
    y = ((cols["person_id"].astype(str) == truth_of_row) & (truth_of_row != "")).astype(np.int8)
    return Screened(generator, seed, suite.pair_features(result).astype(np.float32), y, row_case,
                    cols["rank"].astype(np.int64), cols["probability"].astype(np.float64),
                    cols["case_probability"].astype(np.float64), has)


def build(generator: str, seed: int, n_cases: int, n_candidates: int, work: Path) -> Screened:
    """Generate, screen and describe one configuration (or read its cache)."""
    cache = work / f"{generator}-{seed}-{n_cases}x{n_candidates}.npz"
    if cache.exists():
        with np.load(cache) as z:
            return Screened(generator, seed, z["x"], z["y"], z["case"], z["rank"], z["probability"],
                            z["case_probability"], z["has_match"])
    folder = work / "data" / f"{generator}-{seed}"
    folder.mkdir(parents=True, exist_ok=True)
    if generator in ("synth", "suite"):  # suite: benchmarks/suite.py's random-<seed> EVAL draw
        from reunite.synth import generate, random_profile, write

        config_seed, data_seed = ((SYNTH_CONFIG_SEED + seed, SYNTH_DATA_SEED + seed) if generator == "synth"
                                  else (seed, suite.EVAL_OFFSET + seed))
        profile = random_profile(np.random.default_rng(config_seed))
        paths = write(generate(n_cases, n_candidates, seed=data_seed, config=profile.config), folder)
        truth = pd.read_csv(paths.truth, dtype=str, keep_default_na=False)
        done = _screen(paths.cases, paths.candidates, truth, generator, seed)
    elif generator in ("cleanroom", "crsuite"):  # crsuite: benchmarks/cleanroom/suite.py's configuration <seed>
        sys.path.insert(0, str(Path(__file__).resolve().parent / "cleanroom"))
        import generate as cleanroom  # benchmarks/cleanroom/generate.py

        s = CLEANROOM_SEED + seed if generator == "cleanroom" else seed
        cases, cand, truth, tiers = cleanroom.generate(cleanroom.random_profile_for(s), n_cases, n_candidates, s)
        cleanroom.write(folder, cases, cand, truth, tiers)
        truth = pd.read_csv(folder / "truth.csv", dtype=str, keep_default_na=False)
        done = _screen(folder / "cases.csv", folder / "candidates.csv", truth, generator, seed)
    else:
        raise ValueError(f"generator: expected synth, suite, cleanroom or crsuite, got {generator!r}")
    np.savez_compressed(cache, x=done.x, y=done.y, case=done.case, rank=done.rank, probability=done.probability,
                        case_probability=done.case_probability, has_match=done.has_match)
    for f in folder.glob("*.csv"):
        f.unlink()
    return done


# -- metrics -----------------------------------------------------------------------------------------

def _auc(score: F, positive: npt.NDArray[np.bool_]) -> float:
    """P(a positive scores above a negative), ties one half; nan without both classes."""
    pos, neg = int(positive.sum()), int((~positive).sum())
    if pos == 0 or neg == 0:
        return math.nan
    ranks = pd.Series(score).rank(method="average").to_numpy()
    return float((ranks[positive].sum() - pos * (pos + 1) / 2) / (pos * neg))


def metrics(s: Screened, key: F, probability: F, case_score: F) -> dict[str, float]:
    """Order each case's rows by ``key`` (descending; ties by the default rank) and measure."""
    order = np.lexsort((s.rank, -key, s.case))
    case_sorted = s.case[order]
    first = np.flatnonzero(np.r_[True, case_sorted[1:] != case_sorted[:-1]]) if order.size else np.zeros(0, int)
    new_rank = np.empty(order.size, dtype=np.int64)
    new_rank[order] = np.arange(order.size) - np.repeat(first, np.diff(np.r_[first, order.size])) + 1
    n_cases = s.has_match.size
    true_rank = np.zeros(n_cases, dtype=np.int64)
    hit = s.y == 1
    true_rank[s.case[hit]] = new_rank[hit]
    matched = s.has_match
    n_match = int(matched.sum())
    tr = true_rank[matched]
    top = new_rank == 1
    top_p = np.zeros(n_cases)
    top_p[s.case[top]] = probability[top]
    cs = np.zeros(n_cases)
    cs[s.case[top]] = case_score[top]
    return {
        "recall@1": float((tr == 1).sum() / n_match),
        "recall@10": float(((tr >= 1) & (tr <= 10)).sum() / n_match),
        "mrr": float(np.where((tr >= 1) & (tr <= LIST_K), 1.0 / np.maximum(tr, 1), 0.0).sum() / n_match),
        "auc_case": _auc(cs, matched),
        "auc_top": _auc(top_p, matched),
        "ece_top": suite.ece(probability[top], hit[top]),
    }


def default_metrics(s: Screened) -> dict[str, float]:
    return metrics(s, -s.rank.astype(np.float64), s.probability, s.case_probability)


def reranked_metrics(s: Screened, p: F) -> dict[str, float]:
    none = pd.Series(np.log1p(-np.clip(p, 0, 1 - 1e-12))).groupby(s.case).transform("sum").to_numpy()
    return metrics(s, p, p, 1 - np.exp(none))


# -- models ------------------------------------------------------------------------------------------

Classifier = Callable[[npt.NDArray[np.float32], npt.NDArray[np.int8]], Any]


def groups(names: Sequence[str]) -> dict[str, npt.NDArray[np.int64]]:
    """Column indices per feature group of ``suite.feature_names``."""
    idx = np.arange(len(names))
    kind = np.array([n.split(":")[0] if ":" in n else n for n in names])
    return {
        "levels": idx[kind == "level"], "contributions": idx[kind == "contribution"],
        "score_rank_gap": idx[np.isin(kind, ["score", "rank", "gap"])],
        "case_probability": idx[kind == "case_probability"], "context": idx[kind == "context"],
    }


def _hgb(monotone: Sequence[int] | None = None) -> Classifier:
    def fit(x: npt.NDArray[np.float32], y: npt.NDArray[np.int8]) -> Any:
        if monotone is None:
            return suite.fit_reranker(x, y)
        from sklearn.ensemble import HistGradientBoostingClassifier
        from threadpoolctl import threadpool_limits

        model = HistGradientBoostingClassifier(max_iter=suite.RERANK_ITER, learning_rate=0.1, random_state=0,
                                               monotonic_cst=list(monotone))
        with threadpool_limits(1):
            return model.fit(x, y)
    return fit


def _logit(x: npt.NDArray[np.float32], y: npt.NDArray[np.int8]) -> Any:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits

    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
    with threadpool_limits(1):
        return model.fit(x, y)


def _stack(sets: Sequence[Screened], cols: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.float32],
                                                                            npt.NDArray[np.int8]]:
    return np.vstack([s.x[:, cols] for s in sets]), np.concatenate([s.y for s in sets])


@dataclass(frozen=True)
class Model:
    """A re-ranker: ``fit`` on configurations, ``score`` one configuration's rows as (probability per row,
    case score per row)."""

    name: str
    columns: npt.NDArray[np.int64]
    fit: Callable[[Sequence[Screened]], Any]
    score: Callable[[Any, Screened], tuple[F, F]]
    ablation: bool = False  # run in the cross-generator and in-generator protocols only


def classifier(name: str, columns: npt.NDArray[np.int64], fit: Classifier, ablation: bool = False) -> Model:
    """A per-row classifier; its case score is 1 - prod(1 - p) over the case's rows."""
    def score(fitted: Any, s: Screened) -> tuple[F, F]:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1):
            p = np.asarray(fitted.predict_proba(s.x[:, columns])[:, 1], dtype=np.float64)
        none = pd.Series(np.log1p(-np.clip(p, 0, 1 - 1e-12))).groupby(s.case).transform("sum").to_numpy()
        return p, 1 - np.exp(none)
    return Model(name, columns, lambda sets: fit(*_stack(sets, columns)), score, ablation)


def _softmax_parts(logit: F, case: npt.NDArray[np.int64]) -> F:
    """Within-case softmax of ``logit`` (rows of a case need not be adjacent)."""
    top = pd.Series(logit).groupby(case).transform("max").to_numpy()
    e = np.exp(logit - top)
    return np.asarray(e / pd.Series(e).groupby(case).transform("sum").to_numpy(), dtype=np.float64)


def reweight(name: str, columns: npt.NDArray[np.int64], signed: bool = False) -> Model:
    """The Fellegi-Sunter score with one multiplier per comparison: ``w . contributions`` (w >= 0, start 1),
    fitted by conditional logit on the cases whose child is in the top 50 (which of the rows is the child).
    With ``signed`` two multipliers per comparison, one for its positive contributions (agreement) and one
    for its negative ones (disagreement). The probability of a row is the default ``case_probability``
    times its within-case softmax, so the case score (and its AUC) stays the default's: only the order and
    the rank-1 probability change."""
    def features(s: Screened) -> F:
        c = s.x[:, columns].astype(np.float64)
        return np.hstack([np.maximum(c, 0), np.minimum(c, 0)]) if signed else c

    def fit(sets: Sequence[Screened]) -> Any:
        from conditional_logit import fit_multipliers  # this script's folder, with scipy

        x = np.vstack([features(s) for s in sets])
        y = np.concatenate([s.y for s in sets]).astype(bool)
        offsets = np.cumsum([0] + [s.has_match.size for s in sets[:-1]])
        case = np.concatenate([s.case + o for s, o in zip(sets, offsets, strict=True)])
        keep = np.isin(case, case[y])  # cases with their child among the rows
        return fit_multipliers(x[keep], y[keep], pd.factorize(case[keep])[0])

    def score(w: Any, s: Screened) -> tuple[F, F]:
        soft = _softmax_parts(features(s) @ w, s.case)
        return s.case_probability * soft, s.case_probability
    return Model(name, columns, fit, score)


def models(names: Sequence[str]) -> list[Model]:
    g = groups(names)
    every = np.arange(len(names))
    small = np.concatenate([g["score_rank_gap"], g["contributions"], g["context"]])
    # monotone: score and contributions up, rank and gap down, context free
    sign = {"score": 1, "rank": -1, "gap": -1}
    mono = [sign.get(names[i], 1 if names[i].startswith("contribution:") else 0) for i in small]
    out = [
        classifier("hgb", every, _hgb()),
        classifier("logit", every, _logit),
        classifier("logit_small", small, _logit),
        classifier("hgb_small_monotone", small, _hgb(mono)),
        reweight("fs_reweight", g["contributions"]),
        reweight("fs_reweight_signed", g["contributions"], signed=True),
    ]
    for drop in g:
        out.append(classifier(f"hgb-no-{drop}", np.setdiff1d(every, g[drop]), _hgb(), ablation=True))
    return out


# -- protocols ---------------------------------------------------------------------------------------

def run(data: dict[str, list[Screened]], chosen: Sequence[Model], folds: int) -> list[dict[str, Any]]:
    """Every (model, protocol, evaluated configuration) row."""
    rows: list[dict[str, Any]] = []

    def evaluate(model: Model, protocol: str, fitted: Any, targets: Sequence[Screened]) -> None:
        for s in targets:
            p, case_score = model.score(fitted, s)
            rows.append({"model": model.name, "protocol": protocol, "config": s.name, "generator": s.generator,
                         **metrics(s, p, p, case_score)})

    def fold_of(i: int) -> int:
        return i % folds

    for model in chosen:
        t0 = time.perf_counter()
        for a, b in (("synth", "cleanroom"), ("cleanroom", "synth")):
            if data[a] and data[b]:
                evaluate(model, f"{a}->{b}", model.fit(data[a]), data[b])
        for a in GENERATORS:
            for f in range(folds):
                train = [s for i, s in enumerate(data[a]) if fold_of(i) != f]
                test = [s for i, s in enumerate(data[a]) if fold_of(i) == f]
                if train and test:
                    evaluate(model, f"in-{a}", model.fit(train), test)
        if not model.ablation:
            for f in range(folds):
                train = [s for g in GENERATORS for i, s in enumerate(data[g]) if fold_of(i) != f]
                test = [s for g in GENERATORS for i, s in enumerate(data[g]) if fold_of(i) == f]
                if train and test:
                    fitted = model.fit(train)
                    for g in GENERATORS:
                        evaluate(model, f"both->{g}", fitted, [s for s in test if s.generator == g])
        print(f"{model.name}: {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    return rows


def judge(data: dict[str, list[Screened]], chosen: Sequence[Model], judged: Sequence[Screened],
          base: dict[str, dict[str, float]]) -> list[dict[str, Any]]:
    """The judges' configurations (never trained on): re-rankers fitted on each generator and on both;
    ``base`` gets their default rows."""
    rows: list[dict[str, Any]] = []
    for s in judged:
        base[s.name] = default_metrics(s)
        rows.append({"model": "default", "protocol": s.generator, "config": s.name, "generator": s.generator,
                     **base[s.name]})
    for model in chosen:
        for trained, sets in (("synth", data["synth"]), ("cleanroom", data["cleanroom"]),
                              ("both", data["synth"] + data["cleanroom"])):
            if not sets:
                continue
            fitted = model.fit(sets)
            for s in judged:
                p, case_score = model.score(fitted, s)
                rows.append({"model": model.name, "protocol": f"{trained}->{s.generator}", "config": s.name,
                             "generator": s.generator, **metrics(s, p, p, case_score)})
    return rows


# -- report ------------------------------------------------------------------------------------------

METRICS = ("recall@1", "recall@10", "mrr", "auc_case", "auc_top", "ece_top")


def _f(v: float) -> str:
    return "" if v is None or math.isnan(v) else f"{v:.3f}"


def report(rows: list[dict[str, Any]], base: dict[str, dict[str, float]]) -> str:
    """Per (model, protocol): mean of each metric (default in brackets), worst configuration of recall@10
    and MRR, better / equal / worse on recall@10 and MRR."""
    frame = pd.DataFrame(rows)
    lines = ["| model | protocol | configs | r@1 | r@10 | worst r@10 | MRR | worst MRR | AUC case | AUC top | "
             "ECE top | r@10 b/e/w | MRR b/e/w |", "|---|---|---:|" + "---:|" * 8 + "---|---|"]
    for (model, protocol), part in frame.groupby(["model", "protocol"], sort=False):
        d = pd.DataFrame([base[c] for c in part["config"]])
        cells = [str(model), str(protocol), str(len(part))]
        for m in METRICS[:2]:
            cells.append(f"{_f(part[m].mean())} ({_f(d[m].mean())})")
            if m == "recall@10":
                cells.append(f"{_f(part[m].min())} ({_f(d[m].min())})")
        cells.append(f"{_f(part['mrr'].mean())} ({_f(d['mrr'].mean())})")
        cells.append(f"{_f(part['mrr'].min())} ({_f(d['mrr'].min())})")
        for m in METRICS[3:]:
            cells.append(f"{_f(part[m].mean())} ({_f(d[m].mean())})")
        for m in ("recall@10", "mrr"):
            delta = part[m].to_numpy() - d[m].to_numpy()
            cells.append(f"{(delta > 1e-9).sum()}/{(np.abs(delta) <= 1e-9).sum()}/{(delta < -1e-9).sum()}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def coefficients(data: dict[str, list[Screened]], names: Sequence[str]) -> str:
    """The small logistic model fitted on both generators (standardized coefficients, largest first) and the
    per-comparison multipliers of ``fs_reweight`` fitted on each generator and on both."""
    chosen = {m.name: m for m in models(names)}
    small = chosen["logit_small"]
    coef = small.fit([s for g in GENERATORS for s in data[g]])[-1].coef_[0]
    lines = ["logit_small fitted on both generators, standardized coefficients:"]
    lines += [f"  {names[small.columns[i]]}: {coef[i]:+.3f}" for i in np.argsort(-np.abs(coef))]
    rew = chosen["fs_reweight"]
    fits = {"synth": rew.fit(data["synth"]), "cleanroom": rew.fit(data["cleanroom"]),
            "both": rew.fit([s for g in GENERATORS for s in data[g]])}
    lines += ["", "fs_reweight multipliers (comparison: synth / cleanroom / both):"]
    lines += [f"  {names[c].split(':')[1]}: " + " / ".join(f"{fits[k][j]:.2f}" for k in fits)
              for j, c in enumerate(rew.columns)]
    signed = chosen["fs_reweight_signed"]
    fits = {"synth": signed.fit(data["synth"]), "cleanroom": signed.fit(data["cleanroom"]),
            "both": signed.fit([s for g in GENERATORS for s in data[g]])}
    k = len(signed.columns)
    lines += ["", "fs_reweight_signed multipliers, agreement (positive contributions) | disagreement (negative), "
              "each synth / cleanroom / both:"]
    lines += [f"  {names[c].split(':')[1]}: " + " / ".join(f"{fits[f][j]:.2f}" for f in fits) + " | "
              + " / ".join(f"{fits[f][k + j]:.2f}" for f in fits) for j, c in enumerate(signed.columns)]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--synth", type=int, default=12, help="reunite.synth random configurations")
    parser.add_argument("--cleanroom", type=int, default=12, help="clean-room random profiles")
    parser.add_argument("--cases", type=int, default=400)
    parser.add_argument("--candidates", type=int, default=40_000)
    parser.add_argument("--folds", type=int, default=3, help="folds of configurations for in-generator and both")
    parser.add_argument("--models", default="", help="comma-separated model names (default: all)")
    parser.add_argument("--judges", action="store_true",
                        help="also measure on the judges' own configurations (benchmarks/suite.py's random-0.."
                             "--judge-suite minus 1 EVAL draws, benchmarks/cleanroom/suite.py's 5000.. "
                             "--judge-cleanroom), re-rankers fitted on every --synth and --cleanroom configuration")
    parser.add_argument("--judges-only", action="store_true", help="with --judges: skip the other protocols")
    parser.add_argument("--judge-suite", type=int, default=30)
    parser.add_argument("--judge-cleanroom", type=int, default=16)
    parser.add_argument("--work", type=Path, required=True, help="cache of the screened configurations")
    parser.add_argument("--out", type=Path, required=True, help="JSON of every row (a .md table beside it)")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)

    t0 = time.perf_counter()
    data: dict[str, list[Screened]] = {g: [] for g in GENERATORS}
    for g, n in (("synth", args.synth), ("cleanroom", args.cleanroom)):
        for i in range(n):
            t = time.perf_counter()
            s = build(g, i, args.cases, args.candidates, args.work)
            data[g].append(s)
            d = default_metrics(s)
            print(f"{s.name}: {s.y.size} rows, {int(s.has_match.sum())} matched, default r@10 {d['recall@10']:.3f}"
                  f" MRR {d['mrr']:.3f} ({time.perf_counter() - t:.1f} s)", file=sys.stderr, flush=True)
    built = time.perf_counter() - t0
    from reunite.matching.model import default_model  # its spec names the columns (screen keeps the spec)

    names = suite.feature_names(default_model())
    widths = {s.x.shape[1] for g in GENERATORS for s in data[g]}
    if widths - {len(names)}:
        raise SystemExit(f"cached features have {sorted(widths)} columns, the model's spec names {len(names)}: "
                         f"clear {args.work}")
    base = {s.name: default_metrics(s) for g in GENERATORS for s in data[g]}
    wanted = [m.strip() for m in args.models.split(",") if m.strip()]
    chosen = [m for m in models(names) if not wanted or m.name in wanted]
    rows = [] if args.judges and args.judges_only else run(data, chosen, args.folds)
    for g in GENERATORS:
        for s in data[g]:
            rows.append({"model": "default", "protocol": g, "config": s.name, "generator": g, **base[s.name]})
    if args.judges:
        judged = [build("suite", i, args.cases, args.candidates, args.work) for i in range(args.judge_suite)]
        judged += [build("crsuite", 5000 + i, args.cases, args.candidates, args.work)
                   for i in range(args.judge_cleanroom)]
        rows += judge(data, [m for m in chosen if not m.ablation], judged, base)
    table = report(rows, base)
    coef = "" if args.judges and args.judges_only else coefficients(data, names)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"command": " ".join(sys.argv), "build_seconds": round(built, 1),
                                    "seconds": round(time.perf_counter() - t0, 1), "rows": rows,
                                    "feature_names": list(names), "logit_small_both": coef, "table": table},
                                   indent=1, allow_nan=True), encoding="utf-8")
    args.out.with_suffix(".md").write_text(table + "\n\n" + coef + "\n", encoding="utf-8")
    print(table)
    print("\n" + coef)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
