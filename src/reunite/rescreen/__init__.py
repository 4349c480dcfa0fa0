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

Rows read differently from one day to the next (an interval that reaches today is clipped to today,
a date in the future is unknown, a two-digit year is read relative to today, a resident ID number
born after today is not valid: :mod:`reunite.normalize.dates`, :mod:`reunite.normalize.ids`). So
every run records the day it read its rows on (``today``), and the stored sums hold every term as
read on the last run's day: a night reads the stored old versions of the changed and removed
candidates as of that day, so their terms leave exactly; a stored candidate that reads otherwise
today (the store marks the rows whose reading may still change, and a night checks only those:
:func:`reunite.stored_records.reads_by_date`) is treated as changed, its terms out as read then and
in as read today; and an open case whose stored normalized record does not read as it reads today
is screened in full. A store that does not record the day (from an older reunite), or a ``today``
before it, is screened in full with the stored fitted model.

Rows :meth:`Store.upsert` wrote outside a run are screened by the next night: a new one as a new
row, a case as a changed one; a stored candidate replaced outside a run has lost the version whose
terms the sums hold, so the next night screens everything in full with the stored fitted model.

The package follows a night from its inputs to its report, one way: :mod:`.inputs` splits the
inputs against the store (new and changed rows, normalized) and reads stored rows back;
:mod:`.night` decides the night (what the caller asked for, what came in, what the store holds, the
removal and restore lists, the kind of run); :mod:`.pairs` scores pairs, and a delta screen's two
looks; :mod:`.execute` screens, merges and decides every write by the pure functions of
:mod:`reunite.merge` over the stored state :mod:`.night` read first (no database), and has the
store write them; :mod:`.verification` checks the stored ranking; :mod:`.report` is what a run did. This
module holds the entry point, :func:`rescreen`.
"""

from __future__ import annotations

import contextlib
import datetime
import gc
import time
from collections.abc import Callable, Iterator, Mapping

from reunite._typing import Side, check_flags
from reunite.errors import ConcurrentRunError, InputError
from reunite.i18n import Language, text
from reunite.ingest import IngestReport, RawTable, TableSource, check_fitting_options, check_mapping_used
from reunite.matching.model import FellegiSunter, default_model
from reunite.matching.spec import BlockingSpec
from reunite.rescreen.execute import Done, execute
from reunite.rescreen.inputs import read_input
from reunite.rescreen.night import Look, Removals, Settings, config_hash, look_at
from reunite.rescreen.report import RescreenKind, RescreenReport
from reunite.rescreen.verification import Verification, verify
from reunite.run_config import DEFAULT_TOP_K, RunConfig, checked_today
from reunite.store import Store
from reunite.store.removals import RemovalSource, read_removals

__all__ = ["RescreenKind", "RescreenReport", "Verification", "config_hash", "rescreen", "verify"]


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
    today: datetime.date | None = None,
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
        the input's values (flagged). Every restore is in the audit log. A case a confirmed DNA
        match closed is restored closed, and not screened (flagged).
    today:
        The day rows are read relative to (default: today's date); recorded on the run.

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
    check_flags(full=full, refit=refit, progress=progress, strict=strict, force_removals=force_removals)
    # checked as screen checks them (top_k="5", 2.5 or True, a negative seed): one message, before any work
    RunConfig(top_k=DEFAULT_TOP_K if top_k is None else top_k, seed=seed, blocking=blocking)
    today = checked_today(today)
    if isinstance(store, str):
        with Store.open(store, create=cases is not None) as opened:  # a first run brings cases
            return rescreen(opened, cases=cases, candidates=candidates, top_k=top_k, full=full,
                            refit=refit, model=model, blocking=blocking, seed=seed, progress=progress,
                            mapping=mapping, strict=strict, log=log, lang=lang, encoding=encoding, sheet=sheet,
                            remove_cases=remove_cases, remove_candidates=remove_candidates,
                            force_removals=force_removals, restore_cases=restore_cases,
                            restore_candidates=restore_candidates, today=today)
    sides: tuple[tuple[Side, RemovalSource | None], ...] = (("cases", remove_cases), ("candidates", remove_candidates))
    lists = {side: read_removals(source, side, mapping=mapping, encoding=encoding, sheet=sheet)
             for side, source in sides if source is not None}
    undo: tuple[tuple[Side, RemovalSource | None], ...] = (("cases", restore_cases),
                                                           ("candidates", restore_candidates))
    restores = {side: read_removals(source, side, mapping=mapping, encoding=encoding, sheet=sheet)
                for side, source in undo if source is not None}
    top_k = top_k if top_k is not None else store.last_top_k() or DEFAULT_TOP_K
    with _old_objects_frozen(), _collector_paused() as resume:
        return _rescreen(store, cases, candidates, top_k, full, refit, model, blocking, seed, progress, mapping,
                         strict, log, lang, encoding, sheet, Removals(lists, force_removals, restores),
                         today or datetime.date.today(), resume)


@contextlib.contextmanager
def _collector_paused() -> Iterator[Callable[[], None]]:
    """The cycle collector paused (if it runs) for the run; what it yields turns it back on, for a
    full run's screen (its size has no bound). The rest of a run -- reading the store and the input,
    and an incremental run's screens, merge and writes -- makes a few hundred thousand objects that
    all live until the run ends and no garbage to speak of: a 2,000 x 400,000 night spent 0.17-0.19 s
    of its 2.2 s of CPU in 640 collections (three of them full) walking them again. Normalizing
    pauses it as well (:func:`reunite.normalize.normalize`).

    >>> with _collector_paused() as resume:
    ...     paused = not gc.isenabled()
    ...     resume()
    ...     paused, gc.isenabled()
    (True, True)
    >>> gc.isenabled()
    True
    """
    if not gc.isenabled():  # the caller's choice: left alone
        yield lambda: None
        return
    gc.disable()
    try:
        yield gc.enable
    finally:
        gc.enable()


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
              sheet: str | int | None, removals: Removals, today: datetime.date,
              resume: Callable[[], None]) -> RescreenReport:
    started = time.perf_counter()
    check_fitting_options([s for s in (cases, candidates) if not isinstance(s, RawTable)], encoding, sheet)
    raw = {"cases": read_input(cases, "cases", mapping, strict, encoding, sheet),
           "candidates": read_input(candidates, "candidates", mapping, strict, encoding, sheet)}
    # before anything is stored: an entry that maps nothing left the column it meant unread
    lists = (*removals.lists.values(), *removals.restores.values())
    read: list[tuple[Side, IngestReport]] = [(r.side, r.report) for r in lists]
    if raw["cases"] is not None:
        read.append(("cases", raw["cases"].report))
    if raw["candidates"] is not None:
        read.append(("candidates", raw["candidates"].report))
    check_mapping_used(mapping, read)
    sources: dict[str, object] = {"cases": cases, "candidates": candidates}
    base = model if model is not None else default_model()
    settings = Settings(base, blocking or BlockingSpec(), top_k, seed, full, refit, strict, today)
    store.clear_dead_lock()  # a killed run's lock and "running" row, also on a night with nothing to do
    last_run = store.last_run_id() or 0
    busy = store.lock_holder() is not None  # a run under way may commit after the first look
    look = look_at(store, raw, sources, settings, removals)
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
            look = look_at(store, raw, sources, settings, removals)  # another run came between: look again
        if log is not None:
            log(text(lang, "rescreen_started", run=run_id, kind=text(lang, f"rescreen_kind_{look.kind}"),
                     reason=look.reason))
        if look.kind != "incremental":
            resume()  # the collector, for a screen against every candidate
        done = execute(store, look, settings, run_id, progress)
    except BaseException as exc:
        store.fail_run(run_id, exc)
        raise
    return _report(look, top_k, look.kind, run_id, done, started)


def _report(look: Look, top_k: int, kind: RescreenKind, run_id: int | None, done: Done | None,
            started: float) -> RescreenReport:
    """What the run did (``done``; ``None`` when there was nothing to do), from what it looked at."""
    reports = (*(r.report for r in look.raw.values() if r is not None), *look.removal_reports)
    reason = look.reason if kind != "nothing" else text("en", "rescreen_nothing_reason")
    return RescreenReport(
        kind=kind, reason=reason, run_id=run_id, model_version=done.model_version if done else look.model_version,
        top_k=top_k,
        new_cases=len(look.cases.new_ids) - len(look.restored("cases")), changed_cases=len(look.cases.changed_ids),
        new_candidates=len(look.candidates.new_ids) - len(look.restored("candidates"))
        - int(look.candidates.facts.get("unscreened", 0)),
        changed_candidates=len(look.candidates.changed_ids) - int(look.candidates.facts.get("read_otherwise", 0)),
        cases_screened_all=done.screened_all if done else 0,
        cases_screened_delta=done.screened_delta if done else 0,
        pairs_compared=done.pairs if done else 0, cases_with_new_candidates=done.gained if done else 0,
        ingest=reports, seconds=time.perf_counter() - started,
        removed_cases=len(look.removed("cases")) if kind != "nothing" else 0,
        removed_candidates=len(look.removed("candidates")) if kind != "nothing" else 0,
        restored_cases=len(look.restored("cases")), restored_candidates=len(look.restored("candidates")),
        delta_candidates=done.delta_candidates if done else 0, screened_all_because=done.causes if done else {},
    )
