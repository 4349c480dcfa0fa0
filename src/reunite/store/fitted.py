"""What the re-screen keeps between runs: fitted models, per-case bounds and per-case totals.

Incremental re-screens score with the newest stored fitted model (u and term frequencies fitted
on the data by the last full re-screen), so a pair scores the same in every run until the next
full re-screen fits a new one. A case's bound is the (score, person id) rank after which every
candidate missing from its current top-k ranks; no bound: the top-k holds the whole window. A
case's totals (:class:`CaseTotals`) are what its probabilities need besides its stored rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from reunite.store.db import as_utc, bulk_insert, fetch_tuples, utcnow
from reunite.store.dna import chunks
from reunite.store.models import CaseBound, CaseTotal, FittedModel

__all__ = [
    "Bound",
    "CaseTotals",
    "StoredModel",
    "add_fitted_model",
    "latest_fitted_model",
    "read_bounds",
    "read_totals",
    "write_bounds",
    "write_totals",
]

Bound = tuple[float, str]  # (score, person_id)
_BOUNDS = CaseBound
_TOTALS = CaseTotal


@dataclass(frozen=True, slots=True)
class CaseTotals:
    """A case's compared candidates besides its stored rows (see :mod:`reunite.merge`).

    ``pairs``: candidates compared (DNA-excluded pairs not counted); ``rest``: the sum of
    ``2**score`` over the compared candidates that are not among the stored rows; ``exclusions``: a
    digest of the persons DNA had excluded for the case when these were counted.
    """

    pairs: int
    rest: float
    exclusions: str


@dataclass(frozen=True, slots=True)
class StoredModel:
    """A fitted model as stored: its JSON (``FellegiSunter.to_dict()``) and where it came from.

    ``base_version`` is the version of the model it was fitted from (the shipped model or a
    model file), ``config_hash`` the re-screen configuration (top-k, blocking, base model) of the
    full run ``run_id`` that fitted it.
    """

    version: str
    base_version: str
    config_hash: str
    run_id: int
    created: dt.datetime
    model: dict[str, Any]


def latest_fitted_model(connection: Connection) -> StoredModel | None:
    """The newest stored fitted model, or ``None`` before the first full re-screen."""
    row = connection.execute(select(FittedModel).order_by(FittedModel.c.id.desc()).limit(1)).first()
    if row is None:
        return None
    return StoredModel(row.version, row.base_version, row.config_hash, row.run_id, as_utc(row.created),
                       dict(row.model))


def add_fitted_model(
    connection: Connection, run_id: int, model: Mapping[str, Any], *, base_version: str, config_hash: str
) -> None:
    """Store a fitted model (``model["version"]`` is its version) inside ``connection``'s transaction."""
    connection.execute(insert(FittedModel).values(version=str(model["version"]), base_version=base_version,
                                                  config_hash=config_hash, run_id=run_id, created=utcnow(),
                                                  model=dict(model)))


def read_bounds(connection: Connection) -> dict[str, Bound]:
    """Every stored case bound, by case id."""
    query = select(_BOUNDS.c.case_id, _BOUNDS.c.score, _BOUNDS.c.person_id)
    return {c: (s, p) for c, s, p in fetch_tuples(connection, query)}


def write_bounds(connection: Connection, run_id: int, bounds: Mapping[str, Bound | None]) -> None:
    """Set the bounds of the cases in ``bounds`` (``None`` removes a case's bound)."""
    for part in chunks(sorted(bounds)):
        connection.execute(delete(_BOUNDS).where(_BOUNDS.c.case_id.in_(part)))
    bulk_insert(connection, _BOUNDS, [{"case_id": c, "score": b[0], "person_id": b[1], "run_id": run_id}
                                   for c, b in bounds.items() if b is not None])


def read_totals(connection: Connection) -> dict[str, CaseTotals]:
    """Every stored case's totals, by case id."""
    query = select(_TOTALS.c.case_id, _TOTALS.c.pairs, _TOTALS.c.rest, _TOTALS.c.exclusions)
    return {c: CaseTotals(int(n), float(r), str(e)) for c, n, r, e in fetch_tuples(connection, query)}


def write_totals(connection: Connection, run_id: int, totals: Mapping[str, CaseTotals],
                 log_factors: Mapping[str, float | None] | None = None) -> None:
    """Set the totals of the cases in ``totals``, each with its posterior factor from
    ``log_factors`` (none: the rows' stored probabilities hold; see :mod:`reunite.store.results`)."""
    factors = log_factors or {}
    for part in chunks(sorted(totals)):
        connection.execute(delete(_TOTALS).where(_TOTALS.c.case_id.in_(part)))
    bulk_insert(connection, _TOTALS, [{"case_id": c, "pairs": t.pairs, "rest": t.rest, "exclusions": t.exclusions,
                                    "run_id": run_id, "log_factor": factors.get(c)} for c, t in totals.items()])
