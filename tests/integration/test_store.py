"""Store: upsert by content hash, runs and the run lock, atomic results with a merged top-k."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, insert, select

from reunite.errors import ConcurrentRunError, InputError, StoreError
from reunite.store import Store
from reunite.store import results as results_module
from reunite.store.db import bulk_insert, utcnow
from reunite.store.models import Result, Run, RunLock

CASES = [
    {"case_id": "C1", "name": "王芳", "sex": "F", "birth_date": "1988-05-03", "missing_region": "360302"},
    {"case_id": "C2", "alias": "毛毛", "sex": "M", "birth_date": "1990"},
]
PERSONS = [
    {"person_id": f"P{i}", "name": f"李{i}", "sex": "F", "birth_date": "1988", "region": "360302"}
    for i in range(1, 6)
]


def result(case_id: str, rank: int, person_id: str, score: float, probability: float) -> dict[str, Any]:
    return {"case_id": case_id, "rank": rank, "person_id": person_id, "score": score,
            "probability": probability, "reasons": f"given name same pinyin +{score}", "name": "x"}


def seeded(store: Store) -> int:
    """Cases, persons and one finished full run with results; returns the run id."""
    store.upsert("cases", CASES)
    store.upsert("candidates", PERSONS)
    run = store.begin_run("full", "cfg1", "model-1", 7, {"cases": 2, "candidates": 5})
    store.save_results(run, [
        result("C1", 1, "P1", 6.0, 0.9), result("C1", 2, "P2", 3.0, 0.5), result("C1", 3, "P3", 1.0, 0.2),
        result("C2", 1, "P4", 2.0, 0.4),
    ], replace_cases=["C1", "C2"])
    store.finish_run(run)
    return run


def topk(store: Store, case_id: str) -> list[tuple[int, str]]:
    return [(r.rank, r.person_id) for r in store.current_topk([case_id])]


def count_results(store: Store) -> int:
    with store.engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(Result)) or 0)


# -- upsert ------------------------------------------------------------------------------------

def test_upsert_detects_new_changed_and_unchanged(store: Store) -> None:
    first = store.upsert("candidates", PERSONS[:3])
    assert first.new_ids == ["P1", "P2", "P3"] and first.changed_ids == [] and first.unchanged == 0

    edited = [dict(PERSONS[0], name="李一"), PERSONS[1], PERSONS[2], PERSONS[3]]
    second = store.upsert("candidates", edited, run_id=None)
    assert second.new_ids == ["P4"]
    assert second.changed_ids == ["P1"]
    assert second.unchanged == 2
    assert store.read_rows("candidates", ["P1"])[0]["name"] == "李一"
    assert store.read_rows("candidates", ["P1"])[0]["id_number"] == ""  # absent column stored as ""
    again = store.upsert("candidates", edited)
    assert (again.new_ids, again.changed_ids, again.unchanged) == ([], [], 4)


def test_upsert_records_first_seen_and_updated_runs(store: Store) -> None:
    run = store.begin_run("full", "cfg", "m", None, {})
    store.upsert("cases", CASES, run_id=run)
    store.finish_run(run)
    later = store.begin_run("incremental", "cfg", "m", None, {})
    store.upsert("cases", [dict(CASES[0], marks="左耳后有痣"), CASES[1]], run_id=later)
    store.finish_run(later)
    from reunite.store.models import Case
    with store.engine.connect() as connection:
        rows = {r.case_id: (r.first_seen_run, r.updated_run) for r in connection.execute(select(Case))}
    assert rows == {"C1": (run, later), "C2": (run, run)}


def test_upsert_refuses_a_run_that_is_not_running_and_writes_nothing(store: Store) -> None:
    """Rows stamped with a finished (or unknown) run would count as screened by a run that never
    read them, and no night would screen them: refused, and the rows stay for the next night."""
    run = store.begin_run("full", "cfg", "m", None, {})
    store.finish_run(run)
    for stale in (run, run + 1):
        with pytest.raises(StoreError, match=f"upsert cases: run {stale} must be running"):
            store.upsert("cases", CASES, run_id=stale)
    assert store.read_rows("cases") == []
    store.upsert("cases", CASES)
    assert store.unscreened("cases") == (sorted(c["case_id"] for c in CASES), [])


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"case_id": "C1", "surname": "王"}], "unexpected column(s) 'surname'; expected some of case_id, name"),
        ([{"case_id": ""}], "expected an id, got ''"),
        ([{"case_id": "C1"}, {"case_id": "C1"}], "'C1' repeated"),
        ([{"case_id": "C1", "sex": 1}], "column 'sex' expected text, got int"),
    ],
)
def test_upsert_rejects_bad_rows_and_writes_nothing(
    store: Store, rows: list[Mapping[str, Any]], message: str
) -> None:
    with pytest.raises(InputError) as info:
        store.upsert("cases", rows)
    assert message in str(info.value)
    assert store.read_rows("cases") == []


def test_upsert_rejects_unknown_side(store: Store) -> None:
    with pytest.raises(InputError, match="expected 'cases' or 'candidates', got 'people'"):
        store.upsert("people", [])  # type: ignore[arg-type]


# -- results -----------------------------------------------------------------------------------

def test_save_results_writes_history_and_current_topk(store: Store) -> None:
    run = seeded(store)
    assert count_results(store) == 4
    assert topk(store, "C1") == [(1, "P1"), (2, "P2"), (3, "P3")]
    row = store.current_topk(["C2"])[0]
    assert (row.person_id, row.score, row.probability, row.run_id) == ("P4", 2.0, 0.4, run)
    assert row.reasons == "given name same pinyin +2.0"


def test_save_results_is_atomic_when_a_row_violates_a_constraint(store: Store) -> None:
    seeded(store)
    run = store.begin_run("full", "cfg2", "model-2", 7, {})
    rows = [result("C1", 1, "P5", 9.0, 0.95), result("C1", 2, "P1", 5.0, 0.8),
            result("C2", 1, "P-unknown", 1.0, 0.1)]  # no such person: the foreign key refuses
    with pytest.raises(StoreError, match="wrote nothing"):
        store.save_results(run, rows, replace_cases=["C1", "C2"])
    assert count_results(store) == 4  # only the first run's rows
    assert topk(store, "C1") == [(1, "P1"), (2, "P2"), (3, "P3")]
    assert topk(store, "C2") == [(1, "P4")]

    with pytest.raises(StoreError, match="probability in"):
        store.save_results(run, [result("C1", 1, "P5", 9.0, 0.95), result("C1", 2, "P1", 5.0, 1.5)],
                           replace_cases=["C1"])
    assert topk(store, "C1") == [(1, "P1"), (2, "P2"), (3, "P3")]


def test_save_results_rolls_back_when_interrupted_half_way(store: Store) -> None:
    """The failure comes after results and the new top-k were written, before the commit."""
    seeded(store)
    run = store.begin_run("full", "cfg2", "model-2", 7, {})

    def interrupt(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO AUDIT_LOG"):
            raise KeyboardInterrupt  # a kill, as far as the transaction can tell

    event.listen(store.engine, "before_cursor_execute", interrupt)
    try:
        with pytest.raises(KeyboardInterrupt):
            store.save_results(run, [result("C1", 1, "P5", 9.0, 0.95)], replace_cases=["C1", "C2"])
    finally:
        event.remove(store.engine, "before_cursor_execute", interrupt)
    assert count_results(store) == 4
    assert topk(store, "C1") == [(1, "P1"), (2, "P2"), (3, "P3")]
    assert topk(store, "C2") == [(1, "P4")]


def test_killed_process_leaves_database_as_it_was_and_its_lock_is_taken_over(
    store: Store, db_url: str, tmp_path: Path
) -> None:
    seeded(store)
    script = tmp_path / "killed.py"
    script.write_text(textwrap.dedent(f"""
        import os
        from sqlalchemy import event
        from reunite.store import Store
        store = Store({db_url!r})
        run = store.begin_run("incremental", "cfg2", "model-2", 1, {{}})
        def die(conn, cursor, statement, *args):
            if statement.lstrip().upper().startswith("INSERT INTO AUDIT_LOG"):
                os._exit(9)
        event.listen(store.engine, "before_cursor_execute", die)
        store.save_results(run, [{{"case_id": "C1", "rank": 1, "person_id": "P5", "score": 9.0,
                                   "probability": 0.95}}], replace_cases=[])
    """))
    child = subprocess.Popen([sys.executable, str(script)], stderr=subprocess.PIPE, text=True)
    _, stderr = child.communicate(timeout=60)
    assert child.returncode == 9, stderr
    assert count_results(store) == 4
    assert topk(store, "C1") == [(1, "P1"), (2, "P2"), (3, "P3")]
    holder = store.lock_holder()
    assert holder is not None and holder.pid == child.pid
    dead_run = holder.run_id
    assert dead_run is not None and store.run_info(dead_run)["status"] == "running"

    run = store.begin_run("full", "cfg3", "model-3", 1, {})  # same host, dead pid: taken over
    abandoned = store.run_info(dead_run)
    assert abandoned["status"] == "failed" and "abandoned" in abandoned["error"]
    store.finish_run(run)


def test_incremental_merge_keeps_old_rows_and_drops_stale_rescored_persons(store: Store) -> None:
    seeded(store)
    run = store.begin_run("incremental", "cfg1", "model-1", 7, {})
    # P5 is new and scores between P1 and P2 for C1; P3 changed and no longer scores for C1;
    # C2 is untouched by this run except through a rescored person (none there).
    store.save_results(run, [result("C1", 1, "P5", 4.0, 0.7)], replace_cases=[],
                       rescored_person_ids=["P5", "P3"], top_k=3)
    store.finish_run(run)
    assert topk(store, "C1") == [(1, "P1"), (2, "P5"), (3, "P2")]
    assert topk(store, "C2") == [(1, "P4")]
    assert {r.person_id: r.run_id for r in store.current_topk(["C1"])}["P5"] == run


def test_merge_writes_only_the_rows_that_enter_and_ranks_by_score_then_person(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeded(store)  # C1: P1 6.0, P2 3.0, P3 1.0; C2: P4 2.0
    run = store.begin_run("incremental", "cfg1", "model-1", 7, {})
    inserted: list[str] = []

    def recording(session: Any, table: Any, rows: Any) -> None:  # the real insert, rows noted
        if table.name == "current_topk":
            inserted.extend(r["person_id"] for r in rows)
        bulk_insert(session, table, rows)

    monkeypatch.setattr(results_module, "bulk_insert", recording)
    # P5 is new and enters C1 at 4.0 (P3 falls off the top 3); P4 was rescored: 0.5 for C1
    # ranks below the cut, and its old row in C2 is stale
    store.save_results(run, [result("C1", 1, "P5", 4.0, 0.7), result("C1", 2, "P4", 0.5, 0.1)],
                       replace_cases=[], rescored_person_ids=["P5", "P4"], top_k=3)
    assert inserted == ["P5"]  # the rows that stay are not rewritten
    assert topk(store, "C1") == [(1, "P1"), (2, "P5"), (3, "P2")]
    assert topk(store, "C2") == []
    assert count_results(store) == 4 + 2  # the history keeps every row the run gave
    store.finish_run(run)

    tie = store.begin_run("incremental", "cfg1", "model-1", 7, {})
    store.upsert("candidates", [{"person_id": "P0", "sex": "F"}])
    store.save_results(tie, [result("C1", 1, "P0", 3.0, 0.3)], replace_cases=[], top_k=4)
    store.finish_run(tie)
    assert topk(store, "C1") == [(1, "P1"), (2, "P5"), (3, "P0"), (4, "P2")]  # a tie: person id


def test_replace_cases_with_no_rows_empties_their_topk(store: Store) -> None:
    seeded(store)
    run = store.begin_run("full", "cfg1", "model-1", 7, {})
    store.save_results(run, [], replace_cases=["C2"])
    store.finish_run(run)
    assert topk(store, "C2") == []
    assert len(topk(store, "C1")) == 3


def test_save_results_needs_a_running_run(store: Store) -> None:
    run = seeded(store)
    with pytest.raises(StoreError, match=f"run {run} must be running, it is succeeded"):
        store.save_results(run, [], replace_cases=[])


def test_save_results_rejects_rows_without_a_score(store: Store) -> None:
    seeded(store)
    run = store.begin_run("full", "c", "m", 1, {})
    with pytest.raises(InputError, match=r"missing score;"):
        store.save_results(run, [{"case_id": "C1", "rank": 1, "person_id": "P1", "probability": 0.5}],
                           replace_cases=["C1"])


# -- runs and the lock -------------------------------------------------------------------------

def test_second_store_on_same_url_is_refused_while_a_run_holds_the_lock(store: Store, db_url: str) -> None:
    run = store.begin_run("full", "cfg", "model-1", 3, {"cases": 2})
    other = Store(db_url)
    try:
        with pytest.raises(ConcurrentRunError) as info:
            other.begin_run("incremental", "cfg", "model-1", 3, {})
        message = str(info.value)
        assert f"pid {os.getpid()} on host {socket.gethostname()!r}" in message
        assert f"run {run}" in message and " since " in message
        store.finish_run(run)
        second = other.begin_run("incremental", "cfg", "model-1", 3, {})  # free again
        other.fail_run(second, RuntimeError("disk full"))
    finally:
        other.close()
    info_failed = store.run_info(second)
    assert info_failed["status"] == "failed" and info_failed["error"] == "RuntimeError: disk full"
    assert store.lock_holder() is None


def _plant_lock(store: Store, pid: int, host: str) -> None:
    with store.engine.begin() as connection:
        connection.execute(insert(RunLock).values(id=1, pid=pid, host=host, user="night",
                                                  since=utcnow(), run_id=None))


def test_stale_lock_of_a_dead_pid_on_this_host_is_taken_over(store: Store) -> None:
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    _plant_lock(store, int(gone.stdout), socket.gethostname())
    run = store.begin_run("full", "cfg", "m", 1, {})
    holder = store.lock_holder()
    assert holder is not None and holder.pid == os.getpid() and holder.run_id == run
    assert any(e["action"] == "take over stale run lock" for e in store.audit_log())


def test_lock_held_on_another_host_is_never_taken_over(store: Store) -> None:
    _plant_lock(store, 1, "night-batch-01")
    with pytest.raises(ConcurrentRunError, match=r"pid 1 on host 'night-batch-01'.*break_run_lock"):
        store.begin_run("full", "cfg", "m", 1, {})
    assert store.break_run_lock() is not None
    store.finish_run(store.begin_run("full", "cfg", "m", 1, {}))


def test_run_context_records_replay_information_and_failure(store: Store) -> None:
    with store.run("full", "cfg-abc", "model-9", 42, {"cases": 2, "candidates": 5}) as run:
        pass
    info = store.run_info(run)
    assert info["status"] == "succeeded" and info["finished"] is not None
    assert (info["config_hash"], info["model_version"], info["seed"]) == ("cfg-abc", "model-9", 42)
    assert info["input_counts"] == {"cases": 2, "candidates": 5} and info["package_version"]
    assert store.last_model_version() == "model-9"
    with pytest.raises(ValueError, match="boom"), store.run("incremental", "c", "model-10", 1, {}) as bad:
        raise ValueError("boom")
    assert store.run_info(bad)["status"] == "failed"
    assert store.last_model_version() == "model-9"  # a failed run's model does not count
    actions = [e["action"] for e in store.audit_log(run)]
    assert actions == ["begin_run", "succeeded run"]
    assert store.audit_log(run)[0]["inputs_hash"] and store.audit_log(run)[0]["user"]


def test_begin_run_rejects_unknown_kind(store: Store) -> None:
    with pytest.raises(InputError, match="expected 'full' or 'incremental', got 'nightly'"):
        store.begin_run("nightly", "c", "m", 1, {})  # type: ignore[arg-type]
    assert store.lock_holder() is None
    with store.engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Run)) == 0


def test_save_results_by_hand_keeps_the_derived_probabilities_and_drops_the_case_totals(db_url: str) -> None:
    """Rows a person saves by hand into a re-screened case: the rows that stay keep their current
    (derived) probability, the given rows keep theirs, and the case loses its totals, so its next
    re-screen screens it in full instead of merging into totals that no longer describe its rows."""
    import pandas as pd

    from reunite.rescreen import rescreen

    cases = pd.DataFrame({"case_id": ["C1", "C2"], "name": ["王小红", "李强"], "sex": ["F", "M"],
                          "birth_date": ["1988", "1990"]})
    people = pd.DataFrame({"person_id": [f"P{i}" for i in range(9)], "name": ["王小红", "李强", "王晓红"] * 3,
                           "sex": ["F", "M", "F"] * 3,
                           "birth_date": ["1988-05-01", "1990-02-03", "1988-07-01"] * 3})
    with Store.open(db_url) as store:
        rescreen(store, cases=cases, candidates=people.iloc[:6], top_k=2)
        rescreen(store, cases=cases, candidates=people, top_k=2)  # the factors move; rows that stay are not rewritten
        before = {(r.case_id, r.person_id): r.probability for r in store.current_topk()}
        c1 = [p for c, p in before if c == "C1"]
        newcomer = next(p for p in people["person_id"] if p not in c1)
        run = store.begin_run("incremental", "by hand", "m", None, {})
        store.save_results(run, [{"case_id": "C1", "rank": 1, "person_id": newcomer, "score": 99.0,
                                  "probability": 0.25}], replace_cases=[], top_k=None)
        store.finish_run(run)
        after = {(r.case_id, r.person_id): r.probability for r in store.current_topk()}
        assert after == {**before, ("C1", newcomer): 0.25}
        assert sorted(store.case_totals()) == ["C2"]
        report = rescreen(store, cases=cases, candidates=people, top_k=2)
        assert (report.kind, report.cases_screened_all) == ("incremental", 1)
        assert sorted(store.case_totals()) == ["C1", "C2"]


def test_a_removed_row_upserted_again_is_new_and_current(store: Store) -> None:
    from reunite.store.removals import Removal

    store.upsert("candidates", [{"person_id": "P1", "name": "王芳"}])
    run = store.begin_run("incremental", "cfg", "m", 0, {})
    store.commit_run(run, removals=[Removal("candidates", "P1", "died")])
    assert store.read_rows("candidates") == [] and store.count_removed("candidates") == 1
    done = store.upsert("candidates", [{"person_id": "P1", "name": "王芳"}])
    assert done.new_ids == ["P1"] and [r["name"] for r in store.read_rows("candidates")] == ["王芳"]
    assert store.removal_state("candidates", ["P1"]) == {"P1": None}


def test_commit_run_writes_each_upserted_candidate_once_with_its_calendar_mark(store: Store) -> None:
    """A candidate the run inserts or changes gets its calendar mark in that statement (a night
    wrote each such row a second time to mark it); rows the run does not upsert are marked apart,
    and an upserted row the run gives no mark is unknown (``NULL``), as before."""
    from reunite.store.models import Candidate

    seeded(store)
    run = store.begin_run("incremental", "cfg1", "model-1", 7, {})
    written: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if statement.lstrip().upper().startswith(("INSERT INTO CANDIDATES", "UPDATE CANDIDATES", "COPY")):
            written.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        store.commit_run(run, candidates=[{"person_id": "P1", "name": "李一"}, {"person_id": "P8", "name": "赵八"},
                                          {"person_id": "P9", "name": "赵九"}],
                         calendar={"P1": False, "P8": True, "P2": True})
    finally:
        event.remove(store.engine, "before_cursor_execute", record)
    with store.engine.connect() as connection:
        marks = dict(connection.execute(select(Candidate.c.person_id, Candidate.c.calendar)).all())
    assert marks == {"P1": False, "P2": True, "P3": None, "P4": None, "P5": None, "P8": True, "P9": None}
    # P1 (changed) and P8, P9 (new: PostgreSQL copies them, unseen here) are written by one statement
    # each; P2 (not upserted) is marked apart
    seen = {p: sum(p in repr(parameters) for _, parameters in written) for p in ("P1", "P2", "P8", "P9")}
    assert seen["P1"] == seen["P2"] == 1 and seen["P8"] <= 1 and seen["P9"] <= 1, written
