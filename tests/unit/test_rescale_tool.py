"""tools/rescale_level.py refits the scales, temperature and prior of the model it is given and keeps the
rest: the lead re-runs it on a merged model that holds other helpers' levels, so their m and u and the
provenance notes their tools appended must survive. The fits themselves (minutes of screening) are replaced
by stand-ins here; what is tested is what the tool takes from them and what it keeps."""

from __future__ import annotations

import importlib.util
import json
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from reunite.matching.model import FellegiSunter

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "src" / "reunite" / "data" / "default_model.json"


def _tool() -> Any:
    spec = importlib.util.spec_from_file_location("rescale_level", ROOT / "tools" / "rescale_level.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_refit_takes_the_fitted_scales_and_calibration_and_keeps_everything_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = json.loads(MODEL.read_text(encoding="utf-8"))
    base["provenance"] += "; a note another helper's tool appended after the scales were fitted"
    base_path, out_path = tmp_path / "base.json", tmp_path / "out.json"
    base_path.write_text(json.dumps(base, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    seen: dict[str, Any] = {}

    def fit_scale(model: FellegiSunter, n_configs: int, cleanroom_configs: int, balance: str) -> dict[str, float]:
        seen["fit"] = (dict(model.scale), n_configs, cleanroom_configs)
        seen["balance"] = balance
        return {name: round(0.5 + 0.1 * k, 3) for k, name in enumerate(model.spec.comparisons)}

    def calibrate(model: FellegiSunter, n_configs: int, n_cases: int, n_candidates: int,
                  cleanroom_configs: int) -> tuple[float, float]:
        seen["calibrated_on_scale"] = dict(model.scale)
        seen["calibrate"] = (n_configs, cleanroom_configs)
        return 0.85, 0.3

    train = types.SimpleNamespace(fit_scale=fit_scale, calibrate=calibrate, SCALE_TOP_K=50, SCALE_RIDGE=0.01,
                                  SCALE_SEED=800_000, CLEANROOM_SCALE_SEED=8000, CALIBRATION_SEED=700_000,
                                  CLEANROOM_SEED=7000)
    tool = _tool()
    monkeypatch.setattr(tool, "_train_tool", lambda: train)
    monkeypatch.setattr(sys, "argv", ["rescale_level.py", "--base", str(base_path), "--out", str(out_path),
                                      "--fit-scale", "3", "--calibration-configs", "2", "--cleanroom-configs", "1"])
    tool.main()

    out = json.loads(out_path.read_text(encoding="utf-8"))
    fitted = {name: round(0.5 + 0.1 * k, 3) for k, name in enumerate(base["params"]["scale"])}
    assert seen["fit"] == (base["params"]["scale"], 3, 3)  # fitted from the base's own scales
    assert seen["balance"] == "cases"  # the generators' cases pooled unless told
    assert seen["calibrated_on_scale"] == fitted  # temperature and prior fitted after the new scales
    assert seen["calibrate"] == (2, 1)
    assert out["params"]["scale"] == fitted
    assert (out["params"]["temperature"], out["params"]["prior"]) == (0.85, 0.3)
    for key in ("format", "spec", "m", "u", "lambda", "levels", "m_by_kind"):
        assert out[key] == base[key], key
    kept = {k: v for k, v in out["params"].items() if k not in ("scale", "temperature", "prior")}
    assert kept == {k: v for k, v in base["params"].items() if k not in ("scale", "temperature", "prior")}
    assert out["provenance"].startswith(base["provenance"] + "; scales refitted")
    assert f"version {base['version']}" in out["provenance"]
    assert out["version"] != base["version"]
    assert FellegiSunter.from_dict(out).scale == fitted  # the written model loads with its new scales


def test_balance_generators_reaches_the_fit_and_the_provenance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def fit_scale(model: FellegiSunter, n_configs: int, cleanroom_configs: int, balance: str) -> dict[str, float]:
        seen["balance"] = balance
        return dict(model.scale)

    train = types.SimpleNamespace(fit_scale=fit_scale, calibrate=lambda *args: (1.0, 0.4), SCALE_TOP_K=50,
                                  SCALE_RIDGE=0.01, SCALE_SEED=800_000, CLEANROOM_SCALE_SEED=8000,
                                  CALIBRATION_SEED=700_000, CLEANROOM_SEED=7000)
    tool = _tool()
    monkeypatch.setattr(tool, "_train_tool", lambda: train)
    out_path = tmp_path / "out.json"
    monkeypatch.setattr(sys, "argv", ["rescale_level.py", "--base", str(MODEL), "--out", str(out_path),
                                      "--balance", "generators"])
    tool.main()
    assert seen["balance"] == "generators"
    assert "each generator's mean per case weighed alike:" in json.loads(out_path.read_text(encoding="utf-8"))[
        "provenance"]
