"""The nightly re-screen: store what changed, score only what must be scored, merge the top-k.

A **full** re-screen fits the model on the data (u from random pairs seeded by ``seed``, term
frequencies from every stored candidate, m learned from them: :func:`reunite.pipeline.fit_model`), stores that
*fitted model*, and screens every open case against every candidate. It runs when the store has no
fitted model yet, when the base model (the shipped one, or ``model=``) or the configuration (top-k,
blocking) differs from the one the stored fitted model came from, when the reader or normalizer
(:func:`reunite.stored_records.fingerprint`: their code, tables, pypinyin) differs from the one that
read the rows then (a stored row may read differently now, or not at all), or when asked (``full=True``).

An **incremental** re-screen scores with the stored fitted model as it is (``fit_to_data=False``),
so a pair's score depends only on the two records and that model, never on which other candidates
are screened. Every new or changed case (and every case whose DNA exclusions changed) is screened
against every candidate; every other open case against the new and changed candidates (their new
versions, and the changed ones' old versions as stored, to take their old terms out), and the
pairs are merged into its stored state by the pure functions of :mod:`reunite.merge`.

"Same model" means the same *fitted* model: its u and frequencies come from the candidates of the
last full run, not from today's. So the top-k of an incremental run equals that of a full
re-screen of the same data **with the stored fitted model** (``rescreen(..., full=True,
refit=False)``) -- case, rank, person and score -- and so do the probabilities, within the
rounding :mod:`reunite.merge` states (far below 1e-9). A full run that refits (the default) fits
new u and frequencies on the grown data and may score a little differently; that is what a
periodic ``--full`` is for.

The store keeps ``2 * top_k`` rows per case (ranks beyond ``top_k`` are a reserve, not a promise),
a bound (every candidate not stored ranks after it) and the totals the probabilities need; a case
left with fewer than ``top_k`` rows known to rank above its bound is screened in full.

Input rows are read and normalized exactly as :func:`reunite.pipeline.screen` reads them before
anything is stored: a row either quarantines (with its reason, in the ingest report; a stored row
with the same id stays as it was) or is stored and screened.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import hashlib
import os
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from reunite import merge, stored_records
from reunite._typing import Side
from reunite.errors import ConcurrentRunError, ConfigError, InputError, StoreError
from reunite.i18n import Language, text
from reunite.ingest import (
    IngestReport,
    RawTable,
    TableSource,
    check_fitting_options,
    fitting_options,
    read_table,
)
from reunite.ingest.table import CANDIDATE_COLUMNS, CASE_COLUMNS
from reunite.matching.model import FellegiSunter, default_model
from reunite.matching.shards import take_records
from reunite.matching.spec import BlockingSpec
from reunite.merge import CaseState
from reunite.normalize import RecordTable
from reunite.normalize.ids import mask_id
from reunite.normalize.stored import is_prepared, read_prepared_raw
from reunite.pipeline import ScreenResult, fit_model, load_side, screen
from reunite.run_config import DEFAULT_TOP_K
from reunite.store import Store
from reunite.store.fitted import Bound, StoredModel
from reunite.store.records import inputs_hash
from reunite.store.removals import (
    Removal,
    RemovalList,
    RemovalSource,
    decide_removals,
    decide_restores,
    read_removals,
)

__all__ = ["RescreenKind", "RescreenReport", "Verification", "config_hash", "rescreen", "verify"]

RescreenKind = Literal["full", "incremental", "nothing"]
_COLUMNS: dict[Side, tuple[str, ...]] = {"cases": CASE_COLUMNS, "candidates": CANDIDATE_COLUMNS}
BUFFER = 2  # rows stored per case, as a multiple of top-k: room for candidates that change or leave


@dataclass(frozen=True, slots=True)
class RescreenReport:
    """What a re-screen did.

    ``cases_screened_all`` were screened against every candidate, ``cases_screened_delta`` against
    the new and changed candidates only; ``cases_with_new_candidates`` counts open cases whose
    top-k now holds a person it did not hold before the run.
    """

    kind: RescreenKind
    reason: str
    run_id: int | None
    model_version: str
    top_k: int
    new_cases: int
    changed_cases: int
    new_candidates: int
    changed_candidates: int
    cases_screened_all: int
    cases_screened_delta: int
    pairs_compared: int
    cases_with_new_candidates: int
    ingest: tuple[IngestReport, ...]
    seconds: float
    removed_cases: int = 0
    removed_candidates: int = 0
    restored_cases: int = 0
    restored_candidates: int = 0

    def summary(self, lang: Language = "en") -> str:
        """A few lines a person reads (in ``lang``; the reason stays as the run recorded it)."""
        changes = text(lang, "rescreen_changes", new_cases=self.new_cases, changed_cases=self.changed_cases,
                       new_candidates=self.new_candidates, changed_candidates=self.changed_candidates)
        if self.removed_cases or self.removed_candidates:
            changes += text(lang, "rescreen_removed", cases=self.removed_cases, candidates=self.removed_candidates)
        if self.restored_cases or self.restored_candidates:
            changes += text(lang, "rescreen_restored", cases=self.restored_cases,
                            candidates=self.restored_candidates)
        if self.kind == "nothing":
            return text(lang, "rescreen_nothing", changes=changes, top_k=self.top_k, reason=self.reason)
        return "\n".join([
            text(lang, "rescreen_run", run=self.run_id, kind=text(lang, f"rescreen_kind_{self.kind}"),
                 reason=self.reason, model=self.model_version),
            changes,
            text(lang, "rescreen_screened", all=self.cases_screened_all, delta=self.cases_screened_delta,
                 pairs=self.pairs_compared),
            text(lang, "rescreen_new_in_top", n=self.cases_with_new_candidates, top_k=self.top_k),
            text(lang, "msg_done", seconds=self.seconds),
        ])


def config_hash(top_k: int, blocking: BlockingSpec, base_version: str) -> str:
    """Hash of what makes two runs' top-k comparable: top-k, blocking and the base model.

    >>> config_hash(20, BlockingSpec(), "abc") == config_hash(20, BlockingSpec(), "abc")
    True
    >>> config_hash(20, BlockingSpec(), "abc") == config_hash(10, BlockingSpec(), "abc")
    False
    """
    return inputs_hash({"top_k": top_k, "blocking": dataclasses.asdict(blocking), "base_model": base_version})


@dataclass(frozen=True, slots=True)
class _Input:
    """One side's input split against the store: its new and changed rows that normalize accepted."""

    side: Side
    rows: list[dict[str, str]]      # new and changed rows, canonical text
    new_ids: list[str]
    changed_ids: list[str]
    table: RecordTable | None       # the same rows, normalized (None when none came)
    facts: dict[str, Any]           # recorded on the run

    @property
    def ids(self) -> list[str]:
        return [*self.new_ids, *self.changed_ids]


def _read(source: TableSource | RawTable | None, side: Side, mapping: Mapping[str, str] | None,
          strict: bool, encoding: str | None = None, sheet: str | int | None = None) -> RawTable | None:
    if source is None:
        return None
    if isinstance(source, str | os.PathLike) and is_prepared(source):  # reunite prepare's table: its text
        return read_prepared_raw(source, side)
    if isinstance(source, RawTable):
        return source
    encoding, sheet = fitting_options(source, encoding, sheet)
    return read_table(source, side, mapping=mapping, strict=strict, encoding=encoding, sheet=sheet)


def _changed_rows(columns: Sequence[Sequence[str]], stored: Mapping[str, str]) -> list[int]:
    """Indices of the rows (``columns[0]`` holds the ids) that are not in ``stored`` (id -> content
    hash) as they are: :func:`reunite.store.records.content_hash` of each row, without the JSON
    encoder's per-call overhead (about 3x quicker; a night's extract hashes every row).

    >>> from reunite.store.records import content_hash
    >>> rows = [["P1", '王"芳' + chr(92), chr(0) + " " + chr(0x2028), "😀", ""], ["P2", "", "", "", ""]]
    >>> _changed_rows(list(zip(*rows)), {"P1": content_hash(rows[0]), "P2": content_hash(["P2"])})
    [1]
    """
    sha256, encode, join, get = hashlib.sha256, encode_basestring, ", ".join, stored.get
    return [index for index, values in enumerate(zip(*columns, strict=True))
            if get(values[0]) != sha256(("[" + join(map(encode, values)) + "]").encode("utf-8")).hexdigest()]


def _split(raw: RawTable | None, side: Side, store: Store, source: object, strict: bool) -> _Input:
    """The new and changed rows of an input, normalized as :func:`screen` normalizes them: rows
    normalize quarantines are in the input's report and left out (a stored row with their id stays)."""
    if raw is None:
        return _Input(side, [], [], [], None, {})
    raw = _with_stored_columns(raw, side, store)
    columns = _COLUMNS[side]
    # a night's delta: look its ids up; a whole extract: read every hash at once
    stored = store.content_hashes(side, raw.ids if len(raw) < 20_000 else None)
    picked = _changed_rows([raw.columns[c] for c in columns], stored)
    subset = RawTable(side, {c: [raw.columns[c][i] for i in picked] for c in columns},
                      raw.rows[np.asarray(picked, dtype=np.int64)], raw.report)
    table = load_side(subset, side, strict=strict)  # quarantines into raw.report, as screen does
    if side == "candidates":
        _flag_stored_duplicates(table, subset, store)
    accepted = set(table.ids.tolist())
    rows = [dict(zip(columns, values, strict=True)) for values in zip(*subset.columns.values(), strict=True)
            if values[0] in accepted]
    id_col = columns[0]
    new_ids = [r[id_col] for r in rows if r[id_col] not in stored]
    changed_ids = [r[id_col] for r in rows if r[id_col] in stored]
    _flag_removed_sent_again(new_ids, subset, store)
    facts: dict[str, Any] = {"source": raw.report.source, "read": raw.report.read,
                             "accepted": raw.report.accepted, "quarantined": raw.report.quarantined,
                             "new": len(new_ids), "changed": len(changed_ids)}
    if isinstance(source, str | Path) and Path(source).is_file():
        facts["sha256"] = hashlib.sha256(Path(source).read_bytes()).hexdigest()
    return _Input(side, rows, new_ids, changed_ids, table if len(table) else None, facts)


def _flag_removed_sent_again(new_ids: Sequence[str], raw: RawTable, store: Store) -> None:
    """Flag, in the input's report, each new row whose id an earlier run removed: it is stored again
    as a new row, and a whole extract that still lists a dead person would bring them back unseen."""
    if not new_ids or not store.count_removed(raw.side):  # (most stores remove nobody: no look-up)
        return
    back = {key: run for key, run in store.removal_state(raw.side, new_ids).items() if run is not None}
    if not back:
        return
    id_col = _COLUMNS[raw.side][0]
    for key, row in zip(raw.columns[id_col], raw.rows.tolist(), strict=True):
        if key in back:
            raw.report.add(int(row), id_col, key, f"removed by run {back[key]}, sent again: stored as a new row "
                           "(send it only if the removal was a mistake)", fatal=False)


def _with_stored_columns(raw: RawTable, side: Side, store: Store) -> RawTable:
    """``raw`` with the stored values of the columns its source does not have, for the ids the store
    holds: a file without a column (an extract of name, sex and birth date) says nothing about it,
    and its rows must not blank the stored ID numbers, regions or marks. A column that is there
    with empty cells does blank them."""
    columns = _COLUMNS[side]
    given = raw.report.columns
    absent = [c for c in columns[1:] if c not in given]
    if columns[0] not in given or not absent or not len(raw):
        return raw
    stored = {row[columns[0]]: row for row in store.read_rows(side, raw.ids)}
    if not stored:
        return raw
    filled = dict(raw.columns)
    for column in absent:
        filled[column] = [stored[key][column] if key in stored else value
                          for key, value in zip(raw.ids, raw.columns[column], strict=True)]
    return RawTable(raw.side, filled, raw.rows, raw.report)


def _flag_stored_duplicates(table: RecordTable, raw: RawTable, store: Store) -> None:
    """Flag, in the input's report, each accepted candidate whose valid resident ID number a stored
    person_id not in this input carries (``screen`` flags such a likely duplicate record within
    one file; normalize has flagged those within the input)."""
    valid = np.flatnonzero(table.id_valid)
    if not valid.size:
        return
    person_ids, numbers = table.ids[valid].tolist(), table.id_number[valid].tolist()
    cells = dict(zip(raw.columns["person_id"], raw.columns["id_number"], strict=True))
    rows = dict(zip(raw.columns["person_id"], raw.rows.tolist(), strict=True))
    stored = store.person_ids_by_id_number({*numbers, *(cells[p] for p in person_ids)})
    if not stored:
        return
    given = set(raw.columns["person_id"])  # their stored numbers are being replaced
    for person_id, number in zip(person_ids, numbers, strict=True):
        others = sorted({other for key in {number, cells[person_id]} for other in stored.get(key, ())
                         if other not in given})
        if others:
            more = f" (and {len(others) - 1} more)" if len(others) > 1 else ""
            raw.report.add(int(rows[person_id]), "id_number", mask_id(number),
                           f"likely duplicate record: same resident ID number as the stored person_id "
                           f"{others[0]!r}{more}, kept", fatal=False)


def _table(rows: Sequence[Mapping[str, str]], side: Side, label: str) -> RawTable:
    """Stored rows as a RawTable, through ingest again (rows written by ``Store.upsert`` directly
    were never checked; a bad one is reported and left out, not screened)."""
    frame = pd.DataFrame(list(rows), columns=list(_COLUMNS[side]), dtype=object)
    return read_table(frame, side, label=label)


def _overlay(stored: Sequence[dict[str, str]], given: _Input, keep: Collection[str] | None) -> list[dict[str, str]]:
    """Stored rows with the input's new and changed rows put over them (``keep``: only these ids)."""
    id_col = _COLUMNS[given.side][0]
    rows = {r[id_col]: r for r in stored}
    rows.update((r[id_col], r) for r in given.rows)
    return [r for key, r in sorted(rows.items()) if keep is None or key in keep]


def _with_restored(given: _Input, store: Store, ids: Sequence[str]) -> _Input:
    """``given`` with the removed rows ``ids`` as the store holds them, as new rows: a restored row
    is screened as a new one (it left every case's sums when it was removed)."""
    if not ids:
        return given
    rows = store.read_rows(given.side, ids, removed=True)
    table = load_side(_table(rows, given.side, f"restored {given.side}"), given.side)
    tables = [t for t in (given.table, table) if t is not None and len(t)]
    report = given.table.report if given.table is not None else table.report
    joined = (stored_records.concat(tables, report) if len(tables) > 1 else tables[0]) if tables else None
    accepted = set(table.ids.tolist())  # (a stored row passes ingest: Store.upsert checks what it can)
    id_col = _COLUMNS[given.side][0]
    back = [r for r in rows if r[id_col] in accepted]
    return _Input(given.side, [*given.rows, *back], [*given.new_ids, *(r[id_col] for r in back)],
                  given.changed_ids, joined, {**given.facts, "restored": len(back)})


@dataclass(frozen=True, slots=True)
class _Pairs:
    """Every scored pair of a screen (``score``, ``person``) per case, and the screen itself, which
    formats the reasons of the rows that are kept and knows each case's totals."""

    by_case: dict[str, list[Bound]]
    at: dict[tuple[str, str], int]   # (case, person) -> row of ``result``
    result: ScreenResult

    @property
    def pairs(self) -> int:
        return self.result.pairs_compared

    def reasons(self, keys: Collection[tuple[str, str]]) -> dict[tuple[str, str], str]:
        keys = [k for k in keys if k in self.at]
        rows = np.asarray([self.at[k] for k in keys], dtype=np.int64)
        return dict(zip(keys, self.result.reasons_of(rows) if keys else [], strict=True))

    def totals(self) -> dict[str, tuple[int, float]]:
        """``(pairs compared, rest)`` of each case with a row (a case without one compared none)."""
        columns = self.result.columns
        return {c: (int(n), float(r)) for c, n, r in zip(
            columns["case_id"].tolist(), columns["pairs_compared"].tolist(), columns["_case_rest"].tolist(),
            strict=True)}

    def deltas(self) -> dict[str, merge.Delta]:
        """Per case with a pair: its ranked rows, and its other pairs summed (:class:`merge.Delta`)."""
        return {c: merge.Delta(tuple(self.by_case[c]), rest, n) for c, (n, rest) in self.totals().items()}


@dataclass(frozen=True, slots=True)
class _DeltaPairs:
    """A night's delta screen of some cases against one side of the night's candidates, looked at
    twice: every case with its best few rows (``first``), and the cases those few do not settle
    again with their best ``2 * top_k`` (``second``; see :func:`_delta_side`)."""

    first: _Pairs
    second: _Pairs | None

    @property
    def pairs(self) -> int:
        """Pairs compared by both looks."""
        return self.first.pairs + (self.second.pairs if self.second is not None else 0)

    def deltas(self) -> dict[str, merge.Delta]:
        found = self.first.deltas()
        if self.second is not None:
            found.update(self.second.deltas())
        return found

    def reasons(self, keys: Collection[tuple[str, str]]) -> dict[tuple[str, str], str]:
        if self.second is None:
            return self.first.reasons(keys)
        again = self.second.by_case
        return {**self.first.reasons([k for k in keys if k[0] not in again]),
                **self.second.reasons([k for k in keys if k[0] in again])}


def _screen_pairs(cases: RawTable | RecordTable, candidates: RawTable | RecordTable, model: FellegiSunter,
                  blocking: BlockingSpec, exclude: Collection[tuple[str, str]], top_k: int,
                  progress: bool = False, prune: bool = True) -> _Pairs | None:
    """:func:`reunite.pipeline.screen` with the model's own u and frequencies, reasons left to
    format for the rows that are kept (``prune``: as ``screen`` takes it; the pairs are the same)."""
    if len(cases) == 0 or len(candidates) == 0:
        return None
    result = screen(cases, candidates, top_k=top_k, model=model, blocking=blocking, exclude=exclude,
                    fit_to_data=False, reasons=False, progress=progress, prune=prune)
    columns = result.columns
    by_case: dict[str, list[Bound]] = defaultdict(list)
    at: dict[tuple[str, str], int] = {}
    for index, (case_id, person_id, score) in enumerate(zip(
            columns["case_id"].tolist(), columns["person_id"].tolist(), columns["score"].tolist(), strict=True)):
        by_case[case_id].append((float(score), person_id))
        at[case_id, person_id] = index
    return _Pairs(dict(by_case), at, result)


def rescreen(
    store: Store | str,
    *,
    cases: TableSource | RawTable | None = None,
    candidates: TableSource | RawTable | None = None,
    top_k: int | None = None,
    full: bool = False,
    refit: bool = True,
    model: FellegiSunter | None = None,
    blocking: BlockingSpec | None = None,
    seed: int = 0,
    progress: bool = False,
    mapping: Mapping[str, str] | None = None,
    strict: bool = False,
    log: Callable[[str], None] | None = None,
    lang: Language = "en",
    encoding: str | None = None,
    sheet: str | int | None = None,
    remove_cases: RemovalSource | None = None,
    remove_candidates: RemovalSource | None = None,
    force_removals: bool = False,
    restore_cases: RemovalSource | None = None,
    restore_candidates: RemovalSource | None = None,
) -> RescreenReport:
    """Upsert new and changed cases and candidates, remove the ones listed, re-score what they
    affect, merge the top-k.

    Parameters
    ----------
    store:
        A :class:`Store` or a database URL (opened, upgraded, and closed again).
    cases, candidates:
        Inputs as :func:`reunite.ingest.read_table` reads them (a path, DataFrame, ...), then
        normalized as :func:`reunite.pipeline.screen` normalizes them; rows either step
        quarantines are reported in ``RescreenReport.ingest`` and never stored (a stored row
        with the same id stays). ``None``: no input on that side. Rows are compared with the
        stored ones by id and content: only new and changed rows count; ids absent from the
        input are kept as they are, and so are the stored values of a column the input does not
        have (a column of empty cells blanks them).
    top_k:
        Candidates kept per case; default: the store's (the last re-screen's), or
        :data:`reunite.run_config.DEFAULT_TOP_K` on a first run. A different value than the stored
        fitted model's forces a full run.
    full:
        Re-screen every open case against every candidate.
    refit:
        With a full run: fit u and frequencies anew on all stored candidates (default). ``False``
        keeps the stored fitted model (a full run that must give the incremental runs' top-k).
    model:
        The base model; default the shipped one. A different version forces a full run.
    blocking:
        Which pairs are compared; default :class:`BlockingSpec`. A change forces a full run.
    seed:
        Seeds the random pairs u is fitted from; recorded on the run.
    progress:
        Show progress bars on standard error.
    log:
        Called with what a person watching wants to read: the ingest summaries (after
        normalizing), then a line when the run has begun (the command line prints them).
    lang:
        The language of those lines (``"en"`` or ``"zh"``).
    encoding, sheet:
        The text encoding of the CSV inputs (default: detected) and the worksheet of the .xlsx
        inputs, as :func:`reunite.ingest.read_table` takes them (each applies to the inputs it fits).
    remove_cases, remove_candidates:
        Cases withdrawn and persons gone (dead, a register record deleted or merged into another):
        a CSV with a ``case_id`` (``person_id``) column and an optional ``reason``, or a list of
        ids (:func:`reunite.store.removals.read_removals`). Each removed row leaves every case's
        top-k, reserve and totals as if it had never been screened (a removed case leaves the
        plan and the export); the row stays stored, for the history and the DNA outcomes, and
        comes back as a new row when an input carries it again. Every row of a list is accounted
        for in ``RescreenReport.ingest`` (unknown, repeated, also in this run's input, or with a
        confirmed DNA outcome: quarantined, not removed) and every removal is in the audit log.
    force_removals:
        Also remove a case or person with a ``confirmed`` DNA outcome (flagged in the report).
    restore_cases, restore_candidates:
        The undo of a removal, in the same format: each listed row an earlier run removed is
        current again, as it was stored, and screened as a new one (the probabilities of every
        case it enters are those of a full run). Every row is accounted for in
        ``RescreenReport.ingest``: an unknown id, one that is not removed, or one also in this run's
        removal list is quarantined (not restored); one also in this run's input comes back with
        the input's values (flagged). Every restore is in the audit log.

    Returns
    -------
    RescreenReport
        ``kind`` is ``"nothing"`` (no run recorded, nothing written) when nothing came in that
        could change a top-k.

    Raises
    ------
    ConcurrentRunError
        Another re-screen holds the run lock (also when there is nothing to do: its run may still
        change the stored top-k).
    InputError, StoreError
        Bad input, or a database that refuses; the database is left as it was. ``store`` is the
        URL of a database that does not exist (or that reunite never wrote) and the run brings
        no cases: only a first run, which brings cases, makes one.

    Notes
    -----
    Everything a run writes (rows, fitted model, results, totals, the run's status) is committed
    in one transaction at the end; a run killed before leaves the database as it was, and the
    next run -- also one with nothing to do -- takes the dead process's lock over and marks its
    run failed. Closed cases are not screened; pairs DNA excluded are never proposed, and a case
    whose DNA exclusions changed is screened anew.

    Examples
    --------
    >>> import pandas as pd
    >>> cases = pd.DataFrame({"case_id": ["c1"], "name": ["王小红"], "sex": ["女"],
    ...                       "birth_date": ["1988年5月"]})
    >>> people = pd.DataFrame({"person_id": ["p1", "p2"], "name": ["李小红", "赵强"],
    ...                        "sex": ["F", "F"], "birth_date": ["1988-05-20", "1988-06-02"]})
    >>> store = Store.open("sqlite://")
    >>> rescreen(store, cases=cases, candidates=people, top_k=2).kind
    'full'
    >>> [(r.rank, r.person_id) for r in store.current_topk()]
    [(1, 'p1'), (2, 'p2')]
    >>> rescreen(store, cases=cases, candidates=people, top_k=2).kind
    'nothing'
    """
    if top_k is not None and top_k < 1:
        raise ConfigError(f"top_k: expected a whole number >= 1; got {top_k}")
    if isinstance(store, str):
        with Store.open(store, create=cases is not None) as opened:  # a first run brings cases
            return rescreen(opened, cases=cases, candidates=candidates, top_k=top_k, full=full,
                            refit=refit, model=model, blocking=blocking, seed=seed, progress=progress,
                            mapping=mapping, strict=strict, log=log, lang=lang, encoding=encoding, sheet=sheet,
                            remove_cases=remove_cases, remove_candidates=remove_candidates,
                            force_removals=force_removals, restore_cases=restore_cases,
                            restore_candidates=restore_candidates)
    sides: tuple[tuple[Side, RemovalSource | None], ...] = (("cases", remove_cases), ("candidates", remove_candidates))
    lists = {side: read_removals(source, side, mapping=mapping, encoding=encoding, sheet=sheet)
             for side, source in sides if source is not None}
    undo: tuple[tuple[Side, RemovalSource | None], ...] = (("cases", restore_cases),
                                                           ("candidates", restore_candidates))
    restores = {side: read_removals(source, side, mapping=mapping, encoding=encoding, sheet=sheet)
                for side, source in undo if source is not None}
    top_k = top_k if top_k is not None else store.last_top_k() or DEFAULT_TOP_K
    with _old_objects_frozen():
        return _rescreen(store, cases, candidates, top_k, full, refit, model, blocking, seed, progress, mapping,
                         strict, log, lang, encoding, sheet, _Removals(lists, force_removals, restores))


@contextlib.contextmanager
def _old_objects_frozen() -> Iterator[None]:
    """Keep the objects alive when the run starts (modules, the pinyin and region tables: hundreds of
    thousands) out of the cycle collector's full collections during the run, and give them back after:
    a night's run is short, and each full collection walked them all again (about 0.1 s)."""
    if gc.get_freeze_count():  # the caller froze objects of its own: leave its choice alone
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _rescreen(store: Store, cases: TableSource | RawTable | None, candidates: TableSource | RawTable | None,
              top_k: int, full: bool, refit: bool, model: FellegiSunter | None, blocking: BlockingSpec | None,
              seed: int, progress: bool, mapping: Mapping[str, str] | None, strict: bool,
              log: Callable[[str], None] | None, lang: Language, encoding: str | None,
              sheet: str | int | None, removals: _Removals) -> RescreenReport:
    started = time.perf_counter()
    check_fitting_options([s for s in (cases, candidates) if not isinstance(s, RawTable)], encoding, sheet)
    raw = {"cases": _read(cases, "cases", mapping, strict, encoding, sheet),
           "candidates": _read(candidates, "candidates", mapping, strict, encoding, sheet)}
    sources: dict[str, object] = {"cases": cases, "candidates": candidates}
    base = model if model is not None else default_model()
    settings = _Settings(base, blocking or BlockingSpec(), top_k, seed, full, refit, strict)
    store.clear_dead_lock()  # a killed run's lock and "running" row, also on a night with nothing to do
    last_run = store.last_run_id() or 0
    busy = store.lock_holder() is not None  # a run under way may commit after the first look
    look = _look(store, raw, sources, settings, removals)
    for table in raw.values():
        if table is not None and log is not None:
            log(table.report.summary(lang))
    for report in look.removal_reports:
        if log is not None:
            log(report.summary(lang))
    if strict and any(r.quarantined for r in look.removal_reports):
        problems = [str(p) for r in look.removal_reports for p in r.problems if p.fatal]
        raise InputError(f"{len(problems)} row(s) of the removal or restore lists cannot be done (--strict): "
                         + "; ".join(problems[:20]))
    if look.nothing_to_do:
        holder = store.lock_holder()
        if holder is not None:  # its run may change the stored top-k: it is not current
            raise ConcurrentRunError(f"nothing new to screen, but another run holds the run lock ({holder}); "
                                     "the stored top-k may change when it finishes")
        return _report(look, top_k, "nothing", None, None, started)
    run_id = store.begin_run("full" if look.kind == "full" else "incremental", settings.config,
                             look.model_version, seed, look.facts(settings))
    try:
        if busy or run_id != last_run + 1:
            look = _look(store, raw, sources, settings, removals)  # another run came between: look again
        if log is not None:
            log(text(lang, "rescreen_started", run=run_id, kind=text(lang, f"rescreen_kind_{look.kind}"),
                     reason=look.reason))
        done = _execute(store, look, settings, run_id, progress)
    except BaseException as exc:
        store.fail_run(run_id, exc)
        raise
    return _report(look, top_k, look.kind, run_id, done, started)


@dataclass(frozen=True, slots=True)
class _Settings:
    """What the caller asked for."""

    base: FellegiSunter
    blocking: BlockingSpec
    top_k: int
    seed: int
    full: bool
    refit: bool
    strict: bool

    @property
    def depth(self) -> int:
        return BUFFER * self.top_k

    @property
    def config(self) -> str:
        return config_hash(self.top_k, self.blocking, self.base.version)


@dataclass(frozen=True, slots=True)
class _Look:
    """What came in and what the store holds, read before the run, and the kind of run it needs."""

    cases: _Input
    candidates: _Input
    open_ids: list[str]
    states: dict[str, CaseState]           # open cases with totals, as stored
    excluded: set[tuple[str, str]]
    exclusions: dict[str, str]             # per case: digest of its excluded persons now
    kind: RescreenKind
    reason: str
    fitted: FellegiSunter | None           # None: a full run fits a new model
    model_version: str
    in_full: set[str]                      # incremental: open cases to screen against every candidate
    raw: dict[str, RawTable | None]
    removals: tuple[Removal, ...] = ()     # cases and candidates this run removes
    removal_reports: tuple[IngestReport, ...] = ()   # the removal lists', then the restore lists'
    restores: tuple[Removal, ...] = ()     # cases and candidates this run brings back (among the new rows)

    @property
    def nothing_to_do(self) -> bool:
        # a new or changed row is stored even when it screens nothing (a closed case's edited record)
        return (self.kind == "incremental" and not self.candidates.ids and not self.cases.ids and not self.in_full
                and not self.removals)

    def removed(self, side: Side) -> set[str]:
        return {r.record_id for r in self.removals if r.side == side}

    def restored(self, side: Side) -> set[str]:
        return {r.record_id for r in self.restores if r.side == side}

    def facts(self, settings: _Settings) -> dict[str, Any]:
        return {"cases": self.cases.facts, "candidates": self.candidates.facts, "open_cases": len(self.open_ids),
                "top_k": settings.top_k, "stored_per_case": settings.depth, "reason": self.reason,
                "normalized_with": stored_records.fingerprint(),
                "refit": self.kind == "full" and self.fitted is None,
                "removed": {side: len(self.removed(side)) for side in ("cases", "candidates")},
                "restored": {side: len(self.restored(side)) for side in ("cases", "candidates")},
                "removal_lists": {r.source: {"read": r.read, "accepted": r.accepted, "quarantined": r.quarantined}
                                  for r in self.removal_reports}}


@dataclass(frozen=True, slots=True)
class _Removals:
    """The removal lists a run was given, as read, and whether a confirmed match may be removed."""

    lists: Mapping[Side, RemovalList]
    force: bool
    restores: Mapping[Side, RemovalList] = dataclasses.field(default_factory=dict)

    def decide(self, store: Store, given: Mapping[Side, RawTable | None]
               ) -> tuple[tuple[Removal, ...], tuple[IngestReport, ...]]:
        """Each list's rows decided against the store and this run's inputs (:func:`decide_removals`)."""
        if not self.lists:
            return (), ()
        confirmed, pending = store.confirmed_pairs(), store.pending_pairs()
        removed: list[Removal] = []
        reports: list[IngestReport] = []
        sides: tuple[Side, ...] = ("cases", "candidates")
        for side, found in ((s, self.lists[s]) for s in sides if s in self.lists):
            index = 0 if side == "cases" else 1
            raw = given.get(side)
            decided, report = decide_removals(
                found, stored=store.removal_state(side, [key for _, key, _ in found.rows]),
                given=set(raw.ids) if raw is not None else set(),
                confirmed=_by(confirmed, index), pending=_by(pending, index), force=self.force)
            removed += decided
            reports.append(report)
        return tuple(removed), tuple(reports)

    def decide_restores(self, store: Store, given: Mapping[Side, RawTable | None]
                        ) -> tuple[tuple[Removal, ...], tuple[IngestReport, ...]]:
        """Each restore list's rows decided against the store, this run's inputs and its removal
        lists (:func:`decide_restores`)."""
        restored: list[Removal] = []
        reports: list[IngestReport] = []
        sides: tuple[Side, ...] = ("cases", "candidates")
        for side, found in ((s, self.restores[s]) for s in sides if s in self.restores):
            raw = given.get(side)
            decided, report = decide_restores(
                found, stored=store.removal_state(side, [key for _, key, _ in found.rows]),
                given=set(raw.ids) if raw is not None else set(),
                removing={key for _, key, _ in self.lists[side].rows} if side in self.lists else set())
            restored += decided
            reports.append(report)
        return tuple(restored), tuple(reports)


def _by(pairs: Collection[tuple[str, str]], index: int) -> dict[str, list[str]]:
    """The (case, person) ``pairs`` by their ``index``-th id: the other ids, sorted."""
    found: dict[str, list[str]] = defaultdict(list)
    for pair in sorted(pairs):
        found[pair[index]].append(pair[1 - index])
    return dict(found)


def _kind(stored: StoredModel | None, normalized_with: str | None, settings: _Settings
          ) -> tuple[RescreenKind, str, bool]:
    """(kind, reason, refit) of the run the stored fitted model and the settings call for.

    ``normalized_with`` is the normalizer fingerprint (:func:`reunite.stored_records.fingerprint`)
    recorded by the run that fitted the stored model. The stored sums hold every candidate's terms
    as that code read the rows, and a night takes a changed or removed candidate's old terms out by
    reading its stored row again: under other code a stored row may read differently or not at
    all (quarantined), and its terms would not leave exactly. So the first night under another
    reader or normalizer screens everything in full.
    """
    if stored is None:
        return "full", "no fitted model yet", True
    if normalized_with is None:
        return "full", "the normalizer the stored model was fitted with is not recorded (a store from an " \
            "older reunite): every stored record is read again", True
    if normalized_with != stored_records.fingerprint():
        return "full", f"the normalizer changed since the model was fitted ({normalized_with} -> " \
            f"{stored_records.fingerprint()}: reunite, its tables or pypinyin upgraded): every stored record " \
            "is read again", True
    if stored.base_version != settings.base.version:
        return "full", f"base model changed ({stored.base_version} -> {settings.base.version})", True
    if stored.config_hash != settings.config:
        return "full", "top-k or blocking changed since the model was fitted", True
    if settings.full:
        return "full", "asked for" + ("" if settings.refit else ", with the stored fitted model"), settings.refit
    return "incremental", "stored fitted model", False


def _look(store: Store, raw: dict[str, RawTable | None], sources: Mapping[str, object],
          settings: _Settings, removals: _Removals | None = None) -> _Look:
    cases = _split(raw["cases"], "cases", store, sources["cases"], settings.strict)
    candidates = _split(raw["candidates"], "candidates", store, sources["candidates"], settings.strict)
    removals = removals or _Removals({}, False)
    given: dict[Side, RawTable | None] = {"cases": raw["cases"], "candidates": raw["candidates"]}
    removed, removal_reports = removals.decide(store, given)
    restored, restore_reports = removals.decide_restores(store, given)
    if restored:
        cases = _with_restored(cases, store, [r.record_id for r in restored if r.side == "cases"])
        candidates = _with_restored(candidates, store, [r.record_id for r in restored if r.side == "candidates"])
        back = {("cases", key) for key in cases.new_ids} | {("candidates", key) for key in candidates.new_ids}
        restored = tuple(r for r in restored if (r.side, r.record_id) in back)
    stored = store.fitted_model()
    gone_cases = {r.record_id for r in removed if r.side == "cases"}
    open_ids = sorted((set(store.open_case_ids()) | set(cases.new_ids)) - gone_cases)
    open_set = set(open_ids)
    topk = {c: rows for c, rows in store.topk_scores().items() if c in open_set}
    totals = {c: t for c, t in store.case_totals().items() if c in open_set}
    states = merge.states_from_store(topk, store.case_bounds(), totals)
    excluded = store.excluded_pairs()
    exclusions = merge.exclusions_by_case(excluded)
    normalized_with = (store.run_info(stored.run_id)["input_counts"] or {}).get("normalized_with") \
        if stored is not None else None
    kind, reason, refit = _kind(stored, normalized_with, settings)
    fitted, version = None, settings.base.version
    if not refit:
        assert stored is not None
        fitted, version = FellegiSunter.from_dict(stored.model), stored.version
    in_full = (merge.cases_to_screen_in_full(open_ids, states, set(cases.ids), exclusions)
               if kind == "incremental" else set(open_ids))
    return _Look(cases, candidates, open_ids, states, excluded, exclusions, kind, reason, fitted, version,
                 in_full, raw, removed, (*removal_reports, *restore_reports), restored)


@dataclass(frozen=True, slots=True)
class _Done:
    """What a run did, for the report."""

    model_version: str
    pairs: int
    screened_all: int
    screened_delta: int
    gained: int


def _execute(store: Store, look: _Look, settings: _Settings, run_id: int, progress: bool) -> _Done:
    """Screen, merge (:mod:`reunite.merge`) and commit one run."""
    depth = settings.depth
    model = look.fitted
    after: dict[str, CaseState] = {}
    reasons: dict[tuple[str, str], str] = {}
    pairs = screened_delta = 0
    in_full = set(look.in_full)
    fresh: _DeltaPairs | None = None
    normalized: dict[str, str] = {}  # normalized records of cases to keep
    if look.kind == "incremental":
        assert model is not None
        delta = sorted(set(look.open_ids) - in_full)
        gone, fresh, normalized = _delta_pairs(store, look, settings, delta, progress)
        pairs += sum(p.pairs for p in (gone, fresh) if p is not None)
        merged, unknown = merge.merge_delta(
            look.states, delta, gone=gone.deltas() if gone else {}, fresh=fresh.deltas() if fresh else {},
            leaving=set(look.candidates.changed_ids) | look.removed("candidates"), depth=depth,
            top_k=settings.top_k)
        after.update(merged)
        in_full |= unknown
        screened_delta = len(delta) - len(unknown)
    new_model = None
    if in_full:
        full_states, full_reasons, model, new_model, full_pairs, full_normalized = _screen_in_full(
            store, look, settings, in_full, progress)
        normalized.update(full_normalized)
        after.update(full_states)
        reasons.update(full_reasons)
        pairs += full_pairs
    # (a full run with no open case to screen fits and scores nothing: no model, no rows)
    prior = model.prior if model is not None else settings.base.prior
    # cases screened in full: every row replaced; merged cases: only the rows that change are written
    merged_states = {c: s for c, s in after.items() if c not in in_full}
    changes = merge.row_changes(look.states, merged_states, prior, set(look.candidates.changed_ids))
    if fresh is not None:  # the reasons of the fresh rows that are written
        reasons.update(fresh.reasons({(c, p) for c, _, p, _, _ in changes.enter}))
    full_states = {c: s for c, s in after.items() if c in in_full}
    results = _result_rows(full_states, prior, reasons)
    results += [{"case_id": c, "rank": rank, "person_id": p, "score": score, "probability": probability,
                 "reasons": reasons.get((c, p), "")} for c, rank, p, score, probability in changes.enter]
    fitted_json = new_model.to_dict() if new_model is not None else None
    version = str(fitted_json["version"]) if fitted_json is not None else look.model_version
    store.commit_run(
        run_id, cases=look.cases.rows, candidates=look.candidates.rows, results=results,
        replace_cases=in_full, top_k=None, model_version=version, fitted_model=fitted_json,
        base_model_version=settings.base.version, current={c: s.rows for c, s in look.states.items()},
        leave=changes.leave, removals=look.removals, restores=look.restores,
        log_factors={**changes.log_factors, **{c: merge.log_factor(s, prior) for c, s in full_states.items()}},
        normalized_cases=normalized, normalized_with=stored_records.fingerprint(),
        bounds={c: s.bound for c, s in after.items()  # (a merged case's bound mostly stays: not rewritten)
                if c in in_full or c not in look.states or look.states[c].bound != s.bound},
        totals={c: s.totals for c, s in after.items()},
        summary={"kind": look.kind, "screened_all": len(in_full), "screened_delta": screened_delta,
                 "pairs_compared": pairs},
    )
    k = settings.top_k
    before = {c: {p for _, p in s.rows[:k]} for c, s in look.states.items()}
    gained = sum(bool({p for _, p in s.rows[:k]} - before.get(c, set())) for c, s in after.items())
    return _Done(version, pairs, len(in_full), screened_delta, gained)


def _stored_cases(store: Store, ids: Collection[str]) -> tuple[RecordTable, dict[str, str]]:
    """The stored cases ``ids``, normalized: their stored normalized records where those stand for
    a new normalization (:mod:`reunite.stored_records`), the others normalized again; and the
    records of the latter, to keep."""
    rows = store.read_rows("cases", ids)
    kept = store.normalized_cases(ids)
    mark = stored_records.fingerprint()
    usable = [r for r in rows if kept.get(r["case_id"], ("", ""))[0] == mark]
    report = IngestReport(source="stored cases", read=len(rows))
    tables: list[RecordTable] = []
    again = [r for r in rows if kept.get(r["case_id"], ("", ""))[0] != mark]
    if usable:
        decoded = stored_records.decode([kept[r["case_id"]][1] for r in usable], "cases", report)
        hold = stored_records.dates_hold(decoded, usable)
        if hold.all():
            tables.append(decoded)
        else:
            tables.append(take_records(decoded, np.flatnonzero(hold)))
            again += [r for r, ok in zip(usable, hold.tolist(), strict=True) if not ok]
    fresh: dict[str, str] = {}
    if again:
        normalized = load_side(_table(again, "cases", "stored cases"), "cases")
        fresh = dict(zip(normalized.ids.tolist(), stored_records.encode(normalized), strict=True))
        tables.append(normalized)
    return (stored_records.concat(tables, report) if len(tables) > 1 else tables[0]), fresh


def _delta_pairs(store: Store, look: _Look, settings: _Settings, delta: Sequence[str], progress: bool
                 ) -> tuple[_DeltaPairs | None, _DeltaPairs | None, dict[str, str]]:
    """The ``delta`` cases' pairs with the changed candidates' old versions (as stored) and with the
    new and changed candidates' new versions, scored with the stored fitted model
    (:func:`_delta_side`); and the normalized records of the cases that had to be normalized again."""
    assert look.fitted is not None
    # a removed person leaves as a changed one does, with no new version: its old terms go
    leaving = sorted(set(look.candidates.changed_ids) | look.removed("candidates"))
    if not delta or (look.candidates.table is None and not leaving):
        return None, None, {}
    delta_cases, normalized = _stored_cases(store, delta)
    gone = fresh = None
    if leaving:
        old_versions = load_side(_table(store.read_rows("candidates", leaving), "candidates", "stored candidates"),
                                 "candidates")
        gone = _delta_side(delta_cases, old_versions, look, settings, False)
    if look.candidates.table is not None:
        fresh = _delta_side(delta_cases, look.candidates.table, look, settings, progress)
    return gone, fresh, normalized


FIRST_LOOK = 4
"""Rows kept per case on a delta screen's first look (see :func:`_delta_side`)."""

DELTA_PRUNE_FROM = 50_000
"""A delta screen prunes (:mod:`reunite.matching.prune`) when one side of the night's candidates
holds at least this many; below, it scores every pair of the windows. Both give the same pairs,
scores and sums; pruning's bookkeeping per window costs more than it saves when a window holds few
candidates (2,000 cases screened against 4,000 of 400,000 generated candidates: 0.33 s of CPU pruned,
0.19 s exhaustive; against 40,000: 1.15 and 0.86 s; against 100,000: 1.71 and 1.90 s)."""


def _delta_side(cases: RecordTable, candidates: RecordTable, look: _Look, settings: _Settings,
                progress: bool) -> _DeltaPairs | None:
    """The cases' pairs with one side of the night's candidates, as :class:`merge.Delta` needs them:
    each case's rows must hold every pair that ranks at or above its bound (every pair when it has
    none), the others are summed.

    A night's 1% of the candidates rarely puts more than one pair above a case's bound (its
    ``2 * top_k``-th best of all candidates), so every case is first screened keeping its best
    :data:`FIRST_LOOK` rows (the kept rows' posteriors, reasons and bookkeeping are most of a delta
    screen's cost per case); a case whose last kept row may still rank at or above its bound (it
    scores at least the bound's score) and that compared more pairs than it kept is screened again
    keeping its best ``2 * top_k``. Rows not kept score at most the last kept one, so every row left
    out of a case ranks after its bound: the merge gives what one look at the best ``2 * top_k``
    would have given. A side of fewer than :data:`DELTA_PRUNE_FROM` candidates is scored without
    pruning (the same pairs, quicker on sparse windows).
    """
    assert look.fitted is not None
    model, blocking, excluded, depth = look.fitted, settings.blocking, look.excluded, settings.depth
    prune = len(candidates) >= DELTA_PRUNE_FROM
    first = _screen_pairs(cases, candidates, model, blocking, excluded, min(FIRST_LOOK, depth), progress, prune)
    if first is None:
        return None
    again = set()
    for case_id, (pairs, _) in first.totals().items():
        rows = first.by_case[case_id]
        bound = look.states[case_id].bound
        if pairs > len(rows) and (bound is None or min(s for s, _ in rows) >= bound[0]):
            again.add(case_id)
    second = None
    if again:
        index = [i for i, case_id in enumerate(cases.ids.tolist()) if case_id in again]
        second = _screen_pairs(take_records(cases, index), candidates, model, blocking, excluded, depth,
                               prune=prune)
    return _DeltaPairs(first, second)


def _screen_in_full(store: Store, look: _Look, settings: _Settings, cases: set[str], progress: bool) -> tuple[
        dict[str, CaseState], dict[tuple[str, str], str], FellegiSunter, FellegiSunter | None, int, dict[str, str]]:
    """Screen ``cases`` against every candidate (fitting a model first when the run refits): their
    states from that screen, the reasons of their rows, the model, the new fitted model, pairs, and
    the cases' normalized records (:mod:`reunite.stored_records`)."""
    case_rows = _table(_overlay(store.read_rows("cases", cases - set(look.cases.new_ids)), look.cases, cases),
                       "cases", "stored cases")
    removed = look.removed("candidates")
    all_candidates = _table([r for r in _overlay(store.read_rows("candidates"), look.candidates, None)
                             if r["person_id"] not in removed], "candidates", "stored candidates")
    model, new_model = look.fitted, None
    case_table, cand_table = load_side(case_rows, "cases"), load_side(all_candidates, "candidates")
    if model is None:  # fitted as screen fits: u, name frequencies, and m learned from the stored data
        fitted, _, _ = fit_model(settings.base, case_table, cand_table, blocking=settings.blocking,
                                 seed=settings.seed, exclude=look.excluded)
        # scored with the model as stored (JSON rounds m and u), as the next incremental run will
        model = new_model = FellegiSunter.from_dict(fitted.to_dict())
    scored = _screen_pairs(case_table, cand_table, model, settings.blocking, look.excluded, settings.depth,
                           progress)
    states: dict[str, CaseState] = {}
    reasons: dict[tuple[str, str], str] = {}
    totals = scored.totals() if scored is not None else {}
    for case_id in cases:
        rows = scored.by_case.get(case_id, []) if scored is not None else []
        n, rest = totals.get(case_id, (0, 0.0))
        states[case_id] = merge.state_from_screen(rows, n, rest, settings.depth,
                                                  look.exclusions.get(case_id, merge.NO_EXCLUSIONS))
    if scored is not None:
        reasons = scored.reasons(scored.at.keys())
    normalized = dict(zip(case_table.ids.tolist(), stored_records.encode(case_table), strict=True))
    return states, reasons, model, new_model, scored.pairs if scored is not None else 0, normalized


def _result_rows(states: Mapping[str, CaseState], prior: float,
                 reasons: Mapping[tuple[str, str], str]) -> list[dict[str, Any]]:
    """Every stored row of the cases in ``states``, ranked, with probabilities from their state."""
    rows: list[dict[str, Any]] = []
    for case_id, state in sorted(states.items()):
        probabilities, _ = merge.posteriors(state, prior)
        rows += [{"case_id": case_id, "rank": rank, "person_id": person_id, "score": score,
                  "probability": probability, "reasons": reasons.get((case_id, person_id), "")}
                 for rank, ((score, person_id), probability) in enumerate(zip(state.rows, probabilities,
                                                                               strict=True), start=1)]
    return rows


@dataclass(frozen=True, slots=True)
class Verification:
    """The stored ranking against a full screen of the stored records with the stored fitted model.

    ``differences`` holds ``(case_id, rank, what, stored, screened)`` for each row of ranks 1 to the
    last re-screen's top-k whose person, score, probability (beyond ``1e-9``) or reasons differ, and
    for each such rank only one side has.
    """

    cases: int
    candidates: int
    rows: int
    pairs_compared: int
    model_version: str
    differences: tuple[tuple[str, int, str, str, str], ...]

    @property
    def equal(self) -> bool:
        return not self.differences


def verify(store: Store | str, *, model: FellegiSunter | None = None, blocking: BlockingSpec | None = None,
           progress: bool = False) -> Verification:
    """Check the stored current ranking: screen every open case against every stored candidate with
    the stored fitted model (as a full re-screen that keeps it does, DNA exclusions applied) and compare
    ranks 1 to the last re-screen's top-k, row by row. Nothing is written.

    ``model`` and ``blocking`` are the base model and blocking the re-screens were run with (default:
    the shipped model, the default blocking); the stored fitted model must come from them.

    Raises
    ------
    StoreError
        No re-screen has succeeded yet, or the stored fitted model was fitted from another base model,
        top-k or blocking than the ones given; ``store`` is a URL of a database that does not exist
        (it is not created).
    """
    if isinstance(store, str):  # only reads: a mistyped path must not become a new, empty database
        with Store.open(store, create=False) as opened:
            return verify(opened, model=model, blocking=blocking, progress=progress)
    stored, top_k = store.fitted_model(), store.last_top_k()
    if stored is None or top_k is None:
        raise StoreError("the store holds no re-screen yet: run reunite rescreen first")
    settings = _Settings(model or default_model(), blocking or BlockingSpec(), top_k, 0, True, False, False)
    if stored.config_hash != settings.config:
        raise StoreError("the stored fitted model comes from another base model, top-k or blocking than "
                         "these: verify with the --model and blocking options the re-screens were run with")
    look = _look(store, {"cases": None, "candidates": None}, {"cases": None, "candidates": None}, settings)
    if look.fitted is None:  # e.g. another normalizer than the one the stored model was fitted with
        raise StoreError(f"the stored ranking cannot be verified with this reunite ({look.reason}): "
                         "run reunite rescreen first")
    open_ids = set(look.open_ids)
    states, reasons, fitted, _, pairs, _ = _screen_in_full(store, look, settings, open_ids, progress)
    # ranks 1..top_k, the ranking export and plan read: the rows stored beyond them are a reserve that
    # a night may leave shorter than a full screen's (exact above its bound, see reunite.merge)
    screened = {(r["case_id"], r["rank"]): r for r in _result_rows(states, fitted.prior, reasons)
                if r["rank"] <= top_k}
    held = {(r.case_id, r.rank): r for r in store.current_topk(open_ids) if r.rank <= top_k}
    differences: list[tuple[str, int, str, str, str]] = []
    for key in sorted(set(held) | set(screened)):
        mine, theirs = held.get(key), screened.get(key)
        if mine is None or theirs is None:
            differences.append((*key, "row", "" if mine is None else mine.person_id,
                                "" if theirs is None else str(theirs["person_id"])))
            continue
        checks = (("person", mine.person_id, str(theirs["person_id"]), mine.person_id == theirs["person_id"]),
                  ("score", repr(mine.score), repr(theirs["score"]), mine.score == theirs["score"]),
                  ("probability", repr(mine.probability), repr(theirs["probability"]),
                   abs(mine.probability - float(theirs["probability"])) <= 1e-9),
                  ("reasons", mine.reasons, str(theirs["reasons"]), mine.reasons == theirs["reasons"]))
        differences.extend((*key, what, a, b) for what, a, b, same in checks if not same)
    return Verification(len(open_ids), store.count_rows("candidates"), len(held), pairs, stored.version,
                        tuple(differences))


def _report(look: _Look, top_k: int, kind: RescreenKind, run_id: int | None, done: _Done | None,
            started: float) -> RescreenReport:
    reports = (*(r.report for r in look.raw.values() if r is not None), *look.removal_reports)
    reason = look.reason if kind != "nothing" else "no new or changed rows, no removals, no new DNA exclusions"
    return RescreenReport(
        kind=kind, reason=reason, run_id=run_id, model_version=done.model_version if done else look.model_version,
        top_k=top_k,
        new_cases=len(look.cases.new_ids) - len(look.restored("cases")), changed_cases=len(look.cases.changed_ids),
        new_candidates=len(look.candidates.new_ids) - len(look.restored("candidates")),
        changed_candidates=len(look.candidates.changed_ids),
        cases_screened_all=done.screened_all if done else 0,
        cases_screened_delta=done.screened_delta if done else 0,
        pairs_compared=done.pairs if done else 0, cases_with_new_candidates=done.gained if done else 0,
        ingest=reports, seconds=time.perf_counter() - started,
        removed_cases=len(look.removed("cases")) if kind != "nothing" else 0,
        removed_candidates=len(look.removed("candidates")) if kind != "nothing" else 0,
        restored_cases=len(look.restored("cases")), restored_candidates=len(look.restored("candidates")),
    )
