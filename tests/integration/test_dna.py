"""DNA outcomes: excluded pairs, confirmed closes a case, bad outcomes rejected, lab CSV import."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from reunite.errors import InputError, MissingColumnsError
from reunite.export import write_quarantine
from reunite.store import Store


@pytest.fixture
def filled(store: Store) -> Store:
    store.upsert("cases", [{"case_id": c, "sex": "F", "birth_date": "1988"} for c in ("C1", "C2", "C3")])
    store.upsert("candidates", [{"person_id": p, "sex": "F", "birth_date": "1988"}
                                for p in ("P1", "P2", "P3")])
    return store


def test_excluded_pairs_are_listed_and_latest_outcome_counts(filled: Store) -> None:
    filled.record_dna("C1", "P1", "pending", date="2024-01-10", lab_ref="L-1")
    assert filled.pending_pairs() == {("C1", "P1")} and filled.excluded_pairs() == set()
    filled.record_dna("C1", "P1", "excluded", date=dt.date(2024, 2, 1), lab_ref="L-1", note="STR 0/20")
    filled.record_dna("C2", "P2", "excluded")
    assert filled.excluded_pairs() == {("C1", "P1"), ("C2", "P2")}
    assert filled.pending_pairs() == set()
    assert filled.open_case_ids() == ["C1", "C2", "C3"]  # exclusion closes nothing
    assert filled.profiles_on_file() == {"P1", "P2"}  # typed by the lab


def test_confirmed_outcome_closes_the_case(filled: Store) -> None:
    filled.record_dna("C2", "P3", "confirmed", date="2024-06-30", lab_ref="L-9")
    assert filled.confirmed_pairs() == {("C2", "P3")}
    assert filled.open_case_ids() == ["C1", "C3"]
    assert any(e["action"] == "record_dna" and e["detail"]["outcome"] == "confirmed"
               for e in filled.audit_log())


def test_bad_outcome_is_rejected_naming_the_allowed_values(filled: Store) -> None:
    with pytest.raises(InputError, match="expected one of 'excluded', 'confirmed', 'pending', got 'match'"):
        filled.record_dna("C1", "P1", "match")  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"expected a day, YYYY-MM-DD \(or 2024/3/5, 20240305, 2024年3月5日\), "
                                         "got '2024/13/02'"):
        filled.record_dna("C1", "P1", "excluded", date="2024/13/02")
    assert filled.excluded_pairs() == set()


def test_unknown_case_or_person_is_a_clear_error(filled: Store) -> None:
    with pytest.raises(InputError, match="case_id 'C404' is not in the store"):
        filled.record_dna("C404", "P1", "excluded")
    with pytest.raises(InputError, match="person_id 'P404' is not in the store"):
        filled.record_dna("C1", "P404", "excluded")
    with pytest.raises(InputError, match=r"^1 person_id\(s\) not in the store: 'P404' \(a person is stored when a "
                                         r"rescreen reads them\)"):
        filled.mark_profiles_on_file(["P1", "P404"])
    assert filled.profiles_on_file() == set()


def test_mark_profiles_on_file_counts_new_ones(filled: Store) -> None:
    assert filled.mark_profiles_on_file(["P1", "P2"], source="national database") == 2
    assert filled.mark_profiles_on_file(["P2", "P3"]) == 1
    assert filled.profiles_on_file() == {"P1", "P2", "P3"}


def test_lab_csv_quarantines_bad_rows_and_records_the_rest(filled: Store, tmp_path: Path) -> None:
    lab = tmp_path / "lab.csv"
    lab.write_text(
        "case_id,person_id,outcome,date,lab_ref\n"
        "C1,P1,excluded,2024-03-01,L-100\n"
        "C1,P2,Exclude,2024-03-01,L-101\n"       # not an outcome (Excluded is one: letter case is ignored)
        "C9,P1,excluded,2024-03-01,L-102\n"      # unknown case
        "C2,P3,confirmed,2024-03-02,L-103\n"
        "C3,P2,pending,03/04/2024,L-104\n",      # bad date
        encoding="utf-8-sig",
    )
    report = filled.import_dna_csv(lab)
    assert (report.read, report.accepted, report.quarantined) == (5, 2, 3)
    assert sorted((p.row, p.column) for p in report.problems) == [(3, "outcome"), (4, "case_id"),
                                                                  (6, "date")]
    assert "expected one of 'excluded', 'confirmed', 'pending'" in str(report.problems[0])
    assert filled.excluded_pairs() == {("C1", "P1")}
    assert filled.confirmed_pairs() == {("C2", "P3")}
    assert filled.open_case_ids() == ["C1", "C3"]
    quarantine = write_quarantine(report, tmp_path / "q.csv").read_text(encoding="utf-8-sig")
    assert "C9" in quarantine
    assert filled.audit_log()[-1]["detail"]["quarantined"] == 3


def test_lab_csv_in_gb18030_with_missing_column_is_refused(filled: Store, tmp_path: Path) -> None:
    lab = tmp_path / "lab.csv"
    lab.write_bytes("case_id,person_id,意见\nC1,P1,excluded\n".encode("gb18030"))
    expected = r"missing column\(s\) outcome.*found 'case_id', 'person_id', '意见'"
    with pytest.raises(MissingColumnsError, match=expected):
        filled.import_dna_csv(lab)
    assert filled.excluded_pairs() == set()


def test_lab_csv_in_utf16_is_read_as_case_files_are(filled: Store, tmp_path: Path) -> None:
    # Excel's "Unicode text" export; screen reads such files, and a lab file was refused
    lab = tmp_path / "lab.csv"
    lab.write_bytes("case_id,person_id,outcome,date\nC1,P1,excluded,2024-03-01\n".encode("utf-16"))
    report = filled.import_dna_csv(lab)
    assert (report.read, report.accepted, report.encoding) == (1, 1, "utf-16")
    assert filled.excluded_pairs() == {("C1", "P1")}
