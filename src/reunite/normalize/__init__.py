"""Normalize: names, dates, IDs, regions and marks into the columnar tables matching reads."""

from __future__ import annotations

from reunite.normalize.features import NameTable, RecordTable
from reunite.normalize.table import normalize

__all__ = ["NameTable", "RecordTable", "normalize"]
