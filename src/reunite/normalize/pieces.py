"""Prepare a large plain CSV file piece by piece, in bounded memory (``reunite prepare``).

Reading a whole file holds every cell as a Python string (about 0.6 GB a million candidates) and
normalizing holds every column (another 0.8 GB): twenty million people would not fit in a machine's
memory. Here the file is cut at line ends into pieces of about ``piece_bytes``; each piece is read,
normalized and written as Parquet row groups before the next is read. What spans rows is carried
from piece to piece, so the prepared file is the one a whole read gives, value for value:

- the ids seen (a repeated person_id is quarantined, naming the row it was first seen at, as the
  row-by-row reader does; only an accepted row claims its id);
- the first person_id and row of each valid resident ID number (a later person_id carrying it is
  flagged, naming them);
- the report: problems are listed in the order a whole read lists them (ingest's in row order, then
  the birth dates', then the event dates', then the ID numbers Excel mangled, then the shared ID numbers'),
  whatever the pieces.

Only a *plain* UTF-8 file is cut (one record a line, every record as wide as the header:
:mod:`reunite.ingest._plain_csv`), found piece by piece; at the first piece that is not, this gives
up (``None``) and the caller reads the whole file as before. A piece whose records all pass as they
are is split by Arrow; one with a problem row (no id, a repeated id, a sex to look at closer) goes
row by row, each line a record, with the whole file's row numbers.
"""

from __future__ import annotations

import csv
import datetime
import io
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from numpy.dtypes import StringDType

from reunite._codes import factorize
from reunite._typing import Side
from reunite.ingest._plain_csv import split_plain_csv
from reunite.ingest.columns import side_columns
from reunite.ingest.encoding import allow_long_cells
from reunite.ingest.read import _SEX_FAST, _Collector, _start, _unfolded, sniff_delimiter
from reunite.ingest.report import IngestReport, Problem
from reunite.ingest.table import RawTable
from reunite.normalize.features import RecordTable
from reunite.normalize.ids import ResidentIdArrays, mask_id
from reunite.normalize.stored import PreparedWriter
from reunite.normalize.table import excel_id_flags, normalize_piece

__all__ = ["DEFAULT_PIECE_BYTES", "PieceNormalizer", "prepare_in_pieces"]

DEFAULT_PIECE_BYTES = 64 << 20
"""About 700,000 candidates of a typical extract (88 bytes a line) a piece."""

_BOM = b"\xef\xbb\xbf"

PieceNormalizer = Callable[[RawTable], tuple[RecordTable, ResidentIdArrays]]
"""Normalizes one piece as :func:`reunite.normalize.normalize_piece` does (an update: as
:func:`reunite.normalize.update.normalize_update_piece` does, with the previous table's readings)."""


class _NotPlain(Exception):
    """The file is not one this module cuts: the caller reads it whole."""


def _pieces(path: Path, piece_bytes: int) -> Iterator[tuple[bytes, bytes]]:
    """The header line (BOM and line end included) and the file's remaining lines in pieces of about
    ``piece_bytes``, each cut after a line end (the last piece as the file ends)."""
    with open(path, "rb") as handle:
        head = handle.read(max(piece_bytes, 1 << 16))
        if head.startswith(b"PK\x03\x04"):
            raise _NotPlain
        end = head.find(b"\n")
        while end < 0:  # a header longer than a piece
            more = handle.read(1 << 20)
            if not more:
                raise _NotPlain
            head += more
            end = head.find(b"\n")
        header, rest = head[: end + 1], head[end + 1:]
        while True:
            more = handle.read(max(piece_bytes - len(rest), 1))
            block = rest + more
            if not more:
                if block:
                    yield header, block
                return
            cut = block.rfind(b"\n")
            if cut < 0:
                rest = block
                continue
            rest = block[cut + 1:]
            yield header, block[: cut + 1]


class _SharedIds:
    """The first person_id and row of every valid resident ID number met so far, piece after piece."""

    def __init__(self) -> None:
        self._numbers: list[npt.NDArray[np.bytes_]] = []  # per piece: sorted numbers first met there
        self._ids: list[npt.NDArray[Any]] = []
        self._rows: list[npt.NDArray[np.int64]] = []

    def flag(self, raw: RawTable, ids: ResidentIdArrays) -> list[Problem]:
        """The flags of the piece ``raw`` (in row order), as a whole read's ``_flag_shared_ids`` gives them."""
        valid_rows = np.flatnonzero(ids.valid)
        numbers = np.asarray(ids.number[valid_rows].astype(str), dtype="S18")
        codes, distinct = factorize(numbers)
        first = np.full(distinct.shape[0], -1, dtype=np.int64)
        first[codes[::-1]] = valid_rows[::-1]  # the last write of each code is its first row
        person = np.array(raw.ids, dtype=object)
        first_id, first_row = person[first], raw.rows[first]
        new = np.ones(distinct.shape[0], dtype=bool)
        wanted = np.asarray(distinct, dtype="S18")
        for earlier, earlier_ids, earlier_rows in zip(self._numbers, self._ids, self._rows, strict=True):
            at = np.searchsorted(earlier, wanted)
            found = new & (at < earlier.shape[0])
            found[found] = earlier[at[found]] == wanted[found]
            first_id[found], first_row[found] = earlier_ids[at[found]], earlier_rows[at[found]]
            new &= ~found
        order = np.argsort(wanted[new], kind="stable")
        self._numbers.append(wanted[new][order])
        self._ids.append(first_id[new][order].astype(StringDType()))  # no Python string a row kept
        self._rows.append(first_row[new][order])
        problems: list[Problem] = []
        row_first = first_row[codes]
        source = raw.report.source
        for index, code, earlier_row in zip(valid_rows.tolist(), codes.tolist(), row_first.tolist(), strict=True):
            row = int(raw.rows[index])
            if earlier_row != row:
                problems.append(Problem(
                    source, row, "id_number", mask_id(ids.number[index]),
                    f"likely duplicate record: same resident ID number as person_id {first_id[code]!r} "
                    f"(row {int(earlier_row)}), kept", False))
        return problems


def _piece_table(collector: _Collector, plain_columns: list[list[str]], body: bytes, first_row: int,
                 delimiter: str, encoding: str) -> RawTable:
    """The accepted rows of one piece (its first record on line ``first_row``); problems go to the
    collector's report, ids seen to its ``first_seen``."""
    side, report = collector.side, collector.report
    ids, sexes = plain_columns[collector.id_at], plain_columns[collector.sex_at]
    count = len(ids)
    first_seen = collector.first_seen
    if (all(ids) and len(set(ids)) == count and set(sexes) <= _SEX_FAST.keys() and first_seen.keys().isdisjoint(ids)
            and _unfolded("".join(ids))):  # an id fold_id changes: read row by row
        report.read += count
        rows = np.arange(first_row, first_row + count, dtype=np.int64)
        # the ids kept are fresh copies made side by side: the piece's own strings lie among its other
        # cells, and one kept string in each block of them would keep the blocks (and the memory) alive
        # after the piece is written (ids hold no NUL: a file with one is not cut)
        first_seen.update(zip("\0".join(ids).split("\0"), rows.tolist(), strict=True))
        sex = [_SEX_FAST[value] for value in sexes]
        columns = {
            column: (sex if column == "sex" else plain_columns[collector.cmap.positions[column]])
            if column in collector.cmap.positions else [""] * count
            for column in side_columns(side)
        }
        return RawTable(side, columns, rows, IngestReport(report.source))
    # a plain piece: each line is one record, so the row-by-row reader's row numbers are line numbers
    reader = csv.reader(io.StringIO(body.decode(encoding), newline=""), delimiter=delimiter, strict=True)
    for offset, cells in enumerate(reader):
        collector.record(first_row + offset, cells)
    table = collector.table(strict=False)
    collector.cells, collector.rows = [], []
    return RawTable(side, table.columns, table.rows, IngestReport(report.source))


def prepare_in_pieces(
    path: str | os.PathLike[str], out: str | os.PathLike[str], side: Side, *,
    mapping: Mapping[str, str] | None = None, today: datetime.date, source_sha256: str = "",
    piece_bytes: int = DEFAULT_PIECE_BYTES, label: str | None = None, normalize: PieceNormalizer | None = None,
) -> tuple[IngestReport, int] | None:
    """Read, normalize and write ``path`` to the prepared table ``out`` piece by piece.

    Returns the whole input's ingest report and the records written, or ``None`` (``out`` then holds
    nothing to keep) when the file is not plain UTF-8 text that this can cut: read it whole.
    The table written equals :func:`reunite.normalize.stored.write_prepared` of the whole input's
    normalized table, column for column (digests included), with the same report. ``normalize``
    normalizes each piece (default :func:`reunite.normalize.normalize_piece` on ``today``).
    """
    allow_long_cells()  # as a whole read parses its text
    source = Path(path)
    report = IngestReport(label or source.name)
    event = "missing_date" if side == "cases" else "registration_date"
    ingest: list[Problem] = []
    births: list[Problem] = []
    events: list[Problem] = []
    shared: list[Problem] = []
    excel: list[Problem] = []
    writer = PreparedWriter(out, side)
    collector: _Collector | None = None
    shared_ids = _SharedIds()
    line = 2  # the first record's line (the header is line 1)
    rows = 0
    try:
        for header, body in _pieces(source, piece_bytes):
            if collector is None:
                encoding = "utf-8-sig" if header.startswith(_BOM) else "utf-8"
                try:
                    header_line = header.decode(encoding)
                except UnicodeDecodeError:
                    raise _NotPlain from None
                if "\x00" in header_line or len(header_line.splitlines()) != 1:
                    raise _NotPlain
                delimiter = sniff_delimiter(header_line.rstrip("\r\n"), source.suffix.lower())
            try:
                body.decode("utf-8")
            except UnicodeDecodeError:
                raise _NotPlain from None
            if b"\x00" in body:
                raise _NotPlain
            plain = split_plain_csv(header + body, delimiter)
            if plain is None or not plain.rows:
                raise _NotPlain
            if collector is None:
                report.encoding, report.delimiter = encoding, delimiter
                collector = _start(side, plain.header, report, mapping, delimiter)
            before = len(report.problems)
            raw = _piece_table(collector, plain.columns, body, line, delimiter, "utf-8")
            ingest.extend(report.problems[before:])
            del plain
            line += body.count(b"\n") + (0 if body.endswith(b"\n") else 1)
            if not len(raw):
                continue
            table, ids = normalize_piece(raw, today=today) if normalize is None else normalize(raw)
            for problem in raw.report.problems:
                (events if problem.column == event else births).append(problem)
            excel.extend(excel_id_flags(raw, ids))
            shared.extend(shared_ids.flag(raw, ids))
            writer.add(raw, table)
            rows += len(table)
            del raw, table, ids
    except _NotPlain:
        writer.abandon()
        return None
    if collector is None or rows == 0:  # an empty file, or nothing accepted: the whole read says why
        writer.abandon()
        return None
    whole = IngestReport(report.source, read=report.read, encoding=report.encoding, columns=report.columns,
                         delimiter=report.delimiter, ignored_columns=report.ignored_columns,
                         blank_rows=report.blank_rows)
    for problem in [*ingest, *births, *events, *excel, *shared]:
        whole.add(problem.row, problem.column, problem.value, problem.reason, fatal=problem.fatal)
    writer.close(whole, today=today, source=whole.source, source_sha256=source_sha256)
    return whole, rows
