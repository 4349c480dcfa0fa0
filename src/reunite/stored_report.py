"""The store's state as a report: the current top-k of every open case, DNA outcomes so far, and what
the last re-screen changed (``reunite report --db``).

Probabilities and the candidate columns are those ``reunite export`` writes
(:func:`reunite.stored_ranking.stored_topk`); records are the stored cells as they were imported; a case
"changed in the last run" when a row of its current top-k was scored by the newest succeeded run (a person
entered it, or was re-scored in it).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from reunite.report import ReportData, parse_reasons
from reunite.report.build import case_views
from reunite.store import Store
from reunite.stored_ranking import stored_topk

__all__ = ["report_from_store"]


def report_from_store(store: Store, *, top_k: int | None = None, title: str | None = None) -> ReportData:
    """Report data of the store's current state (see the module's docstring).

    Raises
    ------
    StoreError
        The store holds no succeeded re-screen yet (as ``reunite export``).
    """
    rows, columns = stored_topk(store, top_k=top_k, reveal_ids=True)
    run = store.last_succeeded_run()
    assert run is not None  # stored_topk refuses a store without one
    confirmed, excluded, pending = store.confirmed_pairs(), store.excluded_pairs(), store.pending_pairs()
    outcome: dict[tuple[str, str], str] = {}
    for name, pairs in (("excluded", excluded), ("pending", pending), ("confirmed", confirmed)):
        outcome.update((pair, name) for pair in pairs)
    report_rows: list[dict[str, Any]] = []
    case_probability: dict[str, float] = {}
    pairs_compared: dict[str, int] = {}
    changed: set[str] = set()
    for i, row in enumerate(rows):
        report_rows.append({
            "case_id": row.case_id, "person_id": row.person_id, "rank": row.rank, "score": row.score,
            "probability": float(columns["probability"][i]), "weights": parse_reasons(row.reasons),
            "dna": outcome.get((row.case_id, row.person_id), ""),
        })
        case_probability[row.case_id] = float(columns["case_probability"][i])
        pairs_compared[row.case_id] = int(columns["pairs_compared"][i])
        if row.run_id == run["id"]:
            changed.add(row.case_id)
    open_cases = store.open_case_ids()
    case_records = {r["case_id"]: r for r in store.read_rows("cases", open_cases)}
    people: dict[str, dict[str, str]] = defaultdict(dict)
    people.update((r["person_id"], r) for r in store.read_rows("candidates", {r.person_id for r in rows}))
    finished = run.get("finished")
    return ReportData(
        title=title or "", source=f"stored ranking, run {run['id']} ({run['kind']})",
        cases_screened=len(open_cases), pairs_compared=sum(pairs_compared.values()),
        cases=case_views(report_rows, case_records, people, open_cases, changed, case_probability),
        dna_outcomes={"confirmed": len(confirmed), "excluded": len(excluded), "pending": len(pending)},
        changed_known=True,
        last_run=f"run {run['id']} ({run['kind']}) finished {finished:%Y-%m-%d %H:%M} UTC" if finished else "",
    )
