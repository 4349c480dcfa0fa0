"""Refit a model's comparison scales on the current code, then its temperature and prior, learning nothing
else (issue 9): the scales were fitted in the ninth session and levels were added since (registration bands
from the loss, birthday near, the birthday read beyond the first birth band), so each comparison's weight
under which a case's child is most likely its top-50 pick has moved. The fit is
tools/train_default_model.py's (``fit_scale`` then ``calibrate``, the same seeds and sizes as its
``--calibrate-only --fit-scale N --cleanroom-configs C``), run on the model given as ``--base`` instead of the
shipped file, so it also runs on a base that holds another helper's change. Every m, u, lambda, level and the
spec are kept byte for byte, and so is the provenance (this refit is appended to it; train_default_model's
--calibrate-only --fit-scale rewrites its scales' note in place and keeps the notes appended after it).
Run: python tools/rescale_level.py --base OLD_MODEL.json --out src/reunite/data/default_model.json
     [--balance generators]   # each generator's mean log-likelihood weighed alike in the scales' fit
"""

from __future__ import annotations

import argparse
import importlib.util
import json
from pathlib import Path
from typing import Any

from reunite.matching.model import FellegiSunter

TOOLS = Path(__file__).resolve().parent
MARK = "built by tools/rescale_level.py"


def _train_tool() -> Any:
    spec = importlib.util.spec_from_file_location("train_default_model", TOOLS / "train_default_model.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--fit-scale", type=int, default=12, metavar="N",
                        help="random configurations of each generator the scales are fitted on")
    parser.add_argument("--calibration-configs", type=int, default=12)
    parser.add_argument("--cleanroom-configs", type=int, default=8,
                        help="clean-room random profiles also calibrated on (0: reunite.synth's alone; then the "
                             "scales are fitted on reunite.synth's alone too, as train_default_model does)")
    parser.add_argument("--balance", choices=("cases", "generators"), default="cases",
                        help="the scales' fit: the two generators' cases pooled (cases), or each generator's mean "
                             "log-likelihood per case weighed alike, as the calibration weighs them (generators)")
    args = parser.parse_args()
    tool = _train_tool()
    base = json.loads(args.base.read_text(encoding="utf-8"))
    body = json.loads(json.dumps(base))
    provenance = str(body.pop("provenance", ""))
    body.pop("version", None)
    model = FellegiSunter.from_dict(body)
    old_scale = dict(model.scale)
    cleanroom_scale = args.fit_scale if args.cleanroom_configs else 0
    scale = tool.fit_scale(model, args.fit_scale, cleanroom_scale, balance=args.balance)
    print("scale:", " ".join(f"{name} {old_scale.get(name, 1.0)} -> {value}" for name, value in scale.items()),
          flush=True)
    body["params"]["scale"] = scale
    temperature, prior = tool.calibrate(FellegiSunter.from_dict(body), args.calibration_configs, 400, 40_000,
                                        args.cleanroom_configs)
    old_t, old_q = base["params"]["temperature"], base["params"]["prior"]
    body["params"]["temperature"], body["params"]["prior"] = temperature, prior
    out = FellegiSunter.from_dict(body).to_dict()
    changes = ", ".join(f"{name} {old_scale.get(name, 1.0)} -> {value}" for name, value in scale.items())
    balance = (", each generator's mean per case weighed alike" if args.balance == "generators" and cleanroom_scale
               else "")
    out["provenance"] = (
        provenance + f"; scales refitted on the current code (the model this one replaced: version "
        f"{base.get('version')}), by which row of a case's top {tool.SCALE_TOP_K} is its child (conditional logit, "
        f"ridge {tool.SCALE_RIDGE} towards 1) on {args.fit_scale} random configurations of reunite.synth (seeds "
        f"{tool.SCALE_SEED} + i) and {cleanroom_scale} of the clean-room generator (seeds "
        f"{tool.CLEANROOM_SCALE_SEED} + i), 400 x 40000, screened by default{balance}: {changes}; then temperature "
        f"{old_t} -> {temperature} and prior {old_q} -> {prior} of highest likelihood of the truth of "
        f"{args.calibration_configs} random configurations (seeds {tool.CALIBRATION_SEED} + i, 400 x 40000) and "
        f"{args.cleanroom_configs} clean-room random profiles (seeds {tool.CLEANROOM_SEED} + i); every m and u "
        f"kept (benchmarks/README.md, 'Comparison scales refitted'); {MARK}")
    args.out.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out} (version {out['version']}): temperature {old_t} -> {temperature}, "
          f"prior {old_q} -> {prior}")


if __name__ == "__main__":
    main()
