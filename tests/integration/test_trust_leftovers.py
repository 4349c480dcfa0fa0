"""Issue 10's leftovers found by the twelfth session's trial: ids typed full-width, a night's degraded date,
an absurd --today, a header row repeated mid-file, library errors quoting ID numbers."""

from __future__ import annotations

import datetime
from pathlib import Path

import pandas as pd
import pytest

import reunite
from reunite.cli import main
from reunite.errors import ConfigError, InputError
from reunite.ingest import read_table
from reunite.pipeline import prepare_file

CASES = pd.DataFrame({
    "case_id": ["C1", "C2"], "name": ["王小红", "李建国"], "sex": ["女", "男"],
    "birth_date": ["1993年2月", "1990-01-01"], "missing_region": ["360302", "510104"],
})
PEOPLE = pd.DataFrame({
    "person_id": ["PA00123", "PA00124", "PA00125"], "name": ["王小红", "赵强", "李建国"], "sex": ["F", "F", "M"],
    "birth_date": ["1993-02-11", "1993-02-20", "1990-01-01"], "region": ["360302", "360302", "510104"],
    "id_number": ["", "", ""],
})
WIDE = "ＰＡ００１２３"  # PA00123 typed with a full-width input method


def _csv(path: Path, frame: pd.DataFrame) -> Path:
    frame.to_csv(path, index=False, encoding="utf-8")
    return path


# -- 1. ids written in full-width characters ------------------------------------------------------------------

def test_screen_reads_a_full_width_person_id_as_the_ascii_one(tmp_path: Path) -> None:
    """`ＰＡ００１２３` beside `PA00123` were two persons; now the second is a duplicate id, and a lone one is read
    as PA00123, flagged."""
    twice = pd.concat([PEOPLE, PEOPLE.iloc[[0]].assign(person_id=WIDE)], ignore_index=True)
    for source in (twice, _csv(tmp_path / "people.csv", twice)):
        report = read_table(source, "candidates").report
        assert (report.read, report.accepted, report.quarantined) == (4, 3, 1)
        [duplicate] = report.problems
        assert (duplicate.row, duplicate.column, duplicate.value) == (5, "person_id", "PA00123")
        assert duplicate.reason.startswith("duplicate id, first seen at row 2")
    alone = PEOPLE.assign(person_id=[WIDE, "PA00124", "PA00125"])
    table = read_table(_csv(tmp_path / "alone.csv", alone), "candidates")
    assert table.columns["person_id"][0] == "PA00123"
    [flag] = table.report.problems
    assert (flag.row, flag.value, flag.fatal) == (2, WIDE, False) and "read as 'PA00123'" in flag.reason


def test_prepare_in_pieces_folds_a_full_width_id_as_a_whole_read(tmp_path: Path) -> None:
    """prepare cuts a large plain file into pieces read by Arrow: a piece with a full-width id is read row by row."""
    people = _csv(tmp_path / "people.csv", PEOPLE.assign(person_id=[WIDE, "PA00124", "PA00125"]))
    out = tmp_path / "p.parquet"
    report, written = prepare_file(people, out, "candidates", piece_bytes=64)
    assert written == 3 and [p.value for p in report.problems] == [WIDE]
    table = reunite.load_side(out, "candidates")
    assert table.ids.tolist() == ["PA00123", "PA00124", "PA00125"]
    assert [p.value for p in table.report.problems] == [WIDE]


def test_rescreen_and_dna_import_take_a_full_width_id_as_the_stored_person(db_url: str, tmp_path: Path) -> None:
    with reunite.Store.open(db_url) as store:
        reunite.rescreen(store, cases=CASES, candidates=PEOPLE, top_k=3)
        night = PEOPLE.iloc[[0]].assign(person_id=WIDE, name="王晓红")
        report = reunite.rescreen(store, candidates=night)
        assert (report.new_candidates, report.changed_candidates) == (0, 1)  # was 1 new person
        assert [r["name"] for r in store.read_rows("candidates", ["PA00123"])] == ["王晓红"]
        assert store.read_rows("candidates", [WIDE]) == []
        lab = tmp_path / "lab.csv"
        lab.write_text(f"case_id,person_id,outcome\nＣ１,{WIDE},excluded\n", encoding="utf-8")
        dna = store.import_dna_csv(lab)
        assert (dna.accepted, dna.quarantined, dna.flagged) == (1, 0, 1)
        assert store.excluded_pairs() == {("C1", "PA00123")}
        store.record_dna("Ｃ２", "ＰＡ００１２５", "pending")
        assert store.pending_pairs() == {("C2", "PA00125")}
        assert store.mark_profiles_on_file(["ＰＡ００１２４"]) == 1
        assert store.profiles_on_file() >= {"PA00124"}


# -- 2. a night's flagged date must not replace a stored good one unseen -----------------------------------------

def test_a_night_s_degraded_date_keeps_the_stored_one_and_says_so(db_url: str) -> None:
    """A re-sent `1993-02-30` (read as February 1993, flagged) replaced the stored `1993-02-11` without a word."""
    with reunite.Store.open(db_url) as store:
        reunite.rescreen(store, cases=CASES, candidates=PEOPLE, top_k=3)
        night = PEOPLE.iloc[[0, 1, 2]].assign(birth_date=["1993-02-30", "2099-01-01", "1990-01-01"],
                                               name=["王小红", "赵强", "李建华"])
        report = reunite.rescreen(store, candidates=night)
        stored = {r["person_id"]: r for r in store.read_rows("candidates", ["PA00123", "PA00124", "PA00125"])}
        # nothing else changed in PA00123: nothing to store, its good date stays
        assert stored["PA00123"]["birth_date"] == "1993-02-11"
        assert (report.new_candidates, report.changed_candidates) == (0, 2)
        problems: dict[str, list[str]] = {}
        for p in report.ingest[-1].problems:
            assert not p.fatal
            problems.setdefault(p.value, []).append(p.reason)
        [kept] = problems["1993-02-30"]
        assert kept.startswith("impossible date") and "the stored birth_date '1993-02-11' is kept" in kept
        # a date that is no reading of the stored one replaces it, and the report says what it replaced
        assert stored["PA00124"]["birth_date"] == "2099-01-01"
        assert sorted(reason.split(" ")[0] for reason in problems["2099-01-01"]) == ["in", "replaces"]
        assert any(r.startswith("replaces the stored birth_date '1993-02-20'") for r in problems["2099-01-01"])
        assert stored["PA00125"]["name"] == "李建华"


# -- 3. --today ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("day", [datetime.date(1900, 1, 1), datetime.date(1999, 12, 31), "1900-01-01"])
def test_an_absurd_today_is_refused_by_the_library(day: datetime.date | str) -> None:
    with pytest.raises(ConfigError, match=r"^today: "):
        reunite.screen(CASES, PEOPLE, top_k=3, today=day)


def test_an_absurd_today_is_refused_by_screen(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases, people = _csv(tmp_path / "cases.csv", CASES), _csv(tmp_path / "people.csv", PEOPLE)
    out = tmp_path / "r.csv"
    assert main(["screen", "--cases", str(cases), "--candidates", str(people), "--out", str(out),
                 "--today", "1900-01-01"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "expected a day from 2000-01-01 to today's date, got 1900-01-01" in err[0], err
    assert not out.exists()


# -- 4. a header row repeated in the middle of a file -----------------------------------------------------------

def test_a_repeated_header_row_is_quarantined_as_such(tmp_path: Path) -> None:
    """Two extracts joined with `cat` (the second's header, a BOM before it too): quarantined as "bad sex"."""
    text = _csv(tmp_path / "a.csv", PEOPLE).read_text(encoding="utf-8")
    joined = tmp_path / "joined.csv"
    joined.write_text(text + "\ufeff" + text.replace("PA001", "PB001"), encoding="utf-8")
    report = read_table(joined, "candidates").report
    assert (report.read, report.accepted, report.quarantined) == (7, 6, 1)
    [problem] = report.problems
    assert (problem.row, problem.column, problem.reason) == (5, "", "a repeated header row")


# -- 6. library errors mask ID numbers --------------------------------------------------------------------------

def test_a_library_error_masks_the_id_numbers_it_quotes() -> None:
    """`screen(..., strict=True)` listed a quarantined row's value with the full resident ID number."""
    people = PEOPLE.assign(person_id=["11010519491231002X", "PA00124", "PA00124"])
    with pytest.raises(InputError) as raised:
        reunite.screen(CASES, people, top_k=3, strict=True)
    assert "11010519491231002X" not in str(raised.value) and "11010519491231002X" not in repr(raised.value)
    assert "PA00124" in str(raised.value)
    error = InputError("person_id '11010519491231002X' is not in the store")
    assert str(error) == "person_id '110105********002X' is not in the store"
    assert error.revealed == "person_id '11010519491231002X' is not in the store"


def test_the_command_line_shows_an_error_s_id_numbers_only_with_reveal_ids(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 'r.db'}"
    reunite.rescreen(db, cases=CASES, candidates=PEOPLE, top_k=3)
    for reveal, shown in (([], "110105********002X"), (["--reveal-ids"], "11010519491231002X")):
        assert main(["dna", "record", "--db", db, "--case", "C1", "--person", "11010519491231002X",
                     "--outcome", "excluded", *reveal]) == 2
        err = capsys.readouterr().err
        assert err == f"reunite dna record: error: person_id '{shown}' is not in the store (a person is stored " \
                      "when a rescreen reads them)\n"


# -- a new user's trial ------------------------------------------------------------------------------------------

def test_evaluate_names_the_missing_columns_in_plain_words(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Truth and ranking swapped: the message was a Python list ("expected columns ['case_id', 'rank', ...],
    missing ['rank', 'score'], found [...]")."""
    truth = tmp_path / "truth.csv"
    truth.write_text("case_id,person_id,tags\nC1,PA00123,\n", encoding="utf-8")
    assert main(["evaluate", "--truth", str(truth), "--ranked", str(truth)]) == 2
    assert capsys.readouterr().err == (f"reunite evaluate: error: {truth}: missing column(s) rank, score; expected "
                                       "case_id, rank, person_id, score, found 'case_id', 'person_id', 'tags'\n")


def test_the_library_takes_today_written_as_the_command_line_takes_it() -> None:
    written = reunite.screen(CASES, PEOPLE, top_k=3, today="2025-01-15").to_pandas()
    given = reunite.screen(CASES, PEOPLE, top_k=3, today=datetime.date(2025, 1, 15)).to_pandas()
    pd.testing.assert_frame_equal(written, given)


def test_explain_takes_a_full_width_id_as_the_data_s(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases, people = _csv(tmp_path / "cases.csv", CASES), _csv(tmp_path / "people.csv", PEOPLE)
    assert main(["explain", "--cases", str(cases), "--candidates", str(people), "--case", "Ｃ１",
                 "--person", WIDE]) == 0
    assert capsys.readouterr().out.startswith("case C1 / person PA00123: score")


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig", "utf-16"])
def test_a_mapping_file_is_decoded_as_the_inputs_are(encoding: str, tmp_path: Path) -> None:
    """A --mapping JSON file saved by Notepad on a Chinese Windows (GBK) was refused: "'utf-8' codec can't decode"."""
    from reunite.ingest import mapping_from_options

    path = tmp_path / "mapping.json"
    path.write_bytes('{"性别代码": "sex"}'.encode(encoding))
    assert mapping_from_options([str(path)]) == {"性别代码": "sex"}


def test_cases_and_candidates_given_the_other_way_round_are_named(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    cases, people = _csv(tmp_path / "cases.csv", CASES), _csv(tmp_path / "people.csv", PEOPLE)
    assert main(["screen", "--cases", str(people), "--candidates", str(cases), "--out", str(tmp_path / "r.csv")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].endswith("it has a person_id column: is it the candidates file (the cases and the "
                                             "candidates given the other way round)?")


def test_store_upsert_keys_a_full_width_id_as_the_readers_read_it(db_url: str) -> None:
    """A row upserted as ＰＡ００１２３ was stored under a key no reader gives back (they read PA00123)."""
    with reunite.Store.open(db_url) as store:
        store.upsert("candidates", [{"person_id": WIDE, "name": "王小红", "sex": "F", "birth_date": "1993-02-11"}])
        assert [r["person_id"] for r in store.read_rows("candidates")] == ["PA00123"]


@pytest.mark.parametrize("day", ["1900-01-01", "0001-01-01", "1984-12-31"])
def test_a_dna_outcome_dated_before_dna_profiling_is_refused(day: str, db_url: str, tmp_path: Path) -> None:
    """`dna record --date 0001-01-01` was recorded (a typo, or a spreadsheet's empty date); a lab file's row
    is quarantined with the reason."""
    with reunite.Store.open(db_url) as store:
        reunite.rescreen(store, cases=CASES, candidates=PEOPLE, top_k=3)
        with pytest.raises(InputError, match="expected a date from 1985-01-01"):
            store.record_dna("C1", "PA00123", "excluded", date=day)
        lab = tmp_path / "lab.csv"
        lab.write_text(f"case_id,person_id,outcome,date\nC1,PA00123,excluded,{day}\n", encoding="utf-8")
        report = store.import_dna_csv(lab)
        assert (report.read, report.accepted, report.quarantined) == (1, 0, 1)
        assert store.excluded_pairs() == set()


def test_a_removal_list_takes_a_full_width_id_as_the_stored_person(db_url: str, tmp_path: Path) -> None:
    with reunite.Store.open(db_url) as store:
        reunite.rescreen(store, cases=CASES, candidates=PEOPLE, top_k=3)
        dead = tmp_path / "dead.csv"
        dead.write_text(f"person_id,reason\n{WIDE},died\n", encoding="utf-8")
        report = reunite.rescreen(store, remove_candidates=dead)
        assert report.removed_candidates == 1
        assert [r["person_id"] for r in store.read_rows("candidates")] == ["PA00124", "PA00125"]
        assert reunite.rescreen(store, restore_candidates=["ＰＡ００１２３"]).restored_candidates == 1


def test_confirmed_pairs_and_truth_take_full_width_ids_as_the_data_s(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """`train --confirmed` said the pair (Ｃ１, ＰＡ００１２３) was not in the data, and evaluate did not find it."""
    cases, people = _csv(tmp_path / "cases.csv", CASES), _csv(tmp_path / "people.csv", PEOPLE)
    pairs = tmp_path / "pairs.csv"
    pairs.write_text(f"case_id,person_id\nＣ１,{WIDE}\n", encoding="utf-8")
    assert main(["train", "--cases", str(cases), "--candidates", str(people), "--confirmed", str(pairs),
                 "--out", str(tmp_path / "m.json")]) == 0
    assert "not in" not in capsys.readouterr().out
    ranked = tmp_path / "ranked.csv"
    assert main(["screen", "--cases", str(cases), "--candidates", str(people), "--out", str(ranked)]) == 0
    capsys.readouterr()
    truth = tmp_path / "truth.csv"
    truth.write_text(f"case_id,person_id\nＣ１,{WIDE}\nC2,\n", encoding="utf-8")
    assert main(["evaluate", "--truth", str(truth), "--ranked", str(ranked)]) == 0
    assert capsys.readouterr().out.startswith("cases 2 (with a true candidate 1, found in the ranking 1)")


@pytest.mark.parametrize("text", ["case_id,sex,birth_date\nC1,F,1990\n", "case_id,sex,birth_date\n王,F,1990\n"])
def test_utf16_without_a_byte_order_mark_is_named(text: str, tmp_path: Path) -> None:
    """Was "contains NUL characters: it looks like a binary file" (ASCII) or "neither UTF-8 nor GB18030"."""
    path = tmp_path / "cases.csv"
    path.write_bytes(text.encode("utf-16-le"))
    with pytest.raises(InputError, match=r"looks like UTF-16 without a byte-order mark .*encoding='utf-16-le'"):
        read_table(path, "cases")
    assert read_table(path, "cases", encoding="utf-16-le").report.accepted == 1


def test_an_output_that_is_no_regular_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`reunite export --out /dev/full`, run as root, printed "500 rows ... /dev/full", exit 0, and left /dev/full a
    regular file: the temporary file was renamed over the device. A named pipe stands in for it here."""
    import os
    import stat

    from reunite.errors import OutputError
    from reunite.export import atomic_output

    pipe = tmp_path / "pipe.csv"
    os.mkfifo(pipe)
    cases, people = _csv(tmp_path / "cases.csv", CASES), _csv(tmp_path / "people.csv", PEOPLE)
    assert main(["screen", "--cases", str(cases), "--candidates", str(people), "--out", str(pipe)]) == 2
    assert capsys.readouterr().err == (f"reunite screen: error: --out {pipe}: expected a regular file or a new file "
                                       "name, got a named pipe (writing there would replace it)\n")
    with pytest.raises(OutputError, match="got a named pipe"), atomic_output(pipe) as tmp:
        tmp.write_text("x")
    assert stat.S_ISFIFO(pipe.stat().st_mode)


def test_a_lab_file_s_repeated_header_row_is_quarantined_as_such(db_url: str, tmp_path: Path) -> None:
    """It was quarantined as an unknown case, an unknown person and an unreadable outcome."""
    with reunite.Store.open(db_url) as store:
        reunite.rescreen(store, cases=CASES, candidates=PEOPLE, top_k=3)
        lab = tmp_path / "lab.csv"
        lab.write_text("case_id,person_id,outcome\nC1,PA00123,excluded\n\ufeffcase_id,person_id,outcome\n"
                       "C2,PA00125,pending\n", encoding="utf-8")
        report = store.import_dna_csv(lab)
        assert (report.read, report.accepted, report.quarantined) == (3, 2, 1)
        assert [(p.row, p.reason) for p in report.problems] == [(3, "a repeated header row")]


def test_a_removal_list_s_repeated_header_row_is_quarantined_as_such(tmp_path: Path) -> None:
    from reunite.store.removals import read_removals

    dead = tmp_path / "dead.csv"
    dead.write_text("person_id,reason\nPA00123,died\nperson_id,reason\nPA00124,merged\n", encoding="utf-8")
    found = read_removals(dead, "candidates")
    assert [key for _, key, _ in found.rows] == ["PA00123", "PA00124"]
    assert (found.report.read, found.report.quarantined) == (3, 1)
    assert [(p.row, p.reason) for p in found.report.problems] == [(3, "a repeated header row")]
