"""Build src/reunite/data/default_model.json, the model reunite ships with.

m must not be the rates of one generator setting: it is fitted on the labelled true pairs of many
configurations drawn at random (:func:`reunite.synth.random_config`, wide ranges of renaming, shifted
births, moves, late registration, babies and older children), pooled, overall and per case kind
(baby / child / unknown, :mod:`reunite.matching.kinds`). The configuration seeds (500000 + i) and data
seeds (600000 + i) are disjoint from the randomized suite's (benchmarks/suite.py: 0.., 100000..,
200000..), so the suite never evaluates on a draw the model was fitted on. u comes from random pairs of
the same draws; ``screen`` re-estimates u (and learns m by EM) on the data being screened.

The contamination (:class:`reunite.matching.model.FellegiSunter`: each field of a true pair weighed as
unrelated to the case with this share) is chosen by recall@10 on random configurations of this generator
and on a second, clean-room generator (benchmarks/cleanroom/; benchmarks/README.md); the temperature and
prior are then fitted with it, by the likelihood of the truth of held-out random configurations of both
generators (``--cleanroom-configs``), each generator's mean per case weighed alike.

Run: python tools/train_default_model.py [--configs 24 --cases 600 --candidates 30000] [--contamination 0.1]
     python tools/train_default_model.py --calibrate-only --contamination 0.1    # keep m and u, refit
                                                                               # temperature and prior
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reunite.matching.compare import compare
from reunite.matching.kinds import CASE_KINDS, case_kinds
from reunite.matching.model import FellegiSunter
from reunite.matching.prepare import Prepared, prepare
from reunite.matching.spec import ComparisonSpec
from reunite.pipeline import load_side, screen
from reunite.synth import generate, random_config, write

OUT = Path(__file__).resolve().parents[1] / "src" / "reunite" / "data" / "default_model.json"
CONFIG_SEED, DATA_SEED = 500_000, 600_000
CALIBRATION_SEED = 700_000  # configurations (and data) the probabilities are calibrated on
TEMPERATURES = (0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 1.0, 1.15, 1.3)
PRIORS = (0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
CONTAMINATION = 0.1
CLEANROOM_SEED = 7000  # clean-room random profiles the probabilities are calibrated on (its suite uses 5000+)
SCALE_SEED = 800_000  # reunite.synth configurations (and data) the comparisons' scales are fitted on
CLEANROOM_SCALE_SEED = 8000  # clean-room random profiles the scales are fitted on
SCALE_TOP_K = 50
SCALE_RIDGE = 0.01  # pull of each multiplier towards "as the model weighs it"
BALANCES = ("cases", "generators")  # fit_scale: the generators' cases pooled, or each generator's mean alike
BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def labelled_draw(
    n_cases: int, n_candidates: int, index: int, random_pairs: int
) -> tuple[Prepared, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One random configuration's draw, prepared: its true pairs (case, candidate rows) and random pairs."""
    config = random_config(np.random.default_rng(CONFIG_SEED + index))
    with tempfile.TemporaryDirectory() as tmp:
        paths = write(generate(n_cases, n_candidates, seed=DATA_SEED + index, config=config), tmp)
        cases = load_side(paths.cases, "cases")
        candidates = load_side(paths.candidates, "candidates")
        with open(paths.truth, encoding="utf-8") as handle:
            truth = [(r["case_id"], r["person_id"]) for r in csv.DictReader(handle) if r["person_id"]]
    prep = prepare(cases, candidates)
    case_index = {v: i for i, v in enumerate(cases.ids.tolist())}
    position = np.empty(len(candidates), dtype=np.int64)
    position[prep.cand_order] = np.arange(len(candidates))
    cand_index = {v: int(position[i]) for i, v in enumerate(candidates.ids.tolist())}
    pairs = [(case_index[c], cand_index[p]) for c, p in truth if c in case_index and p in cand_index]
    case = np.array([c for c, _ in pairs], dtype=np.int64)
    cand = np.array([p for _, p in pairs], dtype=np.int64)
    rng = np.random.default_rng(DATA_SEED + index)
    random_case = rng.integers(0, len(cases), random_pairs)
    random_cand = rng.integers(0, len(candidates), random_pairs)
    return prep, case, cand, random_case, random_cand


def labelled_levels(
    spec: ComparisonSpec, n_cases: int, n_candidates: int, index: int, random_pairs: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Levels and case kinds of the true pairs of one random configuration, and levels of random pairs."""
    prep, case, cand, random_case, random_cand = labelled_draw(n_cases, n_candidates, index, random_pairs)
    return (compare(prep, spec, case, cand), case_kinds(prep.cases, case),
            compare(prep, spec, random_case, random_cand))


def _log_likelihood(ranked: pd.DataFrame, truth: dict[str, str], prior0: float, prior: float) -> float:
    """Log-likelihood of the truth under the probabilities of ``ranked`` (a screen at ``prior0``) re-read
    at ``prior``: each case's Bayes-factor sum is recovered from its ``case_probability``."""
    total = 0.0
    for case_id, group in ranked.groupby("case_id", sort=False):
        n = float(group["pairs_compared"].iloc[0])
        any0 = min(float(group["case_probability"].iloc[0]), 1 - 1e-12)
        mean_bf = (1 - prior0) * any0 / (prior0 * (1 - any0))  # sum of Bayes factors / N
        denominator = (1 - prior) + prior * mean_bf
        p = prior / n * np.exp2(group["score"].to_numpy(np.float64)) / denominator
        child = truth.get(str(case_id), "")
        hit = np.flatnonzero(group["person_id"].to_numpy() == child) if child else np.zeros(0, dtype=np.int64)
        if hit.size:
            total += float(np.log(max(p[hit[0]], 1e-12)))
        elif child:  # the child was not ranked: any other candidate
            total += float(np.log(max(prior * mean_bf / denominator - p.sum(), 1e-12)))
        else:
            total += float(np.log(max((1 - prior) / denominator, 1e-12)))
    return total


def _grid(model: FellegiSunter, draws: Iterator[tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]]) -> np.ndarray:
    """Per (temperature, prior): the mean log-likelihood per case of the truth of ``draws``, each
    screened as ``reunite.screen`` does by default (u refitted, m learned by EM)."""
    scores, n_cases = np.zeros((len(TEMPERATURES), len(PRIORS))), 0
    for case_rows, candidate_rows, truth in draws:
        cases, candidates = load_side(case_rows, "cases"), load_side(candidate_rows, "candidates")
        n_cases += len(cases)
        for t, temperature in enumerate(TEMPERATURES):
            body = model.to_dict()
            body["params"]["temperature"] = temperature
            ranked = screen(cases, candidates, model=FellegiSunter.from_dict(body), top_k=50, reasons=False)
            frame = ranked.to_pandas()
            for q, prior in enumerate(PRIORS):
                scores[t, q] += _log_likelihood(frame, truth, model.prior, prior)
    return scores / max(n_cases, 1)


def _synth_draws(n_configs: int, n_cases: int, n_candidates: int, base: int = CALIBRATION_SEED
                 ) -> Iterator[tuple[Any, Any, dict[str, str]]]:
    for index in range(n_configs):
        config = random_config(np.random.default_rng(base + index))
        with tempfile.TemporaryDirectory() as tmp:
            paths = write(generate(n_cases, n_candidates, seed=base + index, config=config), tmp)
            with open(paths.truth, encoding="utf-8") as handle:
                truth = {r["case_id"]: r["person_id"] for r in csv.DictReader(handle)}
            yield paths.cases, paths.candidates, truth


def _benchmark_module(name: str, as_name: str | None = None) -> Any:
    """A module of benchmarks/ by its path there, without the extension ("cleanroom/generate")."""
    path = BENCHMARKS / f"{name}.py"
    spec = importlib.util.spec_from_file_location(as_name or name.replace("/", "_"), path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _cleanroom_draws(n_configs: int, n_cases: int, n_candidates: int, base: int = CLEANROOM_SEED
                     ) -> Iterator[tuple[Any, Any, dict[str, str]]]:
    """Draws of the clean-room generator (benchmarks/cleanroom, written without reading reunite.synth),
    each with its own random profile."""
    module = _benchmark_module("cleanroom/generate", "cleanroom_generate")
    for index in range(n_configs):
        seed = base + index
        cases, candidates, truth, _ = module.generate(module.random_profile_for(seed), n_cases, n_candidates, seed)
        yield cases, candidates, {str(c): str(p) for c, p in zip(truth["case_id"], truth["person_id"].fillna(""),
                                                                  strict=True)}


def calibrate(model: FellegiSunter, n_configs: int, n_cases: int, n_candidates: int,
              cleanroom_configs: int = 0) -> tuple[float, float]:
    """The temperature and prior that maximise the likelihood of the truth of held-out random
    configurations of reunite.synth and, with ``cleanroom_configs``, of the clean-room generator: the
    mean log-likelihood per case of each generator, added with equal weight (neither generator's rates
    decide alone)."""
    scores = _grid(model, _synth_draws(n_configs, n_cases, n_candidates))
    if cleanroom_configs:
        scores = scores + _grid(model, _cleanroom_draws(cleanroom_configs, n_cases, n_candidates))
    t, q = np.unravel_index(int(np.argmax(scores)), scores.shape)
    return TEMPERATURES[int(t)], PRIORS[int(q)]


def _top_contributions(model: FellegiSunter, draws: Iterator[tuple[Any, Any, dict[str, str]]]
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row of each case's default top :data:`SCALE_TOP_K` (``reunite.screen`` with ``model``, m
    learned by EM): the comparisons' contributions (rows, comparisons), whether the row is the case's
    child, and its case (numbered across the draws); only cases whose child is among their rows."""
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    offset = 0
    for case_rows, candidate_rows, truth in draws:
        cases, candidates = load_side(case_rows, "cases"), load_side(candidate_rows, "candidates")
        result = screen(cases, candidates, model=model, top_k=SCALE_TOP_K, reasons=False)
        case_id = np.asarray(result.columns["case_id"]).astype(str)
        child = np.array([truth.get(c, "") for c in case_id])
        is_child = (np.asarray(result.columns["person_id"]).astype(str) == child) & (child != "")
        case = pd.factorize(case_id)[0].astype(np.int64)
        keep = np.isin(case, case[is_child])
        parts.append((result.contributions[:, keep].T.astype(np.float64), is_child[keep],
                      pd.factorize(case[keep])[0].astype(np.int64) + offset))
        offset = int(parts[-1][2].max()) + 1 if keep.any() else offset
    x, y, case = (np.concatenate([p[i] for p in parts]) for i in range(3))
    return x, y, case


def fit_scale(model: FellegiSunter, n_configs: int, cleanroom_configs: int, ridge: float = SCALE_RIDGE,
              balance: str = "cases") -> dict[str, float]:
    """Per comparison, the multiplier of its weights under which each case's child is most likely the
    one its top 50 picks (a conditional logit on the comparisons' contributions), on labelled random
    configurations of reunite.synth and of the clean-room generator (seeds :data:`SCALE_SEED` and
    :data:`CLEANROOM_SCALE_SEED` + i, disjoint from every suite and calibration), their cases pooled
    (400 cases x 40,000 candidates per configuration). A multiplier of ``ln 2 / temperature`` leaves a
    comparison as the model weighs it (contributions are ``temperature * log2`` Bayes factors); the
    scales returned are relative to that, so 1 is "as weighed", and multiply any scale the model has.
    ``balance="generators"`` weighs each generator's mean log-likelihood per case alike (as :func:`calibrate`
    does) instead of pooling the cases, so the generator with more usable cases does not decide alone."""
    if balance not in BALANCES:
        raise ValueError(f"balance: one of {', '.join(BALANCES)}, not {balance!r}")
    sets = [_top_contributions(model, _synth_draws(n_configs, 400, 40_000, SCALE_SEED))]
    if cleanroom_configs:
        sets.append(_top_contributions(model, _cleanroom_draws(cleanroom_configs, 400, 40_000, CLEANROOM_SCALE_SEED)))
    return _fit_scale_on(model, sets, ridge, balance)


def _fit_scale_on(model: FellegiSunter, sets: list[tuple[np.ndarray, np.ndarray, np.ndarray]], ridge: float,
                  balance: str) -> dict[str, float]:
    """:func:`fit_scale` on the rows :func:`_top_contributions` gave, one set per generator."""
    start = float(np.log(2.0) / model.temperature)
    x = np.concatenate([s[0] for s in sets])
    y = np.concatenate([s[1] for s in sets])
    offsets = np.cumsum([0] + [int(s[2].max()) + 1 for s in sets[:-1]])
    case = np.concatenate([s[2] + o for s, o in zip(sets, offsets, strict=True)])
    sizes = [int(s[2].max()) + 1 for s in sets]
    weight = (np.concatenate([np.full(k, 1.0 / k) for k in sizes]) if balance == "generators"
              else np.ones(sum(sizes)))
    w = _benchmark_module("conditional_logit").fit_multipliers(x, y, case, start=start, ridge=ridge,
                                                              bounds=(0.05 * start, 4.0 * start), case_weight=weight)
    old = model.scale
    return {name: round(float(old.get(name, 1.0) * w[k] / start), 3) for k, name in enumerate(model.spec.comparisons)}


def _calibration_note(contamination: float, temperature: float, prior: float, n_configs: int,
                      cleanroom_configs: int = 0) -> str:
    cleanroom = (f" and of {cleanroom_configs} random profiles of the clean-room generator (seeds "
                 f"{CLEANROOM_SEED} + i), each generator's mean per case weighed alike" if cleanroom_configs else "")
    return (f"; contamination {contamination} (chosen by recall@10 on random configurations of reunite.synth and "
            f"of the clean-room generator, benchmarks/README.md); "
            f"temperature {temperature} and prior {prior} of highest likelihood of the truth of {n_configs} other "
            f"random configurations (seeds {CALIBRATION_SEED} + i, 400 x 40000){cleanroom}, screened by default")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--configs", type=int, default=24)
    parser.add_argument("--cases", type=int, default=600)
    parser.add_argument("--candidates", type=int, default=30_000)
    parser.add_argument("--calibration-configs", type=int, default=12)
    parser.add_argument("--cleanroom-configs", type=int, default=8,
                        help="clean-room random profiles also calibrated on (0: reunite.synth's alone)")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--contamination", type=float, default=CONTAMINATION)
    parser.add_argument("--calibrate-only", action="store_true",
                        help="keep the shipped m and u (and their provenance); refit the temperature and prior only")
    parser.add_argument("--fit-scale", type=int, default=0, metavar="N",
                        help="with --calibrate-only: first fit the comparisons' scales on N random configurations "
                             "of each generator (seeds 800000 + i and 8000 + i)")
    args = parser.parse_args()
    if args.calibrate_only:
        body = json.loads(OUT.read_text(encoding="utf-8"))
        provenance = str(body.pop("provenance", ""))
        body["params"]["contamination"] = args.contamination
        model = FellegiSunter.from_dict(body)
        provenance, _, old_scale = provenance.partition("; scale per comparison")
        scale_note = "; scale per comparison" + old_scale if old_scale else ""
        _, sep, later = old_scale.partition("; ")
        later_notes = sep + later  # the notes tools appended after the scales were fitted (their levels stay)
        if args.fit_scale:
            scale = fit_scale(model, args.fit_scale, args.fit_scale if args.cleanroom_configs else 0)
            print("scale:", " ".join(f"{name} {value}" for name, value in scale.items()), flush=True)
            body["params"]["scale"] = scale
            model = FellegiSunter.from_dict(body)
            scale_note = (
                f"; scale per comparison fitted by which row of a case's top {SCALE_TOP_K} is its child (conditional "
                f"logit, ridge {SCALE_RIDGE} towards 1) on {args.fit_scale} random configurations of reunite.synth "
                f"(seeds {SCALE_SEED} + i) and {args.fit_scale if args.cleanroom_configs else 0} of the clean-room "
                f"generator (seeds {CLEANROOM_SCALE_SEED} + i), 400 x 40000, screened by default") + later_notes
        temperature, prior = calibrate(model, args.calibration_configs, 400, 40_000, args.cleanroom_configs)
        body["params"]["temperature"], body["params"]["prior"] = temperature, prior
        body = FellegiSunter.from_dict(body).to_dict()
        head = provenance.split("; contamination")[0].split("; temperature")[0]
        _, found, tail = provenance.partition("; rounded_share")
        body["provenance"] = head + _calibration_note(args.contamination, temperature, prior,
                                                      args.calibration_configs, args.cleanroom_configs) + found + tail
        body["provenance"] += scale_note
        args.out.write_text(json.dumps(body, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.out} (version {body['version']}): contamination {args.contamination}, "
              f"temperature {temperature}, prior {prior}")
        return
    # a full refit keeps the shipped comparisons' scales (--calibrate-only --fit-scale N refits them)
    shipped = json.loads(OUT.read_text(encoding="utf-8")) if OUT.exists() else {}
    kept_scale = shipped.get("params", {}).get("scale")
    _, _, old_scale = str(shipped.get("provenance", "")).partition("; scale per comparison")
    spec = ComparisonSpec()
    true_levels, kinds, random_levels = [], [], []
    for index in range(args.configs):
        levels, kind, rand = labelled_levels(spec, args.cases, args.candidates, index, 400_000 // args.configs)
        true_levels.append(levels)
        kinds.append(kind)
        random_levels.append(rand)
    model = FellegiSunter(spec, contamination=args.contamination)
    model.fit_labelled(np.concatenate(true_levels, axis=1), kinds=np.concatenate(kinds))
    model.fit_u(np.concatenate(random_levels, axis=1))
    # m of the "1st of the month" birth level is that of candidates rounded at the configurations' mean rate
    model.rounded_share = float(np.mean([
        random_config(np.random.default_rng(CONFIG_SEED + i)).population_rounded_birth_rate for i in range(args.configs)
    ]))
    if kept_scale:
        body = model.to_dict()
        body["params"]["scale"] = kept_scale
        model = FellegiSunter.from_dict(body)
    temperature, prior = calibrate(model, args.calibration_configs, 400, 40_000, args.cleanroom_configs)
    body = model.to_dict()
    body["params"]["temperature"], body["params"]["prior"] = temperature, prior
    model = FellegiSunter.from_dict(body)
    body = model.to_dict()
    counts = np.bincount(np.concatenate(kinds), minlength=len(CASE_KINDS))
    body["provenance"] = (
        f"m from {int(counts.sum())} labelled true pairs ("
        + ", ".join(f"{kind} {int(n)}" for kind, n in zip(CASE_KINDS, counts, strict=True))
        + f") of {args.configs} random configurations (reunite.synth.random_config(default_rng({CONFIG_SEED} + i)), "
        f"generate({args.cases}, {args.candidates}, seed={DATA_SEED} + i)); u from 400000 random pairs of the "
        f"same draws" + _calibration_note(args.contamination, temperature, prior, args.calibration_configs,
                                           args.cleanroom_configs)
        + f"; rounded_share the mean population_rounded_birth_rate of the {args.configs} "
        "configurations; built by tools/train_default_model.py"
        + ("; scale per comparison" + old_scale + " (kept from the model this refit replaced)" if kept_scale else "")
    )
    args.out.write_text(json.dumps(body, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    for kind in CASE_KINDS:
        print(kind)
        for name, w in zip(spec.comparisons, model.kind_weights(kind), strict=True):
            print(f"  {name:<13}", " ".join(f"{v:+6.2f}" for v in w))
    print(f"wrote {args.out} (version {body['version']})")


if __name__ == "__main__":
    main()
