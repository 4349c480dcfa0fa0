"""How much more common a case's name is among the candidates of its sex than among all (issue 9,
fifteenth session): every blocking pass keeps to compatible sexes, so term frequencies and u counted
over both sexes overstate how rare an agreeing given name is.

Per data set (a clean-room random profile ``--cleanroom SEED`` or a reunite.synth
``random_profile(default_rng(SEED))`` draw, ``--synth SEED``), over the cases of known sex whose reported
name has a value some candidate carries: the mean of log2(share among the candidates of the case's sex
and the unknown / share among all) of the case's given name, its pinyin and its surname; and u of each
given-name level from 200,000 random pairs of any sexes against as many of compatible sexes. Runs on
any version of reunite (it counts by sex itself).

    python benchmarks/given_name_by_sex.py --cleanroom 8100 8101 --synth 810000 810001
"""

from __future__ import annotations

import argparse
import tempfile
from typing import Any

import numpy as np
import pandas as pd

from reunite._typing import F64, I64
from reunite.matching.compare import compare
from reunite.matching.comparisons import REGISTRY
from reunite.matching.model import default_model
from reunite.matching.prepare import prepare, sex_and_birth
from reunite.normalize.features import RecordTable
from reunite.pipeline import load_side


def _cleanroom(seed: int, n_cases: int, n_candidates: int) -> tuple[RecordTable, RecordTable]:
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent / "cleanroom" / "generate.py"
    spec = importlib.util.spec_from_file_location("cleanroom_generate", path)
    assert spec is not None and spec.loader is not None
    module: Any = importlib.util.module_from_spec(spec)
    import sys

    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    cases, candidates, _, _ = module.generate(module.random_profile_for(seed), n_cases, n_candidates, seed)
    return load_side(cases, "cases"), load_side(candidates, "candidates")


def _synth(seed: int, n_cases: int, n_candidates: int) -> tuple[RecordTable, RecordTable]:
    from reunite.synth import generate, random_profile, write

    profile = random_profile(np.random.default_rng(seed))
    with tempfile.TemporaryDirectory() as tmp:
        paths = write(generate(n_cases, n_candidates, seed=seed + 1000, config=profile.config), tmp)
        return load_side(paths.cases, "cases"), load_side(paths.candidates, "candidates")


def _shares_by_sex(cases: RecordTable, candidates: RecordTable, column: str) -> tuple[F64, F64, I64]:
    """Per case of known sex with a value in ``column`` (its reported name, slot 0): the value's share
    among all candidates and among the candidates of the case's sex and the unknown, each candidate
    counted once per value; and the cases' rows."""
    cand_sex = sex_and_birth(candidates)[0]
    names = candidates.names
    people = pd.DataFrame({"record": names.record, "value": np.asarray(getattr(names, column)).astype(str)})
    people = people[people["value"] != ""].drop_duplicates()
    people["sex"] = cand_sex[people["record"].to_numpy()]
    overall = people.groupby("value").size() / len(candidates)
    first = np.r_[True, cases.names.record[1:] != cases.names.record[:-1]]
    case_record = cases.names.record[first]
    case_value = np.asarray(getattr(cases.names, column)).astype(str)[first]
    case_sex = sex_and_birth(cases)[0][case_record]
    own = np.full(case_record.size, np.nan)
    every = overall.reindex(case_value).to_numpy()
    for sex in (1, 2):
        compared = people[np.isin(people["sex"], [0, sex])]
        share = compared.groupby("value").size() / max(int(np.isin(cand_sex, [0, sex]).sum()), 1)
        rows = case_sex == sex
        own[rows] = share.reindex(case_value[rows]).to_numpy()
    ok = (case_sex > 0) & (case_value != "") & np.isfinite(own) & np.isfinite(every)
    return every[ok], own[ok], case_record[ok]


def _compatible_pairs(prep: Any, size: int, rng: np.random.Generator) -> tuple[I64, I64]:
    """``size`` random (case, candidate) pairs of compatible sexes (as every blocking pass keeps them),
    drawn by rejection."""
    cases, cands = [], []
    got = 0
    while got < size:
        case = rng.integers(0, len(prep.cases), size=size)
        cand = rng.integers(0, len(prep.candidates), size=size)
        cs, ds = prep.cases.sex[case], prep.candidates.sex[cand]
        keep = (cs == 0) | (ds == 0) | (cs == ds)
        cases.append(case[keep])
        cands.append(cand[keep])
        got += int(keep.sum())
    return np.concatenate(cases)[:size], np.concatenate(cands)[:size]


def measure(cases: RecordTable, candidates: RecordTable) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, column in (("given", "given"), ("pinyin", "given_pinyin"), ("surname", "surname")):
        every, own, _ = _shares_by_sex(cases, candidates, column)
        out[f"{key} log2 ratio"] = float(np.log2(own / every).mean()) if every.size else float("nan")
        out[f"{key} cases"] = int(every.size)
    prep = prepare(cases, candidates)
    model = default_model()
    k = model.spec.comparisons.index("given_name")
    n = 200_000
    rng = np.random.default_rng(0)
    any_pairs = (rng.integers(0, len(prep.cases), size=n), rng.integers(0, len(prep.candidates), size=n))
    same_pairs = _compatible_pairs(prep, n, np.random.default_rng(0))
    for what, (case, cand) in (("any", any_pairs), ("compatible", same_pairs)):
        levels = compare(prep, model.spec, case, cand)[k]
        known = levels >= 0
        counts = np.bincount(levels[known], minlength=len(REGISTRY["given_name"].labels))
        for level, count in enumerate(counts.tolist()):
            out[f"u {what} {level}"] = count / max(int(known.sum()), 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cleanroom", type=int, nargs="*", default=[])
    parser.add_argument("--synth", type=int, nargs="*", default=[])
    parser.add_argument("--cases", type=int, default=400)
    parser.add_argument("--candidates", type=int, default=40_000)
    a = parser.parse_args()
    labels = REGISTRY["given_name"].labels
    for kind, seeds, make in (("cleanroom", a.cleanroom, _cleanroom), ("synth", a.synth, _synth)):
        for seed in seeds:
            row = measure(*make(seed, a.cases, a.candidates))
            ratios = " ".join(f"{k} {row[f'{k} log2 ratio']:+.3f} (n {row[f'{k} cases']})"
                              for k in ("given", "pinyin", "surname"))
            print(f"{kind} {seed}: mean log2(share among the case's sex / share among all): {ratios}")
            for level, label in enumerate(labels):
                any_u, same_u = row[f"u any {level}"], row[f"u compatible {level}"]
                ratio = same_u / max(any_u, 1e-12)
                print(f"    u {label[:45]:45s} any {any_u:.5f}  compatible {same_u:.5f}  x{ratio:.2f}")


if __name__ == "__main__":
    main()
