"""A mistyped database path must not become a new, empty database: the commands and the Python API
that only read refuse a SQLite file that does not exist, in one line naming it; ``rescreen``
creates the database on a first run, but not before its inputs are known to exist."""

from __future__ import annotations

from pathlib import Path

import pytest

from reunite.cli import main
from reunite.errors import StoreError
from reunite.rescreen import verify
from reunite.store import Store


def test_verify_from_python_refuses_a_missing_database_file(tmp_path: Path) -> None:
    typo = tmp_path / "reunite-typo.db"
    with pytest.raises(StoreError, match=r"no such database file .*reunite-typo\.db"):
        verify(f"sqlite:///{typo}")
    assert not typo.exists()


def test_open_without_create_refuses_a_database_reunite_never_wrote(tmp_path: Path) -> None:
    (tmp_path / "empty.db").touch()
    with pytest.raises(StoreError, match="not a reunite database"):
        Store.open(f"sqlite:///{tmp_path / 'empty.db'}", create=False)
    assert (tmp_path / "empty.db").stat().st_size == 0


def test_rescreen_with_a_mistyped_input_creates_no_database(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "first.db"
    assert main(["rescreen", "--db", f"sqlite:///{db}", "--cases", str(tmp_path / "casse.csv")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--cases" in err[0] and "no such file" in err[0]
    assert not db.exists()
