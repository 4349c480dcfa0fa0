"""Stored rows read as mappings give exactly the table and report of reading them as a DataFrame.

``reunite.ingest.read.read_records`` reads the rows a nightly re-screen takes back from the store
without pandas; ``read_table`` of ``pandas.DataFrame(rows, columns=..., dtype=object)`` read them before.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from reunite._typing import Side
from reunite.errors import InputError
from reunite.ingest import read_table
from reunite.ingest.read import read_records
from reunite.ingest.table import CANDIDATE_COLUMNS, CASE_COLUMNS

VALUES = st.one_of(
    st.none(), st.just(float("nan")), st.integers(-3, 10**17), st.floats(allow_nan=False, width=32),
    st.text(alphabet=st.sampled_from(list("王芳李a1 ,-年男女MF\u3000\t")), max_size=6),
    st.sampled_from(["M", "F", "女", "男", "", "2", "C1", "P1", "1988-05-03"]),
)


@st.composite
def stored_rows(draw: st.DrawFn) -> tuple[Side, list[dict[str, object]]]:
    side: Side = draw(st.sampled_from(["cases", "candidates"]))
    columns = CASE_COLUMNS if side == "cases" else CANDIDATE_COLUMNS
    keys = st.sampled_from([*columns, "extra"])
    rows = draw(st.lists(st.dictionaries(keys, VALUES, max_size=len(columns) + 1), max_size=6))
    for row in rows:  # most rows carry an id, some repeat one
        if draw(st.integers(0, 4)):
            row[columns[0]] = draw(st.sampled_from(["R1", "R2", "R3", " R4 "]))
    return side, rows


def _read(side: Side, rows: list[dict[str, object]], frame: bool) -> object:
    columns = list(CASE_COLUMNS if side == "cases" else CANDIDATE_COLUMNS)
    try:
        if frame:
            table = read_table(pd.DataFrame(rows, columns=columns, dtype=object), side, label="stored")
        else:
            table = read_records(rows, columns, side, label="stored")
    except InputError as error:
        return ("error", str(error))
    return (table.side, table.columns, table.rows.tolist(), dataclasses.asdict(table.report))


@settings(max_examples=300, deadline=None)
@given(stored_rows())
def test_rows_read_as_mappings_equal_rows_read_as_a_data_frame(drawn: tuple[Side, list[dict[str, object]]]) -> None:
    side, rows = drawn
    assert _read(side, rows, frame=False) == _read(side, rows, frame=True)


def test_no_rows_read_as_the_empty_data_frame() -> None:
    sides: tuple[Side, ...] = ("cases", "candidates")
    for side in sides:
        assert _read(side, [], frame=False) == _read(side, [], frame=True)
