"""What a report shows, gathered from a screen's arrays or from a RANKED.csv and its inputs.

(The store's current top-k is gathered in :mod:`reunite.stored_report`, above the store.)
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from reunite._typing import F32, I8, Side
from reunite.errors import InputError, MissingColumnsError
from reunite.i18n import RANKED_HEADERS
from reunite.ingest import RawTable, check_mapping_used, decode_text, read_table
from reunite.ingest._safe import restore_cell
from reunite.ingest.table import CANDIDATE_COLUMNS, CASE_COLUMNS
from reunite.matching.comparisons import REGISTRY
from reunite.normalize import RecordTable
from reunite.normalize.stored import is_prepared, read_prepared_raw
from reunite.report.data import CaseView, FieldWeight, RankedCandidate, ReportData, parse_reasons
from reunite.report.html import province_of

__all__ = ["case_views", "changed_cases", "read_ranked", "records_of", "report_from_columns", "report_from_ranked"]

RecordSource = RecordTable | RawTable | pd.DataFrame | str | os.PathLike[str]
_SEX = {1: "M", 2: "F"}


def _read_source(source: RecordSource, side: str, mapping: Mapping[str, str] | None) -> RecordTable | RawTable:
    """A source as a table: a table as given, a file or DataFrame read (``mapping`` applied)."""
    if isinstance(source, RecordTable | RawTable):
        return source
    which: Side = "cases" if side == "cases" else "candidates"
    if isinstance(source, str | os.PathLike) and is_prepared(source):  # reunite prepare's table keeps the text
        return read_prepared_raw(source, which)
    return read_table(source, which, mapping=mapping)


def records_of(source: RecordSource, side: str, wanted: Iterable[str] | None = None,
               mapping: Mapping[str, str] | None = None) -> dict[str, dict[str, str]]:
    """Each record's cells (canonical column -> text as written) by id, for the ids ``wanted`` (all by default).

    A :class:`RecordTable` no longer holds every cell: it gives what normalize kept (names, sex, birth
    date as written, region as resolved, ID number).
    """
    keep = None if wanted is None else set(wanted)
    raw = _read_source(source, side, mapping)
    if isinstance(raw, RecordTable):
        return _records_of_table(raw, keep)
    columns = CASE_COLUMNS if raw.side == "cases" else CANDIDATE_COLUMNS
    found: dict[str, dict[str, str]] = {}
    for i, record_id in enumerate(raw.ids):
        if keep is None or record_id in keep:
            found[record_id] = {c: raw.columns[c][i] for c in columns if c in raw.columns}
    return found


def _records_of_table(table: RecordTable, keep: set[str] | None) -> dict[str, dict[str, str]]:
    names: dict[int, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    wanted_rows = [i for i, v in enumerate(table.ids.tolist()) if keep is None or v in keep]
    wanted_set = set(wanted_rows)
    for record, kind, surname, given in zip(table.names.record.tolist(), table.names.kind.tolist(),
                                            table.names.surname.tolist(), table.names.given.tolist(), strict=True):
        if record in wanted_set and kind in (1, 2):
            names[record][kind].append(f"{surname}{given}")
    found = {}
    for i in wanted_rows:
        record = {
            "name": str(table.display_name[i]),
            "sex": _SEX.get(int(table.sex[i]), ""),
            "birth_date": str(table.display_birth[i]),
        }
        if table.side == "cases":
            record["alias"] = ";".join(names[i][1])
            record["missing_region"] = str(table.display_region[i])
        else:
            record["former_names"] = ";".join(names[i][2])
            record["region"] = str(table.display_region[i])
            record["id_number"] = str(table.id_number[i])
        found[str(table.ids[i])] = record
    return found


def _weights(comparisons: Sequence[str], levels: I8, contributions: F32, row: int) -> tuple[FieldWeight, ...]:
    found = []
    for k, name in enumerate(comparisons):
        level = int(levels[k, row])
        if level >= 0:
            found.append(FieldWeight(name, level, float(contributions[k, row]), REGISTRY[name].labels[level]))
    found.sort(key=lambda w: -abs(w.weight))
    return tuple(found)


def case_views(
    rows: Sequence[dict[str, Any]], case_records: Mapping[str, Mapping[str, str]],
    person_records: Mapping[str, Mapping[str, str]], case_ids: Sequence[str], changed: set[str],
    case_probability: Mapping[str, float],
) -> tuple[CaseView, ...]:
    per_case: dict[str, list[RankedCandidate]] = defaultdict(list)
    for row in rows:
        per_case[row["case_id"]].append(RankedCandidate(
            person_id=row["person_id"], rank=int(row["rank"]), score=float(row["score"]),
            probability=float(row["probability"]), weights=row["weights"],
            record=person_records.get(row["person_id"], {}), dna=row.get("dna", ""),
        ))
    views = []
    for case_id in case_ids:
        record = case_records.get(case_id, {})
        views.append(CaseView(
            case_id=case_id, record=record, region=province_of(record.get("missing_region", "")),
            case_probability=case_probability.get(case_id, 0.0),
            candidates=tuple(sorted(per_case.get(case_id, []), key=lambda c: c.rank)), changed=case_id in changed,
        ))
    return tuple(views)


def report_from_columns(
    columns: Mapping[str, npt.NDArray[Any]], cases: RecordTable, candidates: RecordTable,
    comparisons: Sequence[str], levels: I8, contributions: F32, pairs_compared: int, *,
    case_source: RecordSource | None = None, candidate_source: RecordSource | None = None,
    previous: str | os.PathLike[str] | None = None, title: str | None = None,
    mapping: Mapping[str, str] | None = None,
) -> ReportData:
    """A screen's report data: its ranked rows (the arrays of ``ScreenResult.columns``) and weights.

    ``case_source``/``candidate_source``: the screened inputs, for the records' full text;
    ``previous``: an earlier RANKED.csv, whose top-k each case's is compared with.
    """
    case_ids = [str(v) for v in np.asarray(columns["case_id"]).tolist()]
    person_ids = [str(v) for v in np.asarray(columns["person_id"]).tolist()]
    rows = [{
        "case_id": c, "person_id": p, "rank": r, "score": s, "probability": pr,
        "weights": _weights(comparisons, levels, contributions, i),
    } for i, (c, p, r, s, pr) in enumerate(zip(
        case_ids, person_ids, np.asarray(columns["rank"]).tolist(), np.asarray(columns["score"]).tolist(),
        np.asarray(columns["probability"]).tolist(), strict=True))]
    case_probability = dict(zip(case_ids, np.asarray(columns["case_probability"]).tolist(), strict=True))
    all_cases = [str(v) for v in cases.ids.tolist()]
    case_records = records_of(case_source if case_source is not None else cases, "cases", mapping=mapping)
    person_records = records_of(candidate_source if candidate_source is not None else candidates, "candidates",
                                set(person_ids), mapping=mapping)
    changed = changed_cases(_topk_of(rows), read_ranked(previous)) if previous is not None else set()
    return ReportData(
        title=title or "", source=f"{cases.report.source} × {candidates.report.source}",
        cases_screened=len(cases), pairs_compared=pairs_compared,
        cases=case_views(rows, case_records, person_records, all_cases, changed, case_probability),
        changed_known=previous is not None,
    )


def _topk_of(rows: Iterable[Mapping[str, Any]]) -> dict[str, tuple[str, ...]]:
    found: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for row in rows:
        found[str(row["case_id"])].append((int(row["rank"]), str(row["person_id"])))
    return {case: tuple(p for _, p in sorted(ranked)) for case, ranked in found.items()}


def changed_cases(current: Mapping[str, Sequence[str]], previous: Sequence[Mapping[str, Any]]) -> set[str]:
    """Cases whose ranked persons (in order) differ from ``previous`` rows (a case absent from either counts).

    >>> changed_cases({"C1": ("P1", "P2"), "C2": ("P3",)},
    ...               [{"case_id": "C1", "rank": "1", "person_id": "P1"}, {"case_id": "C1", "rank": "2",
    ...                 "person_id": "P2"}, {"case_id": "C2", "rank": "1", "person_id": "P4"}])
    {'C2'}
    """
    before = _topk_of(previous)
    return {case for case in set(current) | set(before) if tuple(current.get(case, ())) != before.get(case, ())}


def read_ranked(path: str | os.PathLike[str]) -> list[dict[str, str]]:
    """The rows of a RANKED.csv (English or Chinese headers) as dicts of the English column names."""
    source = Path(path)
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise InputError(f"{source}: cannot read it ({exc.strerror})") from exc
    text, _ = decode_text(data, source=str(source))
    reader = csv.reader(io.StringIO(text, newline=""))  # the csv module reads \r, \n and \r\n itself
    try:
        return _ranked_rows(source, reader)
    except csv.Error as exc:
        raise InputError(f"{source}: not a readable CSV file at line {reader.line_num} ({exc})") from exc


def _ranked_rows(source: Path, reader: Iterator[list[str]]) -> list[dict[str, str]]:
    header = next(reader, [])
    english = {v: k for lang in RANKED_HEADERS.values() for k, v in lang.items()}
    names = [english.get(h.strip(), h.strip()) for h in header]
    missing = {"case_id", "rank", "person_id", "score"} - set(names)
    if missing:
        raise MissingColumnsError(f"{source}: not a RANKED.csv: missing column(s) {', '.join(sorted(missing))}; "
                                  f"found {', '.join(repr(h) for h in header) or 'no header'}")
    rows = []
    for number, cells in enumerate(reader, start=2):
        if not cells:
            continue
        if len(cells) != len(names):
            raise InputError(f"{source} row {number}: expected {len(names)} cells, got {len(cells)}")
        # ids written as text for Excel ('=1+2, '+P1) are the ids again
        row = {name: cell.lstrip("'") if name in ("reasons", "name") else restore_cell(cell)
               for name, cell in zip(names, cells, strict=True)}
        _check_ranked_row(row, source, number)
        rows.append(row)
    return rows


def _check_ranked_row(row: Mapping[str, str], source: Path, number: int) -> None:
    """One clear error for a hand-edited RANKED.csv: a rank that is not a whole number >= 1, a score that
    is not a finite number, a probability outside [0, 1] (an empty probability is allowed: not known)."""
    rank = row["rank"].strip()
    if not (rank.isascii() and rank.isdigit() and int(rank) >= 1):
        raise InputError(f"{source} row {number}: column 'rank': expected a whole number >= 1, got {rank!r}")
    score = _number(row, "score", source, number)
    if not math.isfinite(score):
        raise InputError(f"{source} row {number}: column 'score': expected a finite number, got {row['score']!r}")
    for column in ("probability", "case_probability"):
        if row.get(column, "").strip():
            value = _number(row, column, source, number)
            if not 0.0 <= value <= 1.0:  # also NaN
                raise InputError(f"{source} row {number}: column {column!r}: expected a probability from 0 "
                                 f"to 1, got {row[column]!r}")


def _number(row: Mapping[str, str], column: str, source: Path, number: int, default: float | None = None) -> float:
    value = row.get(column, "")
    if value == "" and default is not None:
        return default
    try:
        return float(value)
    except ValueError:
        raise InputError(f"{source} row {number}: column {column!r}: expected a number, got {value!r}") from None


def report_from_ranked(
    ranked: str | os.PathLike[str], cases: RecordSource, candidates: RecordSource, *,
    previous: str | os.PathLike[str] | None = None, mapping: Mapping[str, str] | None = None,
    title: str | None = None,
) -> ReportData:
    """Report data from a RANKED.csv (as ``reunite screen`` writes it, in either language) and the
    cases and candidates it was screened from. The field weights are read back from the reasons.
    """
    source = Path(ranked)
    found = read_ranked(source)
    rows = []
    case_probability: dict[str, float] = {}
    for number, row in enumerate(found, start=2):
        probability = _number(row, "probability", source, number, 0.0)
        rows.append({"case_id": row["case_id"], "person_id": row["person_id"],
                     "rank": int(_number(row, "rank", source, number)),
                     "score": _number(row, "score", source, number), "probability": probability,
                     "weights": parse_reasons(row.get("reasons", ""))})
        case_probability[row["case_id"]] = _number(row, "case_probability", source, number, 0.0)
    case_table, person_table = _read_source(cases, "cases", mapping), _read_source(candidates, "candidates", mapping)
    # as screen does: a mapping entry that maps nothing (a misspelt header) is refused, not passed over
    check_mapping_used(mapping, [("cases", case_table.report), ("candidates", person_table.report)])
    case_records = records_of(case_table, "cases")
    person_records = records_of(person_table, "candidates", {str(r["person_id"]) for r in rows})
    case_ids = list(case_records) or sorted(case_probability)
    pairs: dict[str, int] = {}
    for row in found:
        if (compared := row.get("pairs_compared", "")).isascii() and compared.isdigit():  # int() reads no '²'
            pairs[row["case_id"]] = int(row["pairs_compared"])
    changed = changed_cases(_topk_of(rows), read_ranked(previous)) if previous is not None else set()
    return ReportData(
        title=title or "", source=str(source), cases_screened=len(case_ids),
        pairs_compared=sum(pairs.values()) if pairs else None,
        cases=case_views(rows, case_records, person_records, case_ids, changed, case_probability),
        changed_known=previous is not None,
    )
