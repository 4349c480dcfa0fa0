"""Give a model the comparison "birth month, another year" (``birth_month``: for cases whose birth is
known only to the month, whether the candidate was born in that month of another year), learning nothing
else: its m (overall and per case kind) from the labelled true pairs and its u from the random pairs of
tools/train_default_model.py's draws under the current code, each over the pairs the level is read for
(so the share of month cases does not enter), with the model's floor; every other m and u, the temperature,
prior and scales are kept (its scale is 1), as tools/birthyr_level.py does for a level. It runs on a
base that already holds another change (the comparison is put after ``birth_monthday``, or last).

Run: python tools/mdmonth_level.py --base OLD_MODEL.json --out src/reunite/data/default_model.json
"""

from __future__ import annotations

import argparse
import importlib.util
import json
from pathlib import Path
from typing import Any

import numpy as np

from reunite.matching.comparisons import REGISTRY
from reunite.matching.comparisons.birth_month import Level
from reunite.matching.kinds import CASE_KINDS
from reunite.matching.model import MODEL_FORMAT, FellegiSunter
from reunite.matching.spec import ComparisonSpec

TOOLS = Path(__file__).resolve().parent
NAME = "birth_month"
AFTER = "birth_monthday"


def _train_tool() -> Any:
    spec = importlib.util.spec_from_file_location("train_default_model", TOOLS / "train_default_model.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _shares(levels: np.ndarray, floor: float) -> tuple[list[float], int, int]:
    """``[differs, same]`` among the pairs compared (the floor for a level none took), and the counts."""
    same = int((levels == Level.SAME).sum())
    differs = int((levels == Level.DIFFERS).sum())
    parts = [max(differs / max(same + differs, 1), floor), max(same / max(same + differs, 1), floor)]
    return [v / sum(parts) for v in parts], same, differs


def _inserted(names: list[str]) -> list[str]:
    if NAME in names:
        raise SystemExit(f"{NAME}: the base model already has it")
    at = names.index(AFTER) + 1 if AFTER in names else len(names)
    return [*names[:at], NAME, *names[at:]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", type=Path, required=True, help="the model without the comparison")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--configs", type=int, default=24)
    parser.add_argument("--cases", type=int, default=600)
    parser.add_argument("--candidates", type=int, default=30_000)
    args = parser.parse_args()
    tool = _train_tool()
    base = json.loads(args.base.read_text(encoding="utf-8"))
    names = _inserted(list(base["spec"]["comparisons"]))
    spec = ComparisonSpec(comparisons=(NAME,))  # the draws' levels of this comparison alone
    true_levels, kinds, random_levels = [], [], []
    for index in range(args.configs):
        levels, kind, rand = tool.labelled_levels(spec, args.cases, args.candidates, index, 400_000 // args.configs)
        true_levels.append(levels[0])
        kinds.append(kind)
        random_levels.append(rand[0])
    true, kind, rand = np.concatenate(true_levels), np.concatenate(kinds), np.concatenate(random_levels)
    floor = float(base["params"]["floor"])
    body = json.loads(json.dumps(base))
    body["spec"]["comparisons"] = names

    def put(table: dict[str, Any], value: Any) -> dict[str, Any]:
        return {name: (value if name == NAME else table[name]) for name in names}

    notes = []
    m, same, differs = _shares(true, floor)
    body["m"] = put(body["m"], m)
    for j, kind_name in enumerate(CASE_KINDS):
        kind_m, same, differs = _shares(true[kind == j], floor)
        notes.append(f"{kind_name} {same} of {same + differs}")
        body["m_by_kind"][kind_name] = put(body["m_by_kind"][kind_name], kind_m)
    u, same, differs = _shares(rand, floor)
    body["u"] = put(body["u"], u)
    body["levels"] = put(body["levels"], list(REGISTRY[NAME].labels))
    if body["params"].get("scale"):  # every comparison with a scale, as the scale tools expect: 1 (no refit)
        scale = body["params"]["scale"]
        body["params"]["scale"] = {name: (1.0 if name == NAME else scale[name]) for name in names if
                                   name == NAME or name in scale}
    body["format"] = MODEL_FORMAT
    provenance = str(body.pop("provenance", ""))
    body.pop("version", None)
    out = FellegiSunter.from_dict(body).to_dict()
    out["provenance"] = (
        provenance + "; birth month 'born in the case's month, another year' / 'born in another month, another "
        "year' (cases known only to the month): a comparison added to the model this one replaced (version "
        f"{base.get('version')}), its m the share of the labelled true pairs of the same {args.configs} draws "
        "among those it compares (" + ", ".join(notes) + f"; same of compared), its u of their random pairs "
        f"({same} of {same + differs}), the floor for a share of 0; scale 1; every other m and u, the temperature, "
        "prior and scales kept (benchmarks/README.md, 'The month of birth, another year'); built by "
        "tools/mdmonth_level.py")
    args.out.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out} (version {out['version']}): m {m}, " + ", ".join(notes) + f"; u {u} "
          f"(random {same} of {same + differs})")


if __name__ == "__main__":
    main()
