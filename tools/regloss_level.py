"""Give a model whose registration level "registered within 2 years after the child went missing" is one
band the band "registered within 6 months after the child went missing", learning nothing else: the m and
u of the old band are split between "within 6 months" and "6 months to 2 years" in the ratio the labelled
true pairs (per case kind) and the random pairs of tools/train_default_model.py's draws give under the
current code; every other m and u, the temperature, prior and scales are kept (as
tools/split_on_time_level.py gave the model "registered before the child went missing").

The base may hold other comparisons' changes: only the registration arrays and the spec's
``registration_soon_days`` (now ``registration_after_loss_days``, its last value) are touched.

Run: python tools/regloss_level.py --base OLD_MODEL.json --out src/reunite/data/default_model.json
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
#: the band "within 6 months after the loss" split off "within 2 years after"
MONTHS_DAYS = 183


def _train_tool() -> Any:
    spec = importlib.util.spec_from_file_location("train_default_model", TOOLS / "train_default_model.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _share(levels: np.ndarray) -> tuple[float, int, int]:
    """Share of "within 6 months after the loss" among the pairs that were "within 2 years after"."""
    months = int((levels == Level.MONTHS_AFTER_MISSING).sum())
    soon = int((levels == Level.SOON_AFTER_MISSING).sum())
    return months / max(months + soon, 1), months, soon


def _split(values: list[float], share: float, floor: float) -> list[float]:
    """The old band's value (at SOON_AFTER_MISSING) split into it and MONTHS_AFTER_MISSING, appended."""
    soon = int(Level.SOON_AFTER_MISSING)
    if len(values) != soon + 1:
        raise SystemExit(f"registration: expected {soon + 1} levels in the base model; got {len(values)}")
    parts = [*values[:soon], max((1.0 - share) * values[soon], floor), max(share * values[soon], floor)]
    return [v / sum(parts) for v in parts]


def _spec(base: dict[str, Any]) -> dict[str, Any]:
    spec = dict(base["spec"])
    soon = int(spec.pop("registration_soon_days"))
    spec["registration_after_loss_days"] = [MONTHS_DAYS, soon]
    return spec


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", type=Path, required=True, help="the model with one band within 2 years")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--configs", type=int, default=24)
    parser.add_argument("--cases", type=int, default=600)
    parser.add_argument("--candidates", type=int, default=30_000)
    args = parser.parse_args()
    tool = _train_tool()
    base = json.loads(args.base.read_text(encoding="utf-8"))
    body = json.loads(json.dumps(base))
    body["spec"] = _spec(base)
    spec = ComparisonSpec.from_dict(body["spec"])
    k = list(spec.comparisons).index("registration")
    true_levels, kinds, random_levels = [], [], []
    for index in range(args.configs):
        levels, kind, rand = tool.labelled_levels(spec, args.cases, args.candidates, index, 400_000 // args.configs)
        true_levels.append(levels[k])
        kinds.append(kind)
        random_levels.append(rand[k])
    true, kind, rand = np.concatenate(true_levels), np.concatenate(kinds), np.concatenate(random_levels)
    floor = float(base["params"]["floor"])
    share = _share(true)
    body["m"]["registration"] = _split(base["m"]["registration"], share[0], floor)
    notes = []
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
        provenance + "; registration 'registered within 6 months after the child went missing' (late, and at most "
        f"{MONTHS_DAYS} days after the loss): the m and u of 'registered within 2 years after the child went "
        f"missing' of the model this one replaced (version {base.get('version')}) split between it and '6 months "
        f"to 2 years after' in the ratio of the labelled true pairs of the same {args.configs} draws ("
        + ", ".join(notes) + f") and of their random pairs ({share[1]} of {share[1] + share[2]}); every other m "
        "and u, the temperature, prior and scales kept (benchmarks/README.md, 'Registration counted from the loss "
        "day'); built by tools/regloss_level.py")
    args.out.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out} (version {out['version']}): " + ", ".join(notes) + f"; random {share[1]} of "
          f"{share[1] + share[2]}")


if __name__ == "__main__":
    main()
