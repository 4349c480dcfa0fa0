"""The value ingest hands to normalize: canonical columns of cell text, accepted rows only."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from reunite._typing import Side
from reunite.ingest.report import IngestReport

__all__ = ["CANDIDATE_COLUMNS", "CASE_COLUMNS", "FOLDED_ID_REASON", "REQUIRED_COLUMNS", "RawTable", "fold_id",
           "id_column"]

CASE_COLUMNS: tuple[str, ...] = (
    "case_id", "name", "alias", "sex", "birth_date", "birth_calendar", "missing_date",
    "missing_region", "marks",
)
CANDIDATE_COLUMNS: tuple[str, ...] = (
    "person_id", "name", "former_names", "sex", "birth_date", "id_number", "region",
    "registration_date", "marks",
)
REQUIRED_COLUMNS: dict[Side, tuple[str, ...]] = {
    "cases": ("case_id", "sex", "birth_date"),
    "candidates": ("person_id", "sex", "birth_date"),
}


def id_column(side: Side) -> str:
    return "case_id" if side == "cases" else "person_id"


FOLDED_ID_REASON = "id written in full-width (or other compatibility) characters: read as {folded!r}"
"""The flag of an id :func:`fold_id` changed (the row is kept)."""


def fold_id(text: str) -> str:
    """A case_id or person_id as reunite compares it: NFKC-folded (full-width letters and digits, as a
    Chinese input method types them, are the ASCII ones) and stripped.

    ``ＰＡ００１２３`` and ``PA00123`` are one person: an extract typed with a full-width input method
    stored the person a second time, and screen ranked them as two.

    >>> fold_id("ＰＡ００１２３"), fold_id("PA00123"), fold_id("案件\u3000001"), fold_id("C-1")
    ('PA00123', 'PA00123', '案件 001', 'C-1')
    """
    if text.isascii() or unicodedata.is_normalized("NFKC", text):
        return text.strip()
    return unicodedata.normalize("NFKC", text).strip()


@dataclass(frozen=True, slots=True)
class RawTable:
    """Accepted rows of one input, every canonical column present as stripped text.

    ``columns`` holds one list of ``str`` per canonical column of the side ("" where the cell was
    empty or the column absent); ``rows`` holds the source row number of each accepted row, so any
    later problem can still be reported against the file a person opens.
    """

    side: Side
    columns: dict[str, list[str]]
    rows: npt.NDArray[np.int64]
    report: IngestReport

    def __len__(self) -> int:
        return int(self.rows.shape[0])

    def __repr__(self) -> str:
        # counts only: ids and ID numbers must not reach a log through a repr
        return f"RawTable(side={self.side!r}, rows={len(self)}, source={self.report.source!r})"

    @property
    def ids(self) -> list[str]:
        return self.columns[id_column(self.side)]
