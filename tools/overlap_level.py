"""Give a model whose birthday comparison read "near" and "differs" for births within 1 year (the birth
comparison's first band) the m and u of the comparison that reads them only beyond it, learning nothing
else: those pairs are now not compared on the birthday, so each level's m and u are scaled by the share of
its pairs still compared -- the labelled true pairs (per case kind) and the random pairs of
tools/train_default_model.py's draws, read both ways by the current code on the same data -- and
normalised again. "Same birthday" keeps all its pairs; every other comparison's m and u, the temperature,
prior and scales are kept (as tools/split_on_time_level.py and tools/birthyr_level.py do).

Run: python tools/overlap_level.py --base OLD_MODEL.json --out src/reunite/data/default_model.json
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
from pathlib import Path
from typing import Any

import numpy as np

from reunite.matching.comparisons import REGISTRY
from reunite.matching.kinds import CASE_KINDS
from reunite.matching.model import MODEL_FORMAT, FellegiSunter
from reunite.matching.spec import ComparisonSpec

TOOLS = Path(__file__).resolve().parent
NAME = "birth_monthday"
MARK = "built by tools/overlap_level.py"


def _train_tool() -> Any:
    spec = importlib.util.spec_from_file_location("train_default_model", TOOLS / "train_default_model.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _kept(now: np.ndarray, before: np.ndarray, n_levels: int) -> tuple[np.ndarray, list[int], list[int]]:
    """Per level, the share of the pairs compared before that the current code still compares."""
    counts_before = [int((before == lv).sum()) for lv in range(n_levels)]
    counts_now = [int((now == lv).sum()) for lv in range(n_levels)]
    if any(b < n for b, n in zip(counts_before, counts_now, strict=True)):
        raise SystemExit(f"{NAME}: expected the current code to compare fewer pairs; got {counts_now} "
                         f"against {counts_before}")
    share = np.array([n / b if b else 1.0 for b, n in zip(counts_before, counts_now, strict=True)])
    return share, counts_now, counts_before


def _scaled(values: list[float], share: np.ndarray, floor: float) -> list[float]:
    parts = [max(v * s, floor) for v, s in zip(values, share, strict=True)]
    return [p / sum(parts) for p in parts]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", type=Path, required=True, help="the model whose birthday m and u read the "
                        "pairs born within 1 year")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--configs", type=int, default=24)
    parser.add_argument("--cases", type=int, default=600)
    parser.add_argument("--candidates", type=int, default=30_000)
    args = parser.parse_args()
    base = json.loads(args.base.read_text(encoding="utf-8"))
    if MARK in str(base.get("provenance", "")):
        raise SystemExit(f"{args.base}: its birthday m and u were rescaled by this tool already")
    tool = _train_tool()
    spec = ComparisonSpec.from_dict(base["spec"]) if "spec" in base else ComparisonSpec()
    bands = spec.birth_band_days
    # the old reading: a first band short of birthday_min_gap_days leaves every far pair compared
    before_spec = dataclasses.replace(spec, birth_band_days=(spec.birthday_min_gap_days - 1, *bands[1:]))
    k = list(spec.comparisons).index(NAME)
    compare = tool.compare

    def both_ways(prep: Any, spec_: ComparisonSpec, case: np.ndarray, cand: np.ndarray) -> np.ndarray:
        # the draws' data read by the current code and by the old reading, on the same prepared data
        return np.stack([compare(prep, spec_, case, cand)[k], compare(prep, before_spec, case, cand)[k]])

    tool.compare = both_ways
    now_t, before_t, kinds, now_r, before_r = [], [], [], [], []
    for index in range(args.configs):
        levels, kind, rand = tool.labelled_levels(spec, args.cases, args.candidates, index, 400_000 // args.configs)
        now_t.append(levels[0])
        before_t.append(levels[1])
        kinds.append(kind)
        now_r.append(rand[0])
        before_r.append(rand[1])
    kind = np.concatenate(kinds)
    true_now, true_before = np.concatenate(now_t), np.concatenate(before_t)
    n_levels = len(REGISTRY[NAME].labels)
    if len(base["m"][NAME]) != n_levels:
        raise SystemExit(f"{NAME}: expected {n_levels} levels in the base model; got {base['m'][NAME]}")
    floor = float(base["params"]["floor"])
    body = json.loads(json.dumps(base))
    notes = []
    share, _, _ = _kept(true_now, true_before, n_levels)
    body["m"][NAME] = _scaled(base["m"][NAME], share, floor)
    for j, name in enumerate(CASE_KINDS):
        share, now, before = _kept(true_now[kind == j], true_before[kind == j], n_levels)
        notes.append(f"{name} " + " / ".join(f"{n} of {b}" for n, b in zip(now, before, strict=True)))
        body["m_by_kind"][name][NAME] = _scaled(base["m_by_kind"][name][NAME], share, floor)
    share, now, before = _kept(np.concatenate(now_r), np.concatenate(before_r), n_levels)
    random_note = " / ".join(f"{n} of {b}" for n, b in zip(now, before, strict=True))
    body["u"][NAME] = _scaled(base["u"][NAME], share, floor)
    body["format"] = MODEL_FORMAT
    provenance = str(body.pop("provenance", ""))
    body.pop("version", None)
    out = FellegiSunter.from_dict(body).to_dict()
    out["provenance"] = (
        provenance + f"; birthday levels other than the same read only beyond the first birth band "
        f"({bands[0]} days): the m and u of 'birthday differs', 'near' and 'same' of the model this one replaced "
        f"(version {base.get('version')}) scaled by the share of each level's pairs still compared in the same "
        f"{args.configs} draws (differs / near / same kept: " + "; ".join(notes) + f"; random {random_note}) "
        "and normalised; every other m and u, the temperature, prior and scales kept (benchmarks/README.md, "
        f"'Birthday near and born within a year, counted once'); {MARK}")
    args.out.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out} (version {out['version']}): " + "; ".join(notes) + f"; random {random_note}")


if __name__ == "__main__":
    main()
