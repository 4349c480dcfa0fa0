"""Give a model without the registration level "registered before the child went missing" that level,
learning nothing else: the m and u of "registered on time" are split between the two in the ratio the
labelled true pairs (per case kind) and the random pairs of tools/train_default_model.py's draws give
under the current code; every other m and u, the temperature, prior and scales are kept.

This is how the shipped model got the level (benchmarks/README.md, "Registrations before the loss, again"):
a full refit moves every level, and the comparison of before and after then measures more than the level.

Run: python tools/split_on_time_level.py --base OLD_MODEL.json --out src/reunite/data/default_model.json
"""

from __future__ import annotations

import argparse
import importlib.util
import json
from pathlib import Path
from typing import Any

import numpy as np

from reunite.matching.comparisons import REGISTRY
from reunite.matching.comparisons.registration import Level
from reunite.matching.kinds import CASE_KINDS
from reunite.matching.model import MODEL_FORMAT, FellegiSunter
from reunite.matching.spec import ComparisonSpec

TOOLS = Path(__file__).resolve().parent


def _train_tool() -> Any:
    spec = importlib.util.spec_from_file_location("train_default_model", TOOLS / "train_default_model.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _share(levels: np.ndarray) -> tuple[float, int, int]:
    """Share of "before the loss" among the pairs that were "on time" before the split."""
    before = int((levels == Level.BEFORE_MISSING).sum())
    on_time = int((levels == Level.ON_TIME).sum())
    return before / max(before + on_time, 1), before, on_time


def _split(values: list[float], share: float, floor: float) -> list[float]:
    parts = [max(share * values[0], floor), max((1.0 - share) * values[0], floor), *values[1:]]
    return [v / sum(parts) for v in parts]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", type=Path, required=True, help="the model without the level (format 3)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--configs", type=int, default=24)
    parser.add_argument("--cases", type=int, default=600)
    parser.add_argument("--candidates", type=int, default=30_000)
    args = parser.parse_args()
    tool = _train_tool()
    base = json.loads(args.base.read_text(encoding="utf-8"))
    k = list(REGISTRY).index("registration")
    true_levels, kinds, random_levels = [], [], []
    for index in range(args.configs):
        levels, kind, rand = tool.labelled_levels(ComparisonSpec(), args.cases, args.candidates, index,
                                                  400_000 // args.configs)
        true_levels.append(levels[k])
        kinds.append(kind)
        random_levels.append(rand[k])
    true, kind, rand = np.concatenate(true_levels), np.concatenate(kinds), np.concatenate(random_levels)
    floor = float(base["params"]["floor"])
    body = json.loads(json.dumps(base))
    notes = []
    share = _share(true)
    body["m"]["registration"] = _split(base["m"]["registration"], share[0], floor)
    for j, name in enumerate(CASE_KINDS):
        share = _share(true[kind == j])
        notes.append(f"{name} {share[1]} of {share[1] + share[2]}")
        body["m_by_kind"][name]["registration"] = _split(base["m_by_kind"][name]["registration"], share[0], floor)
    share = _share(rand)
    body["u"]["registration"] = _split(base["u"]["registration"], share[0], floor)
    body["levels"]["registration"] = list(REGISTRY["registration"].labels)
    body["format"] = MODEL_FORMAT
    provenance = str(body.pop("provenance", ""))
    body.pop("version", None)
    out = FellegiSunter.from_dict(body).to_dict()
    out["provenance"] = (
        provenance + "; registration 'registered before the child went missing' (on time and surely before the "
        f"loss): the m and u of 'registered on time' of the model this one replaced (version {base.get('version')}) "
        f"split between the two in the ratio of the labelled true pairs of the same {args.configs} draws ("
        + ", ".join(notes) + f"; a share of 0 gives the floor) and of their random pairs ({share[1]} of "
        f"{share[1] + share[2]}); every other m and u, the temperature, prior and scales kept (benchmarks/README.md, "
        "'Registrations before the loss, again'); built by tools/split_on_time_level.py")
    args.out.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out} (version {out['version']}): " + ", ".join(notes))


if __name__ == "__main__":
    main()
