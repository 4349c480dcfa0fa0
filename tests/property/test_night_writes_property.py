"""The writes of a night, decided without a database (:func:`reunite.merge.night_writes`): applied
to the stored rows by an in-memory store that only writes what it is given (as
``Store.commit_run(..., merged=True)`` does), they leave every case with exactly the rows of its
new state, and the probabilities derived from the factors written are those of that state."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from reunite.merge import (
    NO_EXCLUSIONS,
    CaseState,
    NightWrites,
    delta_of,
    merge_case,
    night_writes,
    posteriors,
    rank_key,
    state_from_screen,
)

TOP_K, DEPTH, PRIOR = 3, 6, 0.3

scores = st.floats(-40, 60, width=32)
windows = st.dictionaries(st.integers(0, 30), scores, max_size=20)
# per case: its window before; tonight's changes (a person's new score, or None: the person leaves);
# whether the case is screened in full tonight anyway (new, changed, or its exclusions moved)
cases = st.lists(st.tuples(windows, st.dictionaries(st.integers(0, 30), st.one_of(st.none(), scores), max_size=8),
                           st.booleans()), min_size=1, max_size=6)


def full_state(window: Mapping[str, float]) -> CaseState:
    """What a screen against every candidate stores: the best DEPTH rows, the rest summed."""
    ordered = sorted(((s, p) for p, s in window.items()), key=rank_key)
    rest = math.fsum(float(np.exp2(np.float64(s))) for s, _ in ordered[DEPTH:])
    return state_from_screen(ordered[:DEPTH], len(window), rest, DEPTH, NO_EXCLUSIONS)


class MemoryStore:
    """The stored ranking in dictionaries, written as the database writes it: replaced cases lose
    every row, rows in ``leave`` go, then the rows of ``results`` enter (a row already there is an
    error, as the table's key makes it); each case's factor and totals are set."""

    def __init__(self, states: Mapping[str, CaseState]) -> None:
        self.rows = {c: {p: s for s, p in state.rows} for c, state in states.items()}
        self.totals = {c: state.totals for c, state in states.items()}
        self.bounds = {c: state.bound for c, state in states.items()}
        self.factors: dict[str, float | None] = {}
        self.reasons: dict[tuple[str, str], str] = {}

    def commit(self, writes: NightWrites) -> None:
        for case_id in writes.replace:
            self.rows[case_id] = {}
        for case_id, person_id in writes.leave:
            del self.rows[case_id][person_id]
        for row in writes.results:
            case_rows = self.rows.setdefault(row["case_id"], {})
            assert row["person_id"] not in case_rows, "a row entered twice"
            case_rows[row["person_id"]] = row["score"]
            self.reasons[row["case_id"], row["person_id"]] = row["reasons"]
        self.factors.update(writes.log_factors)
        self.totals.update(writes.totals)
        self.bounds.update(writes.bounds)

    def ranked(self, case_id: str) -> tuple[tuple[float, str], ...]:
        return tuple(sorted(((s, p) for p, s in self.rows[case_id].items()), key=rank_key))


@settings(max_examples=300, deadline=None)
@given(drawn=cases)
def test_the_writes_turn_the_stored_rows_into_the_new_states(
        drawn: list[tuple[dict[int, float], dict[int, float | None], bool]]) -> None:
    before: dict[str, CaseState] = {}
    after: dict[str, CaseState] = {}
    replace: set[str] = set()
    rewritten: set[str] = set()
    for index, (first, night, in_full) in enumerate(drawn):
        case_id = f"C{index}"
        window = {f"P{p}": s for p, s in first.items()}
        state = before[case_id] = full_state(window)
        changed = {f"P{p}" for p in night if f"P{p}" in window}
        rewritten |= {f"P{p}" for p, s in night.items() if s is not None and f"P{p}" in window}
        gone = [(window[p], p) for p in changed]
        for p, s in night.items():
            if s is None:
                window.pop(f"P{p}", None)
            else:
                window[f"P{p}"] = s
        fresh = [(float(s), f"P{p}") for p, s in night.items() if s is not None]
        merged = None if in_full else merge_case(
            state, gone=delta_of(gone, DEPTH), fresh=delta_of(fresh, DEPTH),
            leaving=changed | {f"P{p}" for p in night}, depth=DEPTH, top_k=TOP_K)
        if merged is None:
            replace.add(case_id)
            after[case_id] = full_state(window)
        elif merged != state:
            after[case_id] = merged
    after["C-new"] = full_state({"P1": 4.0, "P2": 1.0})  # a new case: screened in full
    replace.add("C-new")
    store = MemoryStore(before)
    untouched = {c: store.ranked(c) for c in before if c not in after}

    writes = night_writes(before, after, replace, PRIOR, TOP_K, rewritten=rewritten,
                          reasons=lambda keys: {k: f"{k[0]}/{k[1]}" for k in keys})
    store.commit(writes)

    for case_id, state in after.items():
        assert store.ranked(case_id) == state.rows
        assert store.totals[case_id] == state.totals and store.bounds[case_id] == state.bound
        factor = store.factors[case_id]
        want, _ = posteriors(state, PRIOR)
        got = [min(1.0, 2.0 ** (factor + s)) if factor is not None else 0.0 for s, _ in state.rows]
        assert np.allclose(got, want, rtol=1e-12, atol=0)
        # a row written tonight carries tonight's reasons; a merged case writes only what changed
        for row in writes.results:
            assert store.reasons[row["case_id"], row["person_id"]] == f"{row['case_id']}/{row['person_id']}"
        if case_id not in replace:
            old = {p: s for s, p in before[case_id].rows}
            written = {r["person_id"] for r in writes.results if r["case_id"] == case_id}
            assert written == {p for s, p in state.rows if old.get(p) != s or p in rewritten}
    for case_id, rows in untouched.items():  # cases the night did not touch keep their rows
        assert store.ranked(case_id) == rows and case_id not in writes.totals
    assert writes.replace == frozenset(replace)
    gained = sum(bool({p for _, p in s.rows[:TOP_K]} - {p for _, p in before[c].rows[:TOP_K]} if c in before
                      else {p for _, p in s.rows[:TOP_K]}) for c, s in after.items())
    assert writes.gained == gained


def test_a_merged_case_writes_only_the_rows_that_change() -> None:
    before = {"C1": CaseState(((9.0, "P1"), (5.0, "P2"), (3.0, "P3")), (3.0, "P3"), 20, 4.0, NO_EXCLUSIONS)}
    after = {"C1": CaseState(((9.0, "P1"), (6.0, "P4"), (5.0, "P2")), (5.0, "P2"), 21, 12.0, NO_EXCLUSIONS)}
    writes = night_writes(before, after, (), PRIOR, 2, reasons=lambda keys: dict.fromkeys(keys, "r"))
    assert [(r["case_id"], r["rank"], r["person_id"], r["reasons"]) for r in writes.results] == [("C1", 2, "P4", "r")]
    assert writes.leave == [("C1", "P3")] and writes.replace == frozenset()
    assert writes.bounds == {"C1": (5.0, "P2")} and writes.gained == 1
    # the same state again: nothing to write but its totals and factor
    same = night_writes(after, after, (), PRIOR, 2)
    assert (same.results, same.leave, same.bounds, same.gained) == ([], [], {}, 0)
