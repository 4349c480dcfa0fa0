"""The stored current top-k as RANKED.csv: what the nightly batch holds, in ``screen``'s format.

``reunite export`` writes it so that a night's result can be checked, and compared with a
``reunite screen`` run: the columns and their formatting are those of
:meth:`reunite.pipeline.ScreenResult.to_csv` (:func:`reunite.pipeline.write_ranked_csv`);
``probability``, ``case_probability`` and ``pairs_compared`` come from each case's stored state
(:func:`reunite.merge.posteriors`), the candidate columns from the stored candidate rows,
normalized as ``screen`` normalizes them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reunite.errors import StoreError, listed
from reunite.ingest import read_table
from reunite.ingest.table import CANDIDATE_COLUMNS
from reunite.matching.model import FellegiSunter
from reunite.merge import awaiting_a_night, exclusions_by_case, posteriors, states_from_store
from reunite.pipeline import RANKED_COLUMNS, SEX_TEXT, load_side, write_ranked_csv
from reunite.store import Store, TopKRow

__all__ = ["awaiting", "checked_top_k", "export_topk", "stored_topk"]


def export_topk(store: Store, out: str | Path, *, top_k: int | None = None, reveal_ids: bool = False) -> int:
    """Write ranks 1..``top_k`` of every open case's stored rows to ``out`` as RANKED.csv.

    ``top_k`` defaults to the top-k of the newest succeeded run, and may not exceed it (the rows
    stored beyond it are a reserve, not each case's complete ranking). Returns the rows written.

    Raises
    ------
    StoreError
        ``top_k`` exceeds the newest succeeded run's; the store holds no succeeded re-screen, or a
        stored case lacks its totals (stored before revision 0005: run ``reunite rescreen`` once first).
    """
    rows, columns = stored_topk(store, top_k=top_k, reveal_ids=reveal_ids)
    write_ranked_csv(out, columns, reveal_ids=reveal_ids)
    return len(rows)


def awaiting(store: Store) -> tuple[list[str], list[str]]:
    """The open cases whose stored ranking the next re-screen redoes (:func:`reunite.merge.awaiting_a_night`):
    DNA exclusions recorded since it was stored, and no stored ranking (reopened, written outside a run)."""
    states = states_from_store({}, {}, store.case_totals())
    return awaiting_a_night(store.open_case_ids(), states, exclusions_by_case(store.excluded_pairs()))


def checked_top_k(store: Store, top_k: int | None) -> int | None:
    """``top_k``, or by default the newest succeeded run's top-k (``None`` before the first run).

    Raises
    ------
    StoreError
        ``top_k`` exceeds that run's: the rows stored beyond it are a reserve, exact where stored, but
        not every case has them.
    """
    kept = store.last_top_k()
    if top_k is not None and kept is not None and top_k > kept:
        raise StoreError(f"--top-k {top_k}: the store holds each case's top {kept} (the last re-screen's "
                         f"--top-k); ask for {kept} or fewer, or run reunite rescreen --top-k {top_k} first")
    return top_k if top_k is not None else kept


def stored_topk(
    store: Store, *, top_k: int | None = None, reveal_ids: bool = False
) -> tuple[list[TopKRow], dict[str, Any]]:
    """The stored rows :func:`export_topk` writes, and their RANKED.csv columns (aligned lists)."""
    fitted = store.fitted_model()
    if store.last_succeeded_run() is None or fitted is None:
        raise StoreError("the store holds no re-screen yet: run reunite rescreen first")
    k = checked_top_k(store, top_k)
    open_cases = set(store.open_case_ids())
    rows = [r for r in store.current_topk(open_cases) if k is None or r.rank <= k]
    states = states_from_store(store.topk_scores(open_cases), store.case_bounds(), store.case_totals())
    missing = sorted({r.case_id for r in rows} - set(states))
    if missing:
        raise StoreError(f"{len(missing):,} case(s) have no stored totals (stored before this version): "
                         f"{listed(missing)}; "
                         "run reunite rescreen once, then export")
    prior = FellegiSunter.from_dict(fitted.model).prior
    probability: dict[tuple[str, str], float] = {}
    case_probability: dict[str, float] = {}
    for case_id in {r.case_id for r in rows}:
        state = states[case_id]
        values, any_match = posteriors(state, prior)
        probability.update(((case_id, p), v) for (_, p), v in zip(state.rows, values, strict=True))
        case_probability[case_id] = any_match
    people = sorted({r.person_id for r in rows})
    frame = pd.DataFrame(store.read_rows("candidates", people), columns=list(CANDIDATE_COLUMNS), dtype=object)
    table = load_side(read_table(frame, "candidates", label="stored candidates"), "candidates")
    at = {str(p): i for i, p in enumerate(table.ids.tolist())}
    index = np.asarray([at[r.person_id] for r in rows], dtype=np.int64)
    columns: dict[str, Any] = {
        "case_id": [r.case_id for r in rows],
        "rank": [r.rank for r in rows],
        "person_id": [r.person_id for r in rows],
        "score": [r.score for r in rows],
        "probability": [probability[r.case_id, r.person_id] for r in rows],
        "case_probability": [case_probability[r.case_id] for r in rows],
        "reasons": [r.reasons for r in rows],
        "name": table.display_name[index],
        "sex": SEX_TEXT[table.sex[index]],
        "birth_date": table.display_birth[index],
        "region": table.display_region[index],
        "id_number": (table.id_number if reveal_ids else table.id_masked)[index],
        "pairs_compared": [states[r.case_id].pairs for r in rows],
    }
    assert set(columns) == set(RANKED_COLUMNS)
    return rows, columns
