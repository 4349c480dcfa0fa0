"""The nightly path as a careless or new user drives it (issue 10, "tried as a new user would").

* A night run by hand without ``--top-k`` (a removal list sent on its own, say) took the default
  top-k, not the store's: the run became a full re-screen that refit the model and changed every
  case's depth, exit 0. It now keeps the stored top-k; a different ``--top-k`` given on purpose
  still re-screens in full.
* A mistyped ``--db`` on a night that brings no cases (only candidates, only removals, or nothing)
  created a new database and recorded a "succeeded" run that screened nothing, exit 0. A new
  database is made only by a first run, which brings cases.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reunite.cli import main
from reunite.rescreen import rescreen
from reunite.store import Store

CASES = "case_id,name,sex,birth_date,missing_region\nC1,王小红,F,1988-05,310115\nC2,李强,M,1990,360302\n"
CANDIDATES = ("person_id,name,sex,birth_date,region\nP1,王小红,F,1988-05-03,310115\n"
              "P2,李强,M,1990-02-01,360302\nP3,李刚,M,1990-07-09,360302\nP4,王红,F,1988-01-03,310115\n"
              "P5,张丽,F,1988-09-03,310115\n")


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_night_without_top_k_keeps_the_stored_top_k(db_url: str, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    cases, people = _write(tmp_path / "cases.csv", CASES), _write(tmp_path / "people.csv", CANDIDATES)
    assert main(["rescreen", "--db", db_url, "--cases", str(cases), "--candidates", str(people),
                 "--top-k", "2"]) == 0
    _write(tmp_path / "dead.csv", "person_id\nP3\n")
    capsys.readouterr()
    assert main(["rescreen", "--db", db_url, "--remove-candidates", str(tmp_path / "dead.csv")]) == 0
    out = capsys.readouterr().out
    assert "incremental re-screen" in out and "full re-screen" not in out
    with Store.open(db_url) as store:
        assert store.last_top_k() == 2
        assert rescreen(store, candidates=people).kind == "incremental"  # the Python default too
        assert store.last_top_k() == 2
    assert main(["rescreen", "--db", db_url, "--top-k", "3"]) == 0  # asked for: a full run
    assert "full re-screen (top-k or blocking changed" in capsys.readouterr().out


@pytest.mark.parametrize("night", [["--candidates", "people.csv"], ["--remove-candidates", "dead.csv"], []])
def test_a_mistyped_db_on_a_night_without_cases_creates_nothing(tmp_path: Path, night: list[str],
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    _write(tmp_path / "people.csv", CANDIDATES)
    _write(tmp_path / "dead.csv", "person_id\nP3\n")
    typo = tmp_path / "reunte.db"
    args = [str(tmp_path / a) if a.endswith(".csv") else a for a in night]
    assert main(["rescreen", "--db", f"sqlite:///{typo}", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no such database file" in err[0] and "--cases creates it" in err[0], err
    assert not typo.exists()


def test_a_database_reunite_never_wrote_is_not_filled_by_a_night_without_cases(
        db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    people = _write(tmp_path / "people.csv", CANDIDATES)  # (PostgreSQL: an empty schema; SQLite: no file)
    assert main(["rescreen", "--db", db_url, "--candidates", str(people)]) == 2
    assert "a first reunite rescreen with --cases creates it" in capsys.readouterr().err
