"""Undoing a removal (issue 10): ``rescreen(restore_candidates=..., restore_cases=...)`` and
``reunite rescreen --restore-candidates FILE --restore-cases FILE`` bring removed rows back as the
store holds them, audited, with every row of the list accounted for; the nightly merge then equals a
full run again. Before, the only way back was to send the row again (flagged as a new row)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from reunite.cli import main
from reunite.rescreen import rescreen, verify
from reunite.store import Store
from reunite.synth import generate

TOP_K = 3
_DATA = generate(10, 400, seed=11)
CASES, CANDIDATES = pd.DataFrame(_DATA.cases), pd.DataFrame(_DATA.candidates)


def _ranking(store: Store) -> list[tuple[str, int, str, float, float, str]]:
    return [(r.case_id, r.rank, r.person_id, r.score, round(r.probability, 9), r.reasons)
            for r in store.current_topk() if r.rank <= TOP_K]


@pytest.fixture
def screened(store: Store) -> Store:
    assert rescreen(store, cases=CASES, candidates=CANDIDATES, top_k=TOP_K).kind == "full"
    return store


def test_a_restored_person_and_case_come_back_as_they_were(screened: Store) -> None:
    before = _ranking(screened)
    people = sorted({r.person_id for r in screened.current_topk() if r.rank <= 2})[:3]
    case_id = str(CASES["case_id"].iloc[0])
    rescreen(screened, remove_candidates=people, remove_cases=[case_id], top_k=TOP_K)
    assert not {p for _, _, p, _, _, _ in _ranking(screened)} & set(people)
    report = rescreen(screened, restore_candidates=people, restore_cases=[case_id], top_k=TOP_K)
    assert report.kind == "incremental"
    assert (report.restored_candidates, report.restored_cases) == (3, 1)
    assert (report.new_candidates, report.new_cases) == (0, 0)  # not counted as new rows
    assert "restored 1 cases and 3 candidates" in report.summary()
    assert all(r.quarantined == 0 and r.flagged == 0 for r in report.ingest)
    assert _ranking(screened) == before  # the same data, the same fitted model: the same ranking
    assert verify(screened).equal
    assert {r["person_id"] for r in screened.read_rows("candidates", people)} == set(people)
    entries = [e for e in screened.audit_log() if e["action"] == "restore"]
    assert len(entries) == 1
    assert {(d["side"], d["id"]) for d in entries[0]["detail"]["restored"]} == {
        *(("candidates", p) for p in people), ("cases", case_id)}
    # a restore list sent again the next night: nothing to restore, each row says why
    again = rescreen(screened, restore_candidates=people, top_k=TOP_K)
    assert again.kind == "nothing" and again.ingest[0].quarantined == 3
    assert all("not removed: nothing to restore" in p.reason for p in again.ingest[0].problems)


def test_every_row_of_a_restore_list_is_accounted_for(screened: Store) -> None:
    people = CANDIDATES["person_id"].tolist()
    removed, current, also_removed, sent = people[:4]
    rescreen(screened, remove_candidates=[removed, also_removed, sent], top_k=TOP_K)
    report = rescreen(screened, candidates=CANDIDATES[CANDIDATES["person_id"] == sent],
                      remove_candidates=[also_removed],  # already removed: flagged, nothing to do
                      restore_candidates=[removed, current, also_removed, sent, "P-NOT-THERE", removed],
                      top_k=TOP_K)
    listed = report.ingest[-1]
    assert (listed.read, listed.accepted, listed.quarantined, listed.flagged) == (6, 2, 4, 1)
    reasons = {p.value: p.reason for p in listed.problems}
    assert "not removed: nothing to restore" in reasons[current]
    assert "also in this run's removal list" in reasons[also_removed]
    assert "comes back with the input's values" in reasons[sent]
    assert "unknown person_id" in reasons["P-NOT-THERE"]
    assert "repeated" in reasons[removed] or "duplicate" in reasons[removed]
    assert report.restored_candidates == 1
    assert {r["person_id"] for r in screened.read_rows("candidates", [removed, sent, also_removed])} == {
        removed, sent}
    assert verify(screened).equal


def test_cli_restores_and_a_missing_list_is_one_line(db_url: str, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    cases, people = tmp_path / "cases.csv", tmp_path / "people.csv"
    CASES.to_csv(cases, index=False)
    CANDIDATES.to_csv(people, index=False)
    assert main(["rescreen", "--db", db_url, "--cases", str(cases), "--candidates", str(people),
                 "--top-k", str(TOP_K)]) == 0
    with Store.open(db_url) as store:
        first = store.current_topk()[0]
    (tmp_path / "dead.csv").write_text(f"person_id,reason\n{first.person_id},death record\n", encoding="utf-8")
    assert main(["rescreen", "--db", db_url, "--remove-candidates", str(tmp_path / "dead.csv")]) == 0
    (tmp_path / "alive.csv").write_text(f"person_id,reason\n{first.person_id},death record was another person\n"
                                        "P-NOT-THERE,\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["rescreen", "--db", db_url, "--restore-candidates", str(tmp_path / "alive.csv")]) == 0
    out = capsys.readouterr().out
    assert "alive.csv: read 2, accepted 1, quarantined 1" in out
    assert "restored 0 cases and 1 candidates" in out
    assert f"quarantined rows: {tmp_path / 'alive.quarantine.csv'} (not restored)" in out
    with Store.open(db_url) as store:
        assert store.current_topk()[0].person_id == first.person_id
    assert main(["verify", "--db", db_url]) == 0
    capsys.readouterr()
    assert main(["rescreen", "--db", db_url, "--restore-cases", str(tmp_path / "nope.csv")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--restore-cases" in err[0] and "no such file" in err[0]
