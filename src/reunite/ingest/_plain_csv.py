"""A UTF-8 CSV file split into stripped cells by Arrow's parser (on both cores), when that gives exactly
what Python's ``csv`` module gives row by row.

Only a *plain* file is read here: one record per line (no line break inside a quoted cell, no blank
line, no lone carriage return), every record as wide as the header. Any other file is left to the
row-by-row reader, which reports each odd row with its line number. Lines with a quote character are
parsed a second time by Python's ``csv`` module and must agree cell for cell (a quoted cell with text
after its closing quote is an error there, and Arrow would take it); Arrow and ``csv`` split unquoted
lines alike. The caller still checks every record (ids, sex) and falls back when one needs a closer look.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

import numpy as np

__all__ = ["SPACES", "PlainCsv", "split_plain_csv"]

_BOM = b"\xef\xbb\xbf"
# str.strip() removes what str.isspace() calls whitespace: a cell starting or ending with one needs it
# (every code point c with chr(c).isspace(), Python 3.11; a test checks the list against the running Python)
SPACES = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
          "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")


@dataclass(frozen=True, slots=True)
class PlainCsv:
    """The header's cells as written and each column's stripped cells (record ``i`` is on line ``i + 2``)."""

    header: list[str]
    columns: list[list[str]]

    @property
    def rows(self) -> int:
        return len(self.columns[0]) if self.columns else 0


def split_plain_csv(data: bytes, delimiter: str) -> PlainCsv | None:
    """The cells of a plain UTF-8 CSV file (bytes, BOM or not), or ``None`` when it is not plain.

    >>> split_plain_csv('id,name\\nP1, 王芳 \\nP2,"李,娜"\\n'.encode(), ",")
    PlainCsv(header=['id', 'name'], columns=[['P1', 'P2'], ['王芳', '李,娜']])
    >>> split_plain_csv(b'id,name\\nP1,"a"b\\n', ",") is None   # text after a closing quote
    True
    >>> split_plain_csv(b'id,name\\n\\nP1,a\\n', ",") is None   # a blank line
    True
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    if data.startswith(_BOM):
        data = data[len(_BOM):]
    carriage_returns = data.count(b"\r")
    if carriage_returns and carriage_returns != data.count(b"\r\n"):
        return None
    first_end = data.find(b"\n")
    header_line = (data if first_end < 0 else data[:first_end]).decode("utf-8").rstrip("\r")
    try:
        header = next(csv.reader([header_line], delimiter=delimiter, strict=True), [])
    except csv.Error:
        return None
    if not any(cell.strip() for cell in header):
        return None
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    names = [f"c{i}" for i in range(len(header))]
    try:
        table = pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(skip_rows=1, column_names=names, use_threads=True),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char='"', double_quote=True,
                                             escape_char=False, newlines_in_values=False,
                                             ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()), null_values=[],
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError):  # a record of another width, a quote left open
        return None
    if table.num_rows != lines - 1:
        return None
    columns: list[list[str]] = []
    for name in names:
        column = table.column(name)
        cells = column.to_pylist()
        if column.null_count:
            return None
        needs = pc.not_equal(pc.binary_length(pc.utf8_trim(column, SPACES)), pc.binary_length(column))
        for at in np.flatnonzero(needs.to_numpy()).tolist():
            cells[at] = cells[at].strip()
        columns.append(cells)
    if not _quoted_lines_agree(data, delimiter, columns):
        return None
    return PlainCsv(header, columns)


def _quoted_lines_agree(data: bytes, delimiter: str, columns: list[list[str]]) -> bool:
    """Whether every record whose line holds a quote character splits by ``csv`` as Arrow split it.

    The lines are found from quote to quote (``bytes.find`` and ``count``, which scan at memory speed).
    """
    at = data.find(b'"')
    line = counted = 0  # line ``line`` holds position ``counted``: 0 is the header, record r is line r + 1
    while at >= 0:
        line += data.count(b"\n", counted, at)
        counted = at
        end = data.find(b"\n", at)
        end = len(data) if end < 0 else end
        if line > 0:
            text = data[data.rfind(b"\n", 0, at) + 1: end].decode("utf-8").rstrip("\r")
            try:
                cells = next(csv.reader([text], delimiter=delimiter, strict=True), [])
            except csv.Error:
                return False
            record = line - 1
            if len(cells) != len(columns) or any(c.strip() != column[record] for c, column in zip(cells, columns,
                                                                                                strict=True)):
                return False
        at = data.find(b'"', end)
    return True
