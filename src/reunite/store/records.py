"""Cases and candidates: checking rows, hashing their content, and upserting them by id."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring
from typing import Any, get_args

from sqlalchemy import Connection, Table, bindparam, select, update

from reunite._typing import Side
from reunite.errors import InputError
from reunite.ingest.table import CANDIDATE_COLUMNS, CASE_COLUMNS, fold_id
from reunite.store.db import bulk_insert
from reunite.store.dna import chunks
from reunite.store.models import Candidate, Case

__all__ = [
    "COLUMNS", "MODELS", "UpsertResult", "check_side", "content_hash", "current", "inputs_hash", "mark_read",
    "prepare_rows", "upsert_rows", "write_normalized",
]

MODELS: dict[str, Table] = {"cases": Case, "candidates": Candidate}
COLUMNS: dict[str, tuple[str, ...]] = {"cases": CASE_COLUMNS, "candidates": CANDIDATE_COLUMNS}


@dataclass(frozen=True, slots=True)
class UpsertResult:
    """What an upsert did: ids inserted, ids whose content changed, rows left alone."""

    new_ids: list[str]
    changed_ids: list[str]
    unchanged: int


def content_hash(values: Sequence[str]) -> str:
    """SHA-256 of a row's canonical values in column order (JSON, so no separator can collide):
    the text of ``json.dumps(values, ensure_ascii=False)``, built without the encoder's per-call
    overhead (a night hashes every row it stores).

    >>> content_hash(["C1", "王芳"]) == content_hash(["C1", "王芳"]) != content_hash(["C1", "王 芳"])
    True
    >>> row = ["P1", '王"芳' + chr(92), chr(0) + " " + chr(0x2028), "😀", ""]
    >>> content_hash(row) == hashlib.sha256(json.dumps(row, ensure_ascii=False).encode("utf-8")).hexdigest()
    True
    """
    return hashlib.sha256(("[" + ", ".join(map(encode_basestring, values)) + "]").encode("utf-8")).hexdigest()


def inputs_hash(inputs: Mapping[str, Any]) -> str:
    """SHA-256 of a JSON-able mapping, keys sorted.

    >>> inputs_hash({"b": 1, "a": 2}) == inputs_hash({"a": 2, "b": 1})
    True
    """
    text = json.dumps(inputs, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_side(side: str) -> Side:
    """Check a side name.

    >>> check_side("people")
    Traceback (most recent call last):
    ...
    reunite.errors.InputError: side: expected 'cases' or 'candidates', got 'people'
    """
    if side not in get_args(Side):
        raise InputError(f"side: expected 'cases' or 'candidates', got {side!r}")
    return "cases" if side == "cases" else "candidates"


def prepare_rows(side: Side, rows: Sequence[Mapping[str, str]]) -> dict[str, dict[str, Any]]:
    """Check rows and add their content hash; keyed by id, in input order."""
    columns = COLUMNS[side]
    id_col = columns[0]
    allowed = set(columns)
    prepared: dict[str, dict[str, Any]] = {}
    for index, row in enumerate(rows):
        unknown = set(row) - allowed
        if unknown:
            raise InputError(f"{side} row {index}: unexpected column(s) {', '.join(map(repr, sorted(unknown)))}; "
                             f"expected some of {', '.join(columns)}")
        values = [row.get(c, "") for c in columns]
        bad = [c for c, v in zip(columns, values, strict=True) if not isinstance(v, str)]
        if bad:
            raise InputError(f"{side} row {index}: column {bad[0]!r} expected text, "
                             f"got {type(row[bad[0]]).__name__}")
        # as every reader reads an id (ＰＡ００１２３ is PA00123): a stored key the readers do not give back
        # would never be found again
        key = values[0] = fold_id(values[0])
        if not key:
            raise InputError(f"{side} row {index}: column {id_col!r} expected an id, got ''")
        if key in prepared:
            raise InputError(f"{side} row {index}: {id_col} {key!r} repeated in one upsert")
        record: dict[str, Any] = dict(zip(columns, values, strict=True))
        record["content_hash"] = content_hash(values)
        prepared[key] = record
    return prepared


def upsert_rows(
    connection: Connection, side: Side, prepared: Mapping[str, Mapping[str, Any]], run_id: int | None,
    calendar: Mapping[str, bool] | None = None,
) -> UpsertResult:
    """Insert new and update changed rows inside ``connection``'s transaction. A candidate row written
    gets its mark in ``calendar`` (person id -> mark; not there: unknown) in the same statement:
    :func:`mark_read` then leaves it (a night wrote each of its rows twice)."""
    model = MODELS[side]
    id_attr = model.c[COLUMNS[side][0]]
    stored: dict[str, str] = {}
    removed: set[str] = set()  # rows removed by an earlier run: they come back as new rows
    for part in chunks(list(prepared)):
        found = connection.execute(select(id_attr, model.c.content_hash, model.c.removed_run).where(id_attr.in_(part)))
        for key, digest, removed_run in found:
            stored[str(key)] = str(digest)
            if removed_run is not None:
                removed.add(str(key))
    new = [k for k in prepared if k not in stored or k in removed]
    changed = [k for k in prepared if k in stored and k not in removed and stored[k] != prepared[k]["content_hash"]]
    marks = calendar or {}
    # a candidate's calendar mark: this run's, or unknown (the old row's may not hold for the new one)
    mark: Callable[[str], dict[str, Any]] = (lambda k: {}) if side == "cases" else (
        lambda k: {"calendar": marks.get(k)})
    bulk_insert(connection, model, [{**prepared[k], "first_seen_run": run_id, "updated_run": run_id,
                                            **mark(k)} for k in new if k not in removed])
    again = [k for k in new if k in removed]
    if changed or again:  # Core executemany by id (the id itself is not SET): no ORM bookkeeping
        table, id_col = model, COLUMNS[side][0]
        statement = update(table).where(table.c[id_col] == bindparam("_id"))
        # what was the old row's: a case's normalized record
        cleared = {"normalized": None, "normalized_with": None} if side == "cases" else {}
        connection.execute(statement, [
            {**{c: v for c, v in prepared[k].items() if c != id_col}, "_id": k, "updated_run": run_id,
             "removed_run": None, **cleared, **mark(k)}
            for k in [*changed, *again]])
    return UpsertResult(new, changed, len(prepared) - len(new) - len(changed))


def current(model: Table) -> Any:
    """The condition of a row that is part of the data: not removed (revision 0009)."""
    return model.c.removed_run.is_(None)


def write_normalized(connection: Connection, texts: Mapping[str, str], fingerprint: str) -> None:
    """Inside ``connection``'s transaction: keep each case's normalized record (case id -> text)."""
    if texts:
        table = Case
        statement = update(table).where(table.c.case_id == bindparam("_id"))
        connection.execute(statement, [{"_id": c, "normalized": t, "normalized_with": fingerprint}
                                                 for c, t in texts.items()])


def mark_read(connection: Connection, run_id: int, calendar: Mapping[str, bool], scored: Mapping[Side, Collection[str]],
              written: Collection[str] = ()) -> None:
    """Inside ``connection``'s transaction: each candidate's ``calendar`` mark (person id -> whether it
    may read differently on a later day) but those of the rows :func:`upsert_rows` has ``written``
    with theirs, and ``updated_run`` of the rows a run screened that ``Store.upsert`` had written
    outside a run (side -> ids)."""
    people = Candidate
    for mark in (False, True):  # a store upgraded to revision 0010 marks every candidate once: by the chunk
        for part in chunks(sorted(key for key, value in calendar.items() if value is mark and key not in written)):
            connection.execute(update(people).where(people.c.person_id.in_(part)).values(calendar=mark))
    for side, ids in scored.items():
        table, id_col = MODELS[side], COLUMNS[side][0]
        for part in chunks(sorted(ids)):
            connection.execute(update(table).where(table.c[id_col].in_(part)).values(updated_run=run_id))
