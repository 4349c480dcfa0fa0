"""benchmarks/given_name_variants.py: the variants change the given-name weights and nothing else."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from reunite.matching.model import default_model

_SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "given_name_variants.py"


@pytest.fixture(scope="module")
def script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("given_name_variants", _SCRIPT)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["given_name_variants"] = mod
    spec.loader.exec_module(mod)
    return mod


def test_variants(script) -> None:  # type: ignore[no-untyped-def]
    shipped = default_model()
    scale = shipped.scale["given_name"]
    base = script.variant(shipped, "base")
    both = script.variant(shipped, "tfu+gs1.0")
    assert both.scale["given_name"] == 1.0 and base.scale == shipped.scale
    assert {k: v for k, v in both.scale.items() if k != "given_name"} == {
        k: v for k, v in shipped.scale.items() if k != "given_name"}
    freq = np.array([1e-4, 0.02], dtype=np.float32)
    level = len(shipped.u_[0]) - 1  # given name: same characters
    unscaled = script.variant(shipped, "tfu").tf_adjustment("given_name", level, freq, 200_000)
    np.testing.assert_allclose(unscaled * scale, base.tf_adjustment("given_name", level, freq, 200_000), rtol=1e-5)
    assert [w.tolist() for w in both.weights_][1:] == [w.tolist() for w in shipped.weights_][1:]
    with pytest.raises(SystemExit, match="variant"):
        script.variant(shipped, "gs")
