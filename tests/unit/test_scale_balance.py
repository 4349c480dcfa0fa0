"""The comparison scales' fit (tools/train_default_model.py ``fit_scale``, run by tools/rescale_level.py)
learns from two generators. Pooled, the generator with more usable cases decides; ``balance="generators"``
weighs each generator's mean log-likelihood per case alike, as the temperature and prior's calibration
does, so how many cases a generator brings no longer moves the scales. And ``--calibrate-only
--fit-scale`` rewrites the scales' note of the provenance without dropping the notes later tools appended
after it (their levels are still in the model)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from reunite.matching.model import FellegiSunter

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "src" / "reunite" / "data" / "default_model.json"


def _load(name: str, path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _generator(rng: np.random.Generator, n_cases: int, d: int, signal: int, rows: int = 6
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cases of ``rows`` rows each; the child's row stands out on column ``signal`` (and on every column a
    little, so no multiplier runs to its bound)."""
    x = rng.normal(size=(n_cases * rows, d))
    case = np.repeat(np.arange(n_cases), rows).astype(np.int64)
    y = np.zeros(n_cases * rows, dtype=bool)
    y[np.arange(n_cases) * rows] = True
    x[y] += 0.3
    x[y, signal] += 1.5
    return x, y, case


def _repeated(part: tuple[np.ndarray, np.ndarray, np.ndarray], times: int
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The same cases ``times`` over, each copy a case of its own."""
    x, y, case = part
    n = int(case.max()) + 1
    return (np.tile(x, (times, 1)), np.tile(y, times),
            np.concatenate([case + k * n for k in range(times)]).astype(np.int64))


def test_a_case_weighed_twice_counts_as_the_case_twice() -> None:
    logit = _load("conditional_logit", ROOT / "benchmarks" / "conditional_logit.py")
    rng = np.random.default_rng(3)
    x, y, case = _generator(rng, 120, 3, signal=0)
    weight = np.where(np.arange(120) < 40, 2.0, 1.0)
    weighed = logit.fit_multipliers(x, y, case, ridge=0.01, case_weight=weight)
    first = case < 40
    doubled = logit.fit_multipliers(np.concatenate([x, x[first]]), np.concatenate([y, y[first]]),
                                    np.concatenate([case, case[first] + 120]), ridge=0.01)
    plain = logit.fit_multipliers(x, y, case, ridge=0.01)
    # the weights are normalised to a mean of 1, as the duplicated cases are averaged: the same objective
    assert weighed == pytest.approx(doubled, abs=2e-3)
    assert weighed != pytest.approx(plain, abs=2e-3)
    assert logit.fit_multipliers(x, y, case, ridge=0.01, case_weight=np.full(120, 5.0)) == pytest.approx(plain)
    with pytest.raises(ValueError, match="case_weight"):
        logit.fit_multipliers(x, y, case, case_weight=np.ones(7))


def test_balanced_scales_do_not_follow_the_generator_with_more_cases() -> None:
    train = _load("train_default_model", ROOT / "tools" / "train_default_model.py")
    body = json.loads(MODEL.read_text(encoding="utf-8"))
    body.pop("provenance", None)
    body.pop("version", None)
    model = FellegiSunter.from_dict(body)
    d = len(model.spec.comparisons)
    rng = np.random.default_rng(5)
    synth = _generator(rng, 150, d, signal=0)  # one generator's child stands out on the first comparison,
    clean = _generator(rng, 150, d, signal=1)  # the other's on the second
    balanced = train._fit_scale_on(model, [synth, clean], 0.01, "generators")
    assert train._fit_scale_on(model, [_repeated(synth, 3), clean], 0.01, "generators") == pytest.approx(
        balanced, abs=0.002)
    pooled, more = (train._fit_scale_on(model, [synth, clean], 0.01, "cases"),
                    train._fit_scale_on(model, [_repeated(synth, 3), clean], 0.01, "cases"))
    first, second = model.spec.comparisons[:2]
    assert pooled == pytest.approx(balanced)  # as many cases each: pooling is weighing alike
    assert more[first] > balanced[first] + 0.02 and more[second] < balanced[second] - 0.02
    with pytest.raises(ValueError, match="balance"):
        train.fit_scale(model, 1, 1, balance="configurations")


def test_calibrate_only_fit_scale_keeps_the_notes_appended_after_the_scales(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    train = _load("train_default_model", ROOT / "tools" / "train_default_model.py")
    base = json.loads(MODEL.read_text(encoding="utf-8"))
    _, found, old_note = base["provenance"].partition("; scale per comparison")
    assert found and "; " in old_note  # the shipped model has notes after its scales' note
    later = old_note[old_note.index("; "):]
    base_path, out_path = tmp_path / "base.json", tmp_path / "out.json"
    base_path.write_text(json.dumps(base, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    monkeypatch.setattr(train, "OUT", base_path)
    monkeypatch.setattr(train, "fit_scale", lambda model, n, c: {name: 1.0 for name in model.spec.comparisons})
    monkeypatch.setattr(train, "calibrate", lambda model, n, cases, candidates, c: (1.0, 0.4))
    monkeypatch.setattr(sys, "argv", ["train_default_model.py", "--calibrate-only", "--fit-scale", "2",
                                      "--out", str(out_path)])
    train.main()
    provenance = json.loads(out_path.read_text(encoding="utf-8"))["provenance"]
    assert provenance.endswith(later)  # split_on_time_level's, regloss_level's, ... notes, in order
    assert provenance.count("; scale per comparison fitted") == 1
    assert "on 2 random configurations of reunite.synth" in provenance
    assert "built by tools/overlap_level.py" in provenance
