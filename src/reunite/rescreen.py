"""The nightly re-screen: store what changed, score only what must be scored, merge the top-k.

A **full** re-screen fits the model on the data (u from random pairs seeded by ``seed``, term
frequencies from every stored candidate: :func:`reunite.pipeline.fit_population`), stores that
*fitted model*, and screens every open case against every candidate. It runs when the store has no
fitted model yet, when the base model (the shipped one, or ``model=``) or the configuration (top-k,
blocking) differs from the one the stored fitted model came from, or when asked (``full=True``).

An **incremental** re-screen scores with the stored fitted model as it is (``fit_to_data=False``),
so a pair's score depends only on the two records and that model, never on which other candidates
are screened. It screens every new or changed case against every candidate, and every other open
case against the new and changed candidates only, then merges those rows into the stored top-k
(:meth:`reunite.store.Store.commit_run`).

"Same model" means the same *fitted* model: its u and frequencies come from the candidates of the
last full run, not from today's. So the top-k of an incremental run equals that of a full
re-screen of the same data **with the stored fitted model** (``rescreen(..., full=True,
refit=False)``) -- case, rank, person and score. A full run that refits (the default) fits new u
and frequencies on the grown data and may score a little differently; that is what a periodic
``--full`` is for.

Merging is exact, not approximate. The store keeps ``2 * top_k`` rows per case (ranks beyond
``top_k`` are a reserve, not a promise) and, per case, a bound: every candidate not stored ranks
after it (:meth:`reunite.store.Store.case_bounds`). When changed (or DNA-excluded) persons leave a
case's rows, the reserve moves up; only a case left with fewer than ``top_k`` rows known to rank
above its bound is screened against every candidate -- so ranks 1..top_k always equal a full run's.
Probabilities are posteriors within one run's window of a case: the probability of a merged row is
the one from the run that scored it (``current_topk().run_id``), and may differ from the
probability a full run would give it; scores and ranks do not.
"""

from __future__ import annotations

import bisect
import dataclasses
import hashlib
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from reunite._typing import Side
from reunite.errors import ConfigError
from reunite.ingest import IngestReport, RawTable, TableSource, read_table
from reunite.ingest.table import CANDIDATE_COLUMNS, CASE_COLUMNS
from reunite.matching.model import FellegiSunter, default_model
from reunite.matching.spec import BlockingSpec
from reunite.pipeline import ScreenResult, fit_population, load_side, screen
from reunite.store import Store
from reunite.store.fitted import Bound
from reunite.store.records import inputs_hash

__all__ = ["RescreenKind", "RescreenReport", "config_hash", "rescreen"]

RescreenKind = Literal["full", "incremental", "nothing"]
_COLUMNS: dict[Side, tuple[str, ...]] = {"cases": CASE_COLUMNS, "candidates": CANDIDATE_COLUMNS}
_RESULT_KEYS = ("case_id", "rank", "person_id", "score", "probability", "reasons")
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

    def summary(self) -> str:
        """A few lines a person reads."""
        changes = (f"{self.new_cases} new and {self.changed_cases} changed cases, {self.new_candidates} "
                   f"new and {self.changed_candidates} changed candidates")
        if self.kind == "nothing":
            return f"nothing to do: {changes}; the stored top-{self.top_k} is current ({self.reason})"
        return "\n".join([
            f"run {self.run_id}: {self.kind} re-screen ({self.reason}); model {self.model_version}",
            changes,
            f"screened {self.cases_screened_all} cases against every candidate and "
            f"{self.cases_screened_delta} against the new and changed ones: "
            f"{self.pairs_compared:,} pairs compared",
            f"{self.cases_with_new_candidates} cases have new candidates in their top {self.top_k}",
            f"done in {self.seconds:.1f} s",
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
    """One side's input split against the store: the new and changed rows, and their RawTable."""

    side: Side
    rows: list[dict[str, str]]      # new and changed rows, canonical text
    new_ids: list[str]
    changed_ids: list[str]
    table: RawTable | None          # the same rows, for normalize (None when nothing came)
    facts: dict[str, Any]           # recorded on the run

    @property
    def ids(self) -> list[str]:
        return [*self.new_ids, *self.changed_ids]


def _read(source: TableSource | RawTable | None, side: Side, mapping: Mapping[str, str] | None,
          strict: bool) -> RawTable | None:
    if source is None:
        return None
    return source if isinstance(source, RawTable) else read_table(source, side, mapping=mapping,
                                                                  strict=strict)


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


def _split(raw: RawTable | None, side: Side, store: Store, source: object) -> _Input:
    if raw is None:
        return _Input(side, [], [], [], None, {})
    columns = _COLUMNS[side]
    # a night's delta: look its ids up; a whole extract: read every hash at once
    stored = store.content_hashes(side, raw.ids if len(raw) < 20_000 else None)
    picked = _changed_rows([raw.columns[c] for c in columns], stored)
    subset = {c: [raw.columns[c][i] for i in picked] for c in columns}
    new_ids = [key for key in subset[columns[0]] if key not in stored]
    changed_ids = [key for key in subset[columns[0]] if key in stored]
    rows = [dict(zip(columns, values, strict=True)) for values in zip(*subset.values(), strict=True)]
    table = RawTable(side, subset, raw.rows[np.asarray(picked, dtype=np.int64)], raw.report)
    facts: dict[str, Any] = {"source": raw.report.source, "read": raw.report.read,
                             "accepted": raw.report.accepted, "quarantined": raw.report.quarantined,
                             "new": len(new_ids), "changed": len(changed_ids)}
    if isinstance(source, str | Path) and Path(source).is_file():
        facts["sha256"] = hashlib.sha256(Path(source).read_bytes()).hexdigest()
    return _Input(side, rows, new_ids, changed_ids, table, facts)


def _table(rows: Sequence[Mapping[str, str]], side: Side, label: str) -> RawTable:
    """Stored rows as a RawTable, through ingest again (rows written by ``Store.upsert`` directly
    were never checked; a bad one is reported and left out, not screened)."""
    frame = pd.DataFrame(list(rows), columns=list(_COLUMNS[side]), dtype=object)
    return read_table(frame, side, label=label)


def _overlay(stored: Iterable[dict[str, str]], given: _Input, keep: set[str] | None) -> list[dict[str, str]]:
    """Stored rows with the input's new and changed rows put over them (``keep``: only these ids)."""
    id_col = _COLUMNS[given.side][0]
    rows = {r[id_col]: r for r in stored}
    rows.update((r[id_col], r) for r in given.rows)
    return [r for key, r in sorted(rows.items()) if keep is None or key in keep]


def _rows(result: ScreenResult | None) -> list[dict[str, Any]]:
    if result is None:
        return []
    columns = [result.columns[k].tolist() for k in _RESULT_KEYS]
    return [dict(zip(_RESULT_KEYS, values, strict=True)) for values in zip(*columns, strict=True)]


@dataclass(frozen=True, slots=True)
class _Scored:
    """Ranked rows of a screen without their reasons (``rows[i]["reasons"]`` is ""), and the
    screen that formats the reasons of the rows that are kept (:meth:`add_reasons`)."""

    rows: list[dict[str, Any]]
    result: ScreenResult

    @property
    def pairs(self) -> int:
        return self.result.pairs_compared

    def add_reasons(self, rows: Sequence[dict[str, Any]]) -> None:
        """Fill in the reasons of ``rows`` (some of :attr:`rows`)."""
        at = np.asarray([r["_at"] for r in rows], dtype=np.int64)
        for row, text in zip(rows, self.result.reasons_of(at), strict=True):
            row["reasons"] = text


def _screen_rows(cases: RawTable, candidates: RawTable, model: FellegiSunter, blocking: BlockingSpec,
                 exclude: Iterable[tuple[str, str]], top_k: int) -> _Scored | None:
    """:func:`reunite.pipeline.screen` with the model's own u and frequencies, the reasons left to
    format for the rows a merge keeps: a night's delta screen returns ``top_k`` rows for every case,
    and most of them rank below the case's stored rows."""
    if len(cases) == 0 or len(candidates) == 0:
        return None
    result = screen(cases, candidates, top_k=top_k, model=model, blocking=blocking, exclude=exclude,
                    fit_to_data=False, reasons=False)
    columns = result.columns
    rows = [
        {"case_id": case_id, "rank": rank, "person_id": person_id, "score": score,
         "probability": probability, "reasons": "", "_at": at}
        for at, (case_id, rank, person_id, score, probability) in enumerate(zip(
            columns["case_id"].tolist(), columns["rank"].tolist(), columns["person_id"].tolist(),
            columns["score"].tolist(), columns["probability"].tolist(), strict=True))
    ]
    return _Scored(rows, result)


def _rank(key: Bound) -> tuple[float, str]:
    """Sort key of a (score, person_id): :func:`reunite.store.results.rank_key` in one call.

    >>> from reunite.store.results import rank_key
    >>> _rank((2.5, "P1")) == rank_key(2.5, "P1")
    True
    """
    return (-key[0], key[1])


def _merge_case(
    old: Sequence[Bound], fresh: Sequence[Mapping[str, Any]], leaving: set[str], bound: Bound | None,
    depth: int, fresh_cut: int,
) -> tuple[list[Bound], Bound | None]:
    """A case's stored (score, person) rows and bound after merging ``fresh`` rows, as the store
    merges them: ``old`` rows of persons in ``leaving`` or ``fresh`` go, at most ``depth`` stay.

    The bound moves up to the last fresh row when the screen cut the fresh rows at ``fresh_cut``
    and to the last stored row when the merge cuts; candidates never stored rank after all of them.
    """
    new = [(float(r["score"]), str(r["person_id"])) for r in fresh]
    people = {p for _, p in new}
    kept = [(s, p) for s, p in old if p not in leaving and p not in people]
    merged = sorted(kept + new, key=_rank)
    limits = [] if bound is None else [bound]
    if len(new) >= fresh_cut:
        limits.append(new[-1])
    if len(merged) > depth:
        merged = merged[:depth]
        limits.append(merged[-1])
    return merged, min(limits, key=_rank) if limits else None


def _exact(merged: Sequence[Bound], bound: Bound | None, top_k: int) -> bool:
    """Whether the first ``top_k`` stored rows are the case's true top-k: no candidate that is not
    stored can rank above them."""
    # ``merged`` is in rank order: count its rows ranking at or above the bound
    return bound is None or bisect.bisect_right(merged, _rank(bound), key=_rank) >= top_k


def rescreen(
    store: Store | str,
    *,
    cases: TableSource | RawTable | None = None,
    candidates: TableSource | RawTable | None = None,
    top_k: int = 20,
    full: bool = False,
    refit: bool = True,
    model: FellegiSunter | None = None,
    blocking: BlockingSpec | None = None,
    seed: int = 0,
    progress: bool = False,
    mapping: Mapping[str, str] | None = None,
    strict: bool = False,
    log: Callable[[str], None] | None = None,
) -> RescreenReport:
    """Upsert new and changed cases and candidates, re-score what they affect, merge the top-k.

    Parameters
    ----------
    store:
        A :class:`Store` or a database URL (opened, upgraded, and closed again).
    cases, candidates:
        Inputs as :func:`reunite.ingest.read_table` reads them (a path, DataFrame, ...); rows it
        quarantines are reported in ``RescreenReport.ingest`` and never stored. ``None``: no input
        on that side. Rows are compared with the stored ones by id and content: only new and
        changed rows count; ids absent from the input are kept as they are.
    top_k:
        Candidates kept per case. A different value than the stored fitted model's forces a full run.
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
        Called with what a person watching wants to read: the ingest summaries, then a line when
        the run has begun (the command line prints them).

    Returns
    -------
    RescreenReport
        ``kind`` is ``"nothing"`` (no run recorded, nothing written) when nothing came in that
        could change a top-k.

    Raises
    ------
    ConcurrentRunError
        Another re-screen holds the run lock.
    InputError, StoreError
        Bad input, or a database that refuses; the database is left as it was.

    Notes
    -----
    Everything a run writes (rows, fitted model, results, the run's status) is committed in one
    transaction at the end; a run killed before leaves the database as it was, and the next run
    takes the dead process's lock over. Closed cases are not screened; pairs DNA excluded are
    never proposed, and a case whose top-k holds a newly excluded pair is screened anew.

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
    if top_k < 1:
        raise ConfigError(f"top_k: expected a whole number >= 1; got {top_k}")
    if isinstance(store, str):
        with Store.open(store) as opened:
            return rescreen(opened, cases=cases, candidates=candidates, top_k=top_k, full=full,
                            refit=refit, model=model, blocking=blocking, seed=seed, progress=progress,
                            mapping=mapping, strict=strict, log=log)
    started = time.perf_counter()
    raw = {"cases": _read(cases, "cases", mapping, strict),
           "candidates": _read(candidates, "candidates", mapping, strict)}
    sources: dict[str, object] = {"cases": cases, "candidates": candidates}
    for table in raw.values():
        if table is not None and log is not None:
            log(table.report.summary())
    base = model if model is not None else default_model()
    blocking = blocking or BlockingSpec()
    last_run = store.last_run_id() or 0
    busy = store.lock_holder() is not None  # a run under way may commit after the first look
    job = _Job(store, raw, sources, base, blocking, top_k, seed, full, refit)
    if job.nothing_to_do():
        return job.report("nothing", None, started)
    run_id = store.begin_run("full" if job.kind == "full" else "incremental", job.config, job.model_version,
                             seed, job.facts())
    try:
        if busy or run_id != last_run + 1:
            job.plan()  # another run came between the first look and the lock: look again
        if log is not None:
            log(f"run {run_id} started: {job.kind} re-screen ({job.reason})")
        job.execute(run_id, progress)
    except BaseException as exc:
        store.fail_run(run_id, exc)
        raise
    return job.report(job.kind, run_id, started)


class _Job:
    """One re-screen's state: what came in, what the store holds, what to screen."""

    def __init__(self, store: Store, raw: dict[str, RawTable | None], sources: dict[str, object],
                 base: FellegiSunter, blocking: BlockingSpec, top_k: int, seed: int, full: bool,
                 refit: bool) -> None:
        self.store, self.raw, self.sources = store, raw, sources
        self.base, self.blocking, self.top_k, self.seed = base, blocking, top_k, seed
        self.depth = BUFFER * top_k
        self.full_asked, self.refit = full, refit
        self.config = config_hash(top_k, blocking, base.version)
        self.pairs = self.screened_all = self.screened_delta = self.gained = 0
        self.new_model: FellegiSunter | None = None  # what a full run fitted
        self.after: dict[str, list[Bound]] = {}  # touched cases: stored rows after the run
        self.bounds: dict[str, Bound | None] = {}
        self.plan()

    def plan(self) -> None:
        store = self.store
        self.cases = _split(self.raw["cases"], "cases", store, self.sources["cases"])
        self.candidates = _split(self.raw["candidates"], "candidates", store, self.sources["candidates"])
        self.stored = store.fitted_model()
        self.open_ids = sorted(set(store.open_case_ids()) | set(self.cases.new_ids))
        open_set = set(self.open_ids)
        # (score, person) of every open case's stored rows, in rank order
        self.before: dict[str, list[Bound]] = defaultdict(list)
        self.before.update((c, keys) for c, keys in store.topk_scores().items() if c in open_set)
        self.bounds_before = store.case_bounds()
        self.excluded = store.excluded_pairs()
        self.kind: RescreenKind = "full"
        refit = True
        if self.stored is None:
            self.reason = "no fitted model yet"
        elif self.stored.base_version != self.base.version:
            self.reason = f"base model changed ({self.stored.base_version} -> {self.base.version})"
        elif self.stored.config_hash != self.config:
            self.reason = "top-k or blocking changed since the model was fitted"
        elif self.full_asked:
            refit = self.refit
            self.reason = "asked for" + ("" if refit else ", with the stored fitted model")
        else:
            self.kind, self.reason, refit = "incremental", "stored fitted model", False
        # None: a full run fits a new model; else the stored fitted model scores every pair
        self.fitted: FellegiSunter | None = None
        self.model_version = self.base.version
        if not refit:
            assert self.stored is not None
            self.fitted = FellegiSunter.from_dict(self.stored.model)
            self.model_version = self.stored.version
        # a pair DNA excluded since it was stored: the case is screened anew (the merge keeps old rows)
        self.stale = {c for c, keys in self.before.items() if any((c, p) in self.excluded for _, p in keys)} \
            if self.excluded else set()
        self.changed_open = {c for c in self.cases.ids if c in open_set}

    def nothing_to_do(self) -> bool:
        return (self.kind == "incremental" and not self.candidates.ids and not self.changed_open
                and not self.stale)

    def facts(self) -> dict[str, Any]:
        return {"cases": self.cases.facts, "candidates": self.candidates.facts, "open_cases": len(self.open_ids),
                "top_k": self.top_k, "stored_per_case": self.depth, "reason": self.reason,
                "refit": self.kind == "full" and self.fitted is None}

    def _options(self, model: FellegiSunter, progress: bool) -> dict[str, Any]:
        return {"top_k": self.depth, "model": model, "blocking": self.blocking, "exclude": self.excluded,
                "fit_to_data": False, "seed": self.seed, "progress": progress}

    def _open_cases(self, ids: set[str]) -> RawTable:
        stored = self.store.read_rows("cases", ids - set(self.cases.new_ids))
        return _table(_overlay(stored, self.cases, ids), "cases", "stored cases")

    def _all_candidates(self) -> RawTable:
        return _table(_overlay(self.store.read_rows("candidates"), self.candidates, None), "candidates",
                      "stored candidates")

    def execute(self, run_id: int, progress: bool) -> None:
        results, replace = self._full(progress) if self.kind == "full" else self._incremental(progress)
        fitted_json = None
        if self.new_model is not None:
            fitted_json = self.new_model.to_dict()
            self.model_version = str(fitted_json["version"])
        self.store.commit_run(
            run_id, cases=self.cases.rows, candidates=self.candidates.rows, results=results,
            replace_cases=replace, rescored_person_ids=self.candidates.ids if self.kind != "full" else (),
            top_k=self.depth, model_version=self.model_version, fitted_model=fitted_json,
            base_model_version=self.base.version, current=self.before,
            bounds={c: b for c, b in self.bounds.items() if b != self.bounds_before.get(c)},  # changed ones
            summary={"kind": self.kind, "screened_all": self.screened_all,
                     "screened_delta": self.screened_delta, "pairs_compared": self.pairs},
        )
        k = self.top_k
        self.gained = sum(bool({p for _, p in rows[:k]} - {p for _, p in self.before[c][:k]})
                          for c, rows in self.after.items())

    def _screen_all(self, cases: set[str], model: FellegiSunter | None, progress: bool,
                    candidates: RawTable | None = None) -> list[dict[str, Any]]:
        """Screen ``cases`` against every candidate; their stored rows and bounds are replaced."""
        case_rows = self._open_cases(cases)
        candidates = candidates if candidates is not None else self._all_candidates()
        rows: list[dict[str, Any]] = []
        if len(case_rows) and len(candidates):
            case_table, cand_table = load_side(case_rows, "cases"), load_side(candidates, "candidates")
            if model is None:
                fitted, _ = fit_population(self.base, case_table, cand_table, seed=self.seed)
                # scored with the model as stored (JSON rounds m and u), as the next incremental run will
                model = self.new_model = FellegiSunter.from_dict(fitted.to_dict())
            result = screen(case_table, cand_table, **self._options(model, progress))
            self.pairs += result.pairs_compared
            rows = _rows(result)
        per_case: dict[str, list[Bound]] = {c: [] for c in cases}
        for row in rows:
            per_case[row["case_id"]].append((float(row["score"]), str(row["person_id"])))
        for case_id, keys in per_case.items():
            self.after[case_id] = keys
            self.bounds[case_id] = keys[-1] if len(keys) >= self.depth else None
        self.screened_all = len(cases)
        return rows

    def _full(self, progress: bool) -> tuple[list[dict[str, Any]], set[str]]:
        open_set = set(self.open_ids)
        return self._screen_all(open_set, self.fitted, progress), open_set

    def _incremental(self, progress: bool) -> tuple[list[dict[str, Any]], set[str]]:
        assert self.fitted is not None
        replace = self.changed_open | self.stale
        delta_cases = set(self.open_ids) - replace
        fresh: dict[str, list[dict[str, Any]]] = defaultdict(list)
        scored = None
        if self.candidates.ids and delta_cases and self.candidates.table is not None:
            # top_k (not 2 * top_k) rows each: the k-th best new or changed candidate of a case
            # ranks far below its stored rows; reasons are formatted for the rows written only
            scored = _screen_rows(self._open_cases(delta_cases), self.candidates.table, self.fitted,
                                  self.blocking, self.excluded, self.top_k)
            for row in scored.rows if scored is not None else ():
                fresh[row["case_id"]].append(row)
            self.pairs += scored.pairs if scored is not None else 0
        leaving = set(self.candidates.changed_ids)
        results: list[dict[str, Any]] = []
        for case_id in sorted(delta_cases):
            old = self.before[case_id]
            if case_id not in fresh and not any(p in leaving for _, p in old):
                continue  # untouched: nothing new in its window, nothing left it
            merged, bound = _merge_case(old, fresh[case_id], leaving, self.bounds_before.get(case_id),
                                        self.depth, self.top_k)
            if not _exact(merged, bound, self.top_k):
                replace.add(case_id)  # too many left its stored rows: the next one down is unknown
                continue
            self.after[case_id], self.bounds[case_id] = merged, bound
            entering = {p for _, p in merged}  # the others would be cut by the merge: not written
            results += [r for r in fresh[case_id] if r["person_id"] in entering]
        if scored is not None:
            scored.add_reasons(results)
        self.screened_delta = len(delta_cases - replace)
        if replace:
            results += self._screen_all(replace, self.fitted, progress)
        return results, replace

    def report(self, kind: RescreenKind, run_id: int | None, started: float) -> RescreenReport:
        reports = tuple(r.report for r in self.raw.values() if r is not None)
        reason = self.reason if kind != "nothing" else "no new or changed rows, no new DNA exclusions"
        return RescreenReport(
            kind=kind, reason=reason, run_id=run_id, model_version=self.model_version, top_k=self.top_k,
            new_cases=len(self.cases.new_ids), changed_cases=len(self.cases.changed_ids),
            new_candidates=len(self.candidates.new_ids), changed_candidates=len(self.candidates.changed_ids),
            cases_screened_all=self.screened_all, cases_screened_delta=self.screened_delta,
            pairs_compared=self.pairs, cases_with_new_candidates=self.gained, ingest=reports,
            seconds=time.perf_counter() - started,
        )
