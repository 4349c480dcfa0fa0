"""One run executed: screen, merge (:mod:`reunite.merge`), commit."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from reunite import merge, stored_records
from reunite.ingest import IngestReport
from reunite.matching.model import FellegiSunter
from reunite.matching.shards import take_records
from reunite.merge import CaseState
from reunite.normalize import RecordTable
from reunite.pipeline import fit_model, load_side, reuse_freed_memory
from reunite.rescreen.inputs import overlay, stored_table
from reunite.rescreen.night import Look, Settings
from reunite.rescreen.pairs import DeltaPairs, delta_side, screen_pairs
from reunite.store import Store

__all__ = ["Done", "delta_pairs", "encode_cases", "execute", "screen_in_full"]

@dataclass(frozen=True, slots=True)
class Done:
    """What a run did, for the report."""

    model_version: str
    pairs: int
    screened_all: int
    screened_delta: int
    gained: int
    delta_candidates: int = 0      # incremental: new, changed and removed candidates the delta screens took
    causes: Mapping[merge.FullScreenCause, int] = dataclasses.field(default_factory=dict)  # incremental


def execute(store: Store, look: Look, settings: Settings, run_id: int, progress: bool) -> Done:
    """Screen, decide the writes (the pure functions of :mod:`reunite.merge`, from the stored state
    ``look`` read before), and commit them: the store reads the candidates only for a screen
    against all of them, and writes what :func:`reunite.merge.night_writes` decided."""
    depth = settings.depth
    model = look.fitted
    after: dict[str, CaseState] = {}
    full_reasons: dict[tuple[str, str], str] = {}
    pairs = screened_delta = delta_candidates = 0
    causes: dict[merge.FullScreenCause, int] = {}
    in_full = set(look.in_full)
    fresh: DeltaPairs | None = None
    normalized: dict[str, str] = {}  # normalized records of cases to keep
    if look.kind == "incremental":
        assert model is not None
        reuse_freed_memory()  # the delta screens' temporaries are small and many
        delta = sorted(set(look.open_ids) - in_full)
        gone, fresh = delta_pairs(look, settings, delta, progress)
        pairs += sum(p.pairs for p in (gone, fresh) if p is not None)
        merged, unknown = merge.merge_delta(
            look.states, delta, gone=gone.deltas() if gone else {}, fresh=fresh.deltas() if fresh else {},
            leaving=set(look.candidates.changed_ids) | look.removed("candidates"), depth=depth,
            top_k=settings.top_k)
        after.update(merged)
        in_full |= unknown
        delta_candidates = len(set(look.candidates.ids) | look.removed("candidates"))
        # with no candidate new, changed or removed, no case was screened against them
        screened_delta = len(delta) - len(unknown) if delta_candidates else 0
        causes = merge.full_screen_causes(
            in_full, look.states, look.exclusions, new=look.cases.new_ids, changed=look.cases.changed_ids,
            read_otherwise=look.moved.get("cases", ()), unscreened=look.unscreened.get("cases", ()))
    new_model = None
    if in_full:
        full_states, full_reasons, model, new_model, full_pairs, normalized = screen_in_full(
            store, look, settings, in_full, progress)
        after.update(full_states)
        pairs += full_pairs
    # (a full run with no open case to screen fits and scores nothing: no model, no rows)
    prior = model.prior if model is not None else settings.base.prior

    def reasons(keys: Collection[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """Rows of cases screened in full: that screen's reasons; of merged cases: the fresh screen's."""
        found = {k: full_reasons.get(k, "") for k in keys if k[0] in in_full}
        if fresh is not None:
            found.update(fresh.reasons([k for k in keys if k[0] not in in_full]))
        return found

    writes = merge.night_writes(look.states, after, in_full, prior, settings.top_k,
                                rewritten=set(look.candidates.changed_ids), reasons=reasons)
    fitted_json = new_model.to_dict() if new_model is not None else None
    version = str(fitted_json["version"]) if fitted_json is not None else look.model_version
    store.commit_run(
        run_id, cases=look.cases.rows, candidates=look.candidates.rows, results=writes.results,
        replace_cases=writes.replace, merged=True, top_k=None, model_version=version, fitted_model=fitted_json,
        base_model_version=settings.base.version, leave=writes.leave, removals=look.removals,
        restores=look.restores, log_factors=writes.log_factors, normalized_cases=normalized,
        normalized_with=stored_records.fingerprint(), read_on=settings.today,
        calendar={**look.calendar, **_marks(look.candidates.rows, settings)}, scored=look.unscreened,
        bounds=writes.bounds, totals=writes.totals,
        summary={"kind": look.kind, "screened_all": len(in_full), "screened_delta": screened_delta,
                 "pairs_compared": pairs},
    )
    return Done(version, pairs, len(in_full), screened_delta, writes.gained, delta_candidates, causes)


def _marks(rows: Sequence[Mapping[str, str]], settings: Settings) -> dict[str, bool]:
    """Whether each candidate row the run stores or reads again may read differently on a later day."""
    return dict(zip((r["person_id"] for r in rows),
                    stored_records.reads_by_date(rows, "candidates", settings.today).tolist(), strict=True))


def _stored_cases(held: RecordTable | None, ids: Collection[str]) -> RecordTable:
    """The stored open cases ``ids`` as :func:`reunite.rescreen.night.look_at` decoded their stored
    normalized records (``held``), in the order of their ids. Every case a night merges into is
    among them: look_at screens in full every open case whose record is not this code's or does not
    read today as it was kept."""
    wanted = sorted(set(ids))
    position = dict(zip(held.ids.tolist(), range(len(held)), strict=True)) if held is not None else {}
    missing = [c for c in wanted if c not in position]
    if held is None or missing:
        raise AssertionError(f"no stored normalized record for {len(missing)} case(s) merged into, e.g. {missing[:3]}")
    taken = take_records(held, [position[c] for c in wanted])
    return dataclasses.replace(taken, rows=np.arange(len(wanted), dtype=held.rows.dtype),
                               report=IngestReport(source="stored cases", read=len(wanted)))


def encode_cases(table: RecordTable, rows: Sequence[Mapping[str, str]], today: datetime.date) -> dict[str, str]:
    """The normalized records of the cases of ``table`` to keep (case id -> text), each with its
    calendar mark (:func:`reunite.stored_records.reads_by_date` of its canonical row among ``rows``,
    read ``today``)."""
    ids = table.ids.tolist()
    by_id = {r["case_id"]: r for r in rows}
    marks = stored_records.reads_by_date([by_id[c] for c in ids], "cases", today).tolist()
    return dict(zip(ids, stored_records.encode(table, marks), strict=True))


def delta_pairs(look: Look, settings: Settings, delta: Sequence[str], progress: bool
                ) -> tuple[DeltaPairs | None, DeltaPairs | None]:
    """The ``delta`` cases' pairs with the changed and removed candidates' old versions (as stored,
    read by :func:`reunite.rescreen.night.look_at` as of the day the last run read them on) and with
    the new and changed candidates' new versions (read today), scored with the stored fitted model
    (:func:`delta_side`)."""
    assert look.fitted is not None
    if not delta or (look.candidates.table is None and look.old_versions is None):
        return None, None
    delta_cases = _stored_cases(look.held, delta)
    gone = fresh = None
    if look.old_versions is not None:
        gone = delta_side(delta_cases, look.old_versions, look, settings, False)
    if look.candidates.table is not None:
        fresh = delta_side(delta_cases, look.candidates.table, look, settings, progress)
    return gone, fresh


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
