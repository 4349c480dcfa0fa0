"""A new user's inputs on the paths the tenth session's trial did not cover (issue 10): prepare, train,
DataFrames of zoned timestamps, workbooks with merged cells or several sheets, files
with no rows. Each mistake is one line; no row is lost and no value is read as something else."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import reunite
from reunite.cli import main
from reunite.errors import InputError, MissingColumnsError
from reunite.ingest import read_table
from reunite.pipeline import load_side


def _header_only(data: Path, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}-header.csv"
    path.write_text((data / f"{name}.csv").read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    return path


def test_no_candidates_or_no_cases_is_one_line_not_an_empty_result(data: Path, tmp_path: Path,
                                                                    one_line: Callable[..., str]) -> None:
    """A header-only candidates file gave an empty RANKED.csv, `prepare` a table of 0 records and `train` a model
    fitted to nothing -- each exit 0; screen already refused a header-only cases file."""
    people, cases = _header_only(data, tmp_path, "candidates"), _header_only(data, tmp_path, "cases")
    out = tmp_path / "r.csv"
    assert main(["screen", "--cases", str(data / "cases.csv"), "--candidates", str(people), "--out", str(out)]) == 2
    one_line("candidates-header.csv: no candidates to screen the cases against (read 0, quarantined 0)")
    assert not out.exists()
    prepared = tmp_path / "p.parquet"
    assert main(["prepare", "--candidates", str(people), "--out", str(prepared)]) == 2
    one_line("no candidates to prepare")
    assert not prepared.exists()
    model = tmp_path / "m.json"
    for argv, needle in (([str(data / "cases.csv"), str(people)], "no candidates to train on"),
                         ([str(cases), str(data / "candidates.csv")], "no cases to train on")):
        assert main(["train", "--cases", argv[0], "--candidates", argv[1], "--out", str(model)]) == 2
        one_line(needle)
        assert not model.exists()
    with pytest.raises(InputError, match="no candidates to screen"):
        reunite.screen(data / "cases.csv", people)


def test_prepare_calls_a_foreign_parquet_file_what_it_is(tmp_path: Path, one_line: Callable[..., str]) -> None:
    """`reunite prepare --candidates other.parquet` said "already a prepared table" of a file reunite never wrote."""
    foreign = tmp_path / "other.parquet"
    pd.DataFrame({"a": [1, 2]}).to_parquet(foreign)
    assert main(["prepare", "--candidates", str(foreign), "--out", str(tmp_path / "p.parquet")]) == 2
    assert "already a prepared" not in one_line("a Parquet file (expected the CSV or XLSX to prepare)")


def test_timestamps_with_a_zone_are_read_as_their_day() -> None:
    """A DataFrame (or database) column of zoned timestamps reached the date reader as
    '1995-11-12 13:00:00+08:00': "unreadable date", widened to 1994-1996."""
    days = [pd.Timestamp("1995-11-12 13:00", tz="Asia/Shanghai"), pd.Timestamp("1995-11-12 23:30", tz="UTC"),
            pd.Timestamp("1995-11-12 13:00"), "1995-11-12T08:00:00-05:00", "1995-11-12"]
    frame = pd.DataFrame({"person_id": [f"p{i}" for i in range(len(days))], "sex": "F", "birth_date": days,
                          "registration_date": days})
    table = load_side(frame, "candidates")
    assert table.report.problems == []
    assert set(table.birth_lo.tolist()) == set(table.birth_hi.tolist()) == {int(table.birth_lo[-1])}


def _workbook(path: Path, rows: list[list[str]], *, note_sheet: bool = False, title: str | None = None) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    if note_sheet:
        sheet.title = "说明"
        sheet.append(["本表为案件清单，第二页为数据"])
        sheet = book.create_sheet("案件")
    if title is not None:
        sheet.append([title])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(rows[0]))
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_a_cell_merged_over_rows_is_every_row_s_value(data: Path, tmp_path: Path) -> None:
    """A sex or region merged over the rows of one family reads as one value for each row in Excel; the rows
    below the first were read with an empty cell (their sex unknown, their region lost)."""
    rows = list(csv.reader((data / "cases.csv").read_text(encoding="utf-8").splitlines()))
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    sheet["D2"] = "女"
    sheet["H2"] = "江西省萍乡市安源区"
    sheet.merge_cells("D2:D3")  # openpyxl empties D3, as Excel does
    sheet.merge_cells("H2:H4")
    sheet.merge_cells("A22:B22")  # across columns only (past the data): no row takes another's value
    path = tmp_path / "merged.xlsx"
    book.save(path)
    reopened = openpyxl.load_workbook(path)
    assert reopened.active is not None and reopened.active["D3"].value is None  # the file keeps D2 alone
    table = read_table(path, "cases")
    assert table.report.read == len(rows) - 1 == table.report.accepted
    assert table.columns["sex"][:2] == ["F", "F"]
    assert table.columns["missing_region"][:3] == ["江西省萍乡市安源区"] * 3
    assert table.columns["missing_region"][3] == rows[4][7]


def test_a_workbook_s_note_sheet_or_title_row_names_the_way_out(data: Path, tmp_path: Path,
                                                                one_line: Callable[..., str]) -> None:
    rows = list(csv.reader((data / "cases.csv").read_text(encoding="utf-8").splitlines()))
    two = _workbook(tmp_path / "two.xlsx", rows, note_sheet=True)
    with pytest.raises(MissingColumnsError, match=r"\(read sheet '说明' of '说明', '案件'; choose another with"):
        read_table(two, "cases")
    assert read_table(two, "cases", sheet="案件").report.accepted == len(rows) - 1
    titled = _workbook(tmp_path / "titled.xlsx", rows, title="某某公安局 失踪儿童案件清单")
    argv = ["screen", "--cases", str(titled), "--candidates", str(data / "candidates.csv"),
            "--out", str(tmp_path / "r.csv")]
    assert main(argv) == 2
    one_line("the first row holds one cell: if it is a title above the headers, delete it")


@pytest.mark.parametrize(("option", "value", "needle"), [
    ("mapping", "name=case_id", "mapping: expected a dict of {their header: column} strings, got 'name=case_id'"),
    ("mapping", [("出生", "birth_date")], "mapping: expected a dict"),
    ("mapping", {1: "name"}, "mapping: expected a dict"),
    ("today", "2020/01/01", "today: expected a datetime.date, a day written YYYY-MM-DD or None, got '2020/01/01' "
     "(str)"),
    ("workers", -1, "workers: expected a whole number >= 1 or None, got -1"),
    ("workers", 0, "workers: expected a whole number >= 1 or None, got 0"),
])
def test_screen_s_other_arguments_are_checked_with_one_message(data: Path, option: str, value: object,
                                                               needle: str) -> None:
    """From Python these were AttributeErrors from deep in the reader ('str' object has no attribute 'items',
    ... 'toordinal') or the thread pool's "max_workers must be greater than 0"."""
    with pytest.raises(reunite.ReuniteError) as raised:
        reunite.screen(data / "cases.csv", data / "candidates.csv", **{option: value})  # type: ignore[arg-type]
    assert needle in str(raised.value)


@pytest.mark.parametrize(("call", "needle"), [
    (lambda d: reunite.screen(d / "cases.csv", d / "candidates.csv", fit_to_data="no"), "fit_to_data: expected True "
     "or False, got 'no' (str)"),
    (lambda d: reunite.screen(d / "cases.csv", d / "candidates.csv", em="false"), "em: expected True or False"),
    (lambda d: reunite.screen(d / "cases.csv", d / "candidates.csv", prune="False"), "prune: expected True or False"),
    (lambda d: reunite.screen(d / "cases.csv", d / "candidates.csv", strict=1), "strict: expected True or False, "
     "got 1 (int)"),
    (lambda d: reunite.screen(d / "cases.csv", d / "candidates.csv", reasons=None), "reasons: expected True or False"),
    (lambda d: reunite.screen(d / "cases.csv", d / "candidates.csv", progress="yes"), "progress: expected True or"),
    (lambda d: reunite.screen(d / "cases.csv", d / "candidates.csv", top_k=True), "top_k: expected a whole number"),
    (lambda d: reunite.screen(d / "cases.csv", d / "candidates.csv", limits="fast"), "limits: expected an "
     "EngineLimits or None, got 'fast' (str)"),
    (lambda d: reunite.screen(d / "cases.csv", d / "candidates.csv", exclude=("C1", "P1")), "exclude: expected "
     "(case_id, person_id) pairs of strings, e.g. [('C1', 'P9')], got 'C1' among them"),
    (lambda d: reunite.screen(d / "cases.csv", d / "candidates.csv", exclude=[(1, 2)]), "got (1, 2) among them"),
    (lambda d: reunite.train(d / "cases.csv", d / "candidates.csv", em="no"), "em: expected True or False"),
    (lambda d: reunite.train(d / "cases.csv", d / "candidates.csv", confirmed="C1,P1"), "confirmed: expected "
     "(case_id, person_id) pairs"),
    (lambda d: reunite.explain(d / "cases.csv", d / "candidates.csv", "C1", "P1", em="no"), "em: expected True"),
    (lambda d: reunite.load_side(d / "cases.csv", "cases", strict="no"), "strict: expected True or False"),
    (lambda d: reunite.read_table(d / "cases.csv", "cases", strict="no"), "strict: expected True or False"),
    (lambda d: reunite.prepare_table(d / "candidates.csv", d / "p.parquet", strict="no"), "strict: expected True"),
    (lambda d: reunite.rescreen(f"sqlite:///{d / 'never.db'}", cases=d / "cases.csv", full="no"), "full: expected "
     "True or False"),
    (lambda d: reunite.rescreen(f"sqlite:///{d / 'never.db'}", cases=d / "cases.csv", refit="false"), "refit: "),
])
def test_a_flag_or_pair_list_of_the_wrong_type_is_refused_not_read_as_true(
        data: Path, call: Callable[[Path], object], needle: str) -> None:
    """`screen(..., em="false")`, `prune="False"`, `strict=1` ran as if True was given (a non-empty string is
    true to Python), `exclude=("C1", "P1")` excluded the pairs ("C", "1") and ("P", "1") and `exclude=[(1, 2)]`
    nothing, so a DNA-excluded pair was proposed again; `limits="fast"` was an AttributeError."""
    with pytest.raises(reunite.ConfigError) as raised:
        call(data)
    assert needle in str(raised.value)
    assert not (data / "never.db").exists() and not (data / "p.parquet").exists()


def test_store_dna_calls_refuse_a_supersede_that_is_not_a_flag(store: reunite.Store, tmp_path: Path) -> None:
    """`record_dna(..., supersede="no")` replaced a contradicting outcome: "no" is true to Python."""
    store.upsert("cases", [{"case_id": "C1", "sex": "F", "birth_date": "1988"}])
    store.upsert("candidates", [{"person_id": "P1", "sex": "F", "birth_date": "1988"}])
    store.record_dna("C1", "P1", "excluded")
    with pytest.raises(reunite.ConfigError, match="supersede: expected True or False, got 'no'"):
        store.record_dna("C1", "P1", "confirmed", supersede="no")  # type: ignore[arg-type]
    lab = tmp_path / "lab.csv"
    lab.write_text("case_id,person_id,outcome\nC1,P1,confirmed\n", encoding="utf-8")
    with pytest.raises(reunite.ConfigError, match="supersede: expected True or False, got 'no'"):
        store.import_dna_csv(lab, supersede="no")  # type: ignore[arg-type]
    assert store.excluded_pairs() == {("C1", "P1")} and store.confirmed_pairs() == set()

@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs /proc, a folder no file can be made in")
def test_an_output_folder_that_takes_no_file_is_refused_before_the_work(data: Path, tmp_path: Path,
                                                                        one_line: Callable[..., str]) -> None:
    """`--out /sys/r.csv` (a folder that exists but takes no file) was refused only when written: after the
    whole screen had run, and after train's fit."""
    import reunite.pipeline

    def no_work(*args: object, **kwargs: object) -> None:
        raise AssertionError("the work ran before its output was checked")

    files = ["--cases", str(data / "cases.csv"), "--candidates", str(data / "candidates.csv")]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(reunite.pipeline, "screen", no_work)
        patch.setattr(reunite.pipeline, "train", no_work)
        for argv in (["screen", *files, "--out", "/proc/r.csv"], ["train", *files, "--out", "/proc/m.json"]):
            assert main(argv) == 2
            one_line(f"--out {argv[-1]}: cannot write in /proc")


def test_explain_of_a_quarantined_case_says_it_may_be_quarantined(data: Path, tmp_path: Path,
                                                                   one_line: Callable[..., str]) -> None:
    """`reunite explain --case CBAD` for a case whose row was quarantined (sex 'X') said only "not in the
    screened data", as for a mistyped id, and printed no ingest line that would tell."""
    cases = tmp_path / "cases.csv"
    cases.write_text((data / "cases.csv").read_text(encoding="utf-8") + "CBAD,名字,,X,1990,,,,\n", encoding="utf-8")
    assert main(["explain", "--cases", str(cases), "--candidates", str(data / "candidates.csv"), "--case", "CBAD",
                 "--person", "P0000001"]) == 2
    one_line("case_id 'CBAD' is not in the screened data (not in cases.csv, or in one of its 1 "
                      "quarantined rows: --strict lists them)")


def test_train_reads_the_confirmed_pairs_in_the_encoding_given(data: Path, tmp_path: Path) -> None:
    """`reunite train --encoding ...` read the cases and candidates in it, but guessed the --confirmed file's:
    a UTF-16 file without a byte-order mark (as some exports write) was read as UTF-8, its headers as
    'c\\x00a\\x00s\\x00e...', and the run stopped on "missing column(s) case_id, person_id"."""
    def utf16(source: Path, target: Path) -> Path:
        target.write_bytes(source.read_text(encoding="utf-8").encode("utf-16-le"))
        return target

    with (data / "truth.csv").open(encoding="utf-8", newline="") as handle:
        truth = list(csv.DictReader(handle))
    pairs = tmp_path / "pairs.csv"
    pairs.write_bytes(("case_id,person_id\n" + "".join(f"{row['case_id']},{row['person_id']}\n" for row in truth[:10])
                       ).encode("utf-16-le"))
    cases = utf16(data / "cases.csv", tmp_path / "cases.csv")
    people = utf16(data / "candidates.csv", tmp_path / "people.csv")
    model = tmp_path / "m.json"
    assert main(["train", "--cases", str(cases), "--candidates", str(people), "--confirmed", str(pairs),
                 "--encoding", "utf-16-le", "--out", str(model)]) == 0
    assert model.exists()


def test_a_cell_longer_than_the_csv_module_s_limit_is_read_whole(data: Path, tmp_path: Path) -> None:
    """A 200,000-character marks cell (a pasted narrative) had its row quarantined as "malformed CSV quoting:
    field larger than field limit (131072)", the row's values not in the quarantine file; the lab and
    removal files, read the same way, lost such a row too."""
    marks = ", ".join(["左耳后有痣"] * 30_000)  # quoted, as a comma makes it: read by the csv module
    with (data / "cases.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[2][rows[0].index("marks")] = marks
    cases = tmp_path / "cases.csv"
    with cases.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    table = read_table(cases, "cases")
    assert (table.report.read, table.report.quarantined, len(table)) == (20, 0, 20)
    assert table.columns["marks"][1] == marks


def test_a_night_s_excel_mangled_id_number_does_not_replace_the_stored_one(data: Path, store: reunite.Store) -> None:
    """A night's extract saved from Excel, the ID column read as numbers (3.10224E+17), replaced the stored valid
    ID numbers with that text: flagged, but the ID number was gone from the store."""
    cases = pd.read_csv(data / "cases.csv", dtype=str, keep_default_na=False)
    people = pd.read_csv(data / "candidates.csv", dtype=str, keep_default_na=False)
    reunite.rescreen(store, cases=cases, candidates=people)
    with_id = people[people["id_number"].str.len() == 18].index[:2]
    night = people.loc[with_id].copy()
    stored_numbers = night["id_number"].tolist()
    night["id_number"] = [f"{n[0]}.{n[1:6]}E+17" for n in stored_numbers]
    night.iloc[1, night.columns.get_loc("name")] = "改名"  # the second row changes otherwise too
    report = reunite.rescreen(store, candidates=night)
    assert (report.new_candidates, report.changed_candidates) == (0, 1)
    ids = night["person_id"].tolist()
    stored = {row["person_id"]: row for row in store.read_rows("candidates", ids)}
    assert [stored[i]["id_number"] for i in ids] == stored_numbers and stored[ids[1]]["name"] == "改名"
    flags = [p for p in report.ingest[-1].problems if p.column == "id_number"]
    assert [(p.value, p.fatal) for p in flags] == [(n, False) for n in night["id_number"]]
    assert all("the stored ID number is kept" in p.reason for p in flags)
