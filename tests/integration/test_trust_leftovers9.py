"""Trust leftovers of the sixteenth session (issue 10), each failing on main before its fix: a quarantine
file an earlier night left, removed by a clean night or overwritten by the next night's (the only list of
the rows that night did not store)."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest

from reunite.cli import main

CASES = "case_id,name,sex,birth_date,missing_region\nC1,王小红,F,1988-05,310115\nC2,李强,M,1990,360302\n"
CANDIDATES = ("person_id,name,sex,birth_date,region\nP1,王小红,F,1988-05-03,310115\n"
              "P2,李强,M,1990-02-01,360302\nP3,李刚,M,1990-07-09,360302\n")


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _quarantined(path: Path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [(row["row"], row["reason"].split(":")[0]) for row in csv.DictReader(handle)]


def test_a_nights_quarantined_rows_outlive_the_next_nights_file(db_url: str, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    cases, people = _write(tmp_path / "cases.csv", CASES), _write(tmp_path / "tonight.csv", CANDIDATES)
    assert main(["rescreen", "--db", db_url, "--cases", str(cases), "--candidates", str(people), "--top-k", "2"]) == 0
    quarantine = tmp_path / "tonight.quarantine.csv"
    # night 1: P4's row has a cell too many, so P4 is not stored; the file is the only list of it
    _write(people, CANDIDATES + "P4,赵敏,F,1992-01-01,310115,extra\n")
    assert main(["rescreen", "--db", db_url, "--candidates", str(people)]) == 0
    night1 = _quarantined(quarantine)
    assert night1 == [("5", "wrong number of cells")]
    # night 2: the cron's file is replaced by tonight's, with another bad row
    _write(people, CANDIDATES + "P5,钱敏,F,1992-01-01,310115,extra\nP5b\n")
    capsys.readouterr()
    assert main(["rescreen", "--db", db_url, "--candidates", str(people)]) == 0
    out = capsys.readouterr().out
    [kept] = tmp_path.glob("tonight.quarantine.*.csv")
    assert _quarantined(kept) == night1  # main overwrote it with night 2's list
    assert f"the file left where tonight.csv's quarantine file goes (an earlier run's) is kept as {kept}" in out
    night2 = _quarantined(quarantine)
    assert night2 == [("5", "wrong number of cells"), ("6", "wrong number of cells")]
    # night 3: a clean file; night 2's list is kept too (main removed it)
    _write(people, CANDIDATES)
    assert main(["rescreen", "--db", db_url, "--candidates", str(people)]) == 0
    assert not quarantine.exists()
    lists = sorted(_quarantined(p) for p in tmp_path.glob("tonight.quarantine.*.csv"))
    assert lists == sorted([night1, night2])


def test_the_same_quarantine_file_again_is_not_kept_twice(tmp_path: Path) -> None:
    cases = _write(tmp_path / "cases.csv", CASES + "C3,赵,F,1991,310115,extra\n")
    people = _write(tmp_path / "people.csv", CANDIDATES)
    argv = ["screen", "--cases", str(cases), "--candidates", str(people), "--no-fit", "--out",
            str(tmp_path / "ranked.csv")]
    assert main(argv) == 0
    assert main(argv) == 0  # a screen run again on the same files: nothing to keep, one file
    assert sorted(p.name for p in tmp_path.glob("cases.quarantine*.csv")) == ["cases.quarantine.csv"]


def test_a_quarantine_file_does_not_overwrite_a_file_at_its_path(tmp_path: Path) -> None:
    people = _write(tmp_path / "people.csv", CANDIDATES)
    _write(tmp_path / "cases.quarantine.csv", "my own notes\n")  # main overwrote it
    book = tmp_path / "cases.xlsx"
    cases = _write(tmp_path / "cases.csv", CASES + "C3,赵,F,1991,310115,extra\n")
    argv = ["--candidates", str(people), "--no-fit", "--out", str(tmp_path / "ranked.csv")]
    assert main(["screen", "--cases", str(cases), *argv]) == 0
    [kept] = tmp_path.glob("cases.quarantine.*.csv")
    assert kept.read_text(encoding="utf-8") == "my own notes\n"
    first = (tmp_path / "cases.quarantine.csv").read_bytes()
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in (["case_id", "name", "sex", "birth_date", "missing_region"], ["C9", "赵敏", "F", "1992", "310115"],
                ["", "钱敏", "F", "1992", "310115"]):
        sheet.append(row)
    workbook.save(book)  # another input whose quarantine file has the same name: cases.csv's is kept
    assert main(["screen", "--cases", str(book), *argv]) == 0
    assert sorted(p.read_bytes() for p in tmp_path.glob("cases.quarantine.*.csv")) == sorted(
        [b"my own notes\n", first])


def test_a_lab_files_quarantined_rows_outlive_the_next_import(db_url: str, tmp_path: Path) -> None:
    cases, people = _write(tmp_path / "cases.csv", CASES), _write(tmp_path / "people.csv", CANDIDATES)
    assert main(["rescreen", "--db", db_url, "--cases", str(cases), "--candidates", str(people), "--top-k", "2"]) == 0
    lab = _write(tmp_path / "lab.csv", "case_id,person_id,outcome\nC1,P9,excluded\n")  # P9 is unknown
    assert main(["dna", "import", "--db", db_url, "--file", str(lab)]) == 0
    quarantine = tmp_path / "lab.quarantine.csv"
    first = quarantine.read_bytes()
    _write(lab, "case_id,person_id,outcome\nC1,P2,excluded\n")  # the lab's next file, under the same name
    assert main(["dna", "import", "--db", db_url, "--file", str(lab)]) == 0
    assert not quarantine.exists()
    [kept] = tmp_path.glob("lab.quarantine.*.csv")
    assert kept.read_bytes() == first  # main removed it


@pytest.fixture
def screened(db_url: str, tmp_path: Path) -> str:
    cases, people = _write(tmp_path / "cases.csv", CASES), _write(tmp_path / "people.csv", CANDIDATES)
    assert main(["rescreen", "--db", db_url, "--cases", str(cases), "--candidates", str(people), "--top-k", "2"]) == 0
    return db_url


@pytest.mark.parametrize("command", [["export"], ["plan"], ["plan", "html"], ["report"]])
def test_an_output_does_not_replace_a_file_it_did_not_write(screened: str, tmp_path: Path, command: list[str],
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    # main replaced the agency's cases file with the ranking (or the plan, or the report), exit 0
    suffix = ".html" if command[-1] in ("html", "report") else ".csv"
    agency = _write(tmp_path / f"all_cases{suffix}", CASES)
    before = agency.read_bytes()
    capsys.readouterr()
    assert main([command[0], "--db", screened, "--out", str(agency)]) == 2
    err = capsys.readouterr().err
    assert f"--out {agency}: expected a new file or " in err and "remove it first or choose another name" in err
    assert "Traceback" not in err and agency.read_bytes() == before
    # its own earlier output it replaces, as before
    mine = tmp_path / f"mine{suffix}"
    assert main([command[0], "--db", screened, "--out", str(mine)]) == 0
    assert main([command[0], "--db", screened, "--out", str(mine)]) == 0


def test_screen_does_not_replace_a_file_it_did_not_write(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases, people = _write(tmp_path / "new_cases.csv", CASES), _write(tmp_path / "people.csv", CANDIDATES)
    older = _write(tmp_path / "cases.csv", CASES + "C9,赵敏,F,1992,310115\n")  # another file, not an input
    capsys.readouterr()
    argv = ["screen", "--cases", str(cases), "--candidates", str(people), "--no-fit"]
    assert main([*argv, "--out", str(older)]) == 2
    assert "expected a new file or a RANKED.csv to replace" in capsys.readouterr().err
    assert older.read_text(encoding="utf-8").endswith("C9,赵敏,F,1992,310115\n")
    ranked, report = tmp_path / "ranked.csv", _write(tmp_path / "notes.html", "<html>my notes</html>")
    assert main([*argv, "--out", str(ranked), "--report", str(report)]) == 2  # checked before the screen
    assert not ranked.exists() and report.read_text(encoding="utf-8") == "<html>my notes</html>"
    assert main([*argv, "--out", str(ranked), "--lang", "zh"]) == 0
    assert main([*argv, "--out", str(ranked)]) == 0  # a RANKED.csv in Chinese headers is one to replace
    empty = _write(tmp_path / "empty.csv", "")  # an empty file (made by mktemp) is taken
    assert main([*argv, "--out", str(empty)]) == 0
    older = _write(tmp_path / "older.csv", "case_id,rank,person_id,score,probability,reasons\nC1,1,P1,9.1,0.9,x\n")
    assert main([*argv, "--out", str(older)]) == 0  # an earlier version's RANKED.csv, other columns after these


def test_export_and_verify_between_a_dna_outcome_and_the_next_night(db_url: str, tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    cases, people = _write(tmp_path / "cases.csv", CASES), _write(tmp_path / "people.csv", CANDIDATES)
    assert main(["rescreen", "--db", db_url, "--cases", str(cases), "--candidates", str(people), "--top-k", "2"]) == 0
    out = tmp_path / "ranked.csv"
    assert main(["dna", "record", "--db", db_url, "--case", "C2", "--person", "P2", "--outcome", "excluded"]) == 0
    assert main(["dna", "record", "--db", db_url, "--case", "C1", "--person", "P1", "--outcome", "confirmed"]) == 0
    assert main(["dna", "record", "--db", db_url, "--case", "C1", "--person", "P1", "--outcome", "excluded",
                 "--supersede"]) == 0  # the lab doubts it: C1 reopens, screened again by the next night
    capsys.readouterr()
    # main wrote C2's excluded person and left out the reopened C1 without a word
    assert main(["export", "--db", db_url, "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert ("reunite export: warning: 2 open case(s) changed since the last re-screen and are not re-ranked yet: "
            "1 with DNA exclusions recorded since") in err
    assert "1 without a stored ranking (reopened, or written outside a run: not in it): 'C2', 'C1'" in err
    # plan leaves the excluded person out at once, and said nothing of the reopened case it left out
    assert main(["plan", "--db", db_url, "--out", str(tmp_path / "plan.csv")]) == 0
    assert ("reunite plan: warning: 1 open case(s) have no stored ranking yet (reopened, or written outside a run) "
            "and are not in this plan: 'C1'") in capsys.readouterr().err
    # main said DIFFERS (exit 1) without a word of why: a difference that is the next night's work, not a fault
    assert main(["verify", "--db", db_url]) == 1
    said = capsys.readouterr().out
    assert ("reunite verify: warning: 2 open case(s) changed since the last re-screen and are not re-ranked yet"
            in said.splitlines()[0])
    assert "(their differences from a full screen are that night's work, not a fault)" in said
    assert "DIFFERS" in said
    assert main(["rescreen", "--db", db_url, "--candidates", str(people)]) == 0  # the night
    capsys.readouterr()
    assert main(["export", "--db", db_url, "--out", str(out)]) == 0
    assert main(["plan", "--db", db_url, "--out", str(tmp_path / "plan.csv")]) == 0
    assert "warning" not in capsys.readouterr().err
    assert main(["verify", "--db", db_url]) == 0
    assert "verified: the stored ranking of 2 open cases" in capsys.readouterr().out
    with out.open(encoding="utf-8-sig", newline="") as handle:
        assert ("C2", "P2") not in {(r["case_id"], r["person_id"]) for r in csv.DictReader(handle)}
