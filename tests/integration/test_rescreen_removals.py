"""Removing candidates and cases in the nightly batch (issue 10: "any sequence of deltas -- new,
changed, removed candidates and cases -- ends as one full run"): a removed person leaves every
case's top-k and reserve and its terms leave the totals, exactly as a full screen without them
ranks; a removed case leaves plan and export; every row of a removal list is accounted for; DNA
outcomes and the audit log keep what happened; a removed person sent again comes back as new."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from reunite.cli import main
from reunite.errors import InputError
from reunite.rescreen import rescreen, verify
from reunite.store import Store, build_plan
from reunite.stored_ranking import stored_topk
from reunite.synth import generate

TOP_K = 3
_DATA = generate(10, 400, seed=11)
CASES, CANDIDATES = pd.DataFrame(_DATA.cases), pd.DataFrame(_DATA.candidates)


def _ranking(store: Store) -> list[tuple[str, int, str, float, float, str]]:
    return [(r.case_id, r.rank, r.person_id, r.score, round(r.probability, 9), r.reasons)
            for r in store.current_topk(store.open_case_ids()) if r.rank <= TOP_K]


def _full_ranking_without(db_url: str, tmp_path: Path, people: set[str], cases: set[str] = frozenset(),  # type: ignore[assignment]
                          ) -> list[tuple[str, int, str, float, float, str]]:
    """What a store that never had ``people`` and ``cases`` holds after the same first run's fitted
    model screens everything again (a full run that keeps the stored fitted model)."""
    with Store.open(db_url) as store:
        model = store.fitted_model()
    assert model is not None
    other = f"sqlite:///{tmp_path / 'never.db'}"
    with Store.open(other) as never:
        # the same fitted model: fit on all, then take the rows out, then a full run that keeps the model
        rescreen(never, cases=CASES, candidates=CANDIDATES, top_k=TOP_K)
        assert never.fitted_model() is not None and never.fitted_model().model == model.model  # type: ignore[union-attr]
        rescreen(never, cases=CASES[~CASES["case_id"].isin(cases)],
                 candidates=CANDIDATES[~CANDIDATES["person_id"].isin(people)], top_k=TOP_K)
        rescreen(never, top_k=TOP_K, full=True, refit=False, remove_candidates=sorted(people) or None,
                 remove_cases=sorted(cases) or None)
        return _ranking(never)


@pytest.fixture
def screened(store: Store) -> Store:
    assert rescreen(store, cases=CASES, candidates=CANDIDATES, top_k=TOP_K).kind == "full"
    return store


def _top_people(store: Store, ranks: int, n: int) -> list[str]:
    return sorted({r.person_id for r in store.current_topk() if r.rank <= ranks})[:n]


def test_removed_candidates_leave_every_case_as_a_full_screen_without_them(screened: Store) -> None:
    gone = _top_people(screened, 1, 4)  # rank-1 persons: the next ones must be promoted
    held = {r.case_id: r.person_id for r in screened.current_topk() if r.rank == 1}
    report = rescreen(screened, remove_candidates=gone, top_k=TOP_K)
    assert (report.kind, report.removed_candidates, report.removed_cases) == ("incremental", 4, 0)
    after = screened.current_topk()
    assert not {r.person_id for r in after} & set(gone)
    assert {c for c, p in held.items() if p in gone} <= {r.case_id for r in after if r.rank == 1}
    incremental = _ranking(screened)
    assert verify(screened).equal  # the stored ranking = a full screen of the stored candidates
    assert rescreen(screened, top_k=TOP_K, full=True, refit=False).kind == "full"
    assert _ranking(screened) == incremental
    assert gone[0] not in {r["person_id"] for r in screened.read_rows("candidates")}
    assert screened.count_rows("candidates") == len(CANDIDATES) - 4


def test_removed_candidates_are_taken_out_of_the_probabilities_exactly(screened: Store) -> None:
    # a person outside every stored top-k and reserve still counts in its cases' totals: removing
    # them must take their term out of the sums (the probabilities change, if only a little)
    stored = {r.person_id for r in screened.current_topk()}
    outside = [p for p in CANDIDATES["person_id"] if p not in stored][:60]
    totals = screened.case_totals()
    rescreen(screened, remove_candidates=outside, top_k=TOP_K)
    now = screened.case_totals()
    assert any(now[c].pairs < totals[c].pairs for c in now)
    assert verify(screened).equal


def test_removed_case_leaves_plan_and_export_and_keeps_its_dna_outcomes(screened: Store) -> None:
    first = screened.current_topk()[0]
    screened.record_dna(first.case_id, first.person_id, "excluded")
    rescreen(screened, top_k=TOP_K)
    report = rescreen(screened, remove_cases=[first.case_id], top_k=TOP_K)
    assert report.removed_cases == 1
    assert first.case_id not in screened.open_case_ids()
    assert not screened.current_topk([first.case_id])
    assert first.case_id not in screened.case_totals() and first.case_id not in screened.case_bounds()
    rows, _ = stored_topk(screened)
    assert first.case_id not in {r.case_id for r in rows}
    assert first.case_id not in {c.case_id for row in build_plan(screened, TOP_K) for c in row.cases}
    assert (first.case_id, first.person_id) in screened.excluded_pairs()  # DNA outcomes are kept
    removal = [e for e in screened.audit_log() if e["action"] == "remove"]
    assert removal and removal[-1]["detail"]["removed"] == [
        {"side": "cases", "id": first.case_id, "reason": "", "forced": False}]
    assert verify(screened).equal


def test_a_removed_person_sent_again_comes_back_as_new(screened: Store) -> None:
    gone = _top_people(screened, 1, 3)
    before = _ranking(screened)
    rescreen(screened, remove_candidates=gone, top_k=TOP_K)
    assert _ranking(screened) != before
    report = rescreen(screened, candidates=CANDIDATES, top_k=TOP_K)
    assert (report.kind, report.new_candidates, report.changed_candidates) == ("incremental", 3, 0)
    flags = [p for p in report.ingest[0].problems if "sent again" in p.reason]  # said, not silent
    assert sorted(p.value for p in flags) == gone and not any(p.fatal for p in flags)
    assert _ranking(screened) == before  # the same data as the first night: the same ranking
    assert verify(screened).equal
    # and a removed case sent again is screened again
    case_id = before[0][0]
    rescreen(screened, remove_cases=[case_id], top_k=TOP_K)
    report = rescreen(screened, cases=CASES, top_k=TOP_K)
    assert report.new_cases == 1 and _ranking(screened) == before


def test_every_row_of_a_removal_list_is_accounted_for(screened: Store, tmp_path: Path) -> None:
    case_ids = list(CASES["case_id"])
    top = screened.current_topk()
    confirmed, pending = top[0], next(r for r in top if r.case_id != top[0].case_id)
    people = [p for p in CANDIDATES["person_id"] if p not in (confirmed.person_id, pending.person_id)]
    screened.record_dna(confirmed.case_id, confirmed.person_id, "confirmed")
    screened.record_dna(pending.case_id, pending.person_id, "pending")
    rescreen(screened, remove_candidates=[people[5]], top_k=TOP_K)  # removed once already
    listing = tmp_path / "gone.csv"
    listing.write_text("person_id,reason\n"
                       f"{people[1]},died 2019\n"          # removed
                       f"{people[1]},again\n"              # repeated: quarantined
                       "P-NOT-THERE,typo\n"                # unknown: quarantined
                       f"{people[5]},\n"                   # already removed: flagged, nothing to do
                       ",no id\n"                          # no id: quarantined
                       f"{people[2]},x,extra\n"            # wrong number of cells: quarantined
                       f"{people[3]},sent too\n"           # also in tonight's candidates: quarantined
                       f"{confirmed.person_id},found\n"    # DNA confirmed: quarantined (not forced)
                       f"{pending.person_id},moved\n",     # DNA pending: removed, flagged
                       encoding="utf-8")
    tonight = CANDIDATES[CANDIDATES["person_id"] == people[3]]
    report = rescreen(screened, candidates=tonight, remove_candidates=listing, top_k=TOP_K)
    removals = report.ingest[-1]
    assert removals.source == "gone.csv"
    assert (removals.read, removals.accepted, removals.quarantined, removals.flagged) == (9, 3, 6, 2)
    reasons = {p.row: p.reason for p in removals.problems}
    assert "repeated" in reasons[3] and "unknown person_id" in reasons[4] and "already removed" in reasons[5]
    assert "missing person_id" in reasons[6] and "wrong number of cells" in reasons[7]
    assert "also in this run's candidates input" in reasons[8] and "DNA confirmed" in reasons[9]
    assert "pending" in reasons[10]
    assert report.removed_candidates == 2
    held = {r["person_id"] for r in screened.read_rows("candidates")}
    assert people[1] not in held and pending.person_id not in held
    assert {people[3], confirmed.person_id} <= held
    audit = [e for e in screened.audit_log() if e["action"] == "remove"][-1]["detail"]["removed"]
    assert {(d["id"], d["reason"]) for d in audit} == {(people[1], "died 2019"), (pending.person_id, "moved")}
    # forced: the confirmed person goes, flagged as forced
    report = rescreen(screened, remove_candidates=[confirmed.person_id], force_removals=True, top_k=TOP_K)
    assert report.removed_candidates == 1 and report.ingest[-1].flagged == 1
    assert [e for e in screened.audit_log() if e["action"] == "remove"][-1]["detail"]["removed"][0]["forced"]
    assert (confirmed.case_id, confirmed.person_id) in screened.confirmed_pairs()
    assert verify(screened).equal
    # a case with a confirmed outcome is not removed either, unless forced
    report = rescreen(screened, remove_cases=[confirmed.case_id, case_ids[-1]], top_k=TOP_K)
    assert report.removed_cases == 1 and report.ingest[-1].quarantined == 1


def test_strict_stops_on_a_removal_row_it_cannot_apply(screened: Store) -> None:
    with pytest.raises(InputError, match="P-NOT-THERE"):
        rescreen(screened, remove_candidates=["P-NOT-THERE"], strict=True, top_k=TOP_K)
    assert screened.last_run_id() == 1


def test_a_list_of_ids_already_removed_is_nothing_to_do(screened: Store) -> None:
    gone = _top_people(screened, 1, 2)
    rescreen(screened, remove_candidates=gone, top_k=TOP_K)
    report = rescreen(screened, remove_candidates=gone, top_k=TOP_K)
    assert report.kind == "nothing" and report.ingest[-1].flagged == 2 and report.ingest[-1].quarantined == 0


def test_cli_removes_and_writes_the_quarantine(db_url: str, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    cases, people = tmp_path / "cases.csv", tmp_path / "people.csv"
    CASES.to_csv(cases, index=False)
    CANDIDATES.to_csv(people, index=False)
    assert main(["rescreen", "--db", db_url, "--cases", str(cases), "--candidates", str(people),
                 "--top-k", str(TOP_K)]) == 0
    capsys.readouterr()
    with Store.open(db_url) as store:
        first = store.current_topk()[0]
    (tmp_path / "dead.csv").write_text(f"人员编号,原因\n{first.person_id},死亡\nP-NOT-THERE,\n", encoding="utf-8")
    (tmp_path / "withdrawn.csv").write_text(f"case_id\n{CASES['case_id'].iloc[-1]}\n", encoding="utf-8")
    assert main(["rescreen", "--db", db_url, "--remove-candidates", str(tmp_path / "dead.csv"),
                 "--remove-cases", str(tmp_path / "withdrawn.csv"), "--top-k", str(TOP_K)]) == 0
    out = capsys.readouterr().out
    assert "dead.csv: read 2, accepted 1, quarantined 1" in out
    assert "withdrawn.csv: read 1, accepted 1, quarantined 0" in out
    assert "removed 1 cases and 1 candidates" in out
    assert f"quarantined rows: {tmp_path / 'dead.quarantine.csv'} (not removed)" in out
    assert "P-NOT-THERE" in (tmp_path / "dead.quarantine.csv").read_text(encoding="utf-8-sig")
    assert not (tmp_path / "withdrawn.quarantine.csv").exists()
    assert main(["verify", "--db", db_url]) == 0
    capsys.readouterr()
    # a removal list that does not exist: one line, and nothing is opened or written
    assert main(["rescreen", "--db", db_url, "--remove-cases", str(tmp_path / "nope.csv")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--remove-cases" in err[0] and "no such file" in err[0]


def test_removals_on_a_first_run_equal_a_store_that_never_had_them(db_url: str, tmp_path: Path) -> None:
    with Store.open(db_url) as store:
        rescreen(store, cases=CASES, candidates=CANDIDATES, top_k=TOP_K)
        gone = set(_top_people(store, 2, 5))
        withdrawn = {str(CASES["case_id"].iloc[0])}
        rescreen(store, remove_candidates=sorted(gone), remove_cases=sorted(withdrawn), top_k=TOP_K)
        merged = _ranking(store)
    assert merged == _full_ranking_without(db_url, tmp_path, gone, withdrawn)


def test_force_removals_alone_is_a_mistake(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rescreen", "--db", f"sqlite:///{tmp_path / 'r.db'}", "--force-removals"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--force-removals: expected --remove-candidates FILE or --remove-cases FILE" in err[0]


def test_a_case_whose_reserve_cannot_prove_its_top_k_is_screened_again(screened: Store) -> None:
    case_id = screened.current_topk()[0].case_id
    held = [r.person_id for r in screened.current_topk([case_id])]  # its top-k and its whole reserve
    assert len(held) == 2 * TOP_K
    report = rescreen(screened, remove_candidates=held[TOP_K - 1:], top_k=TOP_K)  # all but TOP_K - 1 rows go
    assert report.cases_screened_all >= 1
    assert not {r.person_id for r in screened.current_topk()} & set(held[TOP_K - 1:])
    assert len(screened.current_topk([case_id])) >= TOP_K
    assert verify(screened).equal
