"""Header mapping: Chinese and English headers, user mappings, conflicts, missing columns."""

from __future__ import annotations

import pytest

from reunite.errors import ConfigError, InputError, MissingColumnsError
from reunite.ingest.columns import HEADER_ALIASES, canonical_column, header_key, map_columns
from reunite.ingest.table import CANDIDATE_COLUMNS, CASE_COLUMNS

CHINESE_CASES = {
    "编号": "case_id", "案件编号": "case_id", "案件号": "case_id", "档案号": "case_id",
    "姓名": "name", "名字": "name", "小名": "alias", "乳名": "alias", "昵称": "alias", "性别": "sex",
    "出生日期": "birth_date", "出生年月": "birth_date", "生日": "birth_date",
    "历法": "birth_calendar", "农历": "birth_calendar", "公历农历": "birth_calendar",
    "出生日期历法": "birth_calendar", "失踪日期": "missing_date", "走失日期": "missing_date",
    "失散日期": "missing_date", "丢失日期": "missing_date", "失踪地点": "missing_region",
    "走失地点": "missing_region", "失散地点": "missing_region", "丢失地点": "missing_region",
    "体貌特征": "marks", "特征": "marks", "体表特征": "marks", "胎记": "marks",
}
CHINESE_CANDIDATES = {
    "编号": "person_id", "案件编号": "person_id", "档案号": "person_id", "人员编号": "person_id",
    "曾用名": "former_names", "身份证号": "id_number", "身份证号码": "id_number",
    "公民身份号码": "id_number", "户籍地": "region", "户籍地址": "region", "户籍所在地": "region",
    "住址": "region", "入户日期": "registration_date", "登记日期": "registration_date",
    "户口登记日期": "registration_date", "姓名": "name", "性别": "sex", "出生日期": "birth_date",
}


@pytest.mark.parametrize(("header", "column"), CHINESE_CASES.items())
def test_chinese_case_headers(header: str, column: str) -> None:
    assert canonical_column(header, "cases") == column


@pytest.mark.parametrize(("header", "column"), CHINESE_CANDIDATES.items())
def test_chinese_candidate_headers(header: str, column: str) -> None:
    assert canonical_column(header, "candidates") == column


@pytest.mark.parametrize(
    ("header", "side", "column"),
    [("Case ID", "cases", "case_id"), ("CASE-ID", "cases", "case_id"), ("caseid", "cases", "case_id"),
     ("birthdate", "cases", "birth_date"), ("Birth Date", "cases", "birth_date"),
     ("DOB", "cases", "birth_date"),
     ("Gender", "candidates", "sex"), ("idcard", "candidates", "id_number"),
     ("ID Number", "candidates", "id_number"), ("ID", "candidates", "person_id"), ("id", "cases", "case_id"),
     ("Person_ID", "candidates", "person_id"), ("Missing Date", "cases", "missing_date"),
     ("former names", "candidates", "former_names"), ("Registration-Date", "candidates", "registration_date"),
     ("ＳＥＸ", "cases", "sex"), (" 性别 ", "cases", "sex"), ("*姓名:", "cases", "name")],
)
def test_english_and_folded_headers(header: str, side: str, column: str) -> None:
    assert canonical_column(header, side) == column  # type: ignore[arg-type]


def test_columns_of_the_other_side_are_not_mapped() -> None:
    assert canonical_column("身份证号", "cases") is None
    assert canonical_column("失踪日期", "candidates") is None
    assert canonical_column("case_id", "candidates") is None
    assert canonical_column("人员编号", "cases") is None


def test_every_canonical_name_maps_to_itself() -> None:
    for column in CASE_COLUMNS:
        assert canonical_column(column, "cases") == column
    for column in CANDIDATE_COLUMNS:
        assert canonical_column(column, "candidates") == column
    assert all(key == header_key(key) for key in HEADER_ALIASES)


def test_map_columns_positions_and_ignored() -> None:
    cmap = map_columns(["序号", "姓名", "编号", "性别", "出生年月", "照片", ""], "candidates")
    assert cmap.positions == {"name": 1, "person_id": 2, "sex": 3, "birth_date": 4}
    assert cmap.ignored == ("序号", "照片", "(column 7 has no header)")
    assert cmap.found == {"name": "姓名", "person_id": "编号", "sex": "性别", "birth_date": "出生年月"}


def test_user_mapping_overrides_known_headers_it_names() -> None:
    headers = ["编号", "寻亲编号", "姓名", "孩子姓名", "性别", "出生"]
    cmap = map_columns(headers, "cases", {"寻亲编号": "case_id", "孩子姓名": "name", "出生": "birth_date",
                                          "编号": "", "姓名": ""})
    assert cmap.found == {"case_id": "寻亲编号", "name": "孩子姓名", "sex": "性别", "birth_date": "出生"}
    assert cmap.ignored == ("编号", "姓名")


def test_a_mapping_onto_a_column_the_file_already_has_is_refused() -> None:
    """`--mapping name=case_id` beside a case_id header read every name as the case id and dropped the ids
    (8 of 20 cases quarantined as "empty id", the rest ranked under their names), with no word but
    "ignored columns: case_id"."""
    with pytest.raises(InputError, match=r"cases\.csv: mapping sends 'name' to 'case_id', but header 'case_id' is "
                                         r"already read as 'case_id'; map 'case_id' too.*--mapping 'case_id='"):
        map_columns(["case_id", "name", "sex", "birth_date"], "cases", {"name": "case_id"}, source="cases.csv")
    with pytest.raises(InputError, match="header '编号' is already read as 'case_id'"):
        map_columns(["编号", "寻亲编号", "性别", "出生"], "cases", {"寻亲编号": "case_id", "出生": "birth_date"})
    moved = map_columns(["case_id", "name", "sex", "birth_date"], "cases", {"name": "case_id", "case_id": "alias"})
    assert moved.found == {"case_id": "name", "alias": "case_id", "sex": "sex", "birth_date": "birth_date"}


def test_a_mapping_onto_the_other_side_s_column_may_not_cost_this_file_a_column() -> None:
    """One --mapping serves both files: `name=id_number`, meant for the candidates, dropped the cases' names."""
    with pytest.raises(InputError, match=r"mapping sends 'name' to 'id_number', a candidates column, so this "
                                         r"cases file would lose its 'name' column"):
        map_columns(["case_id", "name", "sex", "birth_date"], "cases", {"name": "id_number"})
    # a header that is no cases column anyway is ignored, as before (the test below)
    assert map_columns(["id", "证件号", "sex", "dob"], "cases", {"证件号": "id_number"}).ignored == ("证件号",)


def test_a_mapping_that_maps_nothing_in_any_input_is_refused() -> None:
    from reunite.ingest import IngestReport, check_mapping_used

    cases = IngestReport("cases.csv", columns={"case_id": "ID", "birth_date": "born_on"}, ignored_columns=["备注"])
    people = IngestReport("people.csv", columns={"person_id": "ID", "id_number": "证件号"})
    both = [("cases", cases), ("candidates", people)]
    check_mapping_used({"Born On": "birth_date", "证件号": "id_number", "备注": ""}, both)  # type: ignore[arg-type]
    check_mapping_used(None, both)  # type: ignore[arg-type]
    for entry, shown in (({"nosuch": "marks"}, "--mapping 'nosuch=marks'"),
                         ({"证件号": "birth_date"}, "--mapping '证件号=birth_date'")):  # there, not as that column
        with pytest.raises(ConfigError, match=f"{shown}\\) maps nothing: cases.csv, people.csv have no header"):
            check_mapping_used(entry, both)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"maps nothing: people.csv has no header '证件号码'"):
        check_mapping_used({"证件号码": "id_number"}, both)  # type: ignore[arg-type]
    # one mapping file for every night: a night that brings only candidates leaves the cases' entries alone
    check_mapping_used({"走失日期": "missing_date", "证件号": "id_number"}, [("candidates", people)])


def test_user_mapping_keys_match_folded_and_other_side_entries_are_ignored() -> None:
    shared = {"Born On": "birth_date", "证件号": "id_number"}
    cmap = map_columns(["ID", "sex", "born_on", "证件号"], "cases", shared)
    assert cmap.found["birth_date"] == "born_on"
    assert cmap.ignored == ("证件号",)
    candidates = map_columns(["ID", "sex", "born_on", "证件号"], "candidates", shared)
    assert candidates.found["id_number"] == "证件号"


def test_empty_target_ignores_a_header_and_settles_a_conflict() -> None:
    with pytest.raises(InputError, match=r"cases\.csv: headers '编号' and '案件编号' both map to column "
                                         r"'case_id'; ignore one by mapping it to nothing \(--mapping '案件编号='"):
        map_columns(["编号", "案件编号", "性别", "出生日期"], "cases", source="cases.csv")
    cmap = map_columns(["编号", "案件编号", "性别", "出生日期"], "cases", {"编号": ""})
    assert cmap.found["case_id"] == "案件编号"
    assert cmap.ignored == ("编号",)


def test_two_user_headers_to_one_column_is_an_error() -> None:
    with pytest.raises(InputError, match="both map to column 'name'"):
        map_columns(["id", "a", "b", "sex", "dob"], "cases", {"a": "name", "b": "name"})


def test_duplicate_header_is_an_error_that_says_to_rename_one() -> None:
    """The message advised mapping={'性别': ''}, which ignores both columns (and the other file's 性别 too, as one
    mapping serves both files): sex lost for every record."""
    for headers in (["id", "性别", "性别", "dob"], ["id", "Sex", "sex ", "dob"]):
        with pytest.raises(InputError, match=r"columns 2 and 3 have the same header '(性别|sex)', both read as "
                                             r"'sex'; a mapping cannot tell them apart: rename or delete one"):
            map_columns(headers, "cases")
    with pytest.raises(MissingColumnsError, match=r"missing required cases column\(s\) 'sex'"):  # why not advised
        map_columns(["id", "性别", "性别", "dob"], "cases", {"性别": ""})


def test_mapping_to_an_unknown_column_names_the_allowed_ones() -> None:
    with pytest.raises(ConfigError, match=r"mapping sends '出生' to 'birthday', which is not a column; "
                                          r"cases columns are case_id, name, alias, sex"):
        map_columns(["id", "sex", "出生"], "cases", {"出生": "birthday"})


def test_missing_required_columns_lists_missing_and_found() -> None:
    with pytest.raises(MissingColumnsError) as caught:
        map_columns(["人员编号", "姓名", "身份证号"], "candidates", source="candidates.csv")
    message = str(caught.value)
    assert message.startswith("candidates.csv: missing required candidates column(s) 'sex', 'birth_date'; "
                              "found headers '人员编号', '姓名', '身份证号'")
    with pytest.raises(MissingColumnsError, match=r"'case_id', 'sex', 'birth_date'; found headers \(none\)"):
        map_columns([], "cases")


def test_bad_side_names_the_allowed_values() -> None:
    with pytest.raises(ConfigError, match=r"side must be 'cases' or 'candidates', got 'people'"):
        map_columns(["id"], "people")  # type: ignore[arg-type]
