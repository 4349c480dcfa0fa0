"""The kind of a case, read from the case alone: how old the child was when lost.

Evidence depends on it. A baby given away days after birth is renamed almost always, registered
whenever the new family chose, and carries no memory of home; a child lost at five keeps a
childhood name, is registered only after the loss, and was born well before it. A model may hold m
per kind (:attr:`FellegiSunter.kind_m_`): each pair is then weighed with its case's kind.

Kinds are decided on intervals, so a partial date never claims more than it knows: a case is a
``baby`` when it was surely lost before its first birthday, a ``child`` when surely after, and
``unknown`` otherwise (no birth or loss date, an interval that straddles the first birthday, or a
loss date before the birth date).
"""

from __future__ import annotations

from typing import Literal, get_args

import numpy as np

from reunite._typing import I8, I64
from reunite.matching.prepare import PreparedSide

__all__ = ["BABY_DAYS", "CASE_KINDS", "CaseKind", "case_kinds"]

CaseKind = Literal["unknown", "baby", "child"]
CASE_KINDS: tuple[CaseKind, ...] = get_args(CaseKind)
BABY_DAYS = 366  # lost before the first birthday


def case_kinds(cases: PreparedSide, rows: I64 | None = None) -> I8:
    """The kind of each case (index into :data:`CASE_KINDS`), for ``rows`` or every case.

    >>> import pandas as pd
    >>> from reunite.pipeline import load_side
    >>> from reunite.matching.prepare import prepare
    >>> cases = load_side(pd.DataFrame({"case_id": ["a", "b", "c", "d"], "sex": ["F"] * 4,
    ...     "birth_date": ["1988-05-01", "1988-05-01", "1988", ""],
    ...     "missing_date": ["1988-05-20", "1993-02-01", "1988-12", "1990"]}), "cases")
    >>> people = load_side(pd.DataFrame({"person_id": ["p"], "sex": ["F"], "birth_date": ["1988"]}), "candidates")
    >>> [CASE_KINDS[k] for k in case_kinds(prepare(cases, people).cases)]
    ['baby', 'child', 'baby', 'unknown']
    """
    pick = slice(None) if rows is None else rows
    known = cases.birth_known[pick] & cases.event_known[pick]
    oldest = cases.event_hi[pick].astype(np.int64) - cases.birth_lo[pick]
    youngest = cases.event_lo[pick].astype(np.int64) - cases.birth_hi[pick]
    kind = np.zeros(known.shape[0], dtype=np.int8)
    kind[known & (oldest < BABY_DAYS) & (oldest >= 0)] = 1  # lost "before" birth: the dates are wrong, unknown
    kind[known & (youngest >= BABY_DAYS)] = 2
    return kind
