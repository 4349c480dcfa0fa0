"""Issue 10, the gaps left open: a night equals a full screen on its own day also when rows read
differently from one day to the next (an interval reaching today is clipped to it, a later date is
unknown, a resident ID number born after today is not valid); rows ``Store.upsert`` wrote outside a
run are screened by the next night; a restored case that a confirmed DNA match closed stays closed.
Every day is passed explicitly (``today=``)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from reunite.rescreen import rescreen, verify
from reunite.store import Store
from reunite.store.db import MIGRATIONS_DIR, create_store_engine
from reunite.synth import generate

TOP_K = 3
DAY = dt.date(2026, 12, 6)
LATER = dt.date(2027, 2, 10)
_DATA = generate(10, 300, seed=4)
CASES, CANDIDATES = pd.DataFrame(_DATA.cases), pd.DataFrame(_DATA.candidates)


def _id_born(number: str, born: dt.date) -> str:
    """``number`` with the birth ``born`` and a valid check character."""
    first = number[:6] + born.strftime("%Y%m%d") + number[14:17]
    total = sum(int(d) * pow(2, 17 - i, 11) for i, d in enumerate(first))
    return first + "10X98765432"[total % 11]


def calendar_rows(candidates: pd.DataFrame, cases: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The data with rows that read otherwise on ``LATER`` than on ``DAY``: births after ``DAY`` (unknown
    then), registrations and a missing date in its month or year (clipped to it), resident ID numbers
    born after it (not valid then)."""
    candidates, cases = candidates.copy(), cases.copy()
    for row in range(0, len(candidates), 5):
        kind = (row // 5) % 3
        if kind == 0:
            candidates.loc[row, "birth_date"] = "2027-01-15"
        elif kind == 1:
            candidates.loc[row, "registration_date"] = "2026-12"
        elif len(str(candidates.loc[row, "id_number"])) == 18:
            candidates.loc[row, "id_number"] = _id_born(str(candidates.loc[row, "id_number"]), dt.date(2027, 1, 5))
    cases.loc[0, "missing_date"] = "2026年"
    cases.loc[1, "birth_date"] = "2027年1月"
    return candidates, cases


PEOPLE, MISSING = calendar_rows(CANDIDATES, CASES)


def _state(store: Store) -> tuple[list[tuple[str, int, str, float, str]], list[float]]:
    rows = [r for r in store.current_topk() if r.rank <= TOP_K]
    return [(r.case_id, r.rank, r.person_id, r.score, r.reasons) for r in rows], [r.probability for r in rows]


def _same_as_a_full_run(store: Store, day: dt.date) -> None:
    """The stored ranking checked (verify), then replaced by a full run with the stored fitted model
    that day: the same rows and probabilities."""
    assert verify(store, today=day).equal
    ranking, probabilities = _state(store)
    assert rescreen(store, top_k=TOP_K, full=True, refit=False, today=day).kind == "full"
    full_ranking, full_probabilities = _state(store)
    assert ranking == full_ranking
    assert max((abs(a - b) for a, b in zip(probabilities, full_probabilities, strict=True)), default=0.0) <= 1e-9


def test_the_calendar_rows_read_otherwise_later() -> None:
    """(The data of these tests does read otherwise on LATER, and its full screens differ.)"""
    from reunite.stored_records import reads_alike

    rows = PEOPLE.astype(str).to_dict("records")
    moved = ~reads_alike(rows, "candidates", DAY, LATER)
    assert moved.sum() >= 50
    assert not reads_alike(MISSING.iloc[:2].astype(str).to_dict("records"), "cases", DAY, LATER).any()


def test_a_night_weeks_later_equals_a_full_screen_that_day(store: Store) -> None:
    """A store screened on DAY; a night on LATER with a few changed and removed candidates whose dates
    read otherwise that day (their old terms must leave as read on DAY) and nothing else sent: the
    night re-reads the stored rows the calendar moved and ends as a full screen on LATER."""
    assert rescreen(store, cases=MISSING, candidates=PEOPLE.iloc[:250], top_k=TOP_K, today=DAY).kind == "full"
    assert store.run_info(store.last_run_id() or 0)["input_counts"]["read_on"] == DAY.isoformat()
    edited = PEOPLE.iloc[:260].copy()
    for row in (0, 5, 10, 15):  # calendar rows, changed tonight
        edited.loc[row, "name"] = str(edited.loc[row, "name"]) + "华"
    gone = [str(PEOPLE["person_id"].iloc[20]), str(PEOPLE["person_id"].iloc[25])]
    sent = edited[~edited["person_id"].isin(gone)]
    report = rescreen(store, cases=MISSING, candidates=sent, remove_candidates=gone, top_k=TOP_K, today=LATER)
    assert report.kind == "incremental"
    assert (report.new_candidates, report.changed_candidates, report.removed_candidates) == (10, 4, 2)
    assert store.last_read_on() == LATER
    facts = store.run_info(report.run_id or 0)["input_counts"]
    assert facts["read_otherwise"]["candidates"] > 20 and facts["read_otherwise"]["cases"] == 2
    _same_as_a_full_run(store, LATER)


def test_a_night_with_nothing_sent_still_re_reads_what_the_calendar_moved(store: Store) -> None:
    rescreen(store, cases=MISSING, candidates=PEOPLE, top_k=TOP_K, today=DAY)
    assert rescreen(store, top_k=TOP_K, today=DAY).kind == "nothing"  # the same day: nothing moved
    report = rescreen(store, top_k=TOP_K, today=LATER)
    assert report.kind == "incremental" and report.cases_screened_all == 2  # the two cases the calendar moved
    assert (report.new_candidates, report.changed_candidates) == (0, 0)  # not counted as sent
    _same_as_a_full_run(store, LATER)
    # settled since (read on LATER as on every later day): no longer checked, nothing to do
    assert rescreen(store, top_k=TOP_K, today=LATER + dt.timedelta(days=400)).kind == "nothing"
    assert store.calendar_rows() == []


def test_nights_on_several_days_each_equal_a_full_screen_that_day(store: Store) -> None:
    days = [DAY, dt.date(2026, 12, 20), dt.date(2027, 1, 10), LATER]
    rescreen(store, cases=MISSING, candidates=PEOPLE.iloc[:200], top_k=TOP_K, today=days[0])
    for night, day in enumerate(days[1:], start=1):
        report = rescreen(store, cases=MISSING, candidates=PEOPLE.iloc[:200 + 30 * night], top_k=TOP_K, today=day)
        assert report.kind == "incremental"
        assert verify(store, today=day).equal
    _same_as_a_full_run(store, LATER)


def test_a_day_before_the_stored_one_or_a_store_without_it_is_screened_in_full(db_url: str) -> None:
    with Store.open(db_url) as store:
        rescreen(store, cases=MISSING, candidates=PEOPLE.iloc[:200], top_k=TOP_K, today=LATER)
        report = rescreen(store, cases=MISSING, candidates=PEOPLE.iloc[:210], top_k=TOP_K, today=DAY)
        assert report.kind == "full" and "before the day the stored rows were read on" in report.reason
        assert verify(store, today=DAY).equal
        # rows marked settled on LATER are not settled on DAY: that run marked them again
        assert rescreen(store, cases=MISSING, candidates=PEOPLE.iloc[:210], top_k=TOP_K,
                        today=LATER).kind == "incremental"
        assert verify(store, today=LATER).equal
    engine = create_store_engine(db_url)
    try:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        with engine.begin() as connection:  # a store from before revision 0010: no day recorded
            config.attributes["connection"] = connection
            command.downgrade(config, "0009")
    finally:
        engine.dispose()
    with Store.open(db_url) as store:
        report = rescreen(store, cases=MISSING, candidates=PEOPLE.iloc[:220], top_k=TOP_K, today=LATER)
        assert report.kind == "full" and "not recorded" in report.reason
        assert store.fitted_model() is not None and store.last_read_on() == LATER
        assert rescreen(store, cases=MISSING, candidates=PEOPLE.iloc[:230], top_k=TOP_K,
                        today=LATER).kind == "incremental"
        assert verify(store, today=LATER).equal


def _rows(frame: pd.DataFrame) -> list[dict[str, str]]:
    return [{k: str(v) for k, v in row.items()} for row in frame.to_dict("records")]


def test_rows_upserted_outside_a_run_are_screened_by_the_next_night(store: Store) -> None:
    rescreen(store, cases=CASES.iloc[:8], candidates=CANDIDATES.iloc[:200], top_k=TOP_K, today=DAY)
    store.upsert("candidates", _rows(CANDIDATES.iloc[200:260]))  # no run: never screened
    store.upsert("cases", _rows(CASES.iloc[8:10]))
    assert store.unscreened("candidates") == (sorted(CANDIDATES["person_id"].iloc[200:260]), [])
    report = rescreen(store, top_k=TOP_K, today=DAY)
    assert report.kind == "incremental" and report.cases_screened_all == 2
    assert store.run_info(report.run_id or 0)["input_counts"]["unscreened"] == {"cases": 2, "candidates": 60}
    assert store.unscreened("candidates") == ([], []) and store.unscreened("cases") == ([], [])
    assert verify(store, today=DAY).equal
    # one sent again tonight with other values than the upserted ones: new to the sums, not changed
    store.upsert("candidates", _rows(CANDIDATES.iloc[260:270]))
    again = CANDIDATES.iloc[:270].copy()
    again.loc[265, "name"] = str(again.loc[265, "name"]) + "华"
    assert rescreen(store, cases=CASES, candidates=again, top_k=TOP_K, today=DAY).kind == "incremental"
    assert verify(store, today=DAY).equal
    assert rescreen(store, top_k=TOP_K, today=DAY).kind == "nothing"
    _same_as_a_full_run(store, DAY)


def test_a_candidate_replaced_outside_a_run_calls_for_a_full_run(store: Store) -> None:
    rescreen(store, cases=CASES, candidates=CANDIDATES.iloc[:200], top_k=TOP_K, today=DAY)
    person = store.current_topk()[0].person_id
    row = {**store.read_rows("candidates", [person])[0], "birth_date": "1950", "sex": "F"}
    store.upsert("candidates", [row])  # its screened version is gone
    report = rescreen(store, top_k=TOP_K, today=DAY)
    assert report.kind == "full" and "written outside a run" in report.reason
    assert store.fitted_model() is not None and verify(store, today=DAY).equal
    assert store.unscreened("candidates") == ([], [])
    assert rescreen(store, top_k=TOP_K, today=DAY).kind == "nothing"
    # one upserted outside a run and removed the next night: its terms are in no sum
    store.upsert("candidates", _rows(CANDIDATES.iloc[200:201]))
    report = rescreen(store, remove_candidates=[str(CANDIDATES["person_id"].iloc[200])], top_k=TOP_K, today=DAY)
    assert report.kind == "full" and report.removed_candidates == 1
    assert verify(store, today=DAY).equal


def test_a_restored_closed_case_stays_closed_and_is_not_screened(store: Store) -> None:
    rescreen(store, cases=CASES, candidates=CANDIDATES, top_k=TOP_K, today=DAY)
    first = store.current_topk()[0]
    store.record_dna(first.case_id, first.person_id, "confirmed")
    assert first.case_id not in store.open_case_ids()
    removed = rescreen(store, remove_cases=[first.case_id], force_removals=True, top_k=TOP_K, today=DAY)
    assert removed.removed_cases == 1
    report = rescreen(store, restore_cases=[first.case_id], top_k=TOP_K, today=DAY)
    assert report.restored_cases == 1 and report.cases_screened_all == 0
    (listed,) = report.ingest
    assert (listed.read, listed.accepted, listed.quarantined, listed.flagged) == (1, 1, 0, 1)
    assert "restored closed, not screened" in listed.problems[0].reason
    assert first.case_id not in store.open_case_ids()
    assert first.case_id not in store.topk_scores() and first.case_id not in store.case_totals()
    assert not [r for r in store.current_topk(closed=True) if r.case_id == first.case_id]
    assert verify(store, today=DAY).equal
    # the lab doubts the confirmation: the case reopens and is screened in full
    store.record_dna(first.case_id, first.person_id, "pending")
    reopened = rescreen(store, top_k=TOP_K, today=DAY)
    assert reopened.kind == "incremental" and reopened.cases_screened_all == 1
    assert verify(store, today=DAY).equal


def test_each_kept_case_record_says_whether_it_may_read_otherwise_later(store: Store) -> None:
    """The two cases whose dates reach DAY are marked (a night on a later day reads their dates
    again); every other case's record is settled (not read again), and a record without a mark
    (kept by an older reunite) is read again."""
    from reunite.ingest import IngestReport
    from reunite.rescreen.night import _cases_read_otherwise
    from reunite.stored_records import decode_marked

    rescreen(store, cases=MISSING, candidates=PEOPLE.iloc[:100], top_k=TOP_K, today=DAY)
    ids = sorted(MISSING["case_id"])
    kept = store.normalized_cases(ids)
    _, marks = decode_marked([kept[c][1] for c in ids], "cases", IngestReport(source="kept"))
    assert {c for c, m in zip(ids, marks, strict=True) if m} == set(MISSING["case_id"].iloc[:2])
    assert sum(m is False for m in marks) == len(ids) - 2
    moved, held = _cases_read_otherwise(store, ids, DAY, LATER)
    assert moved == set(MISSING["case_id"].iloc[:2])
    assert held is not None and sorted(held.ids.tolist()) == sorted(set(ids) - moved)
    # the same records without their marks (an older reunite's): every one is read again, same answer
    with store.engine.begin() as connection:
        for case_id in ids:
            text = kept[case_id][1]
            connection.execute(sa.text("UPDATE cases SET normalized = :t WHERE case_id = :c"),
                               {"t": text[:text.rindex(",")] + "]", "c": case_id})
    assert _cases_read_otherwise(store, ids, DAY, LATER)[0] == moved


def test_only_candidates_whose_reading_may_still_change_are_checked(store: Store) -> None:
    rescreen(store, cases=MISSING, candidates=PEOPLE.iloc[:50], top_k=TOP_K, today=DAY)
    marked = {r["person_id"] for r in store.calendar_rows()}
    assert marked and len(marked) < 50  # only rows whose reading may still change are checked
    with store.engine.connect() as connection:
        settled = connection.execute(sa.text("SELECT person_id FROM candidates WHERE calendar = :f"),
                                     {"f": False}).scalars().all()
    assert settled and not set(settled) & marked
