"""benchmarks/kinds_bound.py runs, small: finer kinds reach the model, the bound is measured."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _bound(tmp: Path, scheme: str, *extra: str) -> dict[str, object]:
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "kinds_bound.py"), "cleanroom", "--scheme", scheme,
         "--profile", "default", "--seed", "3", "--cases", "80", "--candidates", "4000", "--work", str(tmp),
         *extra],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    row: dict[str, object] = json.loads(completed.stdout.strip().splitlines()[-1])
    return row


@pytest.mark.parametrize(("scheme", "expected"), [
    ("coarse", {"unknown", "baby", "child"}),
    ("fine", {"newborn", "infant", "toddler", "young", "older"}),
])
def test_a_scheme_decides_the_kinds_of_every_case(tmp_path: Path, scheme: str, expected: set[str]) -> None:
    row = _bound(tmp_path, scheme)
    kinds = row["kinds"]
    assert isinstance(kinds, dict)
    assert sum(kinds.values()) == 80
    assert set(kinds) <= {"unknown", "baby", "child", "newborn", "infant", "toddler", "young", "older"}
    assert expected <= set(kinds) if scheme == "fine" else set(kinds) <= expected
    assert 0.0 < float(row["recall@10"]) <= 1.0  # type: ignore[arg-type]


def test_oracle_kinds_come_from_the_generators_truth(tmp_path: Path) -> None:
    row = _bound(tmp_path, "oracle_story", "--train-seed", "4")
    kinds = row["kinds"]
    assert isinstance(kinds, dict) and sum(kinds.values()) == 80
    assert all(name.split("-")[0] in {"given", "trafficked", "abandoned", "strayed"} for name in kinds)
    assert row["train_seed"] == 4
