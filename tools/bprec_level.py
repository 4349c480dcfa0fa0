"""Give a model whose birth comparison has eight levels the two levels of a case known only to the
month or the year, "born in the case's month" and "born in the case's year", learning nothing else.

Under the current code the pairs the old "within a month" held are those of "within a month" and the two
new levels; every other level holds the pairs it held. The old m and u of "within a month" are split
among the three in the ratio the labelled true pairs (per case kind, 50 pseudo-pairs of the pooled ratio
as ``fit_labelled`` weighs kinds) and the random pairs of tools/train_default_model.py's draws give.
Then m of each new level is moved to hold the random pairs' share of cases of that precision, not the
labelled true pairs' (``params.precision_shares``: the share u holds, and that m follows at screen time,
:meth:`FellegiSunter.fit_precision_shares`): the weight of the level is then the ratio of how often a
true and a random birth lie inside such a case's interval. Every other m and u, the temperature, prior
and scales are kept, the levels renumbered.

Run: python tools/bprec_level.py --base OLD_MODEL.json --out src/reunite/data/default_model.json
"""

from __future__ import annotations

import argparse
import importlib.util
import json
from pathlib import Path
from typing import Any

import numpy as np

from reunite.matching.compare import compare
from reunite.matching.comparisons import REGISTRY
from reunite.matching.comparisons.birth import Level
from reunite.matching.kinds import CASE_KINDS, case_kinds
from reunite.matching.model import MODEL_FORMAT, FellegiSunter, _scaled_level
from reunite.matching.prepare import PRECISIONS, birth_precision
from reunite.matching.spec import ComparisonSpec

TOOLS = Path(__file__).resolve().parent
NAME = "birth"
KIND_STRENGTH = 50.0
# the eight levels of the model this one replaces, in their order, and where each goes now
OLD = (Level.FURTHER, Level.WITHIN_3_YEARS, Level.WITHIN_2_YEARS, Level.WITHIN_1_YEAR, Level.ROUNDED, Level.LUNAR,
       Level.WITHIN_MONTH, Level.SAME_DAY)
# where the pairs of the old "within a month" lie now
SPLIT_NEW = (Level.WITHIN_MONTH, Level.IN_CASE_MONTH, Level.IN_CASE_YEAR)
OF_PRECISION = {"month": Level.IN_CASE_MONTH, "year": Level.IN_CASE_YEAR}


def _train_tool() -> Any:
    spec = importlib.util.spec_from_file_location("train_default_model", TOOLS / "train_default_model.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def draws(tool: Any, spec: ComparisonSpec, n_cases: int, n_candidates: int, index: int,
          random_pairs: int) -> tuple[np.ndarray, ...]:
    """As ``train_default_model.labelled_levels`` (the same draws), the birth levels only, and each
    pair's case precision: true levels, kinds, true precisions, random levels, random precisions."""
    prep, case, cand, random_case, random_cand = tool.labelled_draw(n_cases, n_candidates, index, random_pairs)
    k = list(spec.comparisons).index(NAME)
    c = prep.cases
    precision = birth_precision(c.birth_lo, c.birth_hi, c.birth_known, spec.birth_month_days)
    return (compare(prep, spec, case, cand)[k], case_kinds(prep.cases, case), precision[case],
            compare(prep, spec, random_case, random_cand)[k], precision[random_case])


def _ratio(levels: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """How the pairs "within a month" before lie now: shares of ``SPLIT_NEW``, and the counts."""
    counts = [int((levels == level).sum()) for level in SPLIT_NEW]
    return np.array(counts, dtype=np.float64) / max(sum(counts), 1), counts


def _shares(precision: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """The share of each precision (month, year) among the pairs with a birth on both sides."""
    known = precision[levels >= 0]
    return np.array([(known == 1).mean(), (known == 2).mean()]) if known.size else np.zeros(2)


def _renumbered(old: list[float], ratio: np.ndarray, floor: float) -> np.ndarray:
    """Eight levels in the old order -> the current ten, the old "within a month" spread over
    ``SPLIT_NEW`` by ``ratio``."""
    if len(old) != len(OLD):
        raise SystemExit(f"{NAME}: expected the {len(OLD)} levels of a model without the case's month and year; "
                         f"got {len(old)}")
    out = np.zeros(len(Level), dtype=np.float64)
    for value, level in zip(old, OLD, strict=True):
        out[level] = value
    month = old[OLD.index(Level.WITHIN_MONTH)]
    out[Level.WITHIN_MONTH] = 0.0
    for share, level in zip(ratio, SPLIT_NEW, strict=True):
        out[level] += month * share
    out = np.maximum(out, floor)
    return out / out.sum()


def _to_precision_shares(m: np.ndarray, true_shares: np.ndarray, random_shares: np.ndarray,
                         floor: float) -> np.ndarray:
    """m of each new level moved from the labelled true pairs' share of cases of its precision to the
    random pairs' (the share u holds)."""
    for j, precision in enumerate(PRECISIONS):
        level = OF_PRECISION[precision]
        m = _scaled_level(m, int(level), (random_shares[j] + 1e-3) / (true_shares[j] + 1e-3))
        m = np.maximum(m, floor)
        m = m / m.sum()
    return m


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", type=Path, required=True, help="the model without the levels")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--configs", type=int, default=24)
    parser.add_argument("--cases", type=int, default=600)
    parser.add_argument("--candidates", type=int, default=30_000)
    args = parser.parse_args()
    tool = _train_tool()
    base = json.loads(args.base.read_text(encoding="utf-8"))
    spec = ComparisonSpec()
    parts = [draws(tool, spec, args.cases, args.candidates, index, 400_000 // args.configs)
             for index in range(args.configs)]
    true, kind, true_precision, rand, rand_precision = (np.concatenate([p[i] for p in parts]) for i in range(5))
    floor = float(base["params"]["floor"])
    body = json.loads(json.dumps(base))
    pooled_ratio, pooled_counts = _ratio(true)
    pooled_shares = _shares(true_precision, true)
    random_shares = _shares(rand_precision, rand)
    body["m"][NAME] = _to_precision_shares(_renumbered(base["m"][NAME], pooled_ratio, floor), pooled_shares,
                                           random_shares, floor).tolist()
    notes = []
    for j, name in enumerate(CASE_KINDS):
        mine = kind == j
        ratio, counts = _ratio(true[mine])
        n = sum(counts)
        ratio = (n * ratio + KIND_STRENGTH * pooled_ratio) / (n + KIND_STRENGTH)
        n_known = int((true[mine] >= 0).sum())
        shares = (n_known * _shares(true_precision[mine], true[mine]) + KIND_STRENGTH * pooled_shares) / \
            (n_known + KIND_STRENGTH)
        body["m_by_kind"][name][NAME] = _to_precision_shares(
            _renumbered(base["m_by_kind"][name][NAME], ratio, floor), shares, random_shares, floor).tolist()
        notes.append(f"{name} " + " / ".join(map(str, counts))
                     + f", month / year cases {shares[0]:.3f} / {shares[1]:.3f}")
    rand_ratio, r_counts = _ratio(rand)
    body["u"][NAME] = _renumbered(base["u"][NAME], rand_ratio, floor).tolist()
    body["params"]["precision_shares"] = {p: float(v) for p, v in zip(PRECISIONS, random_shares, strict=True)}
    body["levels"][NAME] = list(REGISTRY[NAME].labels)
    body["format"] = MODEL_FORMAT
    provenance = str(body.pop("provenance", ""))
    body.pop("version", None)
    out = FellegiSunter.from_dict(body).to_dict()
    out["provenance"] = (
        provenance + "; birth 'born in the case's month' and 'born in the case's year' (a case known only to the "
        "month, the candidate's birth inside it; only to the year or wider, the candidate's in it or within a "
        "month of it): the m and u of 'within a month' of the model this one replaced (version "
        f"{base.get('version')}) split among within a month / in the case's month / in the case's year "
        f"in the ratio of the labelled true pairs of the same {args.configs} draws (" + "; ".join(notes)
        + "; pooled " + " / ".join(map(str, pooled_counts)) + ") and of their random pairs ("
        + " / ".join(map(str, r_counts)) + "); m of the two new levels then "
        "moved from the true pairs' share of cases of each precision to the random pairs' (precision_shares "
        f"month {random_shares[0]:.4f}, year {random_shares[1]:.4f}; pooled true pairs {pooled_shares[0]:.4f}, "
        f"{pooled_shares[1]:.4f}), which m follows at screen time as u does; every other m and u, the "
        "temperature, prior and scales kept (benchmarks/README.md, 'Birth levels by the case's birth precision'); "
        "built by tools/bprec_level.py")
    args.out.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out} (version {out['version']}): " + "; ".join(notes) +
          f"; random {r_counts}; shares true {pooled_shares}, random {random_shares}")


if __name__ == "__main__":
    main()
