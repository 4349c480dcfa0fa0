"""RANKED.csv written a column at a time has exactly the bytes of the row-by-row writer.

The cells are random and dirty: formula starts, quotes, commas, line breaks, NUL, ID-shaped numbers
(masked unless revealed), numbers of both kinds, booleans, None, and columns that mix them.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from reunite.export import write_csv, write_csv_columns

TEXT = st.one_of(
    st.lists(st.sampled_from([*"王芳a1 ,\"'=+-@\t\r\n\x00\u3000", "11010519491231002X"]), max_size=8).map("".join),
    st.sampled_from(["", "=1+1", "P1", "110105194912310021", "3601021988 0503 002X"]),
)
NUMBER = st.one_of(st.integers(-10**12, 10**12), st.floats(allow_nan=True, allow_infinity=True, width=32),
                   st.floats(allow_nan=True, allow_infinity=True))
CELL = st.one_of(TEXT, NUMBER, st.booleans(), st.none())
COLUMN_KIND = st.sampled_from([TEXT, NUMBER, st.integers(-5, 5), CELL])


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[str], list[list[object]]]:
    n_columns = draw(st.integers(1, 5))
    n_rows = draw(st.integers(0, 12))
    header = draw(st.lists(TEXT, min_size=n_columns, max_size=n_columns))
    columns = [draw(st.lists(draw(COLUMN_KIND), min_size=n_rows, max_size=n_rows)) for _ in range(n_columns)]
    return header, columns


@settings(max_examples=400, deadline=None)
@given(tables(), st.booleans(), st.booleans())
def test_columns_writer_gives_the_bytes_of_the_row_writer(
    table: tuple[list[str], list[list[object]]], reveal_ids: bool, bom: bool
) -> None:
    header, columns = table
    with tempfile.TemporaryDirectory() as folder:
        rows = write_csv(Path(folder) / "rows.csv", header, zip(*columns, strict=True), bom=bom,
                         reveal_ids=reveal_ids)
        by_column = write_csv_columns(Path(folder) / "columns.csv", header, columns, bom=bom, reveal_ids=reveal_ids)
        assert by_column.read_bytes() == rows.read_bytes()


def test_columns_writer_refuses_columns_of_different_lengths(tmp_path: Path) -> None:
    try:
        write_csv_columns(tmp_path / "x.csv", ["a", "b"], [["1", "2"], ["1"]])
    except ValueError as error:
        assert "different lengths" in str(error)
    else:
        raise AssertionError("columns of different lengths were written")
    assert not (tmp_path / "x.csv").exists()
