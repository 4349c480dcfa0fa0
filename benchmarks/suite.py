"""The randomized suite (issue 9): reunite on generator configurations it was never fitted on.

Usage (from the repository root)::

    python benchmarks/suite.py --configs 30 --cases 400 --candidates 40000 --out /tmp/suite.json
    python benchmarks/suite.py --configs 2 --cases 60 --candidates 3000 --strategies shipped,labelled_m

For ``i`` in ``range(configs)`` a configuration is drawn with
``reunite.synth.random_profile(np.random.default_rng(base_seed + i))``, and one more is
``reunite.synth.real_mix_config()`` (the real case mix of DESIGN.md). Each configuration gets an EVAL draw
(``generate(cases, candidates, seed=EVAL_OFFSET + base_seed + i)``), on which every strategy is measured,
and a separate TRAIN draw of the same configuration (``seed=TRAIN_OFFSET + base_seed + i``), the only
labels a strategy may learn from: nothing ever sees the EVAL draw's truth except the metrics.

Strategies (:data:`STRATEGIES`, name -> function; add one with one line):

``shipped``     ``reunite.screen`` with the shipped model, u refitted on the screened data; ``em=False``
                when ``screen`` has that keyword (the shipped fixed m, whatever the default becomes).
``default``     ``reunite.screen`` with no extra arguments: whatever a user gets today.
``labelled_m``  the bound: ``reunite.train(..., confirmed=<TRAIN truth>)`` on the TRAIN draw (m from that
                configuration's true labels), then ``screen(EVAL, model=...)``.
``supervised``  a discriminative re-ranker: scikit-learn's ``HistGradientBoostingClassifier`` on per-pair
                levels, contributions and case context of the TRAIN draw's top 50, applied to the EVAL
                draw's top 50 (see :func:`supervised`).
``supervised_suite``  the same re-ranker fitted on the TRAIN draws of the other configurations (3 folds of
                configurations): what a re-ranker trained on the suite does on a configuration it never saw.

Metrics per (configuration, strategy): recall@10, MRR and the no-match AUC of the top score from
``reunite.evaluate``; recall@10 over the true pairs of each weak tier (:data:`TIERS`, from truth.csv's
tags); how often a namesake of the case outranks its true child (:func:`namesakes`); expected
calibration error (10 equal-width bins) of the rank-1 ``probability`` against "rank 1 is
the true person" and of ``case_probability`` against "the case has a true match". Rows of ``shipped`` also
carry ``blocked``: the share of true pairs the default blocking compares at all.

The result is JSON (``--out``) with every row, and a markdown table (printed, and written beside the
JSON as ``.md``).
"""

from __future__ import annotations

import argparse
import datetime
import inspect
import json
import math
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

import reunite
from reunite.normalize import RecordTable
from reunite.synth import SynthConfig, generate, random_profile, real_mix_config, real_mix_profile, write
from reunite.synth.profiles import describe

TOP_K = 20
RERANK_K = 50  # candidates per case the supervised re-rankers see
RERANK_ITER = 100  # boosting iterations (early stopping on a 10% split when there are > 10,000 rows)
N_FOLDS = 3  # supervised_suite: configurations i with i % N_FOLDS == f are scored by a model fitted on the rest
EVAL_OFFSET = 100_000
REAL_MIX_OFFSET = 50_000  # real_mix_profile(default_rng(REAL_MIX_OFFSET + base + j)) is real-mix-(base + j)
TRAIN_OFFSET = 200_000
ECE_BINS = 10

#: weak tier -> which truth tags put a true pair in it.
TIERS: dict[str, Callable[[frozenset[str]], bool]] = {
    "no_name": lambda t: "unnamed" in t,
    "childhood_name_only": lambda t: "alias_only" in t,
    "surname_only": lambda t: "given_replaced" in t and "adoptive_surname" not in t,
    "given_only": lambda t: "adoptive_surname" in t and "given_replaced" not in t,
    "shifted_years": lambda t: "date_shift" in t,
    "other_province": lambda t: "moved_out" in t,
    "partial_date": lambda t: "partial_date" in t,
    "lunar": lambda t: "lunar" in t,
    "rounded_birth": lambda t: "rounded_birth" in t,
    "vague_place": lambda t: "vague_place" in t,
    "alias_in_name": lambda t: "alias_in_name" in t,
    "register_lunar": lambda t: "register_lunar" in t,
}


# -- data --------------------------------------------------------------------------------------------

@dataclass
class Draw:
    """One generated data set, written as CSV and read back through the ingest and normalize stages."""

    seed: int
    directory: Path
    truth: pd.DataFrame  # case_id, person_id, tags (as truth.csv)

    @classmethod
    def make(cls, cfg: SynthConfig, n_cases: int, n_candidates: int, seed: int, directory: Path) -> Draw:
        directory.mkdir(parents=True, exist_ok=True)  # write() creates one folder level only
        paths = write(generate(n_cases, n_candidates, seed=seed, config=cfg), directory)
        truth = pd.read_csv(paths.truth, dtype=str, keep_default_na=False)
        return cls(seed, directory, truth)

    @cached_property
    def cases(self) -> RecordTable:
        return reunite.load_side(self.directory / "cases.csv", "cases")

    @cached_property
    def candidates(self) -> RecordTable:
        return reunite.load_side(self.directory / "candidates.csv", "candidates")

    def release(self) -> None:
        """Drop the normalized tables (they are read again from the CSVs on next use)."""
        self.__dict__.pop("cases", None)
        self.__dict__.pop("candidates", None)

    @property
    def true_pairs(self) -> list[tuple[str, str]]:
        matched = self.truth[self.truth["person_id"] != ""]
        return list(zip(matched["case_id"].tolist(), matched["person_id"].tolist(), strict=True))


@dataclass
class Context:
    """What a strategy may use: the EVAL tables (not their truth), the TRAIN draw of the same configuration
    (truth included) and, through ``suite``, the TRAIN draws of other configurations.

    TRAIN draws are generated on first use (and kept for the other strategies), so strategies that need no
    labels cost no extra draw; time spent there is counted as setup, not as the strategy's.
    """

    conf: Configuration
    eval: Draw
    suite: Suite
    notes: dict[str, Any] = field(default_factory=dict)  # reset before each strategy

    @property
    def config(self) -> SynthConfig:
        return self.conf.config

    @property
    def train(self) -> Draw:
        return self.suite.train_draw(self.conf)


@dataclass
class Suite:
    """The configurations of one run and what is shared between them: TRAIN draws, their re-ranking
    features, and re-rankers fitted on folds of configurations."""

    confs: list[Configuration]
    n_cases: int
    n_candidates: int
    workdir: Path
    setup_seconds: float = 0.0
    current: str = ""  # the configuration being measured
    _train: dict[str, Draw] = field(default_factory=dict)
    _features: dict[str, tuple[npt.NDArray[np.float32], npt.NDArray[np.int8]]] = field(default_factory=dict)
    _folds: dict[int, Any] = field(default_factory=dict)

    def train_draw(self, conf: Configuration) -> Draw:
        """``conf``'s TRAIN draw, generated (or its tables read again) on first use, as setup time."""
        t0 = time.perf_counter()
        if conf.name not in self._train:
            self._train[conf.name] = Draw.make(conf.config, self.n_cases, self.n_candidates, conf.train_seed,
                                               self.workdir / conf.name / "train")
        draw = self._train[conf.name]
        _ = draw.cases, draw.candidates
        self.setup_seconds += time.perf_counter() - t0
        return draw

    def train_features(self, conf: Configuration) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int8]]:
        """Features and labels of the shipped top RERANK_K on ``conf``'s TRAIN draw."""
        if conf.name not in self._features:
            train = self.train_draw(conf)
            t0 = time.perf_counter()
            fit_on = reunite.screen(train.cases, train.candidates, top_k=RERANK_K, reasons=False, **_fixed_m())
            answer = dict(train.true_pairs)
            truth_of_row = pd.Series(fit_on.columns["case_id"]).map(answer).fillna("").to_numpy()
            labels = (fit_on.columns["person_id"] == truth_of_row).astype(np.int8)
            self._features[conf.name] = (pair_features(fit_on).astype(np.float32), labels)
            if conf.name != self.current:  # read again if its own turn needs it: memory stays flat
                train.release()
            self.setup_seconds += time.perf_counter() - t0
        return self._features[conf.name]

    def done(self, conf: Configuration) -> None:
        """Free the TRAIN draw's tables of a configuration that has been measured."""
        if conf.name in self._train:
            self._train[conf.name].release()

    def fold_of(self, conf: Configuration) -> int:
        return conf.index % N_FOLDS

    def fold_model(self, fold: int) -> Any:
        """A re-ranker fitted on the TRAIN draws of every configuration outside ``fold``."""
        if fold not in self._folds:
            parts = [self.train_features(c) for c in self.confs if self.fold_of(c) != fold]
            t0 = time.perf_counter()
            x = np.vstack([f for f, _ in parts]) if parts else np.zeros((0, 1), dtype=np.float32)
            y = np.concatenate([lab for _, lab in parts]) if parts else np.zeros(0, dtype=np.int8)
            self._folds[fold] = fit_reranker(x, y)
            self.setup_seconds += time.perf_counter() - t0
        return self._folds[fold]


# -- strategies --------------------------------------------------------------------------------------

def _screen_accepts(keyword: str) -> bool:
    return keyword in inspect.signature(reunite.screen).parameters


def _fixed_m() -> dict[str, Any]:
    """Keywords that keep ``screen`` on the model's own m (no unsupervised fit), when it has such a switch."""
    return {"em": False} if _screen_accepts("em") else {}


def shipped(ctx: Context) -> reunite.ScreenResult:
    """The shipped model (u refitted on the screened data, m as shipped)."""
    return reunite.screen(ctx.eval.cases, ctx.eval.candidates, top_k=TOP_K, reasons=False, **_fixed_m())


def default(ctx: Context) -> reunite.ScreenResult:
    """``screen`` as a user calls it, with no extra arguments."""
    return reunite.screen(ctx.eval.cases, ctx.eval.candidates, top_k=TOP_K, reasons=False)


def labelled_m(ctx: Context) -> reunite.ScreenResult:
    """The bound: m fitted on the TRAIN draw's true pairs of this configuration."""
    train = ctx.train
    model = reunite.train(train.cases, train.candidates, confirmed=train.true_pairs)
    ctx.notes["trained_on_seed"] = train.seed
    ctx.notes["train_pairs"] = len(train.true_pairs)
    return reunite.screen(ctx.eval.cases, ctx.eval.candidates, top_k=TOP_K, model=model, reasons=False,
                          **_fixed_m())


#: case_context's rows, in order.
CONTEXT_NAMES = ("name", "alias", "marks", "birth_known", "birth_width", "lunar", "event_known", "region_level",
                 "age_at_loss")


def feature_names(model: reunite.FellegiSunter) -> list[str]:
    """The names of :func:`pair_features`' columns for a model's spec, in order: ``level:<comparison>=<l>``
    (``=missing`` first), ``contribution:<comparison>``, ``score``, ``rank``, ``gap``, ``case_probability``
    and ``context:<name>`` for :data:`CONTEXT_NAMES`."""
    names = list(model.spec.comparisons)
    onehot = [f"level:{c}={'missing' if level < 0 else level}"
              for c, n in zip(names, model.spec.n_levels(), strict=True) for level in range(-1, n)]
    return [*onehot, *(f"contribution:{c}" for c in names), "score", "rank", "gap", "case_probability",
            *(f"context:{c}" for c in CONTEXT_NAMES)]


def pair_features(result: reunite.ScreenResult) -> npt.NDArray[np.float64]:
    """Per ranked row: one-hot levels, contributions, score, rank, gap to the case's best, and case context
    (name / alias / marks present, birth precision) — whole columns, no per-pair Python. Column names:
    :func:`feature_names`."""
    levels = result.levels.astype(np.int64)                          # (comparisons, rows); -1 = missing
    # One column per (comparison, level or missing), from the model's spec: the same columns on any data.
    onehot = np.hstack([np.eye(n + 1, dtype=np.float64)[np.clip(levels[k], -1, n - 1) + 1]
                        for k, n in enumerate(result.model.spec.n_levels())])
    contributions = result.contributions.T.astype(np.float64)
    score = result.columns["score"].astype(np.float64)
    rank = result.columns["rank"].astype(np.float64)
    best = pd.Series(score).groupby(pd.Series(result.columns["case_id"])).transform("max").to_numpy()
    cases = result.cases
    case_row = pd.Index(cases.ids).get_indexer(result.columns["case_id"])
    context = [case_context(cases)[:, case_row].T]
    return np.hstack([onehot, contributions, score[:, None], rank[:, None], (best - score)[:, None],
                      result.columns["case_probability"].astype(np.float64)[:, None], *context])


def case_context(cases: RecordTable) -> npt.NDArray[np.float64]:
    """(features, cases): which evidence the report carries — a name, a childhood name, marks, a birth
    date and its width in days, lunar, a loss date, the region's precision, and the age at loss."""
    n = len(cases)
    kinds = [np.bincount(cases.names.record[cases.names.kind == k], minlength=n)[:n] > 0 for k in (0, 1)]
    width = np.where(cases.birth_known, cases.birth_hi.astype(np.float64) - cases.birth_lo, -1.0)
    age = np.where(cases.birth_known & cases.event_known,
                   cases.event_lo.astype(np.float64) - cases.birth_lo, -1.0)
    return np.vstack([
        kinds[0], kinds[1], cases.marks != 0, cases.birth_known, width, cases.birth_lunar, cases.event_known,
        cases.region_level, age,
    ]).astype(np.float64)


def fit_reranker(x: npt.NDArray[np.float32], y: npt.NDArray[np.int8]) -> Any:
    """Gradient boosting on pair features; None when the labels hold one class only."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from threadpoolctl import threadpool_limits

    if y.size == 0 or y.min() == y.max():
        return None
    model = HistGradientBoostingClassifier(max_iter=RERANK_ITER, learning_rate=0.1, random_state=0)
    with threadpool_limits(1):  # OpenMP threads spin on a shared machine: one thread is faster here
        return model.fit(x, y)


def _rerank_eval(ctx: Context, model: Any) -> reunite.ScreenResult:
    from threadpoolctl import threadpool_limits

    result = reunite.screen(ctx.eval.cases, ctx.eval.candidates, top_k=RERANK_K, reasons=False, **_fixed_m())
    if model is None or len(result) == 0:
        return _reranked(result, result.columns["probability"].astype(np.float64))
    with threadpool_limits(1):
        p = model.predict_proba(pair_features(result))[:, 1]
    return _reranked(result, p)


def supervised(ctx: Context) -> reunite.ScreenResult:
    """Re-rank the shipped top ``RERANK_K`` with gradient boosting trained on this configuration's TRAIN draw."""
    x, y = ctx.suite.train_features(ctx.conf)
    ctx.notes["trained_on_seed"] = ctx.train.seed
    ctx.notes["train_rows"] = int(y.size)
    ctx.notes["train_positives"] = int(y.sum())
    return _rerank_eval(ctx, fit_reranker(x, y))


def supervised_suite(ctx: Context) -> reunite.ScreenResult:
    """The same re-ranker trained on the TRAIN draws of the OTHER configurations (folds of
    configurations, ``index % N_FOLDS``): what generalizes to a configuration it has never seen."""
    fold = ctx.suite.fold_of(ctx.conf)
    ctx.notes["trained_on_configs"] = [c.name for c in ctx.suite.confs if ctx.suite.fold_of(c) != fold]
    return _rerank_eval(ctx, ctx.suite.fold_model(fold))


def _reranked(result: reunite.ScreenResult, p: npt.NDArray[np.float64]) -> reunite.ScreenResult:
    """The same rows ordered by ``p`` within each case, cut to TOP_K; ``p`` becomes the score and the
    probability, and ``case_probability`` the chance that one of the kept rows is the match."""
    case = result.columns["case_id"]
    codes, _ = pd.factorize(case)
    order = np.lexsort((-p, codes))
    codes_sorted = codes[order]
    start = np.r_[True, codes_sorted[1:] != codes_sorted[:-1]]
    first = np.flatnonzero(start)
    rank = np.arange(order.size) - np.repeat(first, np.diff(np.r_[first, order.size])) + 1
    keep = order[rank <= TOP_K]
    kept_rank = rank[rank <= TOP_K]
    columns = {k: v[keep] for k, v in result.columns.items()}
    columns["rank"] = kept_rank.astype(np.int64)
    columns["score"] = p[keep].astype(np.float32)
    columns["probability"] = p[keep]
    none = pd.Series(np.log1p(-np.clip(p, 0, 1 - 1e-12))).groupby(codes).transform("sum").to_numpy()
    columns["case_probability"] = (1 - np.exp(none))[keep]
    return reunite.ScreenResult(columns, result.cases, result.candidates, result.model, result.prepared,
                                result.pairs_compared, TOP_K, result.levels[:, keep], result.contributions[:, keep])


def wider_window(years: int) -> Strategy:
    """``screen`` as a user calls it, with the birth window at +-``years`` instead of about 3 (issue 9:
    "measure what a wider window costs")."""
    def run(ctx: Context) -> reunite.ScreenResult:
        blocking = reunite.BlockingSpec(birth_margin_days=round(years * 365.25))
        return reunite.screen(ctx.eval.cases, ctx.eval.candidates, top_k=TOP_K, reasons=False, blocking=blocking)
    return run


Strategy = Callable[[Context], reunite.ScreenResult]
STRATEGIES: dict[str, Strategy] = {
    "shipped": shipped,
    "default": default,
    "labelled_m": labelled_m,
    "supervised": supervised,
    "supervised_suite": supervised_suite,
    "window_4y": wider_window(4),
    "window_5y": wider_window(5),
}
BOUND = "labelled_m"


# -- metrics -----------------------------------------------------------------------------------------

def ece(probability: npt.NDArray[np.float64], outcome: npt.NDArray[np.bool_], bins: int = ECE_BINS) -> float:
    """Expected calibration error: bin-size-weighted mean of |mean probability - observed rate| over
    equal-width bins of [0, 1] (nan when empty).

    >>> round(ece(np.array([0.1, 0.9, 0.9]), np.array([False, True, False])), 3)
    0.3
    """
    if probability.size == 0:
        return math.nan
    which = np.minimum((np.clip(probability, 0, 1) * bins).astype(np.int64), bins - 1)
    count = np.bincount(which, minlength=bins)
    p_sum = np.bincount(which, weights=probability, minlength=bins)
    y_sum = np.bincount(which, weights=outcome.astype(np.float64), minlength=bins)
    used = count > 0
    return float(np.sum(np.abs(p_sum[used] - y_sum[used])) / probability.size)


def blocked_share(result: reunite.ScreenResult, truth: pd.DataFrame) -> float | None:
    """Share of the true pairs that blocking compares at all (the ceiling of any re-ranking of these
    pairs), from the default blocking on the result's prepared tables; None when the matcher's internals
    changed shape (a diagnostic, not a metric the suite depends on)."""
    try:
        from reunite.matching.blocking import block

        prep = result.prepared
        matched = truth[truth["person_id"] != ""]
        case_row = pd.Index(result.cases.ids).get_indexer(matched["case_id"])
        cand_row = pd.Index(result.candidates.ids).get_indexer(matched["person_id"])
        prepared_of_row = np.empty(prep.cand_order.shape[0], dtype=np.int64)
        prepared_of_row[prep.cand_order] = np.arange(prep.cand_order.shape[0])
        n_cand = np.int64(prep.cand_order.shape[0])
        wanted = case_row.astype(np.int64) * n_cand + prepared_of_row[cand_row]
        seen = np.zeros(wanted.shape[0], dtype=bool)
        for chunk in block(prep, reunite.BlockingSpec()):
            seen |= np.isin(wanted, chunk.case * n_cand + chunk.cand)
        return float(seen.mean()) if seen.size else None
    except (ImportError, AttributeError, TypeError, ValueError):
        return None


def _years(days: npt.NDArray[np.int32]) -> npt.NDArray[np.int64]:
    return days.astype("M8[D]").astype("M8[Y]").astype(np.int64) + 1970


def _full_names(table: RecordTable) -> npt.NDArray[np.object_]:
    """Each record's first reported name (surname + given, simplified), "" when it has none."""
    names = table.names
    out = np.full(len(table.ids), "", dtype=object)
    reported = np.flatnonzero((names.kind == 0) & (names.surname != "") & (names.given != ""))[::-1]
    out[names.record[reported]] = names.surname[reported] + names.given[reported]  # the first one wins
    return out


def namesakes(result: reunite.ScreenResult, truth: pd.DataFrame) -> dict[str, Any]:
    """How often a namesake outranks the true person.

    A namesake of a case is a candidate other than its true person whose current name equals the case's
    name (two characters or more), of the same sex and born in the case's birth year (cases with a birth
    known to the year). Over the matched cases that have one, ``above`` is the share where the best-ranked
    namesake ranks above the true person (a person outside the top ``TOP_K`` ranks below every listed
    one; when neither is listed the case counts as not above), split by whether the true person still
    carries the case's name (``kept``) or not (``renamed``).
    """
    cases, cands = result.cases, result.candidates
    case_year = _years(cases.birth_lo)
    dated = cases.birth_known & (case_year == _years(cases.birth_hi))
    case_name, cand_name = _full_names(cases), _full_names(cands)
    key = pd.Series(cand_name).str.cat([pd.Series(cands.sex.astype(str)),
                                                  pd.Series(_years(cands.birth_lo).astype(str))], sep="|")
    people = pd.Series(np.arange(len(cands.ids)), index=key.to_numpy()).groupby(level=0).agg(list)
    case_row = pd.Index(cases.ids).get_indexer(truth["case_id"])
    cand_row = pd.Index(cands.ids).get_indexer(truth["person_id"])
    cols = result.columns
    rank_of = dict(zip(zip(cols["case_id"].tolist(), cols["person_id"].tolist(), strict=True),
                       cols["rank"].tolist(), strict=True))
    counts = {"kept": [0, 0], "renamed": [0, 0]}
    for case_id, person_id, c, p in zip(truth["case_id"], truth["person_id"], case_row, cand_row, strict=True):
        name = case_name[c]
        if not person_id or p < 0 or len(name) < 2 or not dated[c]:
            continue
        others = [o for o in people.get(f"{name}|{cases.sex[c]}|{case_year[c]}", []) if o != p]
        if not others:
            continue
        best = min(rank_of.get((case_id, cands.ids[o]), math.inf) for o in others)
        true = rank_of.get((case_id, person_id), math.inf)
        kind = "kept" if cand_name[p] == name else "renamed"
        counts[kind][0] += 1
        counts[kind][1] += int(best < true)
    n = counts["kept"][0] + counts["renamed"][0]
    above = counts["kept"][1] + counts["renamed"][1]
    return {"n": n, "above": above / n if n else None,
            **{f"above_{k}": (v[1] / v[0] if v[0] else None) for k, v in counts.items()},
            **{f"n_{k}": v[0] for k, v in counts.items()}}


def measure(result: reunite.ScreenResult, truth: pd.DataFrame) -> dict[str, Any]:
    """recall@10, MRR, AUC (``reunite.evaluate``), weak tiers and calibration of one ranking."""
    cols = result.columns
    ranked = pd.DataFrame({"case_id": cols["case_id"], "rank": cols["rank"], "person_id": cols["person_id"],
                           "score": cols["score"].astype(np.float64)})
    evaluation = reunite.evaluate(truth.to_dict("records"), ranked.to_dict("records"))
    case_index = pd.Index(truth["case_id"])
    answer = truth["person_id"].to_numpy(dtype=object)
    row_case = case_index.get_indexer(cols["case_id"])
    hit = (cols["person_id"] == answer[row_case]) & (answer[row_case] != "")
    true_rank = np.zeros(len(truth), dtype=np.int64)
    true_rank[row_case[hit]] = cols["rank"][hit]
    hit10 = (true_rank > 0) & (true_rank <= 10)
    tags = [frozenset(t.split(";")) - {""} for t in truth["tags"].tolist()]
    matched = answer != ""
    tiers: dict[str, dict[str, Any]] = {}
    for tier, member in TIERS.items():
        inside = matched & np.array([member(t) for t in tags], dtype=bool)
        n = int(inside.sum())
        tiers[tier] = {"recall@10": float(hit10[inside].mean()) if n else None, "n": n}
    top = cols["rank"] == 1
    top_case = row_case[top]
    top_right = hit[top]
    case_prob = np.zeros(len(truth))
    case_prob[top_case] = cols["case_probability"][top].astype(np.float64)
    return {
        "recall@10": evaluation.recall[10],
        "recall@1": evaluation.recall[1],
        "recall@20": evaluation.recall[20],
        "mrr": evaluation.mrr,
        "auc": evaluation.auc,
        "tiers": tiers,
        "ece_top": ece(cols["probability"][top].astype(np.float64), top_right),
        "ece_case": ece(case_prob, matched),
        "n_cases": evaluation.n_cases,
        "n_with_match": evaluation.n_with_match,
        "namesakes": namesakes(result, truth),
    }


# -- the run -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Configuration:
    index: int
    name: str
    regime: str
    config: SynthConfig
    config_seed: int | None
    eval_seed: int
    train_seed: int

    @property
    def description(self) -> str:
        return describe(self.config, self.regime)


def configurations(n_configs: int, base_seed: int, real_mix: bool = True,
                   real_mix_draws: int = 0) -> list[Configuration]:
    """The random configurations, then the real mix, then the real mix with its unknown rates drawn
    (``real-mix-j``), with their fixed and distinct seeds."""
    out = []
    for i in range(n_configs):
        profile = random_profile(np.random.default_rng(base_seed + i))
        out.append(Configuration(i, f"random-{base_seed + i}", profile.regime, profile.config, base_seed + i,
                                 EVAL_OFFSET + base_seed + i, TRAIN_OFFSET + base_seed + i))
    if real_mix:
        i = n_configs
        out.append(Configuration(i, "real-mix", "real mix", real_mix_config(), None,
                                 EVAL_OFFSET + base_seed + i, TRAIN_OFFSET + base_seed + i))
    for j in range(real_mix_draws):
        i, seed = len(out), REAL_MIX_OFFSET + base_seed + j
        profile = real_mix_profile(np.random.default_rng(seed))
        out.append(Configuration(i, f"real-mix-{base_seed + j}", profile.regime, profile.config, seed,
                                 EVAL_OFFSET + base_seed + i, TRAIN_OFFSET + base_seed + i))
    return out


def run_configuration(conf: Configuration, strategies: Sequence[str], suite: Suite) -> list[dict[str, Any]]:
    """Every strategy on one configuration's EVAL draw."""
    started = time.perf_counter()
    eval_draw = Draw.make(conf.config, suite.n_cases, suite.n_candidates, conf.eval_seed,
                          suite.workdir / conf.name / "eval")
    _ = eval_draw.cases, eval_draw.candidates  # read and normalize once, outside every strategy's time
    ctx = Context(conf, eval_draw, suite)
    suite.current = conf.name
    generated = time.perf_counter() - started
    rows = []
    for name in strategies:
        t0, setup0 = time.perf_counter(), suite.setup_seconds
        ctx.notes = {}  # what the strategy learned from, for the row
        result = STRATEGIES[name](ctx)
        setup = suite.setup_seconds - setup0
        seconds = time.perf_counter() - t0 - setup
        rows.append({
            "config": conf.name, "index": conf.index, "regime": conf.regime, "description": conf.description,
            "strategy": name, "eval_seed": conf.eval_seed, "train_seed": conf.train_seed,
            "config_seed": conf.config_seed, "seconds": round(seconds, 2), "setup_seconds": round(setup, 2),
            "pairs": result.pairs_compared, **measure(result, eval_draw.truth), "notes": ctx.notes,
        })
        if name == "shipped":
            rows[-1]["blocked"] = blocked_share(result, eval_draw.truth)
    for row in rows:
        row["generate_seconds"] = round(generated, 2)
    suite.done(conf)
    return rows


def _fmt(value: float | None, digits: int = 3) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def _nanmean(values: list[float | None]) -> float:
    kept = [v for v in values if v is not None and not math.isnan(v)]
    return float(np.mean(kept)) if kept else math.nan


def report(rows: list[dict[str, Any]], strategies: Sequence[str]) -> str:
    """The markdown: a row per configuration, then mean / worst per strategy, tiers and gaps."""
    by: dict[tuple[str, str], dict[str, Any]] = {(r["config"], r["strategy"]): r for r in rows}
    configs = list(dict.fromkeys(r["config"] for r in rows))
    description = {r["config"]: r["description"] for r in rows}
    blocked = {r["config"]: r.get("blocked") for r in rows if r["strategy"] == "shipped"}
    head = "| # | configuration | blocked | " + " | ".join(f"{s} r@10 / MRR / AUC" for s in strategies) + " |"
    lines = [head, "|---|---|---:|" + "---|" * len(strategies)]
    for i, c in enumerate(configs):
        cells = []
        for s in strategies:
            r = by.get((c, s))
            cells.append("" if r is None else f"{_fmt(r['recall@10'])} / {_fmt(r['mrr'])} / {_fmt(r['auc'])}")
        lines.append(f"| {i} | {c} ({description[c]}) | {_fmt(blocked.get(c))} | " + " | ".join(cells) + " |")
    known = [v for v in blocked.values() if v is not None]
    if known:
        lines += ["", f"blocked: share of true pairs the default blocking compares at all (mean "
                  f"{_fmt(float(np.mean(known)))}, worst {_fmt(min(known))})."]

    lines += ["", "| strategy | mean r@10 | worst r@10 (configuration) | mean MRR | worst MRR | mean AUC | "
              "worst AUC | ECE rank-1 | ECE case | s / config |", "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    for s in strategies:
        mine = [r for r in rows if r["strategy"] == s]
        if not mine:
            continue
        worst = min(mine, key=lambda r: r["recall@10"])
        lines.append(
            f"| {s} | {_fmt(_nanmean([r['recall@10'] for r in mine]))} | {_fmt(worst['recall@10'])} "
            f"({worst['config']}) | {_fmt(_nanmean([r['mrr'] for r in mine]))} | "
            f"{_fmt(min(r['mrr'] for r in mine))} | {_fmt(_nanmean([r['auc'] for r in mine]))} | "
            f"{_fmt(min((r['auc'] for r in mine if not math.isnan(r['auc'])), default=math.nan))} | "
            f"{_fmt(_nanmean([r['ece_top'] for r in mine]))} | {_fmt(_nanmean([r['ece_case'] for r in mine]))} | "
            f"{_fmt(_nanmean([r['seconds'] for r in mine]), 1)} |"
        )

    family = [c for c in configs if c.startswith("real-mix-")]
    if family:
        lines += ["", f"The real mix with the rates it does not count drawn ({len(family)} configurations "
                  "`real-mix-j`, `reunite.synth.real_mix_profile`):", "",
                  "| strategy | mean r@10 | worst r@10 (configuration) | mean MRR | mean AUC |",
                  "|---|---:|---|---:|---:|"]
        for s in strategies:
            mine = [by[(c, s)] for c in family if (c, s) in by]
            if mine:
                worst = min(mine, key=lambda r: r["recall@10"])
                lines.append(f"| {s} | {_fmt(_nanmean([r['recall@10'] for r in mine]))} | "
                             f"{_fmt(worst['recall@10'])} ({worst['config']}) | "
                             f"{_fmt(_nanmean([r['mrr'] for r in mine]))} | "
                             f"{_fmt(_nanmean([r['auc'] for r in mine]))} |")
    if "shipped" in strategies:
        lines += ["", "Per configuration against `shipped` (recall@10; 400 cases move in steps of about 0.003):", "",
                  "| strategy | better | equal | worse | lowest change (configuration) |", "|---|---:|---:|---:|---|"]
        for s in strategies:
            deltas = [(by[(c, s)]["recall@10"] - by[(c, "shipped")]["recall@10"], c)
                      for c in configs if s != "shipped" and (c, s) in by and (c, "shipped") in by]
            if deltas:
                low = min(deltas)
                lines.append(f"| {s} | {sum(d > 1e-9 for d, _ in deltas)} | {sum(abs(d) <= 1e-9 for d, _ in deltas)} | "
                             f"{sum(d < -1e-9 for d, _ in deltas)} | {_fmt(low[0])} ({low[1]}) |")

    lines += ["", "Weak tiers, mean recall@10 over configurations (pairs in the tier, summed):", "",
              "| strategy | " + " | ".join(TIERS) + " |", "|---|" + "---:|" * len(TIERS)]
    for s in strategies:
        mine = [r for r in rows if r["strategy"] == s]
        if mine:
            cells = [f"{_fmt(_nanmean([r['tiers'][t]['recall@10'] for r in mine]))} "
                     f"({sum(r['tiers'][t]['n'] for r in mine)})" for t in TIERS]
            lines.append(f"| {s} | " + " | ".join(cells) + " |")

    lines += ["", "Namesakes (a candidate with the case's full name, sex and birth year, not the child) ranked "
              "above the true child, share of the matched cases that have one (cases, summed):", "",
              "| strategy | all | child kept the name | child renamed |", "|---|---:|---:|---:|"]
    for s in strategies:
        mine = [r["namesakes"] for r in rows if r["strategy"] == s and "namesakes" in r]
        if mine:
            cells = []
            for kind in ("", "_kept", "_renamed"):
                n = sum(m[f"n{kind or ''}"] for m in mine)
                above = sum(round((m[f"above{kind}"] or 0.0) * m[f"n{kind or ''}"]) for m in mine)
                cells.append(f"{_fmt(above / n if n else None)} ({n})")
            lines.append(f"| {s} | " + " | ".join(cells) + " |")

    if BOUND in strategies:
        lines += ["", f"Gap to `{BOUND}` (strategy minus bound, per configuration):", "",
                  "| strategy | mean gap r@10 | worst gap r@10 (configuration) | mean gap MRR |", "|---|---:|---|---:|"]
        for s in strategies:
            gaps = [(by[(c, s)]["recall@10"] - by[(c, BOUND)]["recall@10"],
                     by[(c, s)]["mrr"] - by[(c, BOUND)]["mrr"], c)
                    for c in configs if (c, s) in by and (c, BOUND) in by]
            if gaps and s != BOUND:
                worst = min(gaps)
                lines.append(f"| {s} | {_fmt(float(np.mean([g[0] for g in gaps])))} | {_fmt(worst[0])} "
                             f"({worst[2]}) | {_fmt(float(np.mean([g[1] for g in gaps])))} |")
    return "\n".join(lines)


def _commit() -> str:
    try:
        root = Path(__file__).resolve().parents[1]
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=root,
                             check=False)
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", type=int, default=30, help="random configurations (default 30)")
    parser.add_argument("--cases", type=int, default=400, help="cases per draw (default 400)")
    parser.add_argument("--candidates", type=int, default=40_000, help="candidates per draw (default 40,000)")
    parser.add_argument("--base-seed", type=int, default=0, help="configuration i uses seed base + i")
    parser.add_argument("--strategies", default=",".join(STRATEGIES),
                        help=f"comma-separated, from {', '.join(STRATEGIES)} (default: all)")
    parser.add_argument("--no-real-mix", action="store_true", help="leave out the real-mix configuration")
    parser.add_argument("--real-mix-draws", type=int, default=0,
                        help="also N configurations of the real mix with the rates it does not count drawn "
                             "(reunite.synth.real_mix_profile; default 0)")
    parser.add_argument("--out", type=Path, default=Path("suite.json"), help="JSON result (a .md beside it)")
    parser.add_argument("--keep-data", type=Path, default=None, help="keep the generated CSVs here")
    args = parser.parse_args(argv)
    strategies = [s.strip() for s in args.strategies.split(",") if s.strip()]
    unknown = [s for s in strategies if s not in STRATEGIES]
    if unknown or not strategies:
        parser.error(f"--strategies: expected names from {list(STRATEGIES)}, got {unknown or 'none'}")
    if args.configs < 0 or args.real_mix_draws < 0 or args.cases < 1 or args.candidates < args.cases:
        parser.error(f"expected --configs >= 0 and --candidates >= --cases >= 1, got {args.configs}, "
                     f"{args.cases}, {args.candidates}")

    confs = configurations(args.configs, args.base_seed, real_mix=not args.no_real_mix,
                           real_mix_draws=args.real_mix_draws)
    print(f"suite: {len(confs)} configurations x {args.cases} cases x {args.candidates:,} candidates, "
          f"strategies {', '.join(strategies)}; screen(em=...) {'yes' if _screen_accepts('em') else 'no'}",
          file=sys.stderr)
    print("seeds (configuration, eval, train): " + "; ".join(
        f"{c.name} {c.eval_seed} {c.train_seed}" for c in confs), file=sys.stderr)
    started = time.perf_counter()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="reunite-suite-") as tmp:
        suite = Suite(confs, args.cases, args.candidates, args.keep_data or Path(tmp))
        for conf in confs:
            t0 = time.perf_counter()
            done = run_configuration(conf, strategies, suite)
            rows.extend(done)
            summary = "  ".join(f"{r['strategy']} {r['recall@10']:.3f}" for r in done)
            print(f"[{conf.index + 1}/{len(confs)}] {conf.name} ({conf.description}): {summary} "
                  f"({time.perf_counter() - t0:.1f} s)", file=sys.stderr)
    elapsed = time.perf_counter() - started
    table = report(rows, strategies)
    result = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": _commit(), "command": " ".join([Path(sys.argv[0]).name, *(argv or sys.argv[1:])]),
        "seconds": round(elapsed, 1), "n_cases": args.cases, "n_candidates": args.candidates,
        "strategies": strategies, "screen_has_em": _screen_accepts("em"),
        "python": platform.python_version(), "reunite": metadata.version("reunite"),
        "configurations": [{"name": c.name, "regime": c.regime, "config_seed": c.config_seed,
                            "eval_seed": c.eval_seed, "train_seed": c.train_seed, "config": c.config.as_dict()}
                           for c in confs],
        "rows": rows, "table": table,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1, allow_nan=True), encoding="utf-8")
    args.out.with_suffix(".md").write_text(table + "\n", encoding="utf-8")
    print(table)
    print(f"\n{len(confs)} configurations in {elapsed:.0f} s; rows in {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
