"""Give a model whose registration level "registered years after the child went missing" (late, and more
than two years after the loss) is one band the band "registered 2 to 8 years after the child went
missing", learning nothing else: the m and u of the old band are split between "2 to 8 years after" and
"more than 8 years after" in the ratio the labelled true pairs (per case kind) and the random pairs of
tools/train_default_model.py's draws give under the current code; every other m and u, the temperature,
prior and scales are kept (as tools/regloss_level.py gave the model "within 6 months after").

The new edge, 8 years (2,922 days), is not fitted: primary school starts at 6 or 7, so a family that
took in a baby registers it for school within about 8 years of its coming; later registers (an adult's
identity card, the 2015-16 drive for the unregistered) no school-age reading explains.

The base may hold other comparisons' changes: only the registration arrays and the spec's
``registration_after_loss_days`` (two days; a third appended) are touched.

Run: python tools/regband2_level.py --base OLD_MODEL.json --out src/reunite/data/default_model.json
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
#: the band "2 to 8 years after the loss" split off "years after": 8 years of 365.25 days
YEARS_DAYS = 2922
#: the registration levels of the base: before, on time, late, years late, years after, 6 months to 2
#: years after, within 6 months after
BASE_LEVELS = 7


def _train_tool() -> Any:
    spec = importlib.util.spec_from_file_location("train_default_model", TOOLS / "train_default_model.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _share(levels: np.ndarray) -> tuple[float, int, int]:
    """Share of "2 to 8 years after the loss" among the pairs that were "years after"."""
    years = int((levels == Level.YEARS_AFTER_MISSING).sum())
    beyond = int((levels == Level.LONG_AFTER_MISSING).sum())
    return years / max(years + beyond, 1), years, beyond


def _split(values: list[float], share: float, floor: float) -> list[float]:
    """The base's levels (before the loss, on time, late, years late, years after, 6 months to 2 years
    after, within 6 months after) as the new ones: the old band "years after" split into "2 to 8 years
    after" (``share``, in its place) and "more than 8 years after" (the rest, moved below "on time": see
    :class:`~reunite.matching.comparisons.registration.Level`)."""
    if len(values) != BASE_LEVELS:
        raise SystemExit(f"registration: expected {BASE_LEVELS} levels in the base model; got {len(values)}")
    before, on_time, late, years_late, after, soon, months = values
    by_level = {Level.BEFORE_MISSING: before, Level.LONG_AFTER_MISSING: max((1.0 - share) * after, floor),
                Level.ON_TIME: on_time, Level.LATE: late, Level.YEARS_LATE: years_late,
                Level.YEARS_AFTER_MISSING: max(share * after, floor), Level.SOON_AFTER_MISSING: soon,
                Level.MONTHS_AFTER_MISSING: months}
    parts = [by_level[level] for level in Level]
    return [v / sum(parts) for v in parts]


def _spec(base: dict[str, Any]) -> dict[str, Any]:
    spec = dict(base["spec"])
    days = [int(v) for v in spec["registration_after_loss_days"]]
    if len(days) != 2 or days[1] >= YEARS_DAYS:
        raise SystemExit(f"registration_after_loss_days: expected two days below {YEARS_DAYS} in the base; got {days}")
    spec["registration_after_loss_days"] = [*days, YEARS_DAYS]
    return spec


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", type=Path, required=True, help="the model with one band 'years after'")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--configs", type=int, default=24)
    parser.add_argument("--cases", type=int, default=600)
    parser.add_argument("--candidates", type=int, default=30_000)
    parser.add_argument("--kinds", choices=("each", "pooled"), default="pooled",
                        help="split each kind's m by its own true pairs' share, or every kind's by the share of all "
                             "(default: the draws register no child more than 8 years after the loss, and a share "
                             "of 0 gives the floor)")
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
    pooled = _share(true)
    body["m"]["registration"] = _split(base["m"]["registration"], pooled[0], floor)
    notes = []
    for j, name in enumerate(CASE_KINDS):
        own = _share(true[kind == j])
        notes.append(f"{name} {own[1]} of {own[1] + own[2]}")
        used = own[0] if args.kinds == "each" else pooled[0]
        body["m_by_kind"][name]["registration"] = _split(base["m_by_kind"][name]["registration"], used, floor)
    share = _share(rand)
    body["u"]["registration"] = _split(base["u"]["registration"], share[0], floor)
    body["levels"]["registration"] = list(REGISTRY["registration"].labels)
    body["format"] = MODEL_FORMAT
    provenance = str(body.pop("provenance", ""))
    body.pop("version", None)
    out = FellegiSunter.from_dict(body).to_dict()
    out["provenance"] = (
        provenance + "; registration 'registered 2 to 8 years after the child went missing' (late, more than "
        f"{spec.registration_after_loss_days[1]} and at most {YEARS_DAYS} days after the loss): the m and u of "
        "'registered years after the child went missing' of the model this one replaced (version "
        f"{base.get('version')}) split between it and 'more than 8 years after' in the ratio of the labelled true "
        f"pairs of the same {args.configs} draws (" + ", ".join(notes) + ("; every kind split by the share of "
        "all" if args.kinds == "pooled" else "") + f") and of their random pairs ({share[1]} "
        f"of {share[1] + share[2]}); every other m and u, the temperature, prior and scales kept "
        "(benchmarks/README.md, 'Registered years after the loss, in bands'); built by tools/regband2_level.py")
    args.out.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out} (version {out['version']}): " + ", ".join(notes) + f"; random {share[1]} of "
          f"{share[1] + share[2]}")


if __name__ == "__main__":
    main()
