"""tools/mdmonth_level.py adds the comparison "birth month, another year" to the model it is given and keeps
the rest: the lead may run it on a merged model holding other helpers' bumps. The draws (minutes of
generating) are replaced by a stand-in; what is tested is what the tool takes from them and what it keeps."""

from __future__ import annotations

import importlib.util
import json
import sys
import types
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from reunite.matching.comparisons.birth_month import Level
from reunite.matching.kinds import CASE_KINDS

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "src" / "reunite" / "data" / "default_model.json"
NAME = "birth_month"


def _tool() -> Any:
    spec = importlib.util.spec_from_file_location("mdmonth_level", ROOT / "tools" / "mdmonth_level.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _without_the_comparison() -> dict[str, Any]:
    base = json.loads(MODEL.read_text(encoding="utf-8"))
    base["spec"]["comparisons"].remove(NAME)
    for table in (base["m"], base["u"], base["levels"], *base["m_by_kind"].values()):
        table.pop(NAME)
    base["params"].get("scale", {}).pop(NAME, None)
    base["provenance"] += "; a note another helper's tool appended"
    return base


def test_the_comparison_is_added_from_the_draws_and_everything_else_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = _without_the_comparison()
    base_path, out_path = tmp_path / "base.json", tmp_path / "out.json"
    base_path.write_text(json.dumps(base, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    # true pairs: 3 of 4 compared in the same month (null pairs left out), every kind; random: 1 of 10
    same, differs = int(Level.SAME), int(Level.DIFFERS)
    true = np.array([[same, same, same, differs, -1, -1] * len(CASE_KINDS)], dtype=np.int8)
    kinds = np.repeat(np.arange(len(CASE_KINDS)), 6)
    rand = np.array([[same] + [differs] * 9 + [-1] * 5], dtype=np.int8)
    stand_in = types.SimpleNamespace(labelled_levels=lambda spec, *args: (true, kinds, rand))
    tool = _tool()
    monkeypatch.setattr(tool, "_train_tool", lambda: stand_in)
    monkeypatch.setattr(sys, "argv", ["mdmonth_level.py", "--base", str(base_path), "--out", str(out_path),
                                      "--configs", "2"])
    tool.main()
    out = json.loads(out_path.read_text(encoding="utf-8"))
    names = out["spec"]["comparisons"]
    assert names.index(NAME) == names.index("birth_monthday") + 1
    assert out["m"][NAME] == pytest.approx([0.25, 0.75])
    assert out["u"][NAME] == pytest.approx([0.9, 0.1])
    assert all(out["m_by_kind"][kind][NAME] == pytest.approx([0.25, 0.75]) for kind in CASE_KINDS)
    for name in base["spec"]["comparisons"]:
        assert out["m"][name] == base["m"][name] and out["u"][name] == base["u"][name]
        assert out["levels"][name] == base["levels"][name]
    assert out["params"]["scale"] == {**base["params"]["scale"], NAME: 1.0}
    assert list(out["params"]["scale"]) == names  # in the comparisons' order, as the scale tools read them
    assert out["provenance"].startswith(base["provenance"]) and "tools/mdmonth_level.py" in out["provenance"]
    # twice is an error, not a second copy
    monkeypatch.setattr(sys, "argv", ["mdmonth_level.py", "--base", str(out_path), "--out", str(out_path)])
    with pytest.raises(SystemExit):
        tool.main()
