"""read_table on small CSV files written in tmp_path: text cells, row validation, errors, strict mode."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import reunite.ingest as ingest
from reunite.errors import ConfigError, EncodingError, InputError, MissingColumnsError, MissingFileError
from reunite.ingest import CANDIDATE_COLUMNS, CASE_COLUMNS, cell_text, parse_sex, read_table

CASE_HEADER = "case_id,name,alias,sex,birth_date,birth_calendar,missing_date,missing_region,marks\n"


def write(tmp_path: Path, text: str, name: str = "cases.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_all_is_sorted_and_complete() -> None:
    # isort-style, as ruff's RUF022 keeps it: constants, then classes, then functions
    assert ingest.__all__ == sorted(ingest.__all__, key=lambda n: (not n.isupper(), not n[0].isupper(), n))
    public = {name for name in vars(ingest) if not name.startswith("_")}
    modules = {"columns", "encoding", "read", "report", "table", "annotations", "_safe"}
    assert public - modules == set(ingest.__all__)


def test_reads_every_canonical_column_as_stripped_text(tmp_path: Path) -> None:
    row = " C1 , 王芳 ,小红,女,1988-05-03,lunar,1990-01, 360302 ,左耳后有痣 \n"
    path = write(tmp_path, CASE_HEADER + row)
    table = read_table(path, "cases")
    assert set(table.columns) == set(CASE_COLUMNS)
    assert {k: v[0] for k, v in table.columns.items()} == {
        "case_id": "C1", "name": "王芳", "alias": "小红", "sex": "F", "birth_date": "1988-05-03",
        "birth_calendar": "lunar", "missing_date": "1990-01", "missing_region": "360302",
        "marks": "左耳后有痣",
    }
    assert table.rows.tolist() == [2]
    assert table.rows.dtype == np.int64
    assert table.report.encoding == "utf-8"
    assert table.report.delimiter == ","


def test_missing_value_lookalikes_survive_as_text(tmp_path: Path) -> None:
    names = ["NA", "nan", "null", "None", "娜", "楠", "N/A", "#N/A", "NULL"]
    body = "".join(f"C{i},{n},{n},M,{n}\n" for i, n in enumerate(names))
    table = read_table(write(tmp_path, "case_id,name,alias,sex,birth_date\n" + body), "cases")
    assert table.columns["name"] == names
    assert table.columns["alias"] == names
    assert table.columns["birth_date"] == names  # dates are normalize's business, not ingest's
    assert table.report.accepted == len(names)


def test_inner_text_kept_and_absent_columns_filled(tmp_path: Path) -> None:
    text = 'case_id,sex,birth_date,missing_region\nC1,M,1988,"江西省, 萍乡市\n安源区"\n'
    table = read_table(write(tmp_path, text), "cases")
    assert table.columns["missing_region"] == ["江西省, 萍乡市\n安源区"]
    assert table.columns["name"] == [""]
    assert table.columns["marks"] == [""]


def test_candidates_side(tmp_path: Path) -> None:
    text = ("人员编号,姓名,曾用名,性别,出生日期,身份证号,户籍地,入户日期,特征\n"
            "P1,李娜,李楠;李兰,女,1988,110101198805030028,北京,1995,\n")
    table = read_table(write(tmp_path, text, "candidates.csv"), "candidates")
    assert set(table.columns) == set(CANDIDATE_COLUMNS)
    assert table.ids == ["P1"]
    assert table.columns["former_names"] == ["李楠;李兰"]
    assert table.columns["id_number"] == ["110101198805030028"]
    assert table.report.columns["registration_date"] == "入户日期"


def test_ragged_rows_quarantined_with_row_numbers(tmp_path: Path) -> None:
    text = "case_id,sex,birth_date\nC1,M,1988\nC2,F\nC3,F,1990,extra\nC4,M,1991\n"
    table = read_table(write(tmp_path, text), "cases")
    assert table.ids == ["C1", "C4"]
    assert table.rows.tolist() == [2, 5]
    report = table.report
    assert (report.read, report.accepted, report.quarantined) == (4, 2, 2)
    assert sorted(report.quarantined_rows) == [3, 4]
    reasons = {p.row: p.reason for p in report.problems}
    assert reasons == {3: "wrong number of cells: expected 3 as in the header, found 2",
                       4: "wrong number of cells: expected 3 as in the header, found 4"}
    assert report.counts_by_reason() == {"wrong number of cells": 2}
    assert report.problems[1].value == "C3,F,1990,extra"


def test_row_numbers_are_physical_lines_with_embedded_newlines(tmp_path: Path) -> None:
    text = 'case_id,sex,birth_date,marks\nC1,M,1988,"line one\nline two\nline three"\nC2,X,1989,\n'
    table = read_table(write(tmp_path, text), "cases")
    assert table.rows.tolist() == [2]
    assert [p.row for p in table.report.problems] == [5]


def test_duplicate_ids_keep_the_first(tmp_path: Path) -> None:
    text = "case_id,sex,birth_date\nC1,M,1988\nC2,F,1989\nC1,F,1990\nC1,M,1991\n"
    table = read_table(write(tmp_path, text), "cases")
    assert table.ids == ["C1", "C2"]
    assert table.columns["birth_date"] == ["1988", "1989"]
    assert [(p.row, p.column, p.value, p.reason) for p in table.report.problems] == [
        (4, "case_id", "C1", "duplicate id, first seen at row 2"),
        (5, "case_id", "C1", "duplicate id, first seen at row 2"),
    ]
    assert table.report.counts_by_reason() == {"duplicate id, first seen": 2}


def test_a_quarantined_row_does_not_claim_its_id(tmp_path: Path) -> None:
    text = "case_id,sex,birth_date\nC1,3,1988\nC1,F,1988\n"
    table = read_table(write(tmp_path, text), "cases")
    assert table.ids == ["C1"]
    assert table.rows.tolist() == [3]


def test_empty_id_quarantined(tmp_path: Path) -> None:
    table = read_table(write(tmp_path, "case_id,sex,birth_date\n  ,M,1988\nC2,F,1989\n"), "cases")
    assert table.ids == ["C2"]
    assert [(p.row, p.column, p.reason) for p in table.report.problems] == [(2, "case_id", "empty id")]


def test_invalid_sex_message_follows_style(tmp_path: Path) -> None:
    rows = "".join(f"C{i},x,1988\n" for i in range(15)).replace("x", "M")
    text = "case_id,sex,birth_date\n" + rows + "C99,3,1988\n"
    table = read_table(write(tmp_path, text), "cases")
    problem = table.report.problems[0]
    assert str(problem) == (
        "column 'sex' in cases.csv row 17: expected M/F/男/女 or a GB/T 2261.1 code 1/2/0/9, got '3'")
    assert table.report.counts_by_reason() == {"expected M/F/男/女 or a GB/T 2261.1 code 1/2/0/9": 1}


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("M", "M"), ("f", "F"), ("Male", "M"), ("FEMALE", "F"), ("男", "M"), ("女性", "F"), ("男性", "M"),
     ("", ""), ("不详", ""), ("未知", ""), ("Ｆ", "F"), ("女孩", "F"), ("男婴", "M"), ("（女）", "F"),
     ("girl", "F"), ("不明", ""), ("1", "M"), ("2", "F"), ("0", ""), ("9", "")],
)
def test_sex_values_accepted_and_normalised(tmp_path: Path, cell: str, expected: str) -> None:
    table = read_table(write(tmp_path, f"case_id,sex,birth_date\nC1,{cell},1988\n"), "cases")
    assert table.columns["sex"] == [expected]


@pytest.mark.parametrize("cell", ["3", "X", "男孩?", "mf", "12"])
def test_sex_values_rejected(tmp_path: Path, cell: str) -> None:
    table = read_table(write(tmp_path, f"case_id,sex,birth_date\nC1,{cell},1988\n"), "cases")
    assert len(table) == 0
    assert table.report.problems[0].value == cell
    with pytest.raises(InputError, match=r"expected M/F/男/女 or a GB/T 2261.1 code 1/2/0/9, got"):
        parse_sex(cell)


def test_empty_file_and_header_only(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"^cases\.csv is empty"):
        read_table(write(tmp_path, ""), "cases")
    with pytest.raises(InputError, match=r"cases\.csv is empty"):
        read_table(write(tmp_path, "\n \n\n"), "cases")
    table = read_table(write(tmp_path, "case_id,sex,birth_date\n"), "cases")
    assert len(table) == 0
    assert table.columns["case_id"] == []
    assert table.report.read == 0


def test_blank_lines_skipped_and_counted(tmp_path: Path) -> None:
    table = read_table(write(tmp_path, "\ncase_id,sex,birth_date\nC1,M,1988\n\n,,\nC2,F,1989\n"), "cases")
    assert table.ids == ["C1", "C2"]
    assert table.rows.tolist() == [3, 6]
    assert table.report.blank_rows == 2
    assert "skipped 2 blank row(s)" in table.report.summary()
    assert "  跳过 2 个空行" in table.report.summary("zh")


def test_missing_columns_lists_missing_and_found(tmp_path: Path) -> None:
    with pytest.raises(MissingColumnsError) as caught:
        read_table(write(tmp_path, "编号,姓名,备注\nC1,王芳,x\n"), "cases")
    message = str(caught.value)
    assert "'sex', 'birth_date'" in message
    assert "found headers '编号', '姓名', '备注'" in message
    assert message.startswith("cases.csv:")


def test_unknown_columns_ignored_and_reported(tmp_path: Path) -> None:
    table = read_table(write(tmp_path, "case_id,sex,birth_date,备注,照片\nC1,M,1988,x,y\n"), "cases")
    assert table.report.ignored_columns == ["备注", "照片"]
    assert "ignored columns: 备注, 照片" in table.report.summary()
    assert table.report.summary("zh").splitlines()[:2] == [
        "cases.csv：读取 1 行，接受 1 行，隔离 0 行（编码 utf-8）", "  未使用的列：备注、照片"]


def test_missing_file_is_an_input_error_and_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(MissingFileError) as caught:
        read_table(tmp_path / "cases.csv", "cases")
    assert isinstance(caught.value, InputError) and isinstance(caught.value, FileNotFoundError)


def test_delimiters_sniffed(tmp_path: Path) -> None:
    tab = read_table(write(tmp_path, "case_id\tsex\tbirth_date\nC1\tM\t1988,5\n", "cases.tsv"), "cases")
    semi = read_table(write(tmp_path, "case_id;sex;birth_date\nC1;M;1988\n", "cases.csv"), "cases")
    txt = read_table(write(tmp_path, "case_id\tsex\tbirth_date\nC1\tM\t1988\n", "cases.txt"), "cases")
    assert tab.columns["birth_date"] == ["1988,5"]
    assert (tab.report.delimiter, semi.report.delimiter, txt.report.delimiter) == ("\t", ";", "\t")
    assert semi.ids == txt.ids == ["C1"]


def test_crlf_and_classic_mac_line_ends(tmp_path: Path) -> None:
    crlf = read_table(write(tmp_path, "case_id,sex,birth_date\r\nC1,M,1988\r\nC2,F,1989\r\n"), "cases")
    mac = read_table(write(tmp_path, "case_id,sex,birth_date\rC1,M,1988\rC2,F,1989\r"), "cases")
    assert crlf.ids == mac.ids == ["C1", "C2"]
    assert crlf.rows.tolist() == mac.rows.tolist() == [2, 3]


def test_bad_quoting_quarantined_and_reading_goes_on(tmp_path: Path) -> None:
    text = 'case_id,sex,birth_date\nC1,M,"1988"x\nC2,F,1989\nC3,F,"1990\nC4,M,1991\n'
    table = read_table(write(tmp_path, text), "cases")
    assert table.ids == ["C2", "C4"]  # C4 was lost in one record with C3's line
    assert [(p.row, p.value) for p in table.report.problems] == [(2, 'C1,M,"1988"x'), (4, 'C3,F,"1990')]
    assert table.report.problems[0].reason.startswith("malformed CSV quoting")
    assert table.report.problems[1].reason.endswith("the 1 line(s) after it are read on their own")
    assert table.report.read == table.report.accepted + table.report.quarantined == 4


def test_a_stray_quote_costs_only_its_own_line(tmp_path: Path) -> None:
    """A quote left open took every line up to the next quote character into one quarantined record (16
    cases of a generated file, their text not even in the quarantine file); a cell with a line break
    inside its quotes is still one record."""
    text = ('case_id,sex,birth_date,marks\nC1,M,1988,"左耳\n有痣"\nC2,F,"1989,\nC3,F,1990,\nC4,M,1991,"x"\n'
            'C5,M,1992,"a"b\nC6,F,1993,\n')
    table = read_table(write(tmp_path, text), "cases")
    assert table.ids == ["C1", "C3", "C4", "C6"] and table.rows.tolist() == [2, 5, 6, 8]
    assert table.columns["marks"][0] == "左耳\n有痣"
    assert [(p.row, p.value) for p in table.report.problems] == [(4, 'C2,F,"1989,'), (7, 'C5,M,1992,"a"b')]
    assert table.report.read == table.report.accepted + table.report.quarantined == 6


def test_strict_mode_lists_every_problem(tmp_path: Path) -> None:
    text = "case_id,sex,birth_date\nC1,M,1988\nC1,F,1989\n,M,1990\nC4,3,1991\nC5,F\n"
    with pytest.raises(InputError) as caught:
        read_table(write(tmp_path, text), "cases", strict=True)
    lines = str(caught.value).splitlines()
    assert lines[0] == "cases.csv: 4 problem(s) in 4 row(s) (strict mode):"
    assert lines[1:] == [
        "column 'case_id' in cases.csv row 3: duplicate id, first seen at row 2 (got 'C1')",
        "column 'case_id' in cases.csv row 4: empty id (got '')",
        "column 'sex' in cases.csv row 5: expected M/F/男/女 or a GB/T 2261.1 code 1/2/0/9, got '3'",
        "cases.csv row 6: wrong number of cells: expected 3 as in the header, found 2 (got 'C5,F')",
    ]
    clean = read_table(write(tmp_path, "case_id,sex,birth_date\nC1,M,1988\n"), "cases", strict=True)
    assert clean.ids == ["C1"]


def test_side_and_options_checked() -> None:
    with pytest.raises(ConfigError, match=r"side must be 'cases' or 'candidates', got 'case'"):
        read_table("cases.csv", "case")  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"source must be a file path, a pandas DataFrame"):
        read_table(42, "cases")  # type: ignore[arg-type]


def test_user_mistakes_give_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nothere\.csv: no such file"):
        read_table(tmp_path / "nothere.csv", "cases")
    with pytest.raises(InputError, match=r"cases\.xls: unsupported file type '\.xls'.*save it as \.xlsx"):
        read_table(write(tmp_path, "x", "cases.xls"), "cases")
    with pytest.raises(InputError, match=r"unsupported file type '\.json'"):
        read_table(write(tmp_path, "{}", "cases.json"), "cases")
    binary = tmp_path / "cases.csv"
    binary.write_bytes(b"case_id,sex\x00\x01\x02,birth_date\n")
    with pytest.raises(InputError, match=r"cases\.csv contains NUL characters"):
        read_table(binary, "cases")
    binary.write_bytes(b"PK\x03\x04" + bytes(range(256)))
    with pytest.raises(InputError, match=r"cases\.csv is a zip file"):
        read_table(binary, "cases")
    with pytest.raises(InputError, match=r"cases\.xlsx cannot be opened as an Excel workbook"):
        read_table(write(tmp_path, "case_id,sex,birth_date\n", "cases.xlsx"), "cases")
    (tmp_path / "dir.csv").mkdir()
    with pytest.raises(InputError, match=r"dir\.csv: no such file"):
        read_table(tmp_path / "dir.csv", "cases")


def test_undecodable_file_names_file_and_offset(tmp_path: Path) -> None:
    data = "case_id,sex,birth_date\nC1,女,1988\n".encode() + b"C2,\xff\xfe,1989\n"
    path = tmp_path / "cases.csv"
    path.write_bytes(data)
    with pytest.raises(EncodingError) as caught:
        read_table(path, "cases")
    offset = data.index(b"\xff")
    expected = f"cases.csv is neither UTF-8 nor GB18030/GBK: cannot decode byte 0xff at offset {offset} "
    assert expected + "(line 3) as UTF-8" in str(caught.value)
    assert expected in str(caught.value)
    first_non_ascii = data.index("女".encode())
    with pytest.raises(EncodingError, match=rf"cases\.csv is not valid ascii: .* offset {first_non_ascii} "):
        read_table(path, "cases", encoding="ascii")
    with pytest.raises(ConfigError, match=r"not a codec"):
        read_table(path, "cases", encoding="no-such-codec")
    # codecs Python knows that decode no text: one clear error, not a UnicodeError or LookupError
    for codec in ("undefined", "base64", "rot13", "hex"):
        with pytest.raises(ConfigError, match=r"not a text encoding"):
            read_table(path, "cases", encoding=codec)


def test_encoding_override(tmp_path: Path) -> None:
    path = write(tmp_path, "case_id,sex,birth_date\nC1,女,1988\n", encoding="big5")
    table = read_table(path, "cases", encoding="big5")
    assert table.columns["sex"] == ["F"]
    assert table.report.encoding == "big5"


def test_dataframe_source() -> None:
    frame = pd.DataFrame({
        "Case ID": ["C1", "C2", "C3"], "Gender": ["F", "M", None], "DOB": ["1988", "NA", "楠"],
        "id": [1.0, 2.0, float("nan")], "when": pd.to_datetime(pd.Series(["1990-01-02", None, "1991-02-03"])),
    })
    table = read_table(frame, "cases", mapping={"id": "", "when": "missing_date"})
    assert table.ids == ["C1", "C2", "C3"]
    assert table.columns["sex"] == ["F", "M", ""]
    assert table.columns["birth_date"] == ["1988", "NA", "楠"]
    assert table.columns["missing_date"] == ["1990-01-02", "", "1991-02-03"]
    assert table.rows.tolist() == [2, 3, 4]
    assert table.report.source == "DataFrame"
    with pytest.raises(InputError, match="DataFrame is empty"):
        read_table(pd.DataFrame(), "cases")


@pytest.mark.parametrize(
    ("value", "text"),
    [(1988.0, "1988"), (1988, "1988"), (np.int64(7), "7"), (np.float32(2.5), "2.5"),
     (1.10101199003074e17, "110101199003074000"), (1e-7, "0.0000001"), (dt.date(1988, 5, 3), "1988-05-03"),
     (dt.datetime(1988, 5, 3), "1988-05-03"), (pd.NaT, ""), (pd.NA, ""), (None, ""), (True, "TRUE"),
     (" 娜 ", "娜")],
)
def test_cell_text(value: object, text: str) -> None:
    assert cell_text(value) == text


@pytest.mark.parametrize(("cell", "sex"), [
    ("♂", "M"), ("♀", "F"), ("男孩儿", "M"), ("女孩儿", "F"), ("男生", "M"), ("女儿", "F"), ("儿子", "M"),
    ("m.", "M"), ("F.", "F"), ("女（养女）", "F"), ("男【抱养】", "M"), ("女 (送养)", "F"),
])
def test_more_ways_of_writing_a_sex(cell: str, sex: str) -> None:
    assert parse_sex(cell) == sex


@pytest.mark.parametrize("cell", ["男(女)", "男女", "mf", "3"])
def test_a_sex_cell_that_names_both_or_neither_is_still_refused(cell: str) -> None:
    with pytest.raises(InputError, match="expected M/F"):
        parse_sex(cell)
