"""The database commands of the command line: rescreen, dna record|import|profiles, plan, and their
one-line errors (exit code 2, no traceback)."""

from __future__ import annotations

import csv
import datetime
import re
from pathlib import Path

import pytest

from reunite.cli import main
from reunite.store import Store

CASES = """case_id,name,sex,birth_date,missing_region
C1,王小红,F,1988-05,310115
C2,李强,M,1990,360302
"""
CANDIDATES = """person_id,name,sex,birth_date,region,id_number
P1,王小红,F,1988-05-03,上海市南汇县,31022519880503002X
P2,张小红,F,1988-06-11,310115,
P3,李强,M,1990-02-01,360302,
P4,李刚,M,1990-07-09,,
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def filled(db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    cases, people = write(tmp_path / "cases.csv", CASES), write(tmp_path / "people.csv", CANDIDATES)
    assert main(["rescreen", "--db", db_url, "--cases", str(cases), "--candidates", str(people),
                 "--top-k", "3"]) == 0
    out = capsys.readouterr().out
    assert "run 1 started: full re-screen (no fitted model yet)" in out
    assert "2 cases have new candidates in their top 3" in out
    return db_url


def one_error_line(capsys: pytest.CaptureFixture[str], expected: str) -> None:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and expected in err[0], err
    assert "Traceback" not in err[0]


def test_rescreen_twice_says_nothing_to_do(filled: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rescreen", "--db", filled, "--candidates", str(tmp_path / "people.csv"),
                 "--top-k", "3"]) == 0
    out = capsys.readouterr().out
    assert "nothing to do: 0 new and 0 changed cases, 0 new and 0 changed candidates" in out
    write(tmp_path / "more.csv", CANDIDATES.replace("P4,李刚", "P4,李小强") + "P5,王晓红,F,1988-05-20,310115,\n")
    assert main(["rescreen", "--db", filled, "--candidates", str(tmp_path / "more.csv"),
                 "--top-k", "3"]) == 0
    out = capsys.readouterr().out
    assert "incremental re-screen" in out and "1 new and 1 changed candidates" in out
    assert "1 cases have new candidates in their top 3" in out  # P5 enters C1's top 3


def test_rescreen_quarantines_bad_rows_beside_the_input(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = write(tmp_path / "cases.csv", CASES + "C3,,X,1991,\n")
    assert main(["rescreen", "--db", db_url, "--cases", str(cases), "--top-k", "3"]) == 0
    out = capsys.readouterr().out
    assert "cases.csv: read 3, accepted 2, quarantined 1" in out
    quarantine = tmp_path / "cases.quarantine.csv"
    assert f"quarantined rows: {quarantine} (not stored)" in out
    assert "expected M/F/男/女 or a GB/T 2261.1 code 1/2/0/9, got 'X'" in quarantine.read_text(encoding="utf-8-sig")


def test_second_run_at_once_prints_one_line_and_exits_2(
    filled: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store.open(filled) as store:
        holder = store.begin_run("incremental", "cfg", "m", 0, {})
        code = main(["rescreen", "--db", filled, "--full"])
        store.finish_run(holder)
    assert code == 2
    one_error_line(capsys, "reunite rescreen: error: another run holds the run lock")


def test_dna_record_excludes_a_pair_and_confirmed_closes_the_case(
    filled: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["dna", "record", "--db", filled, "--case", "C1", "--person", "P1", "--outcome",
                 "excluded", "--date", "2024-03-05", "--lab-ref", "L-7"]) == 0
    assert "recorded: case C1, person P1: excluded" in capsys.readouterr().out
    assert main(["rescreen", "--db", filled, "--top-k", "3"]) == 0
    out = capsys.readouterr().out  # C1 is screened anew; P2 was already in its top 3
    assert "screened 1 cases against every candidate" in out and "0 cases have new candidates" in out
    assert main(["dna", "record", "--db", filled, "--case", "C2", "--person", "P3", "--outcome",
                 "confirmed"]) == 0
    assert "(the case is closed)" in capsys.readouterr().out
    with Store.open(filled) as store:
        assert store.excluded_pairs() == {("C1", "P1")}
        assert "P1" not in {r.person_id for r in store.current_topk(["C1"])}
        assert store.open_case_ids() == ["C1"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--case", "C9", "--person", "P1", "--outcome", "excluded"], "case_id 'C9' is not in the store"),
        (["--case", "C1", "--person", "P1", "--outcome", "maybe"],
         "expected one of 'excluded', 'confirmed', 'pending' (or 排除, 确认, 待检 and their usual wordings), "
         "got 'maybe'"),
        (["--case", "C1", "--person", "P1", "--outcome", "比中"],
         "DNA outcome '比中' is ambiguous: a DNA database hit (比中) is a lead for a kinship test, not its outcome"),
        (["--case", "C1", "--person", "P1", "--outcome", "pending", "--date", "5 March"], "5 March"),
    ],
)
def test_dna_record_mistakes_are_one_line(
    filled: str, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["dna", "record", "--db", filled, *argv]) == 2
    one_error_line(capsys, message)


def test_dna_record_takes_an_outcome_as_a_lab_writes_it(filled: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`dna record --outcome 排除` was refused while `dna import` reads 排除 in a lab file."""
    assert main(["dna", "record", "--db", filled, "--case", "C1", "--person", "P1", "--outcome", "排除亲缘关系"]) == 0
    assert "C1, person P1: excluded" in capsys.readouterr().out
    with Store.open(filled) as store:
        assert ("C1", "P1") in store.excluded_pairs()


def test_dna_import_prints_the_report_and_quarantines_beside_the_file(
    filled: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lab = write(tmp_path / "lab.csv", "case_id,person_id,outcome,date\nC1,P2,excluded,2024-01-02\n"
                                      "C1,P9,excluded,2024-01-02\nC2,P3,maybe,\n")
    assert main(["dna", "import", "--db", filled, "--file", str(lab)]) == 0
    out = capsys.readouterr().out
    assert "lab.csv: read 3, accepted 1, quarantined 2" in out
    assert f"quarantined rows: {tmp_path / 'lab.quarantine.csv'}" in out
    with Store.open(filled) as store:
        assert store.excluded_pairs() == {("C1", "P2")}


def test_plan_takes_at_most_the_top_k_the_store_holds(
    filled: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A plan deeper than the last re-screen's top-k was cut silently to the rows the store happened to
    hold beyond it (a reserve, not each case's next candidates)."""
    out = tmp_path / "plan.csv"
    assert main(["plan", "--db", filled, "--top-k", "5", "--out", str(out)]) == 2
    one_error_line(capsys, "--top-k 5: the store holds each case's top 3")
    assert not out.exists()
    assert main(["plan", "--db", filled, "--out", str(out)]) == 0  # the default: the store's top 3
    with Store.open(filled) as store:
        people = {r.person_id for r in store.current_topk() if r.rank <= 3}
    assert {row.split(",")[3] for row in out.read_text(encoding="utf-8-sig").splitlines()[1:]} == people


def test_plan_refuses_a_file_kind_it_does_not_write(filled: str, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """plan --out plan.pdf wrote CSV text into a .pdf that no viewer opens."""
    out = tmp_path / "plan.pdf"
    assert main(["plan", "--db", filled, "--out", str(out)]) == 2
    one_error_line(capsys, "written as CSV (.csv) or as visit sheets (.html), not .pdf")
    assert not out.exists()


def test_dna_import_of_a_lab_file_without_rows_is_an_error(
    filled: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lab = write(tmp_path / "lab.csv", "case_id,person_id,outcome,date\n")
    assert main(["dna", "import", "--db", filled, "--file", str(lab)]) == 2
    one_error_line(capsys, "no DNA outcomes in it")


def test_dna_profiles_under_a_chinese_header_and_a_file_without_ids(
    filled: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A profiles file under 人员编号 (as the candidates file had it) was refused ("expected a person_id
    column"), and one with a header and no ids marked nobody, exit 0, as if the file were right."""
    write(tmp_path / "profiles.csv", "人员编号,备注\nP3,provincial\n")
    assert main(["dna", "profiles", "--db", filled, "--file", str(tmp_path / "profiles.csv")]) == 0
    assert "1 persons with a DNA profile on file in profiles.csv; 1 newly marked" in capsys.readouterr().out
    write(tmp_path / "none.csv", "person_id\n")
    assert main(["dna", "profiles", "--db", filled, "--file", str(tmp_path / "none.csv")]) == 2
    one_error_line(capsys, "none.csv: no person_id in it (a header and no rows)")


def test_dna_profiles_of_unknown_persons_is_one_plain_line(
    filled: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The error named the store's Python method and printed a Python list
    ("mark_profiles_on_file: 1 person_id(s) not in the store, e.g. ['P404']")."""
    write(tmp_path / "profiles.csv", "person_id\nP3\nP404\n")
    assert main(["dna", "profiles", "--db", filled, "--file", str(tmp_path / "profiles.csv")]) == 2
    err = capsys.readouterr().err
    assert err == ("reunite dna profiles: error: --file profiles.csv: 1 person_id(s) not in the store: 'P404' "
                   "(a person is stored when a rescreen reads them); no profile marked\n")
    assert main(["dna", "record", "--db", filled, "--case", "C404", "--person", "P1", "--outcome", "excluded"]) == 2
    err = capsys.readouterr().err
    assert "record_dna" not in err and "upsert" not in err and "case_id 'C404' is not in the store" in err


def test_dna_profiles_and_plan_by_todays_county(
    filled: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path / "profiles.csv", "\ufeffperson_id,note\nP3,provincial\n\n")
    assert main(["dna", "profiles", "--db", filled, "--file", str(tmp_path / "profiles.csv")]) == 0
    assert "1 persons with a DNA profile on file in profiles.csv; 1 newly marked" in capsys.readouterr().out
    out_csv = tmp_path / "plan.csv"
    assert main(["plan", "--db", filled, "--top-k", "2", "--out", str(out_csv)]) == 0
    out = capsys.readouterr().out
    with out_csv.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    by_person = {r["person_id"]: r for r in rows}
    assert set(by_person) == {"P1", "P2", "P3", "P4"}
    # 上海市南汇县 (a county merged into 浦东新区 in 2009) groups with code 310115
    assert by_person["P1"]["county"] == by_person["P2"]["county"] == "上海市浦东新区"
    assert by_person["P1"]["province"] == "上海市"
    assert by_person["P1"]["id_number"] == "310225********002X"
    assert by_person["P3"]["action"] == "compare in database"
    assert [r["person_id"] for r in rows][-1] == "P4"  # no region: last
    assert "4 persons for 2 cases: 3 samples to collect, 1 to compare in the database" in out
    assert "上海市浦东新区" in out and "(unknown)" in out
    assert main(["plan", "--db", filled, "--top-k", "2", "--out", str(out_csv), "--reveal-ids"]) == 0
    assert "31022519880503002X" in out_csv.read_text(encoding="utf-8-sig")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["plan", "--db", "nonsense", "--out", "{tmp}/p.csv"], "expected a database URL such as"),
        (["plan", "--db", "sqlite:///{tmp}/missing.db", "--out", "{tmp}/p.csv"], "no such database file"),
        (["rescreen", "--db", "sqlite:///{tmp}/no/such/folder.db"], "folder {tmp}/no/such does not exist"),
        (["rescreen", "--db", "sqlite:///{tmp}/r.db", "--cases", "{tmp}/absent.csv"], "no such file"),
        (["rescreen", "--db", "sqlite:///{tmp}/r.db", "--top-k", "0"], "--top-k: expected a whole number"),
        (["dna", "import", "--db", "sqlite:///{tmp}/r.db", "--file", "{tmp}/absent.csv"], "no such file"),
        (["dna", "profiles", "--db", "sqlite:///{tmp}/r.db", "--file", "{tmp}/cases.csv"],
         "expected a person_id column"),
        (["dna", "record", "--db", "postgresql+psycopg://nobody@127.0.0.1:1/x", "--case", "C1",
          "--person", "P1", "--outcome", "excluded"], "cannot open the database"),
    ],
)
def test_user_mistakes_print_one_line_and_exit_2(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path / "cases.csv", CASES)
    Store.open(f"sqlite:///{tmp_path}/r.db").close()
    assert main([a.replace("{tmp}", str(tmp_path)) for a in argv]) == 2
    one_error_line(capsys, message.replace("{tmp}", str(tmp_path)))


def _stored(db_url: str, side: str) -> dict[str, dict[str, str]]:
    with Store.open(db_url) as store:
        key = "case_id" if side == "cases" else "person_id"
        return {r[key]: r for r in store.read_rows(side)}  # type: ignore[arg-type]


def test_rescreen_never_lets_an_unusable_row_replace_a_stored_one(
    filled: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 10: a re-sent case with birth date 1992-13-20 wiped its stored candidates; a re-sent
    candidate with 1993-02-30 overwrote the good stored row though the run said "not stored". Rows
    are read and normalized as screen does before anything is stored: a row rejected for any
    reason (here a wrong number of cells, a duplicate id, an empty id -- and the impossible dates,
    whichever way normalize reads them) never replaces a stored row, is in the quarantine file with
    its reason, and the printed counts balance."""
    with Store.open(filled) as store:
        c1_before = [r.person_id for r in store.current_topk(["C1"])]
    assert c1_before
    cases_before, people_before = _stored(filled, "cases"), _stored(filled, "candidates")
    write(tmp_path / "cases2.csv", "case_id,name,sex,birth_date,missing_region\n"
                                   "C1,王小红,F,1992-13-20,310115\n"
                                   "C2,李强,M,1990,360302,extra cell\n")
    write(tmp_path / "people2.csv", "person_id,name,sex,birth_date,region,id_number\n"
                                    "P1,王小红,F,1993-02-30,上海市南汇县,31022519880503002X\n"
                                    "P2,张晓红,F,1988-06-11,310115\n"          # a cell short
                                    "P3,李强强,M,1990-02-01,360302,\n"
                                    "P3,李强,M,1990-02-01,360302,\n"           # duplicate id
                                    ",无名,M,1990-02-01,360302,\n")            # no id
    assert main(["rescreen", "--db", filled, "--cases", str(tmp_path / "cases2.csv"), "--candidates",
                 str(tmp_path / "people2.csv"), "--top-k", "3"]) == 0
    out = capsys.readouterr().out
    counts = {Path(m[1]).name: (int(m[2]), int(m[3]), int(m[4]))
              for m in re.finditer(r"^(.+?): read (\d+), accepted (\d+), quarantined (\d+)", out, re.M)}
    assert all(read == accepted + quarantined for read, accepted, quarantined in counts.values()), out
    assert counts["cases2.csv"][0] == 2 and counts["people2.csv"][0] == 5
    quarantine = {p: list(csv.DictReader((tmp_path / f"{p}.quarantine.csv").read_text(encoding="utf-8-sig")
                                         .splitlines())) for p in ("cases2", "people2")}
    # the file also lists flags on rows that were kept (a "quarantined" column says which, when present)
    bad_rows = {p: {int(r["row"]) for r in rows if r.get("quarantined", "yes") == "yes"}
                for p, rows in quarantine.items()}
    assert {3} <= bad_rows["cases2"] and {3, 5, 6} <= bad_rows["people2"]
    assert len(bad_rows["cases2"]) == counts["cases2.csv"][2]
    assert len(bad_rows["people2"]) == counts["people2.csv"][2]
    for side, name, before in (("cases", "cases2", cases_before), ("candidates", "people2", people_before)):
        lines = list(csv.reader((tmp_path / f"{name}.csv").read_text(encoding="utf-8").splitlines()))
        header = lines[0]
        accepted: dict[str, list[dict[str, str]]] = {}
        for number, cells in enumerate(lines[1:], start=2):
            if number not in bad_rows[name]:
                row = dict(zip(header, cells, strict=True))
                accepted.setdefault(cells[0], []).append(row)
        for key, stored in _stored(filled, side).items():
            # a stored row is the one stored before or an accepted input row with its id -- never a
            # quarantined one
            fits = [row for row in accepted.get(key, []) if all(stored[c] == v for c, v in row.items())]
            assert stored == before.get(key) or fits, (side, key, stored)
        assert "" not in _stored(filled, side)
    assert _stored(filled, "cases")["C2"] == cases_before["C2"]  # the wrong number of cells changed nothing
    assert _stored(filled, "candidates")["P2"] == people_before["P2"]
    with Store.open(filled) as store:
        assert store.current_topk(["C1"]), "C1 lost its stored candidates"
        if 2 in bad_rows["cases2"]:
            assert [r.person_id for r in store.current_topk(["C1"])] == c1_before


def test_rescreen_and_verify_read_as_on_the_day_given(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--today`` is the day the run reads its rows on and records: P5's "2025-03" birth is a month
    on 2025-06-01 and in the future, unknown, on 2025-01-15."""
    cases = write(tmp_path / "cases.csv", CASES)
    people = write(tmp_path / "people.csv", CANDIDATES + "P5,王红,F,2025-03,310115,\n")
    assert main(["rescreen", "--db", db_url, "--cases", str(cases), "--candidates", str(people),
                 "--today", "2025-01-15"]) == 0
    assert "in the future" in capsys.readouterr().out  # P5, flagged and kept
    with Store.open(db_url) as store:
        assert store.last_read_on() == datetime.date(2025, 1, 15)
    assert main(["verify", "--db", db_url, "--today", "2025-01-15"]) == 0
    assert "equals a full screen" in capsys.readouterr().out
    assert main(["rescreen", "--db", db_url, "--candidates", str(people), "--today", "2025-06-01"]) == 0
    out = capsys.readouterr().out
    assert "in the future" not in out and "nothing quarantined or flagged in people.csv" in out
    with Store.open(db_url) as store:
        assert store.last_read_on() == datetime.date(2025, 6, 1)


@pytest.mark.parametrize(
    ("day", "message"),
    [("2025-13-01", "expected a date written YYYY-MM-DD"), ("15.01.2025", "expected a date written YYYY-MM-DD"),
     ("2999-01-01", "is after today's date"),
     ("1900-01-01", "expected a day from 2000-01-01 to today's date, got 1900-01-01"),
     ("1999-12-31", "expected a day from 2000-01-01")],
)
def test_rescreen_refuses_a_day_it_cannot_read_as(
    day: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = write(tmp_path / "cases.csv", CASES)
    assert main(["rescreen", "--db", f"sqlite:///{tmp_path}/r.db", "--cases", str(cases), "--today", day]) == 2
    one_error_line(capsys, message)
    assert not (tmp_path / "r.db").exists()


def test_unlock_removes_a_run_lock_once(filled: str, capsys: pytest.CaptureFixture[str]) -> None:
    with Store.open(filled) as store:
        store.begin_run("incremental", "cfg", "m", 0, {})  # held by this process, alive
    capsys.readouterr()
    # `reunite unlock` removed the lock of a --full run still under way, and a second re-screen started
    assert main(["unlock", "--db", filled]) == 2
    one_error_line(capsys, "reunite unlock: error: the run lock is held by a process that is still running")
    with Store.open(filled) as store:
        assert store.lock_holder() is not None
    assert main(["unlock", "--db", filled, "--force"]) == 0
    assert "removed the run lock held by" in capsys.readouterr().out
    assert main(["unlock", "--db", filled]) == 0
    assert "no run lock was held" in capsys.readouterr().out


def test_store_commands_speak_chinese_with_lang_zh(
    filled: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rescreen", "--db", filled, "--candidates", str(tmp_path / "people.csv"), "--top-k", "3",
                 "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert "无需运行：新增案件 0 个、变更 0 个" in out and "people.csv：读取" in out
    assert main(["dna", "record", "--db", filled, "--case", "C2", "--person", "P3", "--outcome", "confirmed",
                 "--lang", "zh"]) == 0
    assert capsys.readouterr().out.strip() == "已记录：案件 C2，人员 P3：confirmed（该案件已结案）"
    assert main(["export", "--db", filled, "--out", str(tmp_path / "top.csv"), "--lang", "zh"]) == 0
    assert re.fullmatch(r"已存前 k 名共 \d+ 行：.*top\.csv", capsys.readouterr().out.strip())
    assert main(["unlock", "--db", filled, "--lang", "zh"]) == 0
    assert capsys.readouterr().out.strip() == "没有运行锁"
    # English stays the default
    assert main(["unlock", "--db", filled]) == 0
    assert capsys.readouterr().out.strip() == "no run lock was held"
