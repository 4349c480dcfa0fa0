"""Ranked result rows: checking what the matching core hands over, and merging current top-k."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, delete, select
from sqlalchemy.orm import Session

from reunite.errors import InputError
from reunite.store.db import bulk_insert
from reunite.store.dna import chunks
from reunite.store.models import CurrentTopK, Result

__all__ = ["RESULT_KEYS", "TOPK_SELECT", "TopKRow", "merge_topk", "parse_result_rows", "write_results"]

RESULT_KEYS: tuple[str, ...] = ("case_id", "rank", "person_id", "score", "probability", "reasons")
TOPK_SELECT = select(CurrentTopK.case_id, CurrentTopK.rank, CurrentTopK.person_id, CurrentTopK.score,
                     CurrentTopK.probability, CurrentTopK.reasons, CurrentTopK.run_id)


@dataclass(frozen=True, slots=True)
class TopKRow:
    """One row of the current top-k of a case; ``run_id`` is the run that scored it."""

    case_id: str
    rank: int
    person_id: str
    score: float
    probability: float
    reasons: str
    run_id: int


def parse_result_rows(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Check and convert result rows; the keys of :data:`RESULT_KEYS` only (``reasons`` optional).

    >>> parse_result_rows([{"case_id": "C1", "rank": 1, "person_id": "P1", "score": 3.5,
    ...                     "probability": 0.7, "name": "王芳"}])
    [{'case_id': 'C1', 'rank': 1, 'person_id': 'P1', 'score': 3.5, 'probability': 0.7, 'reasons': ''}]
    """
    parsed = []
    for index, row in enumerate(rows):
        missing = [k for k in RESULT_KEYS[:5] if k not in row]
        if missing:
            raise InputError(f"result row {index}: missing {missing}; expected keys {list(RESULT_KEYS)}")
        try:
            rank, score, probability = int(row["rank"]), float(row["score"]), float(row["probability"])
        except (TypeError, ValueError) as exc:
            raise InputError(f"result row {index}: expected an integer rank and numeric score and "
                             f"probability, got {dict(row)!r} ({exc})") from exc
        if not (math.isfinite(score) and math.isfinite(probability)):
            raise InputError(f"result row {index}: expected finite score and probability, got "
                             f"{score!r}, {probability!r}")
        item = {"case_id": str(row["case_id"]), "rank": rank, "person_id": str(row["person_id"]),
                "score": score, "probability": probability, "reasons": str(row.get("reasons", "") or "")}
        parsed.append(item)
    return parsed


def merge_topk(
    old: Sequence[TopKRow],
    new: Sequence[Mapping[str, Any]],
    run_id: int,
    *,
    replace: Collection[str],
    rescored: Collection[str],
    top_k: int | None,
) -> list[TopKRow]:
    """The new current top-k of every case in ``replace``, in ``new`` or in ``old``.

    Cases in ``replace`` take this run's rows in their given rank order (``old`` rows of those
    cases are ignored). The others keep their ``old`` rows except persons in ``rescored`` or present
    in ``new``, gain this run's rows, and are re-ranked by score, then person id. Ranks
    are renumbered 1..n; at most ``top_k`` rows are kept per case.

    >>> old = [TopKRow("C1", 1, "P1", 5.0, 0.9, "", 1), TopKRow("C1", 2, "P2", 2.0, 0.4, "", 1)]
    >>> new = [{"case_id": "C1", "rank": 1, "person_id": "P3", "score": 3.0, "probability": 0.6,
    ...         "reasons": ""}]
    >>> [(r.rank, r.person_id, r.run_id) for r in merge_topk(old, new, 2, replace=(), rescored=(),
    ...                                                      top_k=2)]
    [(1, 'P1', 1), (2, 'P3', 2)]
    """
    replace = set(replace)
    rescored = set(rescored)
    by_case: dict[str, list[TopKRow]] = defaultdict(list)
    for row in new:
        by_case[row["case_id"]].append(TopKRow(row["case_id"], row["rank"], row["person_id"], row["score"],
                                               row["probability"], row["reasons"], run_id))
    old_by_case: dict[str, list[TopKRow]] = defaultdict(list)
    for row_old in old:
        old_by_case[row_old.case_id].append(row_old)
        by_case.setdefault(row_old.case_id, [])
    for case_id in replace:
        by_case.setdefault(case_id, [])
    merged: list[TopKRow] = []
    for case_id in sorted(by_case):
        rows = by_case[case_id]
        if case_id in replace:
            rows.sort(key=lambda r: (r.rank, r.person_id))
        else:
            fresh = {r.person_id for r in rows}
            rows += [r for r in old_by_case.get(case_id, ())
                     if r.person_id not in fresh and r.person_id not in rescored]
            # score, then person id: the matcher's own order, so that merging runs ranks ties
            # as one full run would (probabilities of rows from different runs differ)
            rows.sort(key=lambda r: (-r.score, r.person_id))
        kept = rows if top_k is None else rows[:top_k]
        merged.extend(TopKRow(r.case_id, rank, r.person_id, r.score, r.probability, r.reasons, r.run_id)
                      for rank, r in enumerate(kept, start=1))
    return merged


def write_results(
    session: Session,
    run_id: int,
    results: Sequence[Mapping[str, Any]],
    *,
    replace: set[str],
    rescored: set[str],
    top_k: int | None,
) -> int:
    """Inside ``session``'s transaction: append ``results`` (checked rows) to the history and
    rewrite the current top-k of every case they touch. Returns the number of cases touched."""
    stale: set[str] = set()  # cases where a rescored person holds an old row
    for part in chunks(sorted(rescored)):
        stale.update(session.scalars(select(CurrentTopK.case_id).where(CurrentTopK.person_id.in_(part))))
    touched = sorted(replace | stale | {r["case_id"] for r in results})
    old: list[TopKRow] = []
    for part in chunks([c for c in touched if c not in replace]):
        old.extend(TopKRow(*r) for r in session.execute(TOPK_SELECT.where(CurrentTopK.case_id.in_(part))))
    for part in chunks(touched):
        session.execute(delete(CurrentTopK).where(CurrentTopK.case_id.in_(part)))
    bulk_insert(session, cast(Table, Result.__table__), [{**r, "run_id": run_id} for r in results])
    merged = merge_topk(old, results, run_id, replace=replace, rescored=rescored, top_k=top_k)
    bulk_insert(session, cast(Table, CurrentTopK.__table__),
                [{k: getattr(m, k) for k in (*RESULT_KEYS, "run_id")} for m in merged])
    return len(touched)
