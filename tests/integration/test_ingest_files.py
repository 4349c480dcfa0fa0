"""Whole inputs through read_table: encodings, Excel workbooks, SQLite, the quarantine file."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa

from reunite.errors import ConfigError, InputError
from reunite.export import write_quarantine
from reunite.ingest import RawTable, read_table

CASES_TEXT = (
    "编号,姓名,小名,性别,出生日期,历法,走失日期,走失地点,体貌特征,备注\n"
    "C001,王芳（送养）,小红,女,1988年5月3日,农历,1988-05-20,江西省萍乡市安源区,左耳后有痣,\n"
    "C002,娜,毛毛,男,1990,,1991-3,360302,,NA\n"
    "C003,楠,,不详,1992-07,,,\"河北省,邯郸市\",\"胎记\n右手\",null\n"
)


def comparable(table: RawTable) -> tuple[dict[str, list[str]], list[int], int]:
    return table.columns, table.rows.tolist(), table.report.read


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig"])
def test_gbk_and_bom_files_read_the_same_as_utf8(tmp_path: Path, encoding: str) -> None:
    plain, other = tmp_path / "utf8.csv", tmp_path / f"{encoding}.csv"
    plain.write_bytes(CASES_TEXT.encode("utf-8"))
    other.write_bytes(CASES_TEXT.encode(encoding))
    expected = read_table(plain, "cases")
    got = read_table(other, "cases")
    assert comparable(got) == comparable(expected)
    assert got.report.encoding == ("gb18030" if encoding != "utf-8-sig" else "utf-8-sig")
    assert expected.report.encoding == "utf-8"
    assert got.columns["name"] == ["王芳（送养）", "娜", "楠"]
    assert got.columns["marks"][2] == "胎记\n右手"
    assert got.report.columns["case_id"] == "编号"  # the BOM is not part of the first header


def test_utf16_excel_unicode_text_export(tmp_path: Path) -> None:
    path = tmp_path / "cases.txt"
    text = CASES_TEXT.replace(",", "\t").replace('"河北省\t邯郸市"', "河北省 邯郸市")
    path.write_bytes(text.encode("utf-16"))
    table = read_table(path, "cases")
    assert table.report.encoding == "utf-16"
    assert table.report.delimiter == "\t"
    assert table.ids == ["C001", "C002", "C003"]


def write_workbook(path: Path) -> None:
    book = openpyxl.Workbook()
    notes = book.active
    notes.title = "说明"
    notes.append(["这是填表说明"])
    sheet = book.create_sheet("名单")
    sheet.append(["人员编号", "姓名", "性别", "出生日期", "身份证号", "户籍地", "入户日期"])
    sheet.append([1001, "李娜", "女", dt.datetime(1988, 5, 3), "11010119880503002X", "北京市东城区", 1995])
    sheet.append([1002.0, "NA", "F", "1988年", 110101198805030028, None, dt.date(1996, 1, 2)])
    sheet.append([None, None, None, None, None, None, None])
    sheet.append([1003, "楠", "3", 1988.0, None, None, None])
    sheet.append([1004, "null", "male", "1990-01", None, None, None, None, "extra"])
    book.active = 1
    book.save(path)


def test_xlsx_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "candidates.xlsx"
    write_workbook(path)
    table = read_table(path, "candidates")
    assert table.ids == ["1001", "1002"]
    assert table.columns["name"] == ["李娜", "NA"]
    assert table.columns["birth_date"] == ["1988-05-03", "1988年"]
    # Excel (and openpyxl) store a number with 15 significant digits: the digits come back without
    # an exponent, the lost ones as zeros, and the cell is flagged (not quarantined: normalize decides).
    assert table.columns["id_number"] == ["11010119880503002X", "110101198805030000"]
    assert table.columns["registration_date"] == ["1995", "1996-01-02"]
    assert table.columns["region"] == ["北京市东城区", ""]
    assert table.rows.tolist() == [2, 3]
    report = table.report
    assert (report.read, report.accepted, report.quarantined, report.blank_rows) == (4, 2, 2, 1)
    fatal = {p.row: str(p) for p in report.problems if p.fatal}
    assert fatal == {
        5: "column 'sex' in candidates.xlsx row 5: expected M/F/男/女 or a GB/T 2261.1 code 1/2/0/9, got '3'",
        6: "candidates.xlsx row 6: wrong number of cells: expected 7 as in the header, found 9 "
           "(got '1004,null,male,1990-01,,,,,extra')",
    }
    flags = [p for p in report.problems if not p.fatal]
    assert [(f.row, f.column, f.value) for f in flags] == [(3, "id_number", "110101198805030000")]
    assert flags[0].reason.startswith("number with more than 15 digits")


def test_xlsx_sheet_choice_and_errors(tmp_path: Path) -> None:
    path = tmp_path / "candidates.xlsx"
    write_workbook(path)
    by_name = read_table(path, "candidates", sheet="名单")
    assert by_name.ids == read_table(path, "candidates", sheet=1).ids == ["1001", "1002"]
    with pytest.raises(InputError, match=r"has no sheet 'Sheet9'; sheets are '说明', '名单'$"):
        read_table(path, "candidates", sheet="Sheet9")
    with pytest.raises(InputError, match="missing required candidates column"):
        read_table(path, "candidates", sheet=0)
    with pytest.raises(ConfigError, match=r"encoding= \(--encoding\) applies to text files"):
        read_table(path, "candidates", encoding="gbk")


def test_empty_workbook(tmp_path: Path) -> None:
    path = tmp_path / "cases.xlsx"
    openpyxl.Workbook().save(path)
    with pytest.raises(InputError, match=r"^cases\.xlsx is empty"):
        read_table(path, "cases")


def make_database() -> tuple[sa.Engine, sa.Table]:
    engine = sa.create_engine("sqlite://")
    meta = sa.MetaData()
    people = sa.Table(
        "people", meta,
        sa.Column("person_id", sa.Integer, primary_key=True), sa.Column("姓名", sa.String),
        sa.Column("gender", sa.String), sa.Column("dob", sa.Date), sa.Column("height", sa.Float),
    )
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(people.insert(), [
            {"person_id": 1, "姓名": "娜", "gender": "女", "dob": dt.date(1988, 5, 3), "height": 160.0},
            {"person_id": 2, "姓名": None, "gender": "M", "dob": None, "height": 171.5},
            {"person_id": 3, "姓名": "null", "gender": "X", "dob": dt.date(1990, 1, 1), "height": None},
        ])
    return engine, people


def test_sqlalchemy_table_and_select() -> None:
    engine, people = make_database()
    table = read_table(people, "candidates", connection=engine)
    assert table.ids == ["1", "2"]
    assert table.columns["name"] == ["娜", ""]
    assert table.columns["birth_date"] == ["1988-05-03", ""]
    assert table.report.source == "people"
    assert table.report.ignored_columns == ["height"]
    assert [str(p) for p in table.report.problems] == [
        "column 'sex' in people row 4: expected M/F/男/女 or a GB/T 2261.1 code 1/2/0/9, got 'X'"
    ]
    with engine.connect() as conn:
        query = sa.select(people).where(people.c.person_id > 1)
        selected = read_table(query, "candidates", connection=conn, label="recent")
    assert selected.ids == ["2"]
    assert selected.report.source == "recent"
    engine.dispose()


def test_sqlalchemy_errors() -> None:
    engine, people = make_database()
    with pytest.raises(ConfigError, match="needs connection="):
        read_table(people, "candidates")
    ghost = sa.Table("ghost", sa.MetaData(), sa.Column("person_id", sa.Integer))
    with pytest.raises(InputError, match="cannot read ghost from the database"):
        read_table(ghost, "candidates", connection=engine)
    engine.dispose()


def test_quarantine_file_lists_file_row_column_value_reason(tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    path.write_text("case_id,sex,birth_date\nC1,M,1988\nC1,F,1989\nC3,=1+1,1990\nC4,F\n", encoding="utf-8")
    table = read_table(path, "cases")
    out = write_quarantine(table.report, tmp_path / "quarantine.csv")
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows == [
        ["source", "row", "column", "value", "reason", "quarantined"],
        ["cases.csv", "3", "case_id", "C1", "duplicate id, first seen at row 2", "yes"],
        ["cases.csv", "4", "sex", "'=1+1", "expected M/F/男/女 or a GB/T 2261.1 code 1/2/0/9, got '=1+1'", "yes"],
        ["cases.csv", "5", "", "C4,F", "wrong number of cells: expected 3 as in the header, found 2", "yes"],
    ]
    summary = table.report.summary()
    assert summary.splitlines()[0] == "cases.csv: read 4, accepted 1, quarantined 3 (encoding utf-8)"
    assert summary.splitlines()[1:] == ["       1  duplicate id, first seen",
                                        "       1  expected M/F/男/女 or a GB/T 2261.1 code 1/2/0/9",
                                        "       1  wrong number of cells"]


def test_xlsx_formula_without_a_saved_value_is_kept_and_flagged(tmp_path: Path) -> None:
    # A workbook written by a script holds formulas with no value saved: read as empty, the name was lost.
    path = tmp_path / "candidates.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["person_id", "name", "sex", "birth_date"])
    sheet.append(["1001", '=HYPERLINK("http://x","张三")', "M", "1988-05-03"])
    sheet.append(["1002", "李娜", "F", "=TEXT(32000,\"yyyy-mm-dd\")"])
    sheet.append(["1003", "王五", "M", "1990"])
    book.save(path)
    table = read_table(path, "candidates")
    assert table.ids == ["1001", "1002", "1003"]
    assert table.columns["name"] == ['=HYPERLINK("http://x","张三")', "李娜", "王五"]
    assert table.columns["birth_date"] == ["1988-05-03", '=TEXT(32000,"yyyy-mm-dd")', "1990"]
    report = table.report
    assert (report.read, report.accepted, report.quarantined) == (3, 3, 0)
    flags = [(p.row, p.column, p.fatal) for p in report.problems if p.reason.startswith("a formula with no value")]
    assert flags == [(2, "name", False), (3, "birth_date", False)]
