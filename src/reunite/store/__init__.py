"""Store: runs, results, DNA outcomes and the sampling plan in one database (SQLAlchemy + Alembic)."""

from __future__ import annotations

from reunite.store.lock import LockHolder
from reunite.store.plan import PlanCase, PlanRow, RegionSummary, build_plan, region_keys, summarize_plan
from reunite.store.results import TopKRow
from reunite.store.store import RunKind, Store, UpsertResult

__all__ = [
    "LockHolder",
    "PlanCase",
    "PlanRow",
    "RegionSummary",
    "RunKind",
    "Store",
    "TopKRow",
    "UpsertResult",
    "build_plan",
    "region_keys",
    "summarize_plan",
]
