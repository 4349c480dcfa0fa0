"""Cases in a CSV file and candidates in an Excel workbook (or the reverse), as agencies keep them:
``--sheet`` picks the workbook's sheet and ``--encoding`` the CSV file's encoding. Each option
applied to both inputs, so either one stopped the run ("--sheet applies to .xlsx workbooks, not to
text files")."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from reunite.cli import main

CASES = "case_id,name,sex,birth_date,missing_region\nC1,王小红,F,1988-05,310115\nC2,李强,M,1990,360302\n"
PEOPLE = [["person_id", "name", "sex", "birth_date", "region"],
          ["P1", "王小红", "F", "1988-05-03", "上海市南汇县"], ["P2", "张小红", "F", "1988-06-11", "310115"],
          ["P3", "李强", "M", "1990-02-01", "360302"]]


@pytest.fixture
def inputs(tmp_path: Path) -> tuple[Path, Path]:
    cases = tmp_path / "cases.csv"
    cases.write_bytes(CASES.encode("gbk"))
    book = openpyxl.Workbook()
    book.active.append(["说明"])
    sheet = book.create_sheet("people")
    for row in PEOPLE:
        sheet.append(row)
    people = tmp_path / "people.xlsx"
    book.save(people)
    return cases, people


def test_screen_takes_sheet_and_encoding_with_a_csv_and_a_workbook(
    inputs: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases, people = inputs
    assert main(["screen", "--cases", str(cases), "--candidates", str(people), "--sheet", "people",
                 "--encoding", "gbk", "--top-k", "2", "--out", str(tmp_path / "ranked.csv")]) == 0
    out = capsys.readouterr().out
    assert "cases.csv: read 2, accepted 2, quarantined 0 (encoding gbk)" in out
    assert "people.xlsx: read 3, accepted 3, quarantined 0" in out


def test_rescreen_takes_sheet_and_encoding_with_a_csv_and_a_workbook(
    inputs: tuple[Path, Path], db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    cases, people = inputs
    assert main(["rescreen", "--db", db_url, "--cases", str(cases), "--candidates", str(people),
                 "--sheet", "1", "--encoding", "gbk", "--top-k", "2"]) == 0
    assert "people.xlsx: read 3, accepted 3, quarantined 0" in capsys.readouterr().out


def test_an_option_that_fits_no_input_is_one_line(
    inputs: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases, _ = inputs
    other = tmp_path / "other.csv"
    other.write_text("person_id,sex,birth_date\nP1,F,1988\n", encoding="utf-8")
    assert main(["screen", "--cases", str(cases), "--candidates", str(other), "--sheet", "people",
                 "--out", str(tmp_path / "ranked.csv")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--sheet" in err[0] and ".xlsx" in err[0], err
