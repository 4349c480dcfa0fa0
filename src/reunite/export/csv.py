"""CSV files that Excel and WPS open safely: UTF-8 with BOM, formulas neutralised, IDs masked.

Text cells that begin with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return get a leading
apostrophe (:func:`reunite.ingest._safe.neutralise_cell`), so a hostile or unlucky value such as
``=cmd|' /C calc'!A0`` shows as text instead of running. Python numbers (``int``, ``float``) are
written as numbers: they cannot carry a formula, and a negative score must stay a number.
"""

from __future__ import annotations

import csv
import re
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol, cast

from reunite.export.files import atomic_output, csv_headed
from reunite.ingest import IngestReport
from reunite.ingest._safe import mask_id, mask_id_numbers, neutralise_cell

__all__ = ["PLAN_FILE", "QUARANTINE_HEADER", "PlanCaseLike", "PlanRowLike", "RegionSummaryLike",
           "replace_quarantine", "set_aside_quarantine", "write_csv", "write_csv_columns", "write_plan_csv",
           "write_quarantine", "write_region_summary_csv"]

PLAN_HEADER: tuple[str, ...] = (
    "province", "county", "region", "person_id", "name", "sex", "birth_date", "id_number", "action",
    "priority", "case_count", "cases",
)
# what plan --out may replace: an earlier plan (visit sheets: reunite_html), by the columns every version wrote
PLAN_FILE = csv_headed("a sampling plan", [PLAN_HEADER[:4]])


class PlanCaseLike(Protocol):
    @property
    def case_id(self) -> str: ...
    @property
    def rank(self) -> int: ...
    @property
    def probability(self) -> float: ...


class PlanRowLike(Protocol):
    """What :func:`write_plan_csv` reads from a plan row (``reunite.store.plan.PlanRow``)."""

    @property
    def province(self) -> str: ...
    @property
    def county(self) -> str: ...
    @property
    def region(self) -> str: ...
    @property
    def person_id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def sex(self) -> str: ...
    @property
    def birth_date(self) -> str: ...
    @property
    def id_number(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def priority(self) -> float: ...
    @property
    def cases(self) -> Sequence[PlanCaseLike]: ...


class RegionSummaryLike(Protocol):
    @property
    def province(self) -> str: ...
    @property
    def county(self) -> str: ...
    @property
    def persons(self) -> int: ...
    @property
    def cases(self) -> int: ...
    @property
    def samples_to_collect(self) -> int: ...


def _cell(value: object, reveal_ids: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    return neutralise_cell(text if reveal_ids else mask_id_numbers(text))


def write_csv(
    path: str | Path, header: Sequence[str], rows: Iterable[Sequence[object]], *, bom: bool = True,
    reveal_ids: bool = False,
) -> Path:
    """Write a spreadsheet-safe CSV: UTF-8 (with BOM for Excel/WPS unless ``bom=False``).

    The file is written beside ``path`` and renamed into place when complete
    (:func:`reunite.export.files.atomic_output`). Unless ``reveal_ids``, every text cell has its
    resident-ID-shaped numbers masked (a ``person_id`` may be the ID number itself).

    Parameters
    ----------
    path:
        The file to write (overwritten).
    header:
        Column names (neutralised like any text cell).
    rows:
        Sequences of cells: text is neutralised, numbers written as numbers, ``None`` as empty.
    reveal_ids:
        Write ID numbers in text cells as they are.

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import tempfile, os
    >>> out = write_csv(os.path.join(tempfile.mkdtemp(), "x.csv"), ["name", "score"],
    ...                 [["=1+1", -0.8]])
    >>> out.read_bytes().decode("utf-8")
    "\\ufeffname,score\\r\\n'=1+1,-0.8\\r\\n"
    """
    out = Path(path)
    with atomic_output(out) as tmp, tmp.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([_cell(h, reveal_ids) for h in header])
        for row in rows:
            writer.writerow([_cell(v, reveal_ids) for v in row])
    return out


# csv.writer's default (excel) dialect quotes a field holding the delimiter, the quote or a line break
_NEEDS_QUOTES = re.compile('[,"\r\n]')
_ROWS_PER_WRITE = 20_000


def _field(text: str) -> str:
    """``text`` as csv.writer's default dialect writes it in a row of several fields."""
    return '"' + text.replace('"', '""') + '"' if _NEEDS_QUOTES.search(text) else text


def _column_fields(values: Sequence[object], reveal_ids: bool) -> list[str]:
    """Each value's field, as :func:`write_csv` writes it: text cells made once per distinct value,
    numbers by ``str`` (which gives no character to quote)."""
    kinds = set(map(type, values))
    if kinds <= {str}:  # _cell of a str, once per distinct value
        distinct = cast(list[str], list(dict.fromkeys(values)))
        masked: Iterable[str] = distinct if reveal_ids else map(mask_id_numbers, distinct)
        texts = map(neutralise_cell, masked)
        fields: dict[object, str] = dict(zip(distinct, map(_field, texts), strict=True))
        return list(map(fields.__getitem__, values))
    if kinds <= {int, float}:  # not bool: its type is not int
        return list(map(str, values))
    return [_field(_cell(value, reveal_ids)) for value in values]


def write_csv_columns(
    path: str | Path, header: Sequence[str], columns: Sequence[Sequence[object]], *, bom: bool = True,
    reveal_ids: bool = False,
) -> Path:
    """:func:`write_csv` of the rows ``zip(*columns)``: the same bytes, written a column at a time
    (each distinct text cell neutralised and masked once; RANKED.csv's 100,000 rows in a fraction of
    the time). The columns must be of one length.

    >>> import tempfile, os
    >>> out = write_csv_columns(os.path.join(tempfile.mkdtemp(), "x.csv"), ["name", "score"],
    ...                         [["=1+1", 'say "hi", bye'], [-0.8, 2]])
    >>> out.read_bytes().decode("utf-8")
    '\\ufeffname,score\\r\\n\\'=1+1,-0.8\\r\\n"say ""hi"", bye",2\\r\\n'
    """
    lengths = {len(column) for column in columns}
    if len(lengths) > 1:
        raise ValueError(f"write_csv_columns: columns of different lengths {sorted(lengths)} for {path}")
    if len(header) != len(columns) or len(columns) < 2:  # csv.writer writes a lone empty field as ""
        return write_csv(path, header, zip(*columns, strict=True), bom=bom, reveal_ids=reveal_ids)
    out = Path(path)
    fields = [_column_fields(column, reveal_ids) for column in columns]
    n_rows = lengths.pop()
    with atomic_output(out) as tmp, tmp.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        handle.write(",".join(_field(_cell(h, reveal_ids)) for h in header) + "\r\n")
        for start in range(0, n_rows, _ROWS_PER_WRITE):
            rows = zip(*(f[start:start + _ROWS_PER_WRITE] for f in fields), strict=True)
            handle.write("".join([",".join(row) + "\r\n" for row in rows]))
    return out


QUARANTINE_HEADER: tuple[str, ...] = ("source", "row", "column", "value", "reason", "quarantined")


def _is_quarantine_of(path: Path, source: str | None) -> bool:
    """Whether ``path`` is a quarantine file written for the input ``source`` (its header is the
    quarantine header and every row names ``source``); any other file is not. ``None``: any regular
    file with something in it (one that is about to be replaced)."""
    if source is None:
        return path.is_file() and path.stat().st_size > 0
    try:
        with path.open("r", encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError, csv.Error):
        return False
    return bool(rows) and tuple(rows[0]) == QUARANTINE_HEADER and all(row[:1] == [source] for row in rows[1:])


def set_aside_quarantine(path: str | Path, source: str | None) -> Path | None:
    """Rename ``path``, when it is a quarantine file an earlier run wrote for the input ``source``
    (``None``: any file, as this run's file is to replace it), to a name dated by its last change
    (``cases.quarantine.20261207-231433.csv``), and return that name.

    This run's quarantine file goes to ``path``: an earlier one left there would read as this run's
    problems, and removing or overwriting it lost the only list of the rows that run did not store (a
    night's input file is replaced by the next night's). Any other file (another input's with the same
    name stem, a file of one's own) is left alone (``None``).

    >>> import tempfile, os
    >>> report = IngestReport("cases.csv")
    >>> report.read = 1
    >>> report.add(2, "case_id", "", "missing case_id")
    >>> old = write_quarantine(report, os.path.join(tempfile.mkdtemp(), "cases.quarantine.csv"))
    >>> set_aside_quarantine(old, "cases.xlsx") is None, os.path.exists(old)
    (True, True)
    >>> kept = set_aside_quarantine(old, "cases.csv")
    >>> os.path.exists(old), kept.read_bytes() == write_quarantine(report, old).read_bytes()
    (False, True)
    """
    target = Path(path)
    if not _is_quarantine_of(target, source):
        return None
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(target.stat().st_mtime))
    kept = target.with_name(f"{target.stem}.{stamp}{target.suffix}")
    number = 1
    while kept.exists():
        number += 1
        kept = target.with_name(f"{target.stem}.{stamp}-{number}{target.suffix}")
    target.rename(kept)
    return kept


def replace_quarantine(report: IngestReport, path: str | Path, *,
                       reveal_ids: bool = False) -> tuple[Path | None, Path | None]:
    """Write ``report``'s quarantine file at ``path`` when it has problems, keeping a quarantine file
    an earlier run of the same input left there (:func:`set_aside_quarantine`). Returns the file
    written (``None``: nothing to write) and the earlier file's new name (``None``: there was none,
    or it held exactly what this run wrote, so nothing is lost by replacing it).

    >>> import tempfile, os
    >>> report = IngestReport("cases.csv")
    >>> report.read = 1
    >>> report.add(2, "case_id", "", "missing case_id")
    >>> folder = tempfile.mkdtemp()
    >>> written, kept = replace_quarantine(report, os.path.join(folder, "cases.quarantine.csv"))
    >>> replace_quarantine(report, written)[1] is None  # the same run again: one file
    True
    >>> written, kept = replace_quarantine(IngestReport("cases.csv"), written)  # a clean run
    >>> written is None, sorted(os.listdir(folder)) == [kept.name]
    (True, True)
    """
    if not report.problems:  # another input's file there (gone.csv's beside gone.xlsx) is left as it is
        return None, set_aside_quarantine(path, report.source)
    kept = set_aside_quarantine(path, None)  # to be replaced: kept, whichever input's (or whose) it was
    written = write_quarantine(report, path, reveal_ids=reveal_ids)
    if kept is not None and kept.read_bytes() == written.read_bytes():
        kept.unlink()
        kept = None
    return written, kept


def write_quarantine(report: IngestReport, path: str | Path, *, reveal_ids: bool = False) -> Path:
    """Write every problem of an ingest report as CSV (source, row, column, value, reason, quarantined).

    Fatal problems quarantined their row; the others are flags on kept rows. Values are masked like
    any text cell unless ``reveal_ids`` (the value of a row with the wrong number of cells is the
    raw row, ID number and all).
    """
    rows = ([p.source, p.row, p.column, p.value, p.reason, "yes" if p.fatal else "no (flag)"]
            for p in report.problems)
    return write_csv(path, QUARANTINE_HEADER, rows, reveal_ids=reveal_ids)


def _cases_cell(cases: Sequence[PlanCaseLike]) -> str:
    return "; ".join(f"{c.case_id} #{c.rank} p={c.probability:.3f}" for c in cases)


def write_plan_csv(path: str | Path, plan: Iterable[PlanRowLike], *, reveal_ids: bool = False) -> Path:
    """Write a sampling plan, one row per person; ID numbers masked unless ``reveal_ids``.

    The ``cases`` column lists ``case #rank p=probability`` for every case the person is high for.
    """
    rows = (
        [r.province, r.county, r.region, r.person_id, r.name, r.sex, r.birth_date,
         r.id_number if reveal_ids else mask_id(r.id_number), r.action, round(r.priority, 4),
         len(r.cases), _cases_cell(r.cases)]
        for r in plan
    )
    return write_csv(path, PLAN_HEADER, rows, reveal_ids=reveal_ids)


def write_region_summary_csv(path: str | Path, summary: Iterable[RegionSummaryLike]) -> Path:
    """Write the per-region summary of a plan (persons, cases, samples to collect)."""
    return write_csv(
        path, ("province", "county", "persons", "cases", "samples_to_collect"),
        ([s.province, s.county, s.persons, s.cases, s.samples_to_collect] for s in summary),
    )
