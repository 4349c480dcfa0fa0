"""The plan of a night: what the caller asked for (:class:`Settings`), what came in and what the
store holds (:class:`Look`), the removal and restore lists decided, and the kind of run."""

from __future__ import annotations

import dataclasses
import datetime
from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from reunite import merge, stored_records
from reunite._typing import Side
from reunite.ingest import IngestReport, RawTable
from reunite.matching.model import FellegiSunter
from reunite.matching.shards import take_records
from reunite.matching.spec import BlockingSpec
from reunite.merge import CaseState
from reunite.normalize import RecordTable
from reunite.pipeline import load_side
from reunite.rescreen.inputs import Input, as_new, split_input, stored_table, with_restored, with_rows
from reunite.rescreen.report import RescreenKind
from reunite.store import Store
from reunite.store.fitted import StoredModel
from reunite.store.records import inputs_hash
from reunite.store.removals import Removal, RemovalList, decide_removals, decide_restores

__all__ = ["BUFFER", "Look", "Removals", "Settings", "config_hash", "look_at", "run_kind"]

BUFFER = 2  # rows stored per case, as a multiple of top-k: room for candidates that change or leave


def config_hash(top_k: int, blocking: BlockingSpec, base_version: str) -> str:
    """Hash of what makes two runs' top-k comparable: top-k, blocking and the base model.

    >>> config_hash(20, BlockingSpec(), "abc") == config_hash(20, BlockingSpec(), "abc")
    True
    >>> config_hash(20, BlockingSpec(), "abc") == config_hash(10, BlockingSpec(), "abc")
    False
    """
    return inputs_hash({"top_k": top_k, "blocking": dataclasses.asdict(blocking), "base_model": base_version})


@dataclass(frozen=True, slots=True)
class Settings:
    """What the caller asked for."""

    base: FellegiSunter
    blocking: BlockingSpec
    top_k: int
    seed: int
    full: bool
    refit: bool
    strict: bool
    today: datetime.date = dataclasses.field(default_factory=datetime.date.today)  # rows are read relative to it

    @property
    def depth(self) -> int:
        return BUFFER * self.top_k

    @property
    def config(self) -> str:
        return config_hash(self.top_k, self.blocking, self.base.version)


@dataclass(frozen=True, slots=True)
class Look:
    """What came in and what the store holds, read before the run, and the kind of run it needs."""

    cases: Input
    candidates: Input
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
    read_on: datetime.date | None = None   # the day the last run read the stored rows on
    calendar: dict[str, bool] = dataclasses.field(default_factory=dict)  # checked candidates' marks today
    moved: dict[Side, tuple[str, ...]] = dataclasses.field(default_factory=dict)  # read otherwise today
    unscreened: dict[Side, tuple[str, ...]] = dataclasses.field(default_factory=dict)  # upserted outside a run
    held: RecordTable | None = None        # incremental: stored records of open cases that read today as kept
    old_versions: RecordTable | None = None  # incremental: changed and removed candidates as stored, read then

    @property
    def nothing_to_do(self) -> bool:
        # a new or changed row is stored even when it screens nothing (a closed case's edited record)
        return (self.kind == "incremental" and not self.candidates.ids and not self.cases.ids and not self.in_full
                and not self.removals)

    def removed(self, side: Side) -> set[str]:
        return {r.record_id for r in self.removals if r.side == side}

    def restored(self, side: Side) -> set[str]:
        return {r.record_id for r in self.restores if r.side == side}

    def facts(self, settings: Settings) -> dict[str, Any]:
        return {"cases": self.cases.facts, "candidates": self.candidates.facts, "open_cases": len(self.open_ids),
                "top_k": settings.top_k, "stored_per_case": settings.depth, "reason": self.reason,
                "normalized_with": stored_records.fingerprint(),
                "refit": self.kind == "full" and self.fitted is None,
                "removed": {side: len(self.removed(side)) for side in ("cases", "candidates")},
                "restored": {side: len(self.restored(side)) for side in ("cases", "candidates")},
                "removal_lists": {r.source: {"read": r.read, "accepted": r.accepted, "quarantined": r.quarantined}
                                  for r in self.removal_reports},
                "read_on": settings.today.isoformat(),
                "read_otherwise": {side: len(ids) for side, ids in self.moved.items()},
                "unscreened": {side: len(ids) for side, ids in self.unscreened.items()}}


@dataclass(frozen=True, slots=True)
class Removals:
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
            keys = [key for _, key, _ in found.rows]
            decided, report = decide_restores(
                found, stored=store.removal_state(side, keys), given=set(raw.ids) if raw is not None else set(),
                removing={key for _, key, _ in self.lists[side].rows} if side in self.lists else set(),
                closed=store.closed_case_ids(keys) if side == "cases" else ())
            restored += decided
            reports.append(report)
        return tuple(restored), tuple(reports)


def _by(pairs: Collection[tuple[str, str]], index: int) -> dict[str, list[str]]:
    """The (case, person) ``pairs`` by their ``index``-th id: the other ids, sorted."""
    found: dict[str, list[str]] = defaultdict(list)
    for pair in sorted(pairs):
        found[pair[index]].append(pair[1 - index])
    return dict(found)


def run_kind(stored: StoredModel | None, normalized_with: str | None, settings: Settings,
             read_on: datetime.date | None = None, lost: int = 0) -> tuple[RescreenKind, str, bool]:
    """(kind, reason, refit) of the run the stored fitted model and the settings call for.

    ``normalized_with`` is the normalizer fingerprint (:func:`reunite.stored_records.fingerprint`)
    recorded by the run that fitted the stored model. The stored sums hold every candidate's terms
    as that code read the rows, and a night takes a changed or removed candidate's old terms out by
    reading its stored row again: under other code a stored row may read differently or not at
    all (quarantined), and its terms would not leave exactly. So the first night under another
    reader or normalizer screens everything in full.

    ``read_on`` is the day the last run read the stored rows on: a night reads the old versions as
    of it, so a store that does not record it (from an older reunite), or a day after today, calls
    for a full run with the stored fitted model. So do ``lost`` rows: stored candidates that
    ``Store.upsert`` wrote outside a run and that replaced a screened version (gone) or leave tonight
    (their terms are in no sum).
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
    if read_on is None:
        return "full", "the day the stored rows were read on is not recorded (a store from an older reunite): " \
            "every stored record is read again, with the stored fitted model", False
    if read_on > settings.today:
        return "full", f"today ({settings.today.isoformat()}) is before the day the stored rows were read on " \
            f"({read_on.isoformat()}): every stored record is read again, with the stored fitted model", False
    if lost:
        return "full", f"{lost} stored candidate(s) written outside a run (Store.upsert without a run) replaced " \
            "a screened version or leave unscreened: every stored record is read again, with the stored " \
            "fitted model", False
    return "incremental", "stored fitted model", False


def _cases_read_otherwise(store: Store, ids: Collection[str], read_on: datetime.date | None, today: datetime.date
                          ) -> tuple[set[str], RecordTable | None]:
    """Those of the stored cases ``ids`` whose stored normalized record does not stand for reading
    them ``today`` (none kept, another normalizer's, or dates that read otherwise: a case's stored
    sums hold the terms of that record, so such a case is screened in full); and the decoded records
    of the others, in the order of their ids (the night's delta screens read them).

    Only records that may read differently on a later day (their calendar mark, set when they were
    made: :func:`reunite.stored_records.encode`), or that carry no mark, have their dates read
    again, unless ``today`` is before ``read_on`` (a mark speaks of the days after its record's)."""
    rows = store.read_rows("cases", ids)
    kept = store.normalized_cases(ids)
    mark = stored_records.fingerprint()
    usable = [r for r in rows if kept.get(r["case_id"], ("", ""))[0] == mark]
    found = {r["case_id"] for r in rows if kept.get(r["case_id"], ("", ""))[0] != mark}
    if not usable:
        return found, None
    decoded, marks = stored_records.decode_marked([kept[r["case_id"]][1] for r in usable], "cases",
                                                  IngestReport(source="stored cases", read=len(usable)))
    every = read_on is None or today < read_on
    check = [i for i, m in enumerate(marks) if every or m is not False]
    if check:
        hold = stored_records.dates_hold(take_records(decoded, check), [usable[i] for i in check], today)
        found |= {usable[i]["case_id"] for i, ok in zip(check, hold.tolist(), strict=True) if not ok}
    if not found & {r["case_id"] for r in usable}:
        return found, decoded
    return found, take_records(decoded, [i for i, r in enumerate(usable) if r["case_id"] not in found])


def _candidates_read_otherwise(store: Store, skip: Collection[str], read_on: datetime.date | None,
                               today: datetime.date, compare: bool) -> tuple[list[dict[str, str]], dict[str, bool]]:
    """The stored candidates (not in ``skip``) that read otherwise ``today`` than on ``read_on`` (the
    day the last run read them on; only when ``compare``), and the marks of every candidate checked:
    whether it may still read differently on a later day (:func:`reunite.stored_records.reads_by_date`).
    Only candidates not marked settled are checked (:meth:`Store.calendar_rows`), unless ``today``
    is before ``read_on``: a mark says a row reads alike on every *later* day."""
    every = read_on is not None and today < read_on
    rows = [r for r in store.calendar_rows(every=every) if r["person_id"] not in skip]
    marks = dict(zip((r["person_id"] for r in rows),
                     stored_records.reads_by_date(rows, "candidates", today).tolist(), strict=True))
    then = read_on if compare else None
    if then is None or then == today or not rows:
        return [], marks
    alike = stored_records.reads_alike(rows, "candidates", then, today)
    return [r for r, same in zip(rows, alike.tolist(), strict=True) if not same], marks


def look_at(store: Store, raw: dict[str, RawTable | None], sources: Mapping[str, object],
          settings: Settings, removals: Removals | None = None) -> Look:
    today = settings.today
    cases = split_input(raw["cases"], "cases", store, sources["cases"], settings.strict, today)
    candidates = split_input(raw["candidates"], "candidates", store, sources["candidates"], settings.strict, today)
    removals = removals or Removals({}, False)
    given: dict[Side, RawTable | None] = {"cases": raw["cases"], "candidates": raw["candidates"]}
    removed, removal_reports = removals.decide(store, given)
    restored, restore_reports = removals.decide_restores(store, given)
    if restored:
        cases = with_restored(cases, store, [r.record_id for r in restored if r.side == "cases"], today)
        candidates = with_restored(candidates, store, [r.record_id for r in restored if r.side == "candidates"],
                                   today)
        back = {("cases", key) for key in cases.new_ids} | {("candidates", key) for key in candidates.new_ids}
        restored = tuple(r for r in restored if (r.side, r.record_id) in back)
    stored = store.fitted_model()
    gone_cases = {r.record_id for r in removed if r.side == "cases"}
    # a closed case (a confirmed DNA match) that comes back, restored or sent again, stays closed
    open_ids = sorted((set(store.open_case_ids()) | (set(cases.new_ids) - store.closed_case_ids(cases.new_ids)))
                      - gone_cases)
    open_set = set(open_ids)
    topk = {c: rows for c, rows in store.topk_scores().items() if c in open_set}
    totals = {c: t for c, t in store.case_totals().items() if c in open_set}
    states = merge.states_from_store(topk, store.case_bounds(), totals)
    excluded = store.excluded_pairs()
    exclusions = merge.exclusions_by_case(excluded)
    normalized_with = (store.run_info(stored.run_id)["input_counts"] or {}).get("normalized_with") \
        if stored is not None else None
    read_on = store.last_read_on()
    new_people, replaced_people = store.unscreened("candidates")
    unscreened_cases = [c for c in (p for part in store.unscreened("cases") for p in part) if c in open_set]
    # (a person upserted outside a run and removed tonight would take out terms the sums never held)
    lost = len(replaced_people) + len(set(new_people) & {r.record_id for r in removed if r.side == "candidates"})
    kind, reason, refit = run_kind(stored, normalized_with, settings, read_on, lost)
    fitted, version = None, settings.base.version
    if not refit:
        assert stored is not None
        fitted, version = FellegiSunter.from_dict(stored.model), stored.version
    skip = {*candidates.ids, *(r.record_id for r in removed if r.side == "candidates"), *new_people}
    moved_people, marks = _candidates_read_otherwise(store, skip, read_on, today, kind == "incremental")
    moved_cases: set[str] = set()
    held: RecordTable | None = None
    if kind == "incremental":
        # rows Store.upsert wrote outside a run are new to the stored sums; rows that read otherwise
        # today leave them as read on the last run's day and come in as read today
        candidates = as_new(candidates, set(new_people))
        candidates = with_rows(candidates, store.read_rows("candidates", set(new_people) - set(candidates.ids)),
                               today, changed=False, fact="unscreened")
        candidates = with_rows(candidates, moved_people, today, changed=True, fact="read_otherwise")
        moved_cases, held = _cases_read_otherwise(store, open_set - set(cases.ids), read_on, today)
    in_full = (merge.cases_to_screen_in_full(open_ids, states, {*cases.ids, *unscreened_cases, *moved_cases},
                                             exclusions)
               if kind == "incremental" else set(open_ids))
    old_versions = None
    # a removed person leaves as a changed one does, with no new version: its old terms go
    leaving = sorted(set(candidates.changed_ids) | {r.record_id for r in removed if r.side == "candidates"})
    if kind == "incremental" and leaving and set(open_ids) - in_full:
        # as the last run read them (a store that does not know that day is screened in full)
        old_versions = load_side(stored_table(store.read_rows("candidates", leaving), "candidates",
                                              "stored candidates"), "candidates", today=read_on)
    return Look(cases, candidates, open_ids, states, excluded, exclusions, kind, reason, fitted, version,
                 in_full, raw, removed, (*removal_reports, *restore_reports), restored, read_on, marks,
                 {"cases": tuple(sorted(moved_cases)), "candidates": tuple(r["person_id"] for r in moved_people)},
                 {"cases": tuple(unscreened_cases), "candidates": (*new_people, *replaced_people)}, held,
                 old_versions)
