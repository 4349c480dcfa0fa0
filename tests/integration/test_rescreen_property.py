"""Issue 10, the property: any sequence of nightly deltas -- new, changed and removed candidates
(removed ones may come back, sent again or by a restore list), new, changed, removed and restored
cases, DNA exclusions, cases closed by a confirmed match and reopened when the lab doubts it, nights
days or weeks apart (some rows read otherwise as the days pass: births and ID numbers after the
first day, registrations and a missing date in its month) -- ends with exactly the results and
probabilities of one full run with the same fitted model on the last night's day. On SQLite
always, and on PostgreSQL when REUNITE_TEST_DATABASE_URL is set (each example in a schema of its own)."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from reunite.matching.model import FellegiSunter
from reunite.merge import posteriors, states_from_store
from reunite.rescreen import rescreen
from reunite.store import Store
from reunite.synth import generate

TOP_K = 3
N_CASES, N_CANDIDATES, FIRST = 8, 300, 200
ENV = "REUNITE_TEST_DATABASE_URL"

START = dt.date(2026, 12, 6)  # the first night's day; each night comes 0 to 40 days after the one before
_DATA = generate(N_CASES + 3, N_CANDIDATES, seed=4)


def _calendar_dates(cases: pd.DataFrame, candidates: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Some rows whose reading the days move: births after START (unknown on it), registrations and a
    missing date in START's month (clipped to the day), ID numbers born after START (not valid on it)."""
    cases, candidates = cases.copy(), candidates.copy()
    for row in range(3, len(candidates), 7):
        kind = (row // 7) % 3
        if kind == 0:
            candidates.loc[row, "birth_date"] = f"2027-01-{row % 28 + 1:02d}"
        elif kind == 1:
            candidates.loc[row, "registration_date"] = "2026-12"
        elif len(number := str(candidates.loc[row, "id_number"])) == 18:
            first = number[:6] + f"202701{row % 28 + 1:02d}" + number[14:17]
            total = sum(int(d) * pow(2, 17 - i, 11) for i, d in enumerate(first))
            candidates.loc[row, "id_number"] = first + "10X98765432"[total % 11]
    cases.loc[2, "missing_date"] = "2026-12"
    return cases, candidates


CASES, CANDIDATES = _calendar_dates(pd.DataFrame(_DATA.cases), pd.DataFrame(_DATA.candidates))
_FLIP = {"M": "F", "F": "M", "男": "女", "女": "男"}


def _backends() -> list[str]:
    return ["sqlite", "postgresql"] if os.environ.get(ENV, "").strip() else ["sqlite"]


@contextmanager
def fresh_store(backend: str) -> Iterator[Store]:
    """An empty store: in-memory SQLite, or a PostgreSQL schema of its own (dropped after)."""
    if backend == "sqlite":
        with Store.open("sqlite://") as store:
            yield store
        return
    base = os.environ[ENV].strip()
    schema = f"reunite_prop_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        with Store.open(url.render_as_string(hide_password=False)) as store:
            yield store
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


# One night's delta: candidates that arrive, candidates edited (name, birth date or sex: a sex change
# moves a person out of a case's window), candidates removed (a shown row, or a case's current
# rank-r candidate) and removed ones sent again, cases that arrive, are edited, removed or sent
# again, and DNA outcomes on a case's current rank-r candidate (a confirmation may be doubted later:
# the case reopens).
night = st.fixed_dictionaries({
    "arrive": st.integers(0, 40),
    "edit": st.lists(st.tuples(st.integers(0, N_CANDIDATES - 1), st.sampled_from(["name", "birth", "sex"])),
                     max_size=8),
    "new_case": st.booleans(),
    "edit_case": st.lists(st.integers(0, N_CASES - 1), max_size=2),
    "exclude": st.lists(st.tuples(st.integers(0, N_CASES - 1), st.integers(1, 2 * TOP_K)), max_size=3),
    "close": st.lists(st.integers(0, N_CASES - 1), max_size=1),
    "remove": st.lists(st.integers(0, N_CANDIDATES - 1), max_size=6),
    "remove_ranked": st.lists(st.tuples(st.integers(0, N_CASES - 1), st.integers(1, 2 * TOP_K)), max_size=3),
    "restore": st.lists(st.integers(0, N_CANDIDATES - 1), max_size=3),
    "remove_case": st.lists(st.integers(0, N_CASES + 2), max_size=1),
    "restore_case": st.booleans(),
    "undo": st.lists(st.integers(0, N_CANDIDATES - 1), max_size=3),
    "undo_case": st.booleans(),
    "force": st.booleans(),
    "reopen": st.lists(st.integers(0, N_CASES + 2), max_size=1),
    "days": st.sampled_from([0, 1, 10, 25, 40]),
})


def _edit(candidates: pd.DataFrame, row: int, what: str) -> None:
    if what == "name":
        candidates.loc[row, "name"] = str(candidates.loc[row, "name"])[::-1] + "华"
    elif what == "birth":
        year = str(candidates.loc[row, "birth_date"])[:4]
        candidates.loc[row, "birth_date"] = str(int(year) + 1) if year.isdigit() else "1990"
    else:
        candidates.loc[row, "sex"] = _FLIP.get(str(candidates.loc[row, "sex"]), "F")


def _state(store: Store) -> tuple[list[tuple[str, int, str, float, str]], list[float], dict[str, float]]:
    """Ranks 1..TOP_K of every open case (with their reasons), their probabilities, and each case's
    probability that the child is among its compared candidates (from the stored totals)."""
    open_cases = set(store.open_case_ids())
    rows = [r for r in store.current_topk() if r.rank <= TOP_K and r.case_id in open_cases]
    model = store.fitted_model()
    assert model is not None
    prior = FellegiSunter.from_dict(model.model).prior
    states = states_from_store(store.topk_scores(), store.case_bounds(), store.case_totals())
    return ([(r.case_id, r.rank, r.person_id, r.score, r.reasons) for r in rows], [r.probability for r in rows],
            {c: posteriors(s, prior)[1] for c, s in states.items() if c in open_cases})


@pytest.mark.parametrize("backend", _backends())
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(nights=st.lists(night, min_size=1, max_size=4))
def test_any_sequence_of_deltas_ends_as_one_full_run(backend: str, nights: list[dict[str, object]]) -> None:
    cases, candidates = CASES.iloc[:N_CASES].copy(), CANDIDATES.copy()
    shown = FIRST
    gone_people: set[str] = set()    # removed: not sent again until restored
    gone_cases: list[str] = []
    with fresh_store(backend) as store:
        day = START
        assert rescreen(store, cases=cases, candidates=candidates.iloc[:shown], top_k=TOP_K, today=day).kind == "full"
        extra_cases = merged = restored = 0
        for delta in nights:
            day += dt.timedelta(days=int(delta["days"]))  # type: ignore[call-overload]
            shown = min(N_CANDIDATES, shown + int(delta["arrive"]))  # type: ignore[call-overload]
            for row, what in delta["edit"]:  # type: ignore[attr-defined]
                if row < shown:
                    _edit(candidates, row, what)
            for index in delta["edit_case"]:  # type: ignore[attr-defined]
                cases.loc[index, "name"] = str(cases.loc[index, "name"]) + "红"
            if delta["new_case"] and extra_cases < 3:
                extra_cases += 1
                cases = pd.concat([cases, CASES.iloc[[N_CASES + extra_cases - 1]]], ignore_index=True)
            current = {(r.case_id, r.rank): r.person_id for r in store.current_topk()}
            case_ids = sorted(store.open_case_ids())
            excluded = store.excluded_pairs()
            for index, rank in delta["exclude"]:  # type: ignore[attr-defined]
                key = (case_ids[index % len(case_ids)], rank) if case_ids else None
                if key in current and (key[0], current[key]) not in excluded:
                    store.record_dna(key[0], current[key], "excluded")
                    excluded.add((key[0], current[key]))
            for index in delta["close"]:  # type: ignore[attr-defined]
                case_ids = sorted(store.open_case_ids())
                key = (case_ids[index % len(case_ids)], 1) if case_ids else None
                # an outcome that contradicts a recorded one is refused (strict DNA): only fresh pairs, and
                # only a person not yet confirmed as another case's child
                found = {person for _, person in store.confirmed_pairs()}
                if key in current and len(case_ids) > 1 and (key[0], current[key]) not in excluded \
                        and current[key] not in found:
                    store.record_dna(key[0], current[key], "confirmed")
            for index in delta["reopen"]:  # type: ignore[attr-defined]
                confirmed_pairs = sorted(store.confirmed_pairs())
                if confirmed_pairs:  # the lab doubts a confirmation: the case reopens
                    store.record_dna(*confirmed_pairs[index % len(confirmed_pairs)], "pending")
            current = {(r.case_id, r.rank): r.person_id for r in store.current_topk()}
            case_ids = sorted(store.open_case_ids())
            people = candidates["person_id"].tolist()
            stored_people = {r["person_id"] for r in store.read_rows("candidates")}
            stored_cases = {r["case_id"] for r in store.read_rows("cases")}
            for row in delta["restore"]:  # type: ignore[attr-defined]
                gone_people.discard(people[row])
            if delta["restore_case"] and gone_cases:
                gone_cases.pop(0)
            # an explicit restore (the undo of a removal) brings the stored row back: not sent tonight
            gone = sorted(gone_people)
            undo = {gone[row % len(gone)] for row in delta["undo"]} if gone else set()  # type: ignore[attr-defined]
            undo_cases = [gone_cases.pop()] if delta["undo_case"] and gone_cases else []
            gone_people -= undo
            remove = {people[row] for row in delta["remove"] if row < shown}  # type: ignore[attr-defined]
            remove |= {current[key] for index, rank in delta["remove_ranked"]  # type: ignore[attr-defined]
                       if case_ids and (key := (case_ids[index % len(case_ids)], rank)) in current}
            remove = (remove & stored_people) - gone_people  # (one sent tonight for the first time stays)
            confirmed = {p for _, p in store.confirmed_pairs()}
            if not delta["force"]:
                remove -= confirmed
            all_cases = cases["case_id"].tolist()
            remove_cases = [all_cases[i % len(all_cases)] for i in delta["remove_case"]  # type: ignore[attr-defined]
                            if all_cases[i % len(all_cases)] in stored_cases]
            if not delta["force"]:
                closed = {c for c, _ in store.confirmed_pairs()}
                remove_cases = [c for c in remove_cases if c not in closed]
            gone_people |= remove
            gone_cases += remove_cases
            sent = candidates.iloc[:shown]
            report = rescreen(store, cases=cases[~cases["case_id"].isin([*gone_cases, *undo_cases])],
                              candidates=sent[~sent["person_id"].isin(gone_people | undo)], top_k=TOP_K,
                              remove_candidates=sorted(remove) or None, remove_cases=remove_cases or None,
                              force_removals=bool(delta["force"]), restore_candidates=sorted(undo) or None,
                              restore_cases=undo_cases or None, today=day)
            assert report.kind in ("incremental", "nothing")
            assert all(r.quarantined == 0 for r in report.ingest)
            if report.kind == "incremental":
                assert (report.removed_candidates, report.removed_cases) == (len(remove), len(remove_cases))
                assert (report.restored_candidates, report.restored_cases) == (len(undo), len(undo_cases))
            merged += report.cases_screened_delta
            restored += len(undo) + len(undo_cases)
        event(f"cases merged: {'some' if merged else 'none'}")  # pytest --hypothesis-show-statistics
        event(f"removed at the end: {'some' if gone_people or gone_cases else 'none'}")
        event(f"restored: {'some' if restored else 'none'}")
        held = {r["person_id"] for r in store.read_rows("candidates")}
        sent = set(candidates["person_id"].iloc[:shown])
        assert held == sent - gone_people
        assert not set(store.open_case_ids()) & set(gone_cases)
        ranking, probabilities, any_match = _state(store)
        assert not {p for _, _, p, _, _ in ranking} & gone_people
        event(f"days after the first: {'some' if day > START else 'none'}")
        assert rescreen(store, top_k=TOP_K, full=True, refit=False, today=day).kind == "full"
        full_ranking, full_probabilities, full_any = _state(store)
    assert ranking == full_ranking
    assert max((abs(a - b) for a, b in zip(probabilities, full_probabilities, strict=True)), default=0.0) <= 1e-9
    assert any_match.keys() == full_any.keys()
    assert max((abs(any_match[c] - full_any[c]) for c in any_match), default=0.0) <= 1e-9

