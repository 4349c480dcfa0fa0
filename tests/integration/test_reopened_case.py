"""A case closed by a confirmed DNA outcome is left out of the nightly merges; when the lab doubts
the confirmation (``pending`` or, superseding, ``excluded``) the case reopens. Its stored top-k was
then the one of the night it closed, and the nights since had never merged into it: a plain
re-screen said "nothing to do" and the plan proposed the old candidates, while a full screen ranks
a candidate who arrived meanwhile first."""

from __future__ import annotations

import pandas as pd

from reunite.rescreen import rescreen, verify
from reunite.store import Store, build_plan
from reunite.synth import generate

_DATA = generate(8, 600, seed=4)
CASES, CANDIDATES = pd.DataFrame(_DATA.cases), pd.DataFrame(_DATA.candidates)


def test_a_reopened_case_is_screened_again_not_left_with_the_top_k_it_closed_with(store: Store) -> None:
    rescreen(store, cases=CASES, candidates=CANDIDATES.iloc[:200], top_k=3)
    first = store.current_topk()[0]
    store.record_dna(first.case_id, first.person_id, "confirmed")
    assert rescreen(store, candidates=CANDIDATES, top_k=3).kind == "incremental"  # 400 arrive while closed
    store.record_dna(first.case_id, first.person_id, "pending")  # the lab doubts it: the case reopens
    assert first.case_id in store.open_case_ids()
    assert first.case_id not in {c.case_id for row in build_plan(store, 3) for c in row.cases}  # no stale rows
    report = rescreen(store, candidates=CANDIDATES, top_k=3)
    assert report.kind == "incremental" and report.cases_screened_all == 1
    assert verify(store).equal


def test_a_closed_case_keeps_its_rows_but_they_are_not_current(store: Store) -> None:
    """A confirmed match closes its case: no night merges into it, so its stored rows (the top-k of the
    night it closed) are kept for the audit but not shown as current -- not by plan, export, verify,
    nor by ``Store.current_topk``, which investigators read in their notebooks."""
    rescreen(store, cases=CASES, candidates=CANDIDATES.iloc[:200], top_k=3)
    first = store.current_topk()[0]
    store.record_dna(first.case_id, first.person_id, "confirmed")
    rescreen(store, candidates=CANDIDATES, top_k=3)  # 400 arrive; one may outrank its rows, unseen
    assert first.case_id not in {r.case_id for r in store.current_topk()}
    assert store.current_topk([first.case_id]) == []
    kept = store.current_topk([first.case_id], closed=True)
    assert (kept[0].rank, kept[0].person_id) == (1, first.person_id)
    assert first.case_id in {r.case_id for r in store.current_topk(closed=True)}
    assert verify(store).equal
    store.record_dna(first.case_id, first.person_id, "pending")  # reopened: its stale rows go
    assert store.current_topk([first.case_id], closed=True) == []
