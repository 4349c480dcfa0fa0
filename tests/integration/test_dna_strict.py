"""DNA outcomes are strict (issue 10): every lab row imported whole or quarantined with the reason,
unknown columns refused, future dates refused, contradictions only with supersede, all audited."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from reunite.cli import main
from reunite.errors import InputError
from reunite.store import Store


@pytest.fixture
def filled(store: Store) -> Store:
    store.upsert("cases", [{"case_id": c, "sex": "F", "birth_date": "1988"} for c in ("C1", "C2", "C3")])
    store.upsert("candidates", [{"person_id": p, "sex": "F", "birth_date": "1988"}
                                for p in ("P1", "P2", "P3")])
    return store


def _lab(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "lab.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_an_unknown_column_is_an_error_naming_it(filled: Store, tmp_path: Path) -> None:
    lab = _lab(tmp_path, "case_id,person_id,outcome,送检日期\nC1,P1,excluded,2024-03-01\n")
    with pytest.raises(InputError, match=r"unknown column\(s\) '送检日期'"):
        filled.import_dna_csv(lab)
    assert filled.excluded_pairs() == set()


def test_a_mapped_column_keeps_its_values(filled: Store, tmp_path: Path) -> None:
    lab = _lab(tmp_path, "case_id,person_id,outcome,outcome_date,备注\nC1,P1,excluded,2024-03-01,x\n")
    report = filled.import_dna_csv(lab, mapping={"outcome_date": "date", "备注": ""})
    assert (report.read, report.accepted) == (1, 1)
    with filled.engine.connect() as connection:  # the date arrived
        from reunite.store.dna import latest_outcomes

        assert latest_outcomes(connection, ["C1"])[("C1", "P1")] == ("excluded", dt.date(2024, 3, 1), None)


def test_a_row_with_extra_cells_is_quarantined_not_cut(filled: Store, tmp_path: Path) -> None:
    lab = _lab(tmp_path, "case_id,person_id,outcome,date,note\n"
                         "C1,P1,excluded,2024-03-01,STR 0/20, re-run\n"
                         "C2,P2,excluded,2024-03-01\n"
                         "C3,P3,excluded,2024-03-01,ok\n")
    report = filled.import_dna_csv(lab)
    assert (report.read, report.accepted, report.quarantined) == (3, 1, 2)
    assert [(p.row, p.reason.split(":")[0]) for p in report.problems] == [
        (2, "wrong number of cells"), (3, "wrong number of cells")]
    assert report.problems[0].value == "C1,P1,excluded,2024-03-01,STR 0/20, re-run"
    assert filled.excluded_pairs() == {("C3", "P3")}


def test_a_future_date_is_refused(filled: Store, tmp_path: Path) -> None:
    future = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    report = filled.import_dna_csv(_lab(tmp_path, f"case_id,person_id,outcome,date\nC1,P1,excluded,{future}\n"))
    assert report.quarantined == 1 and "expected a date no later than" in report.problems[0].reason
    with pytest.raises(InputError, match="expected a date no later than"):
        filled.record_dna("C1", "P1", "excluded", date=future)
    assert filled.excluded_pairs() == set()


def test_confirmed_after_excluded_needs_supersede_and_is_audited(filled: Store) -> None:
    filled.record_dna("C1", "P1", "excluded", date="2024-03-01", lab_ref="L-1")
    with pytest.raises(InputError, match=r"'confirmed' contradicts the recorded outcome 'excluded' "
                                         r"\(2024-03-01, lab ref L-1\)"):
        filled.record_dna("C1", "P1", "confirmed")
    assert filled.confirmed_pairs() == set() and "C1" in filled.open_case_ids()
    filled.record_dna("C1", "P1", "confirmed", supersede=True)
    assert filled.confirmed_pairs() == {("C1", "P1")} and "C1" not in filled.open_case_ids()
    entry = filled.audit_log()[-1]
    assert entry["action"] == "record_dna" and entry["detail"]["supersedes"] == "excluded"
    # and back: a superseded confirmation reopens the case
    with pytest.raises(InputError, match="contradicts the recorded outcome 'confirmed'"):
        filled.record_dna("C1", "P1", "excluded")
    filled.record_dna("C1", "P1", "excluded", supersede=True)
    assert filled.excluded_pairs() == {("C1", "P1")} and "C1" in filled.open_case_ids()


def test_a_confirmation_put_in_doubt_reopens_the_case_unless_another_stands(filled: Store) -> None:
    """A confirmation superseded by "pending" (a re-test ordered) left the case closed: its candidates
    were never screened again while the result was in doubt."""
    filled.record_dna("C1", "P1", "confirmed")
    assert "C1" not in filled.open_case_ids()
    filled.record_dna("C1", "P1", "pending", supersede=True)
    assert "C1" in filled.open_case_ids() and filled.confirmed_pairs() == set()
    # a pending test of another person does not reopen a case confirmed with someone
    filled.record_dna("C2", "P2", "confirmed")
    filled.record_dna("C2", "P1", "pending")
    assert "C2" not in filled.open_case_ids()


def test_import_quarantines_a_contradiction_unless_supersede(filled: Store, tmp_path: Path) -> None:
    filled.record_dna("C2", "P2", "confirmed")
    lab = _lab(tmp_path, "case_id,person_id,outcome\nC2,P2,excluded\nC1,P1,excluded\nC1,P1,confirmed\n")
    report = filled.import_dna_csv(lab)
    # C1/P1 is excluded and confirmed by the same file: neither row is imported (the first one was)
    assert [(p.row, p.column) for p in report.problems] == [(2, "outcome"), (3, "outcome"), (4, "outcome")]
    assert all("--supersede" in p.reason for p in report.problems)
    assert "in the same file (confirmed and excluded, rows 3, 4)" in report.problems[1].reason
    assert filled.confirmed_pairs() == {("C2", "P2")} and ("C1", "P1") not in filled.excluded_pairs()
    report = filled.import_dna_csv(lab, supersede=True)
    assert report.quarantined == 0
    assert filled.confirmed_pairs() == {("C1", "P1")} and filled.excluded_pairs() == {("C2", "P2")}
    detail = filled.audit_log()[-1]["detail"]
    assert [(o["case_id"], o["outcome"]) for o in detail["outcomes"]] == [
        ("C2", "excluded"), ("C1", "excluded"), ("C1", "confirmed")]
    assert [(s["case_id"], s["supersedes"]) for s in detail["superseded"]] == [("C2", "confirmed"),
                                                                              ("C1", "excluded")]


def test_cli_supersede_and_mapping(filled: Store, db_url: str, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    base = ["dna", "record", "--db", db_url, "--case", "C3", "--person", "P3"]
    assert main([*base, "--outcome", "excluded"]) == 0
    assert main([*base, "--outcome", "confirmed"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--supersede" in err[0]
    assert main([*base, "--outcome", "confirmed", "--supersede"]) == 0
    lab = _lab(tmp_path, "case_id,person_id,outcome,送检日期\nC1,P1,excluded,2024-03-01\n")
    assert main(["dna", "import", "--db", db_url, "--file", str(lab)]) == 2
    assert "unknown column(s) '送检日期'" in capsys.readouterr().err
    assert main(["dna", "import", "--db", db_url, "--file", str(lab), "--mapping", "送检日期=date"]) == 0
    with Store.open(db_url) as store:
        assert ("C1", "P1") in store.excluded_pairs()


def test_a_lab_file_under_other_headers_is_refused_with_the_option_that_maps_them(
    filled: Store, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The message for missing columns named no way out, though --mapping is the one."""
    lab = _lab(tmp_path, "报案号,比对对象,outcome\nC1,P1,excluded\n")
    capsys.readouterr()
    assert main(["dna", "import", "--db", db_url, "--file", str(lab)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--mapping 'header=case_id'" in err[0]
    assert main(["dna", "import", "--db", db_url, "--file", str(lab), "--mapping", "报案号=case_id",
                 "--mapping", "比对对象=person_id"]) == 0
    assert ("C1", "P1") in filled.excluded_pairs()


def test_a_lab_file_that_contradicts_itself_closes_no_case(filled: Store, db_url: str, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """A lab file with "confirmed" then "excluded" for one pair imported the first row (the case closed:
    a family could be told their child is found) and quarantined the second as contradicting a
    "recorded" outcome that the same file had just written."""
    lab = _lab(tmp_path, "case_id,person_id,outcome,date\nC1,P1,confirmed,2024-02-01\nC2,P2,excluded,2024-02-01\n"
                         "C1,P1,excluded,2024-03-01\n")
    capsys.readouterr()
    assert main(["dna", "import", "--db", db_url, "--file", str(lab)]) == 0
    assert "read 3, accepted 1, quarantined 2" in capsys.readouterr().out
    with Store.open(db_url) as store:
        assert store.confirmed_pairs() == set() and store.excluded_pairs() == {("C2", "P2")}
        assert "C1" in store.open_case_ids()
    quarantine = (tmp_path / "lab.quarantine.csv").read_text(encoding="utf-8-sig")
    assert quarantine.count("contradicting outcomes for this pair in the same file") == 2


def test_a_lab_file_s_chinese_headers_are_read_as_case_files_are(filled: Store, db_url: str, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """A lab file under 案件编号, 人员编号, 比对结果, 比对日期, 备注 was refused ("missing column(s) case_id,
    person_id, outcome"), though a case file under the same headers is read; folded headers too."""
    lab = _lab(tmp_path, "案件编号,人员编号,比对结果,比对日期,实验室编号,备注\n"
                         'C1,P1,excluded,2024-03-01,L-7,"STR 0/20, re-run"\n')
    assert main(["dna", "import", "--db", db_url, "--file", str(lab)]) == 0
    assert "read 1, accepted 1, quarantined 0" in capsys.readouterr().out
    with filled.engine.connect() as connection:
        from reunite.store.dna import latest_outcomes

        assert latest_outcomes(connection, ["C1"])[("C1", "P1")] == ("excluded", dt.date(2024, 3, 1), "L-7")
    assert filled.audit_log()[-1]["detail"]["outcomes"][0]["case_id"] == "C1"
    folded = _lab(tmp_path, "Case ID,ＰＥＲＳＯＮ_ID,Result,日期,Remarks\nC2,P2,excluded,2024-03-02,x\n")
    report = filled.import_dna_csv(folded)
    assert (report.read, report.accepted) == (1, 1) and ("C2", "P2") in filled.excluded_pairs()
    assert report.columns == {"case_id": "Case ID", "person_id": "ＰＥＲＳＯＮ_ID", "outcome": "Result",
                              "date": "日期", "note": "Remarks"}


def test_a_lab_header_mapped_by_the_user_wins_and_a_plain_number_column_is_no_id(filled: Store,
                                                                                 tmp_path: Path) -> None:
    lab = _lab(tmp_path, "编号,人员编号,结果,样本类型\nC1,P1,excluded,血样\n")
    # 编号 (a row number, or either id) is no case_id in a file of pairs: named, not guessed
    with pytest.raises(InputError, match=r"missing column\(s\) case_id"):
        filled.import_dna_csv(lab)
    report = filled.import_dna_csv(lab, mapping={"编号": "case_id", "样本类型": ""})
    assert report.accepted == 1 and ("C1", "P1") in filled.excluded_pairs()


def test_a_mapping_naming_a_header_the_lab_file_lacks_is_refused(filled: Store, db_url: str, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """--mapping 'Reslt=outcome' (a typo) was silent: the file's own headers were read as if it was not given."""
    lab = _lab(tmp_path, "case_id,person_id,Result\nC1,P1,excluded\n")
    assert main(["dna", "import", "--db", db_url, "--file", str(lab), "--mapping", "Reslt=outcome"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "'Reslt', which the file does not have" in err[0], err
    assert filled.excluded_pairs() == set()


_CHINESE_OUTCOMES = [
    *[(w, "excluded") for w in ("排除", "已排除", "排除亲缘关系", "排除亲子关系", "排除血缘关系", "排除生物学亲缘关系",
                                "排除生物学父母", "排除亲生关系")],
    *[(w, "confirmed") for w in ("确认", "已确认", "确认亲缘关系", "确认亲子关系", "确认血缘关系", "支持",
                                 "支持亲缘关系", "支持亲子关系", "支持生物学亲缘关系", "支持生物学父母")],
    *[(w, "pending") for w in ("待检", "待检测", "检测中", "送检", "已送检", "待比对", "比对中", "已采样", "已采血")],
    ("排除。", "excluded"), ("已 确 认", "confirmed"), ("ＤＮＡ", None),  # punctuation, spaces; no wording inside
]


@pytest.mark.parametrize(("written", "outcome"), _CHINESE_OUTCOMES)
def test_a_chinese_lab_s_outcome_is_read_as_the_outcome_it_says(filled: Store, tmp_path: Path, written: str,
                                                                outcome: str | None) -> None:
    """A lab writing 排除 / 确认 / 已送检 (as Chinese labs write their outcomes) had every row quarantined as
    "expected one of 'excluded', 'confirmed', 'pending'"."""
    report = filled.import_dna_csv(_lab(tmp_path, f"案件编号,人员编号,比对结果\nC1,P1,{written}\n"))
    assert report.read == 1
    if outcome is None:
        assert report.quarantined == 1 and "expected one of" in report.problems[0].reason
        return
    assert (report.accepted, report.quarantined) == (1, 0)
    with filled.engine.connect() as connection:
        from reunite.store.dna import latest_outcomes

        assert latest_outcomes(connection, ["C1"])[("C1", "P1")][0] == outcome
    assert ("C1" in filled.open_case_ids()) == (outcome != "confirmed")


@pytest.mark.parametrize(("written", "why"), [
    ("比中", "a DNA database hit (比中) is a lead for a kinship test"),
    ("未比中", "does not say the pair was tested and excluded"),
    ("符合", "consistent (符合) may be said of some loci"),
    ("不符合", "may be a mutation, not an exclusion"),
    ("无法排除", "cannot be excluded is not a confirmation"),
    ("不能排除", "cannot be excluded is not a confirmation"),
    ("待定", "inconclusive"),
])
def test_an_ambiguous_chinese_outcome_is_quarantined_with_the_reason(filled: Store, db_url: str, tmp_path: Path,
                                                                      written: str, why: str,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """排除 inside 无法排除 / 不能排除 is no exclusion; a database hit (比中) is no confirmation: neither may close a
    case or drop a pair, and the row is kept, with the reason, in the quarantine file."""
    lab = _lab(tmp_path, f"case_id,person_id,outcome\nC1,P1,{written}\nC2,P2,排除\n")
    assert main(["dna", "import", "--db", db_url, "--file", str(lab)]) == 0
    assert "read 2, accepted 1, quarantined 1" in capsys.readouterr().out
    quarantine = (tmp_path / "lab.quarantine.csv").read_text(encoding="utf-8-sig")
    assert "is ambiguous: " in quarantine and why in quarantine and written in quarantine
    with Store.open(db_url) as store:
        assert store.excluded_pairs() == {("C2", "P2")} and store.confirmed_pairs() == set()


def test_a_lab_file_with_one_header_twice_is_told_to_rename_one(filled: Store, tmp_path: Path) -> None:
    """"map one of them to '' to ignore it" ignored both 结果 columns (the mapping names them alike)."""
    lab = _lab(tmp_path, "case_id,person_id,结果,结果\nC1,P1,excluded,\n")
    with pytest.raises(InputError, match="columns 3 and 4 have the same header '结果', both read as 'outcome'; a "
                                         "mapping cannot tell them apart: rename or delete one of them"):
        filled.import_dna_csv(lab)


def test_a_lab_s_day_written_the_chinese_or_excel_way_is_read(filled: Store, tmp_path: Path) -> None:
    """2024年3月5日, 2024/3/5 (as Excel writes a day) and 20240305 quarantined the row: "expected YYYY-MM-DD"."""
    lab = _lab(tmp_path, "case_id,person_id,outcome,date\nC1,P1,排除,2024年3月5日\nC2,P2,excluded,2024/3/5 0:00\n"
                         "C3,P3,excluded,２０２４０３０５\nC3,P1,excluded,2024年3月\n")
    report = filled.import_dna_csv(lab)
    assert (report.read, report.accepted, report.quarantined) == (4, 3, 1)
    assert [(p.row, p.value) for p in report.problems] == [(5, "2024年3月")]  # a month is no day
    with filled.engine.connect() as connection:
        from reunite.store.dna import latest_outcomes

        found = latest_outcomes(connection, ["C1", "C2", "C3"])
    assert {found[pair][1] for pair in (("C1", "P1"), ("C2", "P2"), ("C3", "P3"))} == {dt.date(2024, 3, 5)}
