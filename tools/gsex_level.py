"""Give a model whose given-name scale is refitted now that given names' term frequencies (and u) are
counted among the candidates of the case's sex (issue 9): a gendered name agreeing weighs about one
unscaled bit less than when it was counted over both sexes, so the scale fitted with the old
frequencies may no longer be the one under which a case's child is most likely its top row.

The scales of every comparison are fitted as ``tools/train_default_model.py --calibrate-only
--fit-scale N`` fits them (a conditional logit on the contributions of each case's default top 50,
N random configurations of reunite.synth, seeds 800000 + i, and N clean-room random profiles, seeds
8000 + i, 400 x 40,000 each, screened by default with the current code); only the given name's scale
is taken. Every other field -- m, u, the other scales, temperature, prior -- is kept byte for byte, so
the base may hold other helpers' changes.

Run: python tools/gsex_level.py --base OLD_MODEL.json --out NEW_MODEL.json [--configs 12]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
from pathlib import Path
from typing import Any

from reunite.matching.model import FellegiSunter

TOOLS = Path(__file__).resolve().parent
COMPARISON = "given_name"


def _train_tool() -> Any:
    spec = importlib.util.spec_from_file_location("train_default_model", TOOLS / "train_default_model.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", type=Path, required=True, help="the model to start from (JSON)")
    parser.add_argument("--out", type=Path, required=True, help="the model to write (JSON)")
    parser.add_argument("--configs", type=int, default=12,
                        help="random configurations of each generator the scale is fitted on (default 12)")
    args = parser.parse_args()
    text = args.base.read_text(encoding="utf-8")
    body = json.loads(text)
    model = FellegiSunter.from_dict(body)
    train = _train_tool()
    scale = train.fit_scale(model, args.configs, args.configs)
    print("scales fitted:", " ".join(f"{name} {value}" for name, value in scale.items()), flush=True)
    old = float(model.scale.get(COMPARISON, 1.0))
    body["params"]["scale"] = {**body["params"].get("scale", {}), COMPARISON: scale[COMPARISON]}
    body.pop("version", None)
    provenance = str(body.pop("provenance", ""))
    out = FellegiSunter.from_dict(body).to_dict()
    out["provenance"] = provenance + (
        f"; {COMPARISON} scale {old} -> {scale[COMPARISON]} refitted with term frequencies counted by the case's "
        f"sex (tools/gsex_level.py, {args.configs} configurations of each generator, seeds "
        f"{train.SCALE_SEED} + i and {train.CLEANROOM_SCALE_SEED} + i)")
    args.out.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out} (version {out['version']}): {COMPARISON} scale {old} -> {scale[COMPARISON]}")


if __name__ == "__main__":
    main()
