"""Can a case-level calibrator make ``case_probability`` trustworthy? (issue 9, an experiment)

``case_probability`` is today the posterior of "the child is among the compared candidates" from each
case's Bayes-factor sum, a prior and a temperature (tools/train_default_model.py). This script asks
whether a logistic model over what a ranking shows of a case -- that log-odds, the top score, the gaps
to ranks 2 and 3, the number compared, and what the report carries (name, childhood name, marks, birth
precision, lunar, loss date, place precision, age at loss) -- fitted on random configurations the suite
never measures, tells matched from unmatched cases better (AUC) and with calibrated probabilities (ECE),
on the suite's EVAL draws. Variants: dataset-level features (the screened data's own median log-odds and
top score, share of clear leaders: the prior learned per data set), the prior-shift EM of Saerens et al.
(2002), and gradient boosting (scikit-learn, the ``bench`` extra) as a ceiling for these features.

Usage (from the repository root)::

    python benchmarks/case_calibration.py --configs 30 --train-configs 30 --cases 400 --candidates 40000

Writes nothing but a table (stdout); draws go to a temporary folder.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

import reunite
import suite  # the randomized suite's draws, configurations and metrics (this script's folder)
from reunite.evaluate import top_score_auc

F = npt.NDArray[np.float64]
CONTEXT = ("name", "alias", "marks", "birth_known", "width", "lunar", "event_known", "region", "age")


def case_rows(result: reunite.ScreenResult, truth: pd.DataFrame) -> pd.DataFrame:
    """One row per case: what its ranking and its report show, and whether it has a true match."""
    cols = result.columns
    ids = pd.Index(np.asarray(result.cases.ids))
    row_case = ids.get_indexer(cols["case_id"])
    rank, score = cols["rank"], cols["score"].astype(np.float64)
    frame = pd.DataFrame(suite.case_context(result.cases).T, columns=list(CONTEXT))
    for r in (1, 2, 3):
        at = np.full(len(ids), -30.0)
        at[row_case[rank == r]] = score[rank == r]
        frame[f"s{r}"] = at
    top = rank == 1
    case_p = np.zeros(len(ids))
    case_p[row_case[top]] = cols["case_probability"][top]
    compared = np.ones(len(ids))
    compared[row_case[top]] = np.maximum(cols["pairs_compared"][top], 1)
    p = np.clip(case_p, 1e-12, 1 - 1e-12)
    frame["today"] = case_p
    frame["lo"] = np.log(p / (1 - p))
    frame["gap"] = np.minimum(frame["s1"] - frame["s2"], 30.0)
    frame["gap23"] = np.minimum(frame["s2"] - frame["s3"], 30.0)
    frame["logn"] = np.log(compared)
    frame["width"] = np.log1p(np.maximum(frame["width"], 0.0))
    frame["age"] = np.log1p(np.maximum(frame["age"], 0.0) / 365.0)
    answer = dict(zip(truth["case_id"], truth["person_id"], strict=True))
    frame["has"] = [answer.get(c, "") != "" for c in ids]
    # the dataset's own statistics (the same on every row of one screened data set)
    frame["ds_lo"] = float(np.median(frame["lo"]))
    frame["ds_s1"] = float(np.median(frame["s1"]))
    frame["ds_leaders"] = float(np.mean(frame["gap"] > 3))
    return frame


def screened(conf: suite.Configuration, seed: int, n_cases: int, n_candidates: int, work: Path) -> pd.DataFrame:
    draw = suite.Draw.make(conf.config, n_cases, n_candidates, seed, work / f"{conf.name}-{seed}")
    result = reunite.screen(draw.cases, draw.candidates, top_k=suite.TOP_K, reasons=False)
    frame = case_rows(result, draw.truth)
    frame["config"] = conf.name
    return frame


def fit_logit(x: F, y: F, l2: float = 1e-3, iterations: int = 50) -> F:
    """Logistic regression by Newton's method with a small ridge on the slopes."""
    x1 = np.column_stack([np.ones(len(x)), x])
    w = np.zeros(x1.shape[1])
    ridge = l2 * len(y) * np.diag(np.r_[0.0, np.ones(x1.shape[1] - 1)])
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-(x1 @ w)))
        gradient = x1.T @ (p - y) + ridge @ w
        hessian = (x1 * (p * (1 - p))[:, None]).T @ x1 + ridge
        w -= np.linalg.solve(hessian, gradient)
    return w


def logit_model(columns: list[str]) -> Callable[[pd.DataFrame, pd.DataFrame], F]:
    def run(train: pd.DataFrame, test: pd.DataFrame) -> F:
        w = fit_logit(train[columns].to_numpy(np.float64), train["has"].to_numpy(np.float64))
        x1 = np.column_stack([np.ones(len(test)), test[columns].to_numpy(np.float64)])
        return np.asarray(1 / (1 + np.exp(-(x1 @ w))), dtype=np.float64)
    return run


def prior_shift(columns: list[str]) -> Callable[[pd.DataFrame, pd.DataFrame], F]:
    """Saerens, Latinne & Decaestecker (2002): re-estimate the share of matched cases of each screened
    data set by EM over the calibrator's outputs."""
    base = logit_model(columns)

    def run(train: pd.DataFrame, test: pd.DataFrame) -> F:
        p = base(train, test)
        out = np.empty_like(p)
        trained = float(train["has"].mean())
        for name in test["config"].unique():
            rows = (test["config"] == name).to_numpy()
            share, q = trained, p[rows]
            for _ in range(200):
                a = p[rows] * share / trained
                q = a / (a + (1 - p[rows]) * (1 - share) / (1 - trained))
                if abs(float(q.mean()) - share) < 1e-7:
                    break
                share = float(q.mean())
            out[rows] = q
        return out
    return run


def boosted(columns: list[str]) -> Callable[[pd.DataFrame, pd.DataFrame], F]:
    def run(train: pd.DataFrame, test: pd.DataFrame) -> F:
        from sklearn.ensemble import HistGradientBoostingClassifier

        model = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, random_state=0)
        model.fit(train[columns].to_numpy(np.float64), train["has"].to_numpy(np.int64))
        return np.asarray(model.predict_proba(test[columns].to_numpy(np.float64))[:, 1], dtype=np.float64)
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", type=int, default=30, help="suite configurations measured (EVAL draws)")
    parser.add_argument("--train-configs", type=int, default=30, help="random configurations to fit on")
    parser.add_argument("--train-base-seed", type=int, default=900_000)
    parser.add_argument("--cases", type=int, default=400)
    parser.add_argument("--candidates", type=int, default=40_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="reunite-calibration-") as tmp:
        work = Path(tmp)
        evals = [screened(c, c.eval_seed, args.cases, args.candidates, work)
                 for c in suite.configurations(args.configs, 0)]
        trains = [screened(c, c.train_seed, args.cases, args.candidates, work)
                  for c in suite.configurations(args.train_configs, args.train_base_seed, real_mix=False)]
    test, train = pd.concat(evals, ignore_index=True), pd.concat(trains, ignore_index=True)
    ranking = ["lo", "s1", "gap", "gap23", "logn"]
    context = ranking + [c for c in CONTEXT if c != "width"] + ["width"]
    variants: dict[str, Callable[[pd.DataFrame, pd.DataFrame], F]] = {
        "today: case_probability of screen()": lambda _train, t: t["today"].to_numpy(np.float64),
        "logistic: log-odds only": logit_model(["lo"]),
        "logistic: + top score, gaps, pairs": logit_model(ranking),
        "logistic: + what the case report carries": logit_model(context),
        "logistic: + the data set's own statistics": logit_model([*context, "ds_lo", "ds_s1", "ds_leaders"]),
        "prior-shift EM over the logistic": prior_shift(context),
        "gradient boosting (ceiling of these features)": boosted(context),
    }
    print(f"fitted on {args.train_configs} random configurations (base seed {args.train_base_seed}, "
          f"{len(train)} cases); measured on the suite's {args.configs} + real-mix EVAL draws ({len(test)} cases)")
    print("| case probability | mean AUC | worst AUC | mean ECE | worst ECE |")
    print("|---|---:|---:|---:|---:|")
    for label, variant in variants.items():
        p = variant(train, test)
        aucs, eces = [], []
        for name in test["config"].unique():
            rows = (test["config"] == name).to_numpy()
            has = test["has"].to_numpy(bool)[rows]
            aucs.append(top_score_auc(p[rows][has], p[rows][~has]))
            eces.append(suite.ece(p[rows], has))
        print(f"| {label} | {np.nanmean(aucs):.3f} | {np.nanmin(aucs):.3f} | {np.mean(eces):.3f} "
              f"| {np.max(eces):.3f} |")


if __name__ == "__main__":
    main()
