"""A CSV file read through Arrow's parser gives exactly the table and report of the row-by-row reader.

The files are random and dirty: quoted cells with commas, quotes and line breaks, cells with leading and
trailing whitespace of every kind Python strips, blank lines, CRLF and lone CR line ends, rows too wide,
empty or repeated ids, unreadable sexes, a BOM. Whatever the plain-file path takes must come out as the
row-by-row reader gives it; whatever it cannot take it must leave to that reader.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path
from unittest import mock

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import reunite.ingest.read as read_module
from reunite.errors import InputError
from reunite.ingest import read_table
from reunite.ingest._plain_csv import SPACES, split_plain_csv

HEADER = ["person_id", "name", "former_names", "sex", "birth_date", "id_number", "region", "marks", "extra"]
TEXT = st.text(alphabet=st.sampled_from([*"王芳李a1 ,\"\t\u3000\x1c\xa0-年", "\n", "\r"]), max_size=6)
CLEAN_TEXT = st.text(alphabet=st.sampled_from(list("王芳李a1 ,\"\t\u3000\x1c\xa0-年")), max_size=6)
SEX = st.sampled_from(["M", "F", "女", "男", "", " F", "x", "1", "9"])
ID = st.sampled_from(["P1", "P2", "P3", "", " P4", "P5 "])


def _quote(cell: str, force: bool) -> str:
    if force or any(c in cell for c in ',"\n\r') or cell != cell.strip(" "):
        return '"' + cell.replace('"', '""') + '"'
    return cell


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    """A candidates file; half of them clean but for quoting and whitespace (the plain path takes those)."""
    columns = draw(st.permutations(HEADER))
    dirty = draw(st.booleans())
    lines = [",".join(columns)]
    for number in range(draw(st.integers(0, 6))):
        if dirty and draw(st.integers(0, 9)) == 0:
            lines.append("")  # a blank line
            continue
        cells = {c: draw(TEXT if dirty else CLEAN_TEXT) for c in columns}
        cells["person_id"] = draw(ID) if dirty else draw(st.sampled_from(["", " ", "\u3000"])).join(["", f"P{number}"])
        cells["sex"] = draw(SEX) if dirty else draw(st.sampled_from(["M", "F", "女", " 男", "", "1"]))
        row = [_quote(cells[c], draw(st.booleans())) for c in columns]
        if dirty and draw(st.integers(0, 9)) == 0:
            row.append("wide")
        line = ",".join(row)
        if dirty and draw(st.integers(0, 19)) == 0:
            line = line.replace('"', "", 1)  # a quote left open or stray
        lines.append(line)
    end = draw(st.sampled_from(["\n", "\r\n", "\r"] if dirty else ["\n", "\r\n"]))
    text = end.join(lines) + (end if draw(st.booleans()) else "")
    return (b"\xef\xbb\xbf" if draw(st.booleans()) else b"") + text.encode("utf-8")


def _read(path: Path, plain: bool) -> object:
    try:
        if plain:  # a file of any size takes the plain path when it is plain
            with mock.patch.object(read_module, "PLAIN_FROM", 0):
                table = read_table(path, "candidates")
        else:
            with mock.patch.object(read_module, "_plain", lambda *args: None):
                table = read_table(path, "candidates")
    except InputError as error:
        return ("error", str(error))
    return (table.side, table.columns, table.rows.tolist(), dataclasses.asdict(table.report))


@settings(max_examples=300, deadline=None)
@given(csv_files())
def test_the_plain_path_gives_the_row_by_row_table(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "people.csv"
        path.write_bytes(data)
        assert _read(path, plain=True) == _read(path, plain=False)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(TEXT.filter(lambda t: not set(t) & set('\n\r"')), min_size=3, max_size=3),
                min_size=1, max_size=5))
def test_plain_cells_are_stripped_as_python_strips_them(rows: list[list[str]]) -> None:
    text = "a,b,c\n" + "\n".join(",".join(_quote(c, False) for c in row) for row in rows) + "\n"
    plain = split_plain_csv(text.encode("utf-8"), ",")
    assert plain is not None
    assert plain.columns == [[row[i].strip() for row in rows] for i in range(3)]


def test_the_whitespace_list_is_pythons() -> None:
    assert "".join(chr(c) for c in range(0x110000) if chr(c).isspace()) == SPACES


def test_a_generated_file_takes_the_plain_path_and_equals_the_row_reader(tmp_path: Path) -> None:
    from reunite.synth import generate, write

    write(generate(5, 3_000, seed=4), tmp_path)
    path = tmp_path / "candidates.csv"
    assert split_plain_csv(path.read_bytes(), ",") is not None  # quoted marks and all
    plain, rows = _read(path, plain=True), _read(path, plain=False)
    assert plain == rows
    assert isinstance(plain, tuple) and np.array_equal(plain[2], np.arange(2, 3_002))
