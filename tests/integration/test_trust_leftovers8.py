"""Trust leftovers of the fourteenth session (issue 10), each failing on main before its fix: lab outcomes
written in another letter case or width, a lab file imported twice, the message of a night with nothing new
to screen against."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from reunite.cli import main
from reunite.errors import InputError
from reunite.store import Store
from reunite.store.models import DnaOutcomeRecord


@pytest.fixture
def filled(store: Store) -> Store:
    store.upsert("cases", [{"case_id": c, "sex": "F", "birth_date": "1988"} for c in ("C1", "C2", "C3", "C4")])
    store.upsert("candidates", [{"person_id": p, "sex": "F", "birth_date": "1988"}
                                for p in ("P1", "P2", "P3", "P4")])
    return store


def _lab(tmp_path: Path, text: str, name: str = "lab.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _outcome_rows(store: Store) -> int:
    with store.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(DnaOutcomeRecord)).scalar_one())


def test_known_outcomes_in_any_letter_case_or_width_are_read_and_unknown_words_are_not(
        filled: Store, tmp_path: Path) -> None:
    lab = _lab(tmp_path, "case_id,person_id,outcome\n"
                         "C1,P1,Excluded\n"
                         "C2,P2,ＥＸＣＬＵＤＥＤ\n"
                         "C3,P3, CONFIRMED \n"
                         "C4,P4,Exclude\n")
    report = filled.import_dna_csv(lab)
    assert (report.read, report.accepted, report.quarantined) == (4, 3, 1)
    assert filled.excluded_pairs() == {("C1", "P1"), ("C2", "P2")}
    assert filled.confirmed_pairs() == {("C3", "P3")}
    [problem] = report.problems  # the unknown word: quarantined with its file, row and column, never guessed
    assert (problem.source, problem.row, problem.column, problem.value) == ("lab.csv", 5, "outcome", "Exclude")
    assert "expected one of 'excluded', 'confirmed', 'pending'" in problem.reason


def test_a_lab_file_imported_twice_is_recorded_once(filled: Store, db_url: str, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    lab = _lab(tmp_path, "case_id,person_id,outcome,date,lab_ref\n"
                         "C1,P1,excluded,2024-03-01,L-1\n"
                         "C2,P2,excluded,2024-03-01,L-2\n"
                         "C2,P2,excluded,2024-03-01,L-2\n"   # the same row twice in one file
                         "C3,P3,pending,,\n")
    first = filled.import_dna_csv(lab)
    assert (first.read, first.accepted, first.already_recorded, first.quarantined) == (4, 4, 1, 0)
    assert _outcome_rows(filled) == 3
    assert main(["dna", "import", "--db", db_url, "--file", str(lab)]) == 0
    out = capsys.readouterr().out
    assert "read 4, imported 0, already recorded 4" in out and "quarantined 0" in out
    assert _outcome_rows(filled) == 3
    assert repr(first) == ("LabReport(source='lab.csv', read=4, accepted=4, quarantined=0, flagged=0, "
                           "already_recorded=1)")  # counts only, as every report's repr
    entries = [e for e in filled.audit_log() if e["action"] == "import_dna_csv"]
    assert [len(e["detail"]["outcomes"]) for e in entries] == [3, 0]
    assert [r["row"] for r in entries[1]["detail"]["already_recorded"]] == [2, 3, 4, 5]


def test_a_different_outcome_still_needs_supersede_and_an_old_result_sent_again_undoes_nothing(
        filled: Store, tmp_path: Path) -> None:
    old = _lab(tmp_path, "case_id,person_id,outcome,date,lab_ref\nC1,P1,excluded,2024-03-01,L-1\n", "old.csv")
    filled.import_dna_csv(old)
    new = _lab(tmp_path, "case_id,person_id,outcome,date,lab_ref\nC1,P1,confirmed,2024-05-01,L-9\n", "new.csv")
    refused = filled.import_dna_csv(new)
    assert refused.quarantined == 1 and "contradicts the recorded outcome 'excluded'" in refused.problems[0].reason
    assert filled.import_dna_csv(new, supersede=True).accepted == 1
    assert filled.confirmed_pairs() == {("C1", "P1")}
    again = filled.import_dna_csv(old, supersede=True)  # the lab sends its March file again
    assert (again.read, again.already_recorded, again.quarantined) == (1, 1, 0)
    assert filled.confirmed_pairs() == {("C1", "P1")} and filled.excluded_pairs() == set()
    assert _outcome_rows(filled) == 2


def test_the_same_outcome_with_another_note_is_kept(filled: Store, tmp_path: Path) -> None:
    filled.import_dna_csv(_lab(tmp_path, "case_id,person_id,outcome,date\nC1,P1,excluded,2024-03-01\n"))
    report = filled.import_dna_csv(_lab(tmp_path, "case_id,person_id,outcome,date,note\n"
                                                  "C1,P1,excluded,2024-03-01,re-typed at 24 loci\n"))
    assert (report.accepted, report.already_recorded) == (1, 0)  # a note is not lost
    with filled.engine.connect() as connection:
        notes = connection.scalars(select(DnaOutcomeRecord.c.note).order_by(DnaOutcomeRecord.c.id)).all()
    assert notes == [None, "re-typed at 24 loci"]


def test_a_night_with_no_candidate_to_screen_against_says_what_it_did(
        store: Store, data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from reunite import rescreen

    rescreen(store, cases=data / "cases.csv", candidates=data / "candidates.csv", top_k=5, seed=3)
    first = {r.case_id: r.person_id for r in store.current_topk() if r.rank == 1}
    excluded = sorted(first.items())[:2]
    for case_id, person_id in excluded:
        store.record_dna(case_id, person_id, "excluded", date="2024-03-01")
    night = rescreen(store, top_k=5)
    assert night.kind == "incremental" and night.cases_screened_all == 2
    # nothing new, changed or removed: no case was screened against it (main said "and 18 against the new ...")
    assert night.cases_screened_delta == 0 and night.delta_candidates == 0
    assert dict(night.screened_all_because) == {"exclusions": 2}
    lines = night.summary().splitlines()
    assert lines[2].startswith("screened 2 cases against every candidate (2 with DNA exclusions recorded since "
                               "their last screen); no candidate is new, changed or removed")
    assert rescreen(store, top_k=5).kind == "nothing"


def test_a_ranking_given_as_the_cases_is_refused_before_anything_is_stored(
        db_url: str, data: Path, tmp_path: Path, one_line: Callable[..., str]) -> None:
    assert main(["rescreen", "--db", db_url, "--cases", str(data / "cases.csv"),
                 "--candidates", str(data / "candidates.csv"), "--top-k", "3"]) == 0
    ranked = tmp_path / "ranked.csv"
    assert main(["export", "--db", db_url, "--out", str(ranked)]) == 0
    with Store.open(db_url, create=False) as store:
        before = store.content_hashes("cases")
    # main read it as cases: each case's first row replaced its name, sex and birth date with its first candidate's
    assert main(["rescreen", "--db", db_url, "--cases", str(ranked)]) == 2
    one_line("expected a cases file, got a ranking written by reunite screen or export")
    assert main(["rescreen", "--db", db_url, "--candidates", str(ranked)]) == 2
    one_line("expected a candidates file, got a ranking")
    with Store.open(db_url, create=False) as store:
        assert store.content_hashes("cases") == before


def test_the_same_outcome_recorded_twice_by_hand_is_stored_once(
        filled: Store, db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    command = ["dna", "record", "--db", db_url, "--case", "C1", "--person", "P1", "--outcome", "Confirmed",
               "--date", "2024-03-01"]
    assert main(command) == 0 and "recorded: case C1, person P1: confirmed" in capsys.readouterr().out
    assert main(command) == 0
    assert capsys.readouterr().out.startswith("already recorded, not stored again: case C1, person P1: confirmed")
    assert _outcome_rows(filled) == 1
    assert filled.record_dna("C1", "P1", "confirmed", date="2024-03-01") == filled.dna_outcome_id(
        "C1", "P1", "confirmed", date="2024-03-01")
    assert _outcome_rows(filled) == 1
    filled.record_dna("C1", "P1", "confirmed", date="2024-03-02")  # another day: another result
    assert _outcome_rows(filled) == 2


def test_a_second_confirmation_of_a_case_or_a_person_needs_supersede(filled: Store, tmp_path: Path) -> None:
    filled.record_dna("C1", "P1", "confirmed", date="2024-03-01")
    lab = _lab(tmp_path, "case_id,person_id,outcome,date\nC1,P2,confirmed,2024-04-01\nC1,P3,excluded,2024-04-01\n")
    report = filled.import_dna_csv(lab)  # main recorded it: the case had two children found
    assert (report.read, report.accepted, report.quarantined) == (2, 1, 1)
    assert report.problems[0].row == 2
    reason = report.problems[0].reason
    assert "case 'C1' is already confirmed with person 'P1' (2024-03-01): a case is one child" in reason
    assert filled.confirmed_pairs() == {("C1", "P1")}
    with pytest.raises(InputError, match="already confirmed with person 'P1'"):
        filled.record_dna("C1", "P2", "confirmed")
    # two records of the one child: confirmed too, said so in the audit log
    again = filled.import_dna_csv(lab, supersede=True)
    assert (again.accepted, again.already_recorded) == (2, 1)
    assert filled.confirmed_pairs() == {("C1", "P1"), ("C1", "P2")}
    assert filled.audit_log()[-1]["detail"]["superseded"][0]["also_confirmed"] == [["C1", "P1"]]
    # and the other way: one person confirmed as the child of a second case (two reports of one child)
    with pytest.raises(InputError, match="person 'P2' is already confirmed as the child of case 'C1'"):
        filled.record_dna("C4", "P2", "confirmed")
    assert filled.record_dna("C4", "P2", "confirmed", supersede=True) > 0


def test_dna_import_has_the_encoding_option_its_message_names(
        filled: Store, db_url: str, tmp_path: Path, one_line: Callable[..., str],
        capsys: pytest.CaptureFixture[str]) -> None:
    lab = tmp_path / "lab.csv"
    lab.write_bytes("case_id,person_id,outcome,note\nC1,P1,excluded,€ 5 invoiced\n".encode("cp1252"))
    assert main(["dna", "import", "--db", db_url, "--file", str(lab)]) == 2
    one_line("--encoding")  # main: "error: unrecognized arguments: --encoding big5" when the user followed it
    assert main(["dna", "import", "--db", db_url, "--file", str(lab), "--encoding", "cp1252"]) == 0
    assert "(encoding cp1252)" in capsys.readouterr().out
    with filled.engine.connect() as connection:
        assert connection.scalars(select(DnaOutcomeRecord.c.note)).all() == ["€ 5 invoiced"]


def test_a_flagged_lab_row_is_said_recorded_not_kept_for_screening(filled: Store, tmp_path: Path) -> None:
    report = filled.import_dna_csv(_lab(tmp_path, "case_id,person_id,outcome\nＣ1,P1,excluded\n"))
    assert (report.accepted, report.flagged) == (1, 1) and filled.excluded_pairs() == {("C1", "P1")}
    assert "flagged 1 accepted row(s), recorded (see the quarantine file for how each was read)" in report.summary()
    assert "kept for screening" not in report.summary()  # main's words, meant for case and candidate files


@pytest.mark.parametrize("how", [[], ["--encoding", "utf-8"], ["--update"]])
def test_a_ranking_given_to_prepare_is_refused_and_nothing_is_written(
        tmp_path: Path, one_line: Callable[..., str], how: list[str]) -> None:
    # plain CSV prepared piece by piece, a forced encoding read whole, and an update: each read the ranking
    # as a table of candidates named, born and sexed as its rows' candidates, one per row of every case
    ranked = tmp_path / "ranked.csv"
    ranked.write_text("case_id,rank,person_id,score,probability,name,sex,birth_date\n"
                      "C1,1,P1,12.5,0.9,李小红,F,1988-05-20\nC1,2,P2,3.1,0.05,王芳,F,1988\n", encoding="utf-8")
    out = tmp_path / "people.parquet"
    assert main(["prepare", "--candidates", str(ranked), "--out", str(out), *how]) == 2
    one_line("expected a candidates file, got a ranking written by reunite screen or export")
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["ranked.csv"]


def test_a_night_with_nothing_to_do_says_why_in_the_language_asked(store: Store, data: Path) -> None:
    from reunite import rescreen

    rescreen(store, cases=data / "cases.csv", candidates=data / "candidates.csv", top_k=5, seed=3)
    night = rescreen(store, top_k=5)
    assert night.kind == "nothing"
    assert night.summary("en").endswith("(no new or changed rows, no removals, no new DNA exclusions)")
    chinese = night.summary("zh")  # main said the reason in English here
    assert chinese.startswith("无需运行") and "没有新增或变更的记录" in chinese
    assert not any("a" <= ch.lower() <= "z" for ch in chinese.replace("DNA", ""))
