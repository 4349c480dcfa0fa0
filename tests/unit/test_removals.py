"""Reading a removal list and deciding its rows: pure functions, no database."""

from __future__ import annotations

from pathlib import Path

import pytest

from reunite.errors import InputError, MissingColumnsError, MissingFileError
from reunite.store.removals import decide_removals, read_removals


def test_a_csv_with_chinese_headers_a_reason_and_other_columns(tmp_path: Path) -> None:
    path = tmp_path / "dead.csv"
    path.write_text("人员编号,原因,死亡日期\nP1,死亡,2020-01-01\n\nP2,,\nP1,重复,\n,,x\nP3,a\n", encoding="gb18030")
    found = read_removals(path, "candidates")
    assert found.rows == ((2, "P1", "死亡"), (4, "P2", ""))
    report = found.report
    assert (report.read, report.accepted, report.quarantined, report.blank_rows) == (5, 2, 3, 1)
    assert report.ignored_columns == ["死亡日期"]
    assert sorted(p.row for p in report.problems) == [5, 6, 7]
    assert "ignored columns: 死亡日期" in report.summary()


def test_a_mapping_names_the_id_column(tmp_path: Path) -> None:
    path = tmp_path / "withdrawn.csv"
    path.write_text("报案编号,why\nC1,found\n", encoding="utf-8")
    with pytest.raises(MissingColumnsError, match="missing column case_id"):
        read_removals(path, "cases")
    found = read_removals(path, "cases", mapping={"报案编号": "case_id", "why": "reason"})
    assert found.rows == ((2, "C1", "found"),)


def test_a_missing_file_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(MissingFileError, match="no such file"):
        read_removals(tmp_path / "nope.csv", "candidates")


def test_every_decision_is_in_the_report_and_the_list_stays_as_read() -> None:
    found = read_removals(["P1", "P2", "P3", "P4", "P5", "P6", "P7"], "candidates")
    stored = {"P1": None, "P2": 4, "P4": None, "P5": None, "P6": None, "P7": None}
    removed, report = decide_removals(found, stored=stored, given={"P5"}, confirmed={"P4": ["C1"], "P7": ["C2"]},
                                      pending={"P6": ["C3"]}, force=False)
    assert [r.record_id for r in removed] == ["P1", "P6"]
    assert (report.read, report.accepted, report.quarantined, report.flagged) == (7, 3, 4, 2)
    assert found.report.problems == []  # deciding again starts from the list as read
    removed, report = decide_removals(found, stored=stored, given=set(), confirmed={"P4": ["C1"]}, pending={},
                                      force=True)
    assert [(r.record_id, r.forced) for r in removed] == [("P1", False), ("P4", True), ("P5", False),
                                                          ("P6", False), ("P7", False)]
    assert report.read == report.accepted + report.quarantined


def test_the_summary_of_a_removal_list_says_what_a_flag_means() -> None:
    found = read_removals(["P1"], "candidates")
    _, report = decide_removals(found, stored={"P1": 3}, given=set(), confirmed={}, pending={}, force=False)
    summary = report.summary()
    assert "already removed" in summary and "kept for screening" not in summary


def test_an_excel_workbook_with_ids_stored_as_numbers(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["person_id", "reason"])
    sheet.append([1024, "died"])
    sheet.append(["P7", None])
    book.save(tmp_path / "dead.xlsx")
    found = read_removals(tmp_path / "dead.xlsx", "candidates")
    assert found.rows == ((2, "1024", "died"), (3, "P7", ""))
    (tmp_path / "dead.csv").write_bytes((tmp_path / "dead.xlsx").read_bytes())  # a workbook named .csv
    with pytest.raises(InputError, match="zip file"):
        read_removals(tmp_path / "dead.csv", "candidates")
