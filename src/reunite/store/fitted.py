"""Fitted models: what a full re-screen fitted (u and term frequencies on the data), by version.

Incremental re-screens score with the newest stored fitted model, so a pair scores the same in
every run until the next full re-screen fits a new one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reunite.store.db import as_utc, utcnow
from reunite.store.models import FittedModel

__all__ = ["StoredModel", "add_fitted_model", "latest_fitted_model"]


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


def latest_fitted_model(session: Session) -> StoredModel | None:
    """The newest stored fitted model, or ``None`` before the first full re-screen."""
    row = session.scalars(select(FittedModel).order_by(FittedModel.id.desc()).limit(1)).first()
    if row is None:
        return None
    return StoredModel(row.version, row.base_version, row.config_hash, row.run_id, as_utc(row.created),
                       dict(row.model))


def add_fitted_model(
    session: Session, run_id: int, model: Mapping[str, Any], *, base_version: str, config_hash: str
) -> None:
    """Store a fitted model (``model["version"]`` is its version) inside ``session``'s transaction."""
    session.add(FittedModel(version=str(model["version"]), base_version=base_version,
                            config_hash=config_hash, run_id=run_id, created=utcnow(), model=dict(model)))
