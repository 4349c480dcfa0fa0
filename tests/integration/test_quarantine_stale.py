"""A quarantine file an earlier run left where this run would write its own must not read as this
run's: a run that quarantines and flags nothing in an input renames it to a dated name and says so
(it may be the only list of rows that run did not store); a file that is not a quarantine file is
left alone."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from reunite.cli import main

CASES = "case_id,name,sex,birth_date,missing_region\nC1,王小红,F,1988-05,310115\nC2,李强,M,1990,360302\n"
BAD_CASES = CASES + "C3,赵,F,1991,310115,extra\n"
CANDIDATES = ("person_id,name,sex,birth_date,region\nP1,王小红,F,1988-05-03,310115\n"
              "P2,李强,M,1990-02-01,360302\nP3,李刚,M,1990-07-09,360302\n")


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_rescreen_sets_aside_the_quarantine_file_an_earlier_night_left(db_url: str, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    cases, people = _write(tmp_path / "cases.csv", BAD_CASES), _write(tmp_path / "people.csv", CANDIDATES)
    assert main(["rescreen", "--db", db_url, "--cases", str(cases), "--candidates", str(people), "--top-k", "2"]) == 0
    stale = tmp_path / "cases.quarantine.csv"
    assert stale.exists()
    capsys.readouterr()
    _write(cases, CASES.replace("王小红", "王晓红"))  # tonight's file: one changed case, no bad row
    assert main(["rescreen", "--db", db_url, "--cases", str(cases), "--top-k", "2"]) == 0
    out = capsys.readouterr().out
    assert not stale.exists()
    [kept] = tmp_path.glob("cases.quarantine.*.csv")
    assert ("nothing quarantined or flagged in cases.csv: the quarantine file an earlier run left is kept as "
            f"{kept}") in out


def test_screen_sets_aside_a_stale_quarantine_file_and_leaves_other_files(tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    cases, people = _write(tmp_path / "cases.csv", BAD_CASES), _write(tmp_path / "people.csv", CANDIDATES)
    out = tmp_path / "ranked.csv"
    assert main(["screen", "--cases", str(cases), "--candidates", str(people), "--no-fit", "--out", str(out)]) == 0
    stale = tmp_path / "cases.quarantine.csv"
    assert stale.exists()
    _write(cases, CASES)
    mine = _write(tmp_path / "people.quarantine.csv", "my own notes\n")  # not a quarantine file: kept
    capsys.readouterr()
    assert main(["screen", "--cases", str(cases), "--candidates", str(people), "--no-fit", "--out", str(out)]) == 0
    assert not stale.exists() and mine.read_text(encoding="utf-8") == "my own notes\n"
    assert len(list(tmp_path.glob("cases.quarantine.*.csv"))) == 1
    assert "is kept as" in capsys.readouterr().out


def test_another_inputs_quarantine_file_with_the_same_name_is_left_alone(db_url: str, tmp_path: Path) -> None:
    cases, people = _write(tmp_path / "cases.csv", BAD_CASES), _write(tmp_path / "people.csv", CANDIDATES)
    assert main(["rescreen", "--db", db_url, "--cases", str(cases), "--candidates", str(people), "--top-k", "2"]) == 0
    other = tmp_path / "cases.quarantine.csv"  # cases.csv's problems
    kept = other.read_text(encoding="utf-8-sig")
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["case_id", "name", "sex", "birth_date", "missing_region"])
    sheet.append(["C9", "赵敏", "F", "1992", "310115"])
    book.save(tmp_path / "cases.xlsx")  # another input whose quarantine file would have the same name
    assert main(["rescreen", "--db", db_url, "--cases", str(tmp_path / "cases.xlsx")]) == 0
    assert other.read_text(encoding="utf-8-sig") == kept
