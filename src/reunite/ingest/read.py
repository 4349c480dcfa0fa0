"""Read a table of cases or candidates: every cell as text, columns mapped, rows validated.

Sources: a CSV/TSV/TXT file, an ``.xlsx`` workbook, a pandas DataFrame, or a SQLAlchemy Table or
Select. Every cell is read as text — ``"NA"``, ``"null"``, ``"娜"`` (na) and ``"楠"`` (nan) are names,
not missing values. Only what ingest owns is checked here: the shape of each row, the id (present,
unique) and the sex; dates, names, IDs and places are left to normalize.

Row numbers are what a person finds in the source: for a CSV, the physical line on which the record
starts (the header is line 1; a quoted cell with line breaks makes later records start further down,
exactly as a text editor shows them); for a workbook, the Excel row number; for a DataFrame or a
database query, the 0-based position + 2 (as if the header were row 1).

A CSV row must have as many cells as its header. A workbook row is as wide as its header: Excel
does not store empty trailing cells, so those are filled in, while text beyond the header's last
column quarantines the row like an extra CSV cell. Rows with no text at all are skipped and counted
(``report.blank_rows``), not read.
"""

from __future__ import annotations

import collections
import contextlib
import csv
import datetime as dt
import itertools
import os
import re
import sys
import unicodedata
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np

from reunite._typing import Side, check_flags
from reunite.errors import ConfigError, InputError, MissingColumnsError, MissingFileError
from reunite.ingest._plain_csv import split_plain_csv
from reunite.ingest.columns import ColumnMap, map_columns, side_columns
from reunite.ingest.encoding import decode_text, utf16_hint
from reunite.ingest.report import IngestReport
from reunite.ingest.table import FOLDED_ID_REASON, RawTable, fold_id, id_column

if TYPE_CHECKING:
    import pandas as pd
    import sqlalchemy as sa

__all__ = ["PLAIN_FROM", "TableSource", "cell_text", "check_fitting_options", "fitting_options", "parse_sex",
           "read_records", "read_table", "sheet_option", "workbook_rows"]

PLAIN_FROM = 4 << 20
"""Plain UTF-8 files of at least this many bytes are split by Arrow (:mod:`reunite.ingest._plain_csv`,
the same table as the row-by-row reader gives); a smaller one, such as a night's delta, is read row
by row unless pyarrow is loaded already: loading it costs 0.2-0.4 s of CPU, and the row-by-row reader
about 0.05 s a megabyte."""

TableSource: TypeAlias = "str | os.PathLike[str] | pd.DataFrame | sa.Table | sa.Select[Any]"

_CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
_XLSX_SUFFIXES = {".xlsx", ".xlsm"}
_SEX_EXPECTED = "expected M/F/男/女 or a GB/T 2261.1 code 1/2/0/9"
# Digits are the GB/T 2261.1 codes Chinese registers use: 1 male, 2 female, 0 unknown, 9 not stated.
_SEX_VALUES = {
    "1": "M", "2": "F", "0": "", "9": "",
    "m": "M", "male": "M", "man": "M", "boy": "M", "男": "M", "男性": "M", "男孩": "M", "男婴": "M", "男童": "M",
    "f": "F", "female": "F", "woman": "F", "girl": "F", "女": "F", "女性": "F", "女孩": "F", "女婴": "F",
    "女童": "F",
    "♂": "M", "男孩儿": "M", "男生": "M", "儿子": "M", "♀": "F", "女孩儿": "F", "女生": "F", "女儿": "F",
    "": "", "不详": "", "未知": "", "不明": "", "不清楚": "", "unknown": "", "?": "", "-": "",
}
_SEX_BRACKETS = str.maketrans("", "", "()[]【】")
# 女(养女), 男【抱养】: a tag after the sex (a tag that is a sex, 男(女), is no tag but a doubt)
_SEX_TAG = re.compile(r"^([男女])\s*[(\[【]([^()\[\]【】]*)[)\]】]$")
_SEX_WORDS = frozenset({"男", "女", "男性", "女性", "男孩", "女孩"})
_SEX_FAST = {"M": "M", "F": "F", "男": "M", "女": "F", "": "", "1": "M", "2": "F", "0": "", "9": ""}
_EXCEL_DIGITS = 15  # Excel keeps 15 significant digits of a number


def parse_sex(text: str) -> str:
    """Normalise a sex cell to ``"M"``, ``"F"`` or ``""`` (unknown).

    Accepts M/F, male/female, boy/girl (any case, full-width too, in brackets too, a final dot dropped),
    男/女, 男性/女性, 男孩/女孩 (孩儿), 男婴/女婴, 男生/女生, 儿子/女儿, ♂/♀, 男 or 女 with a tag in brackets
    (女（养女）), and the GB/T 2261.1 codes (1 male, 2 female); 不详, 未知, 不明, unknown, ?, empty and the
    codes 0 (unknown) and 9 (not stated) are unknown.

    Raises
    ------
    InputError
        Anything else; the message says what was expected and what came.

    Examples
    --------
    >>> parse_sex("女"), parse_sex(" male "), parse_sex("Ｍ"), parse_sex("不详"), parse_sex("2"), parse_sex("9")
    ('F', 'M', 'M', '', 'F', '')
    >>> parse_sex("女（养女）"), parse_sex("♂"), parse_sex("m."), parse_sex("女孩儿")
    ('F', 'M', 'M', 'F')
    >>> parse_sex("3")
    Traceback (most recent call last):
    ...
    reunite.errors.InputError: expected M/F/男/女 or a GB/T 2261.1 code 1/2/0/9, got '3'
    """
    plain = unicodedata.normalize("NFKC", text).strip()
    if (tagged := _SEX_TAG.match(plain)) and tagged.group(2).strip() not in _SEX_WORDS:
        plain = tagged.group(1)  # 女（养女）: 女
    sex = _SEX_VALUES.get(plain.translate(_SEX_BRACKETS).strip().rstrip(".").casefold())
    if sex is None:
        raise InputError(f"{_SEX_EXPECTED}, got {text!r}")
    return sex


def _number_text(value: float | Decimal) -> str:
    exact = Decimal(repr(value)) if isinstance(value, float) else value
    if exact == exact.to_integral_value():
        return str(int(exact))
    return format(exact.normalize(), "f")


def cell_text(value: object) -> str:
    """The text of one cell from a workbook, DataFrame or database row.

    Whole numbers lose their ``.0`` and never show an exponent (an ID stored as a number comes back
    as digits); dates become ``YYYY-MM-DD`` (with the time only when it is not midnight); missing
    values (None, NaN, NaT, pd.NA) become ``""``. Text is stripped of surrounding whitespace.

    Examples
    --------
    >>> cell_text(1988.0), cell_text(1.10101199003074e17), cell_text(2.5), cell_text(None)
    ('1988', '110101199003074000', '2.5', '')
    >>> cell_text(dt.datetime(1988, 5, 3)), cell_text(dt.datetime(1988, 5, 3, 14, 30))
    ('1988-05-03', '1988-05-03 14:30:00')
    >>> cell_text(float("nan")), cell_text(" 娜 "), cell_text("NA")
    ('', '娜', 'NA')
    """
    if isinstance(value, str):
        return value.strip()
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return ""
    if isinstance(value, bool | np.bool_):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        number = float(value)
        return "" if number != number or number in (float("inf"), float("-inf")) else _number_text(number)
    if isinstance(value, Decimal):
        return "" if not value.is_finite() else _number_text(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value).strip()


def _unfolded(text: str) -> bool:
    """Whether :func:`fold_id` leaves ``text`` as it is (it is stripped already)."""
    return text.isascii() or unicodedata.is_normalized("NFKC", text)


class _Collector:
    """Validates rows one at a time; keeps accepted rows, quarantines the rest in the report."""

    def __init__(self, side: Side, cmap: ColumnMap, report: IngestReport, delimiter: str = ",") -> None:
        self.side = side
        self.cmap = cmap
        self.report = report
        self.delimiter = delimiter
        self.width = len(cmap.headers)
        self.id_name = id_column(side)
        self.id_at = cmap.positions[self.id_name]
        self.sex_at = cmap.positions["sex"]
        self.first_seen: dict[str, int] = {}
        # Accepted cells of the mapped columns, row after row, in one flat list: the k-th mapped
        # column is cells[k::len(used)]. One list instead of a million small ones is lighter and
        # quicker to take apart into columns.
        self.used = sorted(cmap.positions.values())
        self.header_cells = [cmap.headers[at].casefold() for at in self.used]
        self.pick = itemgetter(*self.used)
        self.cells: list[str] = []
        self.rows: list[int] = []

    def broken(self, row: int, value: str, reason: str) -> None:
        """A record that could not even be split into cells."""
        self.report.read += 1
        self.report.add(row, "", value, reason)

    def record(self, row: int, raw: Sequence[str]) -> None:
        cells = list(map(str.strip, raw))
        if len(cells) == self.width:  # fast path: the common, valid row
            record_id = cells[self.id_at]
            sex = _SEX_FAST.get(cells[self.sex_at])
            if record_id and sex is not None and _unfolded(record_id) and record_id not in self.first_seen:
                self.report.read += 1
                self.first_seen[record_id] = row
                cells[self.sex_at] = sex
                self.cells.extend(self.pick(cells))
                self.rows.append(row)
                return
        self._check(row, raw, cells)

    def _check(self, row: int, raw: Sequence[str], cells: list[str]) -> None:
        if not any(cells):
            self.report.blank_rows += 1
            return
        report = self.report
        report.read += 1
        if len(cells) != self.width:
            report.add(row, "", self.delimiter.join(raw),
                       f"wrong number of cells: expected {self.width} as in the header, found {len(cells)}")
            return
        if self._repeats_header(cells):  # files joined with `cat`, or a sheet pasted under another
            report.add(row, "", self.delimiter.join(raw), "a repeated header row")
            return
        ok = True
        record_id = cells[self.id_at]
        folded = fold_id(record_id)
        if folded != record_id:  # ＰＡ００１２３ is PA00123: one person, not two
            cells[self.id_at], record_id = folded, folded
        if not record_id:
            report.add(row, self.id_name, "", "empty id")
            ok = False
        sex_text = cells[self.sex_at]
        sex = _SEX_FAST.get(sex_text)
        if sex is None:
            try:
                sex = parse_sex(sex_text)
            except InputError:
                report.add(row, "sex", sex_text, f"{_SEX_EXPECTED}, got {sex_text!r}")
                ok = False
        if record_id:
            first = self.first_seen.get(record_id)
            if first is not None:
                report.add(row, self.id_name, record_id, f"duplicate id, first seen at row {first}")
                ok = False
        if ok and sex is not None:
            if folded != raw[self.id_at].strip():
                report.add(row, self.id_name, raw[self.id_at].strip(), FOLDED_ID_REASON.format(folded=folded),
                           fatal=False)
            # Only an accepted row claims its id, so a fixed-up copy further down is not lost.
            self.first_seen[record_id] = row
            cells[self.sex_at] = sex
            self.cells.extend(self.pick(cells))
            self.rows.append(row)

    def _repeats_header(self, cells: list[str]) -> bool:
        """Whether the mapped cells of a row are the header's again (a BOM before the first one too)."""
        return [cells[at].lstrip("\ufeff").strip().casefold() for at in self.used] == self.header_cells

    def table(self, strict: bool) -> RawTable:
        report = self.report
        if strict:
            fatal = [p for p in report.problems if p.fatal]
            if fatal:
                raise InputError(
                    f"{report.source}: {len(fatal)} problem(s) in {report.quarantined} row(s)"
                    " (strict mode):\n"
                    + "\n".join(p.reveal() for p in fatal)
                )
        count, step = len(self.rows), len(self.used)
        offset = {position: k for k, position in enumerate(self.used)}
        columns = {
            column: self.cells[offset[self.cmap.positions[column]] :: step]
            if column in self.cmap.positions else [""] * count
            for column in side_columns(self.side)
        }
        return RawTable(self.side, columns, np.asarray(self.rows, dtype=np.int64), report)


def _start(side: Side, header: Sequence[str], report: IngestReport, mapping: Mapping[str, str] | None,
           delimiter: str = ",") -> _Collector:
    cmap = map_columns(header, side, mapping, source=report.source)
    report.columns = cmap.found
    report.ignored_columns = list(cmap.ignored)
    return _Collector(side, cmap, report, delimiter)


def sniff_delimiter(header_line: str, suffix: str) -> str:
    """Comma for CSV unless the header has none; for .tsv/.txt the most frequent of tab, ';', ','
    (Excel's "Unicode text" is tab-separated UTF-16; a European Excel's CSV uses ';').

    >>> sniff_delimiter("case_id;person_id;outcome", ".csv"), sniff_delimiter("case_id,person_id", ".csv")
    (';', ',')
    """
    if suffix == ".csv" and "," in header_line:
        return ","
    counts = {delimiter: header_line.count(delimiter) for delimiter in ("\t", ";", ",")}
    best = max(counts, key=lambda d: counts[d])  # ties keep the order above
    return best if counts[best] else ","


def _read_csv(path: Path, report: IngestReport, side: Side, mapping: Mapping[str, str] | None,
              encoding: str | None) -> _Collector | RawTable:
    name = report.source
    data = path.read_bytes()
    if data.startswith(b"PK\x03\x04"):
        raise InputError(f"{name} is a zip file (an Excel .xlsx workbook?), not CSV text; "
                         "rename it to .xlsx or save it as CSV")
    # Decode the whole file once to choose (and check) the encoding, then stream it: holding the
    # text and a list of its lines at once would double the memory of a large file.
    text, report.encoding = decode_text(data, source=name, encoding=encoding)
    if "\x00" in text:
        hint = utf16_hint(data)
        raise InputError(f"{name} contains NUL characters: " + (hint.removeprefix("; ") if hint else
                         "it looks like a binary file, not CSV text"))
    header_line = next((line for line in text[:65536].splitlines() if line.strip()), "")
    del text
    report.delimiter = delimiter = sniff_delimiter(header_line, path.suffix.lower())
    if report.encoding in ("utf-8", "utf-8-sig") and (len(data) >= PLAIN_FROM or "pyarrow" in sys.modules):
        plain = _plain(data, report, side, mapping, delimiter)
        if plain is not None:
            return plain
    del data
    # newline="" leaves line ends to the csv module, so quoted cells keep their line breaks.
    with path.open(encoding=report.encoding, newline="") as handle:
        try:
            return _parse_csv(handle, report, side, mapping, delimiter)
        except UnicodeDecodeError as error:  # the file changed since it was checked
            raise InputError(f"{name} changed while being read ({error})") from None


def _plain(data: bytes, report: IngestReport, side: Side, mapping: Mapping[str, str] | None,
           delimiter: str) -> RawTable | None:
    """The table of a plain file (:mod:`reunite.ingest._plain_csv`) whose every record the row-by-row
    reader accepts as it is (an id, once; a sex it reads at once), or ``None``: that reader then reads it."""
    plain = split_plain_csv(data, delimiter)
    if plain is None:
        return None
    collector = _start(side, plain.header, report, mapping, delimiter)
    ids, sexes = plain.columns[collector.id_at], plain.columns[collector.sex_at]
    if not all(ids) or len(set(ids)) != len(ids) or not set(sexes) <= _SEX_FAST.keys() or not _unfolded(
            "".join(ids)):  # an id fold_id changes: read row by row
        return None
    count = plain.rows
    report.read = count
    sex = [_SEX_FAST[value] for value in sexes]
    columns = {
        column: (sex if column == "sex" else plain.columns[collector.cmap.positions[column]])
        if column in collector.cmap.positions else [""] * count
        for column in side_columns(side)
    }
    return RawTable(side, columns, np.arange(2, count + 2, dtype=np.int64), report)


def _parse_csv(lines: Iterable[str], report: IngestReport, side: Side, mapping: Mapping[str, str] | None,
               delimiter: str) -> _Collector:
    name = report.source
    source = iter(lines)
    # (line number, text) of the lines read since the last record, and lines to read again first
    taken: list[tuple[int, str]] = []
    again: collections.deque[tuple[int, str]] = collections.deque()
    line_number = 0

    def numbered() -> Iterator[str]:
        nonlocal line_number
        while True:
            if again:
                number, line = again.popleft()
            else:
                read = next(source, None)
                if read is None:
                    return
                line_number += 1
                number, line = line_number, read
            taken.append((number, line))
            yield line

    reader = csv.reader(numbered(), delimiter=delimiter, strict=True)
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                break
        else:
            raise InputError(f"{name} is empty (expected a header row)")
    except csv.Error as error:
        raise InputError(f"{name} line {reader.line_num}: the header is not valid CSV ({error})") from None
    if cells[0].startswith("\ufeff"):  # a BOM the codec keeps (GB18030, or an explicit utf-8)
        cells[0] = cells[0][1:]
    collector = _start(side, cells, report, mapping, delimiter)
    record = collector.record
    taken.clear()

    def read_again(why: str) -> None:
        """A quote opened on the record's first line and not closed there took the lines after it into one
        record: the first line is quarantined, the others are read on their own (one stray quote cost every
        record up to the next quote character in the file)."""
        if not taken:  # (an error before any line: none known)
            collector.broken(line_number + 1, "", f"malformed CSV quoting: {why}")
            return
        (first, text), *rest = taken
        more = f"; the {len(rest)} line(s) after it are read on their own" if rest else ""
        collector.broken(first, text.rstrip("\r\n"), f"malformed CSV quoting: {why}{more}")
        again.extendleft(reversed(rest))
        taken.clear()

    while True:
        try:
            for cells in reader:
                record(taken[0][0], cells)
                taken.clear()
            return collector
        except csv.Error as error:
            # (a record that parses is taken as it is, also of the wrong width: a cell may hold line breaks)
            read_again(str(error))
        reader = csv.reader(numbered(), delimiter=delimiter, strict=True)  # the old one may have ended


def _typed_rows(
    rows: Iterable[tuple[int, Sequence[object]]], report: IngestReport, side: Side,
    mapping: Mapping[str, str] | None, *, pad: bool,
) -> _Collector:
    """Drive the collector from rows of typed values (workbook, DataFrame, database)."""
    collector: _Collector | None = None
    for row, values in rows:
        cells = [value.strip() if type(value) is str else cell_text(value) for value in values]
        if collector is None:
            while pad and cells and not cells[-1]:
                cells.pop()
            if any(cells):
                collector = _start(side, cells, report, mapping)
                column_at = {at: column for column, at in collector.cmap.positions.items()}
            continue
        for at, value in enumerate(values):
            if type(value) is UncalculatedFormula and at in column_at:
                report.add(row, column_at[at], cells[at], "a formula with no value saved in the workbook "
                           "(not opened in a spreadsheet program since it was written): its text kept as written",
                           fatal=False)
            if isinstance(value, float) and abs(value) >= 10.0**_EXCEL_DIGITS and at in column_at:
                report.add(row, column_at[at], cells[at], "number with more than 15 digits: Excel keeps "
                           "15 significant digits, the rest may be lost (store IDs as text)", fatal=False)
        if pad:  # a workbook row ends at its last non-empty cell; the header decides the width
            while len(cells) > collector.width and not cells[-1]:
                cells.pop()
            cells.extend([""] * (collector.width - len(cells)))
        collector.record(row, cells)
    if collector is None:
        raise InputError(f"{report.source} is empty (expected a header row)")
    return collector


class UncalculatedFormula(str):
    """The text of a workbook formula that has no value saved with it (a file written by a script and
    never opened in a spreadsheet program since): kept as written, and flagged, rather than read as an
    empty cell."""


def _open_workbook(path: Path, name: str, *, data_only: bool) -> Any:
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it skips
            return openpyxl.load_workbook(path, read_only=True, data_only=data_only)
    except Exception as error:  # openpyxl raises zip, XML and key errors for a damaged file
        raise InputError(
            f"{name} cannot be opened as an Excel workbook ({type(error).__name__}: {error})"
        ) from None


def _with_formulas(values: Iterator[tuple[Any, ...]], formulas: Iterator[tuple[Any, ...]]
                   ) -> Iterator[tuple[Any, ...]]:
    """The saved values, with the text of each formula that has none (:class:`UncalculatedFormula`);
    ``formulas``: the same rows read without the saved values."""
    for saved, written in zip(values, formulas, strict=False):
        if None in saved:
            saved = tuple(UncalculatedFormula(f) if v is None and isinstance(f, str) and f.startswith("=") else v
                          for v, f in zip(saved, (*written, *[None] * (len(saved) - len(written))), strict=True))
        yield saved


_MERGE_REF = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="\$?([A-Z]{1,3})\$?(\d+):\$?([A-Z]{1,3})\$?(\d+)"')


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _merged_ranges(worksheet: Any) -> list[tuple[int, int, int]]:
    """(first row, last row, column) of each merged range of a read-only worksheet that spans rows, 1-based:
    the sheet's XML searched for its ``<mergeCell ref="D2:D3"/>`` entries (read-only worksheets do not list
    them), piece by piece."""
    found: list[tuple[int, int, int]] = []
    tail = b""
    with worksheet._get_source() as source:
        while piece := source.read(1 << 20):
            text = tail + piece
            end = 0
            for match in _MERGE_REF.finditer(text):
                first, last = int(match.group(2)), int(match.group(4))
                if last > first:
                    found.append((first, last, _column_number(match.group(1))))
                end = match.end()
            tail = text[max(end, len(text) - 200):]
    return found


def _fill_merged(rows: Iterator[tuple[Any, ...]], ranges: Sequence[tuple[int, int, int]]
                 ) -> Iterator[tuple[Any, ...]]:
    """The rows with each merged range's value in every row it spans (its column): a spreadsheet shows a
    cell merged over rows 2-3 as one value of both rows, and a file keeps it in row 2 alone (row 3's sex or
    region was read as empty)."""
    starts: dict[int, list[tuple[int, int]]] = {}
    for first, last, column in ranges:
        starts.setdefault(first, []).append((last, column))
    open_ranges: list[tuple[int, int, Any]] = []  # (last row, column, value)
    for number, row in enumerate(rows, start=1):
        if open_ranges:
            cells = list(row)
            for _last, column, value in open_ranges:
                if column > len(cells):
                    cells.extend([None] * (column - len(cells)))
                if cells[column - 1] is None:
                    cells[column - 1] = value
            row = tuple(cells)
            open_ranges = [entry for entry in open_ranges if entry[0] > number]
        for last, column in starts.get(number, ()):
            open_ranges.append((last, column, row[column - 1] if column <= len(row) else None))
        yield row


@contextlib.contextmanager
def workbook_rows(path: Path, sheet: str | int | None, name: str) -> Iterator[Iterator[tuple[Any, ...]]]:
    """The cell values of a workbook sheet's rows, read while the workbook is open (``sheet``: a name,
    a 0-based number, or the active sheet); one clear error, naming ``name``, for a damaged file or a
    sheet it does not have. A formula is read as the value saved with it; one with no saved value
    as its text (:class:`UncalculatedFormula`): the workbook is read a second time for the formulas."""
    book = _open_workbook(path, name, data_only=True)
    written = None
    try:
        names = list(book.sheetnames)
        if sheet is None:
            at = book.worksheets.index(book.active) if book.active is not None else 0
        elif isinstance(sheet, int) and 0 <= sheet < len(names):
            at = sheet
        elif isinstance(sheet, str) and sheet in names:
            at = names.index(sheet)
        else:
            raise InputError(f"{name} has no sheet {sheet!r}; sheets are " + ", ".join(map(repr, names)))
        written = _open_workbook(path, name, data_only=False)
        rows = _with_formulas(book.worksheets[at].iter_rows(min_row=1, values_only=True),
                              written.worksheets[at].iter_rows(min_row=1, values_only=True))
        merged = _merged_ranges(book.worksheets[at])
        try:
            yield _fill_merged(rows, merged) if merged else rows
        except MissingColumnsError as error:
            if len(names) < 2:
                raise
            # the first sheet of a workbook is often a note or a title page
            raise MissingColumnsError(f"{error} (read sheet {names[at]!r} of {', '.join(map(repr, names))}; "
                                      "choose another with --sheet, sheet=)") from None
    finally:
        book.close()
        if written is not None:
            written.close()


def _read_xlsx(path: Path, report: IngestReport, side: Side, mapping: Mapping[str, str] | None,
               sheet: str | int | None) -> _Collector:
    with workbook_rows(path, sheet, report.source) as rows:
        return _typed_rows(enumerate(rows, start=1), report, side, mapping, pad=True)


def _read_frame(frame: pd.DataFrame, report: IngestReport, side: Side,
                mapping: Mapping[str, str] | None) -> _Collector:
    header = [str(column) for column in frame.columns]
    if not header:
        raise InputError(f"{report.source} is empty (no columns)")
    body = enumerate(frame.itertuples(index=False, name=None), start=2)
    return _typed_rows(itertools.chain([(1, header)], body), report, side, mapping, pad=False)


def read_records(records: Iterable[Mapping[str, object]], columns: Sequence[str], side: Side, *,
                 label: str) -> RawTable:
    """Rows given as mappings (column -> value) read as :func:`read_table` reads the DataFrame
    ``pandas.DataFrame(list(records), columns=columns, dtype=object)`` (a key not in ``columns`` is
    left out, a missing one is an empty cell), without loading pandas: the stored rows a nightly
    re-screen reads again.

    >>> raw = read_records([{"case_id": "c1", "name": " 王小红 ", "sex": "女"}],
    ...                    ["case_id", "name", "sex", "birth_date"], "cases", label="stored cases")
    >>> raw.columns["name"], raw.columns["birth_date"], raw.report.source, raw.report.read
    (['王小红'], [''], 'stored cases', 1)
    """
    header = [str(column) for column in columns]
    if not header:
        raise InputError(f"{label} is empty (no columns)")
    body = enumerate((tuple(record.get(column) for column in columns) for record in records), start=2)
    report = IngestReport(label)
    return _typed_rows(itertools.chain([(1, header)], body), report, side, None, pad=False).table(False)


def _read_sql(source: Any, connection: Any, report: IngestReport, side: Side,
              mapping: Mapping[str, str] | None) -> _Collector:
    import sqlalchemy as sa

    statement: sa.Executable = source.select() if isinstance(source, sa.Table) else source
    if not isinstance(connection, sa.Engine | sa.Connection):
        raise ConfigError("reading a SQLAlchemy Table or Select needs connection= (an Engine or a "
                          f"Connection), got {type(connection).__name__}")
    try:
        if isinstance(connection, sa.Engine):
            with connection.connect() as conn:
                result = conn.execute(statement)
                header, body = list(result.keys()), result.fetchall()
        else:
            result = connection.execute(statement)
            header, body = list(result.keys()), result.fetchall()
    except sa.exc.SQLAlchemyError as error:
        raise InputError(f"cannot read {report.source} from the database: {error}") from None
    rows = itertools.chain([(1, header)], enumerate(body, start=2))
    return _typed_rows(rows, report, side, mapping, pad=False)


def _sql_label(source: Any) -> str | None:
    sa = sys.modules.get("sqlalchemy")
    if sa is None:
        return None
    if isinstance(source, sa.Table):
        return str(source.name)
    if isinstance(source, sa.Select):
        return "query"
    return None


def read_table(
    source: TableSource,
    side: Side,
    *,
    mapping: Mapping[str, str] | None = None,
    strict: bool = False,
    encoding: str | None = None,
    sheet: str | int | None = None,
    connection: sa.Engine | sa.Connection | None = None,
    label: str | None = None,
) -> RawTable:
    """Read cases or candidates into a :class:`RawTable` of accepted rows and an ingest report.

    Parameters
    ----------
    source:
        A path to a ``.csv``, ``.tsv``, ``.txt`` or ``.xlsx`` file; a pandas DataFrame; or a
        SQLAlchemy ``Table`` or ``Select`` (with ``connection``).
    side:
        ``"cases"`` or ``"candidates"``.
    mapping:
        ``{their header: canonical column}``, overriding the known Chinese and English headers
        (``""`` ignores a header). See :func:`reunite.ingest.columns.map_columns`.
    strict:
        Raise one :class:`InputError` listing every row problem instead of quarantining rows.
    encoding:
        A codec for a text file, overriding detection (UTF-8 with or without BOM, then GB18030/GBK).
    sheet:
        Worksheet name or 0-based index of a workbook; default: the sheet Excel opens on.
    connection:
        An Engine or Connection, for a SQLAlchemy source.
    label:
        The name used in the report and messages; default the file name, the table name,
        ``"query"`` or ``"DataFrame"``.

    Returns
    -------
    RawTable
        Accepted rows; ``table.report`` holds counts (``read == accepted + quarantined``), the
        encoding, the column mapping, ignored columns and every problem.

    Raises
    ------
    ConfigError
        ``side`` or another option is invalid.
    InputError
        The file is missing, empty, binary or malformed, or (``strict``) a row has a problem.
    EncodingError
        A text file is neither UTF-8 nor GB18030; the message gives the byte offset.
    MissingColumnsError
        A required column is missing; the message lists what is missing and what was found.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"编号": ["C1", "C2", "C2"], "姓名": ["娜", "NA", "楠"],
    ...                       "性别": ["女", "3", "F"], "出生日期": ["1988", "1990-05", "1991"]})
    >>> table = read_table(frame, "cases", label="cases.csv")
    >>> table.ids, table.columns["name"], table.columns["sex"]
    (['C1', 'C2'], ['娜', '楠'], ['F', 'F'])
    >>> print(table.report.problems[0])
    column 'sex' in cases.csv row 3: expected M/F/男/女 or a GB/T 2261.1 code 1/2/0/9, got '3'
    >>> print(table.report.summary().splitlines()[0])
    cases.csv: read 3, accepted 2, quarantined 1
    """
    check_flags(strict=strict)
    side_columns(side)
    return _read(source, side, mapping, strict, encoding, sheet, connection, label)


def _read(source: TableSource, side: Side, mapping: Mapping[str, str] | None, strict: bool,
          encoding: str | None, sheet: str | int | None, connection: sa.Engine | sa.Connection | None,
          label: str | None) -> RawTable:
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        report = IngestReport(label or path.name)
        suffix = path.suffix.lower()
        if suffix not in _CSV_SUFFIXES | _XLSX_SUFFIXES:
            hint = "; save it as .xlsx or CSV" if suffix == ".xls" else ""
            raise InputError(f"{report.source}: unsupported file type {suffix or '(no extension)'!r}; "
                             f"expected .csv, .tsv, .txt or .xlsx{hint}")
        if not path.is_file():
            raise MissingFileError(f"{report.source}: no such file ({path})")
        if suffix in _XLSX_SUFFIXES:
            if encoding is not None:
                raise ConfigError("encoding= (--encoding) applies to text files, not to workbooks")
            collector = _read_xlsx(path, report, side, mapping, sheet)
        else:
            if sheet is not None:
                raise ConfigError("sheet= (--sheet) applies to .xlsx workbooks, not to text files")
            try:
                read = _read_csv(path, report, side, mapping, encoding)
            except OSError as error:
                raise InputError(f"{report.source} cannot be read: {error}") from None
            if isinstance(read, RawTable):  # a plain file, split by Arrow: nothing to quarantine
                return read
            collector = read
        return collector.table(strict)
    pandas = sys.modules.get("pandas")
    if pandas is not None and isinstance(source, pandas.DataFrame):
        report = IngestReport(label or "DataFrame")
        return _read_frame(source, report, side, mapping).table(strict)
    sql_label = _sql_label(source)
    if sql_label is not None:
        report = IngestReport(label or sql_label)
        return _read_sql(source, connection, report, side, mapping).table(strict)
    raise InputError("source must be a file path, a pandas DataFrame or a SQLAlchemy Table or Select, "
                     f"got {type(source).__name__}")


def sheet_option(value: str | None) -> str | int | None:
    """A ``--sheet`` value: a worksheet by number when written in ASCII digits, else by name (``'²'`` is a
    digit to ``str.isdigit`` but not a number to ``int``).

    >>> sheet_option("0"), sheet_option("²"), sheet_option("名单"), sheet_option(None)
    (0, '²', '名单', None)
    """
    return int(value) if value is not None and value.isascii() and value.isdigit() else value


def fitting_options(source: TableSource, encoding: str | None, sheet: str | int | None
                    ) -> tuple[str | None, str | int | None]:
    """The ``(encoding, sheet)`` of two-input commands' options that apply to ``source``: the
    encoding to a text file, the sheet to a workbook (cases in CSV, candidates in Excel).

    >>> fitting_options("cases.csv", "gbk", "people"), fitting_options("people.xlsx", "gbk", "people")
    (('gbk', None), (None, 'people'))
    """
    if not isinstance(source, str | os.PathLike):
        return encoding, sheet
    workbook = Path(source).suffix.lower() in _XLSX_SUFFIXES
    return (None, sheet) if workbook else (encoding, None)


def check_fitting_options(sources: Sequence[TableSource | None], encoding: str | None,
                          sheet: str | int | None) -> None:
    """Refuse ``--sheet`` when no input is a workbook and ``--encoding`` when every input is one.

    >>> check_fitting_options(["cases.csv", "people.csv"], None, "people")
    Traceback (most recent call last):
    ...
    reunite.errors.ConfigError: sheet= (--sheet) applies to .xlsx workbooks, and no input is one
    """
    paths = [Path(s) for s in sources if isinstance(s, str | os.PathLike)]
    workbooks = [p.suffix.lower() in _XLSX_SUFFIXES for p in paths]
    if sheet is not None and paths and not any(workbooks):
        raise ConfigError("sheet= (--sheet) applies to .xlsx workbooks, and no input is one")
    if encoding is not None and paths and all(workbooks):
        raise ConfigError("encoding= (--encoding) applies to text files, and every input is a workbook")
