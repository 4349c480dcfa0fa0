"""Edges of the nightly re-screen found by a hostile new-user test: rows of closed cases, and the
command line's quarantine files and input options."""

from __future__ import annotations

import pandas as pd

from reunite.rescreen import rescreen
from reunite.store import Store
from reunite.synth import generate

TOP_K = 3


def _frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    data = generate(6, 400, seed=7)
    return pd.DataFrame(data.cases), pd.DataFrame(data.candidates)


def test_a_changed_row_of_a_closed_case_is_stored(store: Store) -> None:
    cases, candidates = _frames()
    rescreen(store, cases=cases, candidates=candidates, top_k=TOP_K)
    first = next(r for r in store.current_topk() if r.rank == 1)
    store.record_dna(first.case_id, first.person_id, "confirmed")
    edited = cases[cases["case_id"] == first.case_id].copy()
    edited["marks"] = "右耳有痣"
    report = rescreen(store, cases=edited, top_k=TOP_K)
    assert report.changed_cases == 1
    assert [r["marks"] for r in store.read_rows("cases", [first.case_id])] == ["右耳有痣"]
    # sent again, it is nothing new
    assert rescreen(store, cases=edited, top_k=TOP_K).kind == "nothing"
