"""The stored ranking checked against a full screen with the stored fitted model."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from reunite.errors import ConcurrentRunError, StoreError
from reunite.matching.model import FellegiSunter, default_model
from reunite.matching.spec import BlockingSpec
from reunite.merge import awaiting_a_night, result_rows
from reunite.rescreen.execute import screen_in_full
from reunite.rescreen.night import Settings, look_at
from reunite.store import Store

__all__ = ["Verification", "verify"]

@dataclass(frozen=True, slots=True)
class Verification:
    """The stored ranking against a full screen of the stored records with the stored fitted model.

    ``differences`` holds ``(case_id, rank, what, stored, screened)`` for each row of ranks 1 to the
    last re-screen's top-k whose person, score, probability (beyond ``1e-9``) or reasons differ, and
    for each such rank only one side has. The open cases whose stored ranking the next re-screen redoes
    (:func:`reunite.merge.awaiting_a_night`) are named, so that their differences read as that night's
    work, not as a fault: ``excluded_since`` has DNA exclusions recorded since it was stored,
    ``unranked`` no stored ranking (reopened, or written outside a run).
    """

    cases: int
    candidates: int
    rows: int
    pairs_compared: int
    model_version: str
    differences: tuple[tuple[str, int, str, str, str], ...]
    excluded_since: tuple[str, ...] = ()
    unranked: tuple[str, ...] = ()

    @property
    def equal(self) -> bool:
        return not self.differences

    @property
    def awaiting(self) -> tuple[str, ...]:
        """The open cases whose ranking the next re-screen redoes."""
        return (*self.excluded_since, *self.unranked)


def verify(store: Store | str, *, model: FellegiSunter | None = None, blocking: BlockingSpec | None = None,
           progress: bool = False, today: datetime.date | None = None) -> Verification:
    """Check the stored current ranking: screen every open case against every stored candidate with
    the stored fitted model (as a full re-screen that keeps it does, DNA exclusions applied) and compare
    ranks 1 to the last re-screen's top-k, row by row. Nothing is written.

    ``model`` and ``blocking`` are the base model and blocking the re-screens were run with (default:
    the shipped model, the default blocking); the stored fitted model must come from them. Rows are
    read relative to ``today``, as a full re-screen that day reads them (default: the day the last
    re-screen read them on, so a check the morning after a night compares with that night's day).

    Raises
    ------
    ConcurrentRunError
        A re-screen holds the run lock, or one began while the stored state was read: its commit
        would make the check compare one run's model or records with another's ranking.
    StoreError
        No re-screen has succeeded yet, or the stored fitted model was fitted from another base model,
        top-k or blocking than the ones given; ``store`` is a URL of a database that does not exist
        (it is not created).
    """
    if isinstance(store, str):  # only reads: a mistyped path must not become a new, empty database
        with Store.open(store, create=False) as opened:
            return verify(opened, model=model, blocking=blocking, progress=progress, today=today)
    last_run = _no_run_under_way(store, None)
    stored, top_k = store.fitted_model(), store.last_top_k()
    if stored is None or top_k is None:
        raise StoreError("the store holds no re-screen yet: run reunite rescreen first")
    settings = Settings(model or default_model(), blocking or BlockingSpec(), top_k, 0, True, False, False,
                        today or store.last_read_on() or datetime.date.today())
    if stored.config_hash != settings.config:
        raise StoreError("the stored fitted model comes from another base model, top-k or blocking than "
                         "these: verify with the --model and blocking options the re-screens were run with")
    look = look_at(store, {"cases": None, "candidates": None}, {"cases": None, "candidates": None}, settings)
    if look.fitted is None:  # e.g. another normalizer than the one the stored model was fitted with
        raise StoreError(f"the stored ranking cannot be verified with this reunite ({look.reason}): "
                         "run reunite rescreen first")
    open_ids = set(look.open_ids)
    excluded, unranked = awaiting_a_night(look.open_ids, look.states, look.exclusions)
    states, reasons, fitted, _, pairs, _ = screen_in_full(store, look, settings, open_ids, progress)
    # ranks 1..top_k, the ranking export and plan read: the rows stored beyond them are a reserve that
    # a night may leave shorter than a full screen's (exact above its bound, see reunite.merge)
    screened = {(r["case_id"], r["rank"]): r for r in result_rows(states, fitted.prior, reasons)
                if r["rank"] <= top_k}
    held = {(r.case_id, r.rank): r for r in store.current_topk(open_ids) if r.rank <= top_k}
    # the model, the records and the stored ranking were read one after another: a run that began
    # meanwhile may have committed between two of them, and a torn read is no verdict
    _no_run_under_way(store, last_run)
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
                        tuple(differences), tuple(excluded), tuple(unranked))


def _no_run_under_way(store: Store, last_run: int | None) -> int | None:
    """The newest run's id; raises :class:`ConcurrentRunError` if a run that may be alive holds the run
    lock, or if the newest run is no longer ``last_run`` (when given)."""
    holder = store.lock_holder()
    if holder is not None and holder.may_live:
        raise ConcurrentRunError(f"a re-screen is under way ({holder}): the stored ranking may change when "
                                 "it commits; verify after it finishes")
    newest = store.last_run_id()
    if last_run is not None and newest != last_run:
        raise ConcurrentRunError(f"run {newest} began while the stored ranking was being verified: verify again "
                                 "after it finishes")
    return newest
