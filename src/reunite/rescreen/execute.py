"""One run executed: screen, merge (:mod:`reunite.merge`), commit."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from reunite import merge, stored_records
from reunite.ingest import IngestReport
from reunite.matching.model import FellegiSunter
from reunite.matching.shards import take_records
from reunite.merge import CaseState
from reunite.normalize import RecordTable
from reunite.pipeline import fit_model, load_side
from reunite.rescreen.inputs import overlay, stored_table
from reunite.rescreen.night import Look, Settings
from reunite.rescreen.pairs import DeltaPairs, delta_side, screen_pairs
from reunite.store import Store

__all__ = ["Done", "encode_cases", "execute", "result_rows", "screen_in_full"]

@dataclass(frozen=True, slots=True)
class Done:
    """What a run did, for the report."""

    model_version: str
    pairs: int
    screened_all: int
    screened_delta: int
    gained: int


def execute(store: Store, look: Look, settings: Settings, run_id: int, progress: bool) -> Done:
    """Screen, merge (:mod:`reunite.merge`) and commit one run."""
    depth = settings.depth
    model = look.fitted
    after: dict[str, CaseState] = {}
    reasons: dict[tuple[str, str], str] = {}
    pairs = screened_delta = 0
    in_full = set(look.in_full)
    fresh: DeltaPairs | None = None
    normalized: dict[str, str] = {}  # normalized records of cases to keep
    if look.kind == "incremental":
        assert model is not None
        delta = sorted(set(look.open_ids) - in_full)
        gone, fresh, normalized = delta_pairs(store, look, settings, delta, progress)
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
        full_states, full_reasons, model, new_model, full_pairs, full_normalized = screen_in_full(
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
    results = result_rows(full_states, prior, reasons)
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
        normalized_cases=normalized, normalized_with=stored_records.fingerprint(), read_on=settings.today,
        calendar={**look.calendar, **_marks(look.candidates.rows, settings)}, scored=look.unscreened,
        bounds={c: s.bound for c, s in after.items()  # (a merged case's bound mostly stays: not rewritten)
                if c in in_full or c not in look.states or look.states[c].bound != s.bound},
        totals={c: s.totals for c, s in after.items()},
        summary={"kind": look.kind, "screened_all": len(in_full), "screened_delta": screened_delta,
                 "pairs_compared": pairs},
    )
    k = settings.top_k
    before = {c: {p for _, p in s.rows[:k]} for c, s in look.states.items()}
    gained = sum(bool({p for _, p in s.rows[:k]} - before.get(c, set())) for c, s in after.items())
    return Done(version, pairs, len(in_full), screened_delta, gained)


def _marks(rows: Sequence[Mapping[str, str]], settings: Settings) -> dict[str, bool]:
    """Whether each candidate row the run stores or reads again may read differently on a later day."""
    return dict(zip((r["person_id"] for r in rows),
                    stored_records.reads_by_date(rows, "candidates", settings.today).tolist(), strict=True))


def _stored_cases(store: Store, ids: Collection[str], today: datetime.date, held: RecordTable | None = None
                  ) -> tuple[RecordTable, dict[str, str]]:
    """The stored cases ``ids``, normalized, in the order of their ids: their stored normalized
    records where this code made them (:mod:`reunite.stored_records`; taken from ``held``, the
    records :func:`reunite.rescreen.night.look_at` decoded, when it holds every one), the others
    normalized again; and the records of the latter, to keep. (Their dates read today as stored:
    :func:`reunite.rescreen.night.look_at` screens every open case whose record does not in full, so
    a delta case's does.)"""
    wanted = sorted(set(ids))
    if held is not None:
        position = dict(zip(held.ids.tolist(), range(len(held)), strict=True))
        if all(c in position for c in wanted):
            taken = take_records(held, [position[c] for c in wanted])
            return dataclasses.replace(taken, rows=np.arange(len(wanted), dtype=held.rows.dtype),
                                       report=IngestReport(source="stored cases", read=len(wanted))), {}
    rows = store.read_rows("cases", wanted)
    kept = store.normalized_cases(wanted)
    mark = stored_records.fingerprint()
    usable = [r for r in rows if kept.get(r["case_id"], ("", ""))[0] == mark]
    report = IngestReport(source="stored cases", read=len(rows))
    tables: list[RecordTable] = []
    again = [r for r in rows if kept.get(r["case_id"], ("", ""))[0] != mark]
    if usable:
        tables.append(stored_records.decode([kept[r["case_id"]][1] for r in usable], "cases", report))
    fresh: dict[str, str] = {}
    if again:
        normalized = load_side(stored_table(again, "cases", "stored cases"), "cases", today=today)
        fresh = encode_cases(normalized, again, today)
        tables.append(normalized)
    return (stored_records.concat(tables, report) if len(tables) > 1 else tables[0]), fresh


def encode_cases(table: RecordTable, rows: Sequence[Mapping[str, str]], today: datetime.date) -> dict[str, str]:
    """The normalized records of the cases of ``table`` to keep (case id -> text), each with its
    calendar mark (:func:`reunite.stored_records.reads_by_date` of its canonical row among ``rows``,
    read ``today``)."""
    ids = table.ids.tolist()
    by_id = {r["case_id"]: r for r in rows}
    marks = stored_records.reads_by_date([by_id[c] for c in ids], "cases", today).tolist()
    return dict(zip(ids, stored_records.encode(table, marks), strict=True))


def delta_pairs(store: Store, look: Look, settings: Settings, delta: Sequence[str], progress: bool
                 ) -> tuple[DeltaPairs | None, DeltaPairs | None, dict[str, str]]:
    """The ``delta`` cases' pairs with the changed candidates' old versions (as stored, read as of the
    day the last run read them on) and with the new and changed candidates' new versions (read today),
    scored with the stored fitted model (:func:`delta_side`); and the normalized records of the cases
    that had to be normalized again."""
    assert look.fitted is not None
    # a removed person leaves as a changed one does, with no new version: its old terms go
    leaving = sorted(set(look.candidates.changed_ids) | look.removed("candidates"))
    if not delta or (look.candidates.table is None and not leaving):
        return None, None, {}
    delta_cases, normalized = _stored_cases(store, delta, settings.today, look.held)
    gone = fresh = None
    if leaving:
        old_rows = store.read_rows("candidates", leaving)
        # as the last run read them (look_at screens everything in full when that day is not known)
        old_versions = load_side(stored_table(old_rows, "candidates", "stored candidates"), "candidates",
                                 today=look.read_on)
        gone = delta_side(delta_cases, old_versions, look, settings, False)
    if look.candidates.table is not None:
        fresh = delta_side(delta_cases, look.candidates.table, look, settings, progress)
    return gone, fresh, normalized


def screen_in_full(store: Store, look: Look, settings: Settings, cases: set[str], progress: bool) -> tuple[
        dict[str, CaseState], dict[tuple[str, str], str], FellegiSunter, FellegiSunter | None, int, dict[str, str]]:
    """Screen ``cases`` against every candidate (fitting a model first when the run refits): their
    states from that screen, the reasons of their rows, the model, the new fitted model, pairs, and
    the cases' normalized records (:mod:`reunite.stored_records`)."""
    case_list = overlay(store.read_rows("cases", cases - set(look.cases.new_ids)), look.cases, cases)
    case_rows = stored_table(case_list, "cases", "stored cases")
    removed = look.removed("candidates")
    all_candidates = stored_table([r for r in overlay(store.read_rows("candidates"), look.candidates, None)
                             if r["person_id"] not in removed], "candidates", "stored candidates")
    model, new_model = look.fitted, None
    case_table = load_side(case_rows, "cases", today=settings.today)
    cand_table = load_side(all_candidates, "candidates", today=settings.today)
    if model is None:  # fitted as screen fits: u, name frequencies, and m learned from the stored data
        fitted, _, _ = fit_model(settings.base, case_table, cand_table, blocking=settings.blocking,
                                 seed=settings.seed, exclude=look.excluded)
        # scored with the model as stored (JSON rounds m and u), as the next incremental run will
        model = new_model = FellegiSunter.from_dict(fitted.to_dict())
    scored = screen_pairs(case_table, cand_table, model, settings.blocking, look.excluded, settings.depth,
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
    normalized = encode_cases(case_table, case_list, settings.today)
    return states, reasons, model, new_model, scored.pairs if scored is not None else 0, normalized


def result_rows(states: Mapping[str, CaseState], prior: float,
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
