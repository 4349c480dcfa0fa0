"""Ranked result rows: checking what the matching core hands over, and merging the current top-k.

The current top-k stores no rank (revision 0004): a case's rows rank by score (high first), then
person id -- the matcher's own order, so a merged case ranks ties as one full run would. Merging a
run's rows into a case therefore writes only the rows that enter and deletes only those that leave.

Nor does it keep a row's current probability up to date (revision 0006): a case's posteriors are
``2**(log_factor + score)`` with one ``log_factor`` per case (:func:`reunite.merge.posteriors`),
stored with the case's totals, so a row's probability is derived when read
(:func:`current_probability`) and a night that changes a case's totals writes one number, not
every row. A row's stored ``probability`` is its probability when it was written; it is the
current one only for a case whose totals have no factor (stored before revision 0006, or by
:meth:`reunite.store.Store.save_results`, which fixes the derived probabilities of the cases it
touches and drops their totals).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, bindparam, delete, select, update

from reunite.errors import InputError
from reunite.ingest._safe import mask_id_numbers
from reunite.store.db import bulk_insert, fetch_tuples
from reunite.store.models import CaseTotal, CurrentTopK, Result

__all__ = [
    "RESULT_KEYS",
    "TOPK_SELECT",
    "TopKRow",
    "current_probability",
    "fix_probabilities",
    "leave_rows",
    "parse_result_rows",
    "rank_key",
    "rank_rows",
    "write_results",
]

RESULT_KEYS: tuple[str, ...] = ("case_id", "rank", "person_id", "score", "probability", "reasons")
_TOPK = CurrentTopK
_RESULTS = Result
_TOTALS = CaseTotal
TOPK_SELECT = select(_TOPK.c.case_id, _TOPK.c.person_id, _TOPK.c.score, _TOPK.c.probability,
                     _TOPK.c.reasons, _TOPK.c.run_id, _TOTALS.c.log_factor).select_from(
    _TOPK.outerjoin(_TOTALS, _TOTALS.c.case_id == _TOPK.c.case_id))
_BY_RANK = itemgetter(0, 1)  # of (-score, person_id, ...) tuples
_DELETE_PAIR = delete(_TOPK).where(_TOPK.c.case_id == bindparam("c"), _TOPK.c.person_id == bindparam("p"))
_SET_PROBABILITY = update(_TOPK).where(_TOPK.c.case_id == bindparam("c"), _TOPK.c.person_id == bindparam("p")
                                       ).values(probability=bindparam("v"))


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

    def __repr__(self) -> str:  # a person_id may be the resident ID number itself
        return (f"TopKRow(case_id={mask_id_numbers(self.case_id)!r}, rank={self.rank}, "
                f"person_id={mask_id_numbers(self.person_id)!r}, score={self.score!r}, "
                f"probability={self.probability!r}, reasons={self.reasons!r}, run_id={self.run_id})")


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
            raise InputError(f"result row {index}: missing {', '.join(missing)}; "
                             f"expected keys {', '.join(RESULT_KEYS)}")
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


def rank_key(score: float, person_id: str) -> tuple[float, str]:
    """Sort key of a case's row: score (high first), then person id -- the matcher's order.

    >>> sorted([(2.0, "P2"), (5.0, "P9"), (2.0, "P1")], key=lambda r: rank_key(*r))
    [(5.0, 'P9'), (2.0, 'P1'), (2.0, 'P2')]
    """
    return (-score, person_id)


def current_probability(stored: float, score: float, log_factor: float | None) -> float:
    """A current top-k row's probability: ``2**(log_factor + score)`` (at most 1) from its case's
    factor, or the stored one when the case has none.

    >>> current_probability(0.3, 2.0, -3.0), current_probability(0.3, 2.0, None)
    (0.5, 0.3)
    """
    return float(stored) if log_factor is None else min(1.0, 2.0 ** (float(log_factor) + float(score)))


def rank_rows(rows: Iterable[Sequence[Any]]) -> list[TopKRow]:
    """Rows ``(case_id, person_id, score, probability, reasons, run_id[, log_factor])`` as
    :class:`TopKRow`, by case and rank; ranks are 1..n per case in :func:`rank_key` order, the
    probability as :func:`current_probability` derives it.

    >>> [(r.case_id, r.rank, r.person_id, r.probability) for r in rank_rows(
    ...     [("C1", "P2", 1.0, 0.1, "", 1, -4.0), ("C1", "P1", 3.0, 0.6, "", 1, -4.0)])]
    [('C1', 1, 'P1', 0.5), ('C1', 2, 'P2', 0.125)]
    """
    ordered = sorted(rows, key=lambda r: (r[0], -r[2], r[1]))
    ranked: list[TopKRow] = []
    rank, last = 0, None
    for case_id, person_id, score, probability, reasons, run_id, *factor in ordered:
        rank = rank + 1 if case_id == last else 1
        last = case_id
        ranked.append(TopKRow(case_id, rank, person_id, float(score),
                              current_probability(probability, score, factor[0] if factor else None), reasons,
                              run_id))
    return ranked


def _merge_case(
    old: Sequence[tuple[float, str]], fresh: Sequence[Mapping[str, Any]], top_k: int | None
) -> tuple[list[Mapping[str, Any]], list[str]]:
    """A merged case: which ``fresh`` rows enter, which ``old`` persons leave (cut, or re-scored).

    >>> old = [(5.0, "P1"), (3.0, "P2"), (1.0, "P3")]  # P2 scores 0.5 now, P4 is new
    >>> fresh = [{"person_id": "P2", "score": 0.5}, {"person_id": "P4", "score": 4.0}]
    >>> [([r["person_id"] for r in enter], leave) for enter, leave in
    ...  (_merge_case(old, fresh, 3), _merge_case(old, fresh, 2))]
    [(['P4'], ['P2']), (['P4'], ['P2', 'P3'])]
    """
    people = {r["person_id"] for r in fresh}
    leaving = [p for _, p in old if p in people]
    if top_k is None:
        return list(fresh), leaving
    rows: list[tuple[float, str, Mapping[str, Any] | None]] = [
        (-s, p, None) for s, p in old if p not in people]
    rows += [(-float(r["score"]), r["person_id"], r) for r in fresh]
    rows.sort(key=_BY_RANK)
    entering = [r for _, _, r in rows[:top_k] if r is not None]
    leaving += [p for _, p, r in rows[top_k:] if r is None]
    return entering, leaving


def _chunks(items: Sequence[Any], size: int = 900) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def write_results(
    connection: Connection,
    run_id: int,
    results: Sequence[Mapping[str, Any]],
    *,
    replace: set[str],
    rescored: set[str],
    top_k: int | None,
    merged: bool = False,
) -> int:
    """Inside ``connection``'s transaction: append ``results`` (checked rows) to the history and merge
    them into the current top-k. Returns the number of cases touched.

    Cases in ``replace`` take exactly their rows of ``results`` (the first ``top_k`` in the given
    rank order). Every other case loses its rows of persons in ``rescored`` and of persons it has
    rows for in ``results``, gains those rows, and keeps its best ``top_k``: only the rows that
    enter are inserted and only those that leave are deleted. With ``merged`` the caller has merged
    the rows of the other cases already (:func:`reunite.merge.night_writes`: the rows that enter;
    it deletes those that leave, :func:`leave_rows`): they are inserted as given, nothing is read.
    """
    touched = set(replace)
    for part in _chunks(sorted(replace)):
        connection.execute(delete(_TOPK).where(_TOPK.c.case_id.in_(part)))
    for part in _chunks(sorted(rescored)):  # their old scores are stale in every case
        touched.update(connection.execute(select(_TOPK.c.case_id).where(_TOPK.c.person_id.in_(part))).scalars())
        connection.execute(delete(_TOPK).where(_TOPK.c.person_id.in_(part)))
    by_case: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for row in results:
        by_case[row["case_id"]].append(row)
    touched.update(by_case)
    to_merge = [] if merged else sorted(c for c in by_case if c not in replace)
    old: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for part in _chunks(to_merge):
        query = select(_TOPK.c.case_id, _TOPK.c.score, _TOPK.c.person_id).where(_TOPK.c.case_id.in_(part))
        for case_id, score, person_id in fetch_tuples(connection, query):
            old[case_id].append((score, person_id))
    entering: list[Mapping[str, Any]] = []
    leaving: list[dict[str, str]] = []
    for case_id, rows in by_case.items():
        if case_id in replace:
            rows.sort(key=lambda r: (r["rank"], r["person_id"]))
            entering += rows if top_k is None else rows[:top_k]
            continue
        if merged:
            entering += rows
            continue
        enter, leave = _merge_case(old.get(case_id, ()), rows, top_k)
        entering += enter
        leaving += ({"c": case_id, "p": p} for p in leave)
    if leaving:
        connection.execute(_DELETE_PAIR, leaving)
    bulk_insert(connection, _RESULTS, [{**r, "run_id": run_id} for r in results])
    bulk_insert(connection, _TOPK, [{"case_id": r["case_id"], "person_id": r["person_id"], "score": r["score"],
                                  "probability": r["probability"], "reasons": r["reasons"], "run_id": run_id}
                                 for r in entering])
    return len(touched)


def leave_rows(connection: Connection, leave: Sequence[tuple[str, str]]) -> None:
    """Inside ``connection``'s transaction: delete the current top-k rows ``(case, person)`` in
    ``leave``. Call it before inserting the rows that enter (a person may leave and enter)."""
    if leave:
        connection.execute(_DELETE_PAIR, [{"c": c, "p": p} for c, p in leave])


def fix_probabilities(connection: Connection, rows: Sequence[Mapping[str, Any]], replace: set[str],
                      rescored: set[str]) -> None:
    """Inside ``connection``'s transaction, before :func:`write_results` merges ``rows`` by hand
    (:meth:`reunite.store.Store.save_results`): every case those rows touch gets its current
    derived probabilities written into its rows and loses its totals (they no longer describe its
    rows; a re-screen then screens the case in full)."""
    touched = set(replace) | {str(r["case_id"]) for r in rows}
    for part in _chunks(sorted(rescored)):
        touched.update(connection.execute(select(_TOPK.c.case_id).where(_TOPK.c.person_id.in_(part))).scalars())
    for part in _chunks(sorted(touched)):
        query = (select(_TOPK.c.case_id, _TOPK.c.person_id, _TOPK.c.score, _TOTALS.c.log_factor)
                 .join(_TOTALS, _TOTALS.c.case_id == _TOPK.c.case_id)
                 .where(_TOPK.c.case_id.in_(part), _TOTALS.c.log_factor.is_not(None)))
        derived = [{"c": c, "p": p, "v": current_probability(0.0, s, f)}
                   for c, p, s, f in fetch_tuples(connection, query)]
        if derived:
            connection.execute(_SET_PROBABILITY, derived)
        connection.execute(delete(_TOTALS).where(_TOTALS.c.case_id.in_(part)))
