"""Give a model whose birthday comparison has two levels ("birthday differs" / "same birthday", another
year) the level between them, "birthday within two months, another year", learning nothing else: the m
and u of "birthday differs" are split between "differs" and "near" in the ratio the labelled true pairs
(per case kind) and the random pairs of tools/train_default_model.py's draws give under the current code;
every other m and u, the temperature, prior and scales are kept (as tools/split_on_time_level.py does).

Run: python tools/birthyr_level.py --base OLD_MODEL.json --out src/reunite/data/default_model.json
"""

from __future__ import annotations

import argparse
import importlib.util
import json
from pathlib import Path
from typing import Any

import numpy as np

from reunite.matching.comparisons import REGISTRY
from reunite.matching.comparisons.birth_monthday import Level
from reunite.matching.kinds import CASE_KINDS
from reunite.matching.model import MODEL_FORMAT, FellegiSunter
from reunite.matching.spec import ComparisonSpec

TOOLS = Path(__file__).resolve().parent
NAME = "birth_monthday"


def _train_tool() -> Any:
    spec = importlib.util.spec_from_file_location("train_default_model", TOOLS / "train_default_model.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _share(levels: np.ndarray) -> tuple[float, int, int]:
    """Share of "near" among the pairs that were "differs" before the split."""
    near = int((levels == Level.NEAR).sum())
    differs = int((levels == Level.DIFFERS).sum())
    return near / max(near + differs, 1), near, differs


def _split(values: list[float], share: float, floor: float) -> list[float]:
    """``[differs, same]`` -> ``[differs, near, same]``, the old "differs" split by ``share``."""
    if len(values) != 2:
        raise SystemExit(f"{NAME}: expected the two levels of a model without 'near'; got {values}")
    parts = [max((1.0 - share) * values[0], floor), max(share * values[0], floor), values[1]]
    return [v / sum(parts) for v in parts]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", type=Path, required=True, help="the model without the level")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--configs", type=int, default=24)
    parser.add_argument("--cases", type=int, default=600)
    parser.add_argument("--candidates", type=int, default=30_000)
    args = parser.parse_args()
    tool = _train_tool()
    base = json.loads(args.base.read_text(encoding="utf-8"))
    spec = ComparisonSpec()
    k = list(spec.comparisons).index(NAME)
    true_levels, kinds, random_levels = [], [], []
    for index in range(args.configs):
        levels, kind, rand = tool.labelled_levels(spec, args.cases, args.candidates, index, 400_000 // args.configs)
        true_levels.append(levels[k])
        kinds.append(kind)
        random_levels.append(rand[k])
    true, kind, rand = np.concatenate(true_levels), np.concatenate(kinds), np.concatenate(random_levels)
    floor = float(base["params"]["floor"])
    body = json.loads(json.dumps(base))
    body["spec"].setdefault("birthday_near_days", spec.birthday_near_days)
    notes = []
    share = _share(true)
    body["m"][NAME] = _split(base["m"][NAME], share[0], floor)
    for j, name in enumerate(CASE_KINDS):
        share = _share(true[kind == j])
        notes.append(f"{name} {share[1]} of {share[1] + share[2]}")
        body["m_by_kind"][name][NAME] = _split(base["m_by_kind"][name][NAME], share[0], floor)
    share = _share(rand)
    body["u"][NAME] = _split(base["u"][NAME], share[0], floor)
    body["levels"][NAME] = list(REGISTRY[NAME].labels)
    body["format"] = MODEL_FORMAT
    provenance = str(body.pop("provenance", ""))
    body.pop("version", None)
    out = FellegiSunter.from_dict(body).to_dict()
    out["provenance"] = (
        provenance + f"; birthday 'birthday within two months, another year' (within {spec.birthday_near_days} "
        "days around the year, more than a day): the m and u of 'birthday differs' of the model this one "
        f"replaced (version {base.get('version')}) split between the two in the ratio of the labelled true pairs "
        f"of the same {args.configs} draws (" + ", ".join(notes) + "; a share of 0 gives the floor) and of their "
        f"random pairs ({share[1]} of {share[1] + share[2]}); every other m and u, the temperature, prior and "
        "scales kept (benchmarks/README.md, 'Birthdays near, another year'); built by tools/birthyr_level.py")
    args.out.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out} (version {out['version']}): " + ", ".join(notes) + f"; random {share[1]} of "
          f"{share[1] + share[2]}")


if __name__ == "__main__":
    main()
