"""PostgreSQL from a plain install (issue 10): a missing driver is one line naming the extra."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pytest

from reunite.cli import main
from reunite.errors import StoreError
from reunite.store.db import create_store_engine

ROOT = Path(__file__).resolve().parents[2]


def test_the_postgres_extra_brings_the_driver() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    assert any(requirement.startswith("psycopg[binary]") for requirement in extras["postgres"])
    assert "pip install 'reunite[postgres]'" in (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("url", ["postgresql+psycopg://user@127.0.0.1:1/reunite", "postgresql://u@h/db"])
def test_a_missing_driver_names_the_extra(monkeypatch: pytest.MonkeyPatch, url: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    for module in ("psycopg", "psycopg2"):
        monkeypatch.setitem(sys.modules, module, None)  # import fails as on a plain install
    with pytest.raises(StoreError, match=r"pip install 'reunite\[postgres\]'"):
        create_store_engine(url)
    assert main(["plan", "--db", url, "--out", "plan.csv"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "pip install 'reunite[postgres]'" in err[0]
