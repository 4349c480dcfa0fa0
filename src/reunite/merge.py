"""The nightly merge as arithmetic over stored state: no database, no screening, no I/O.

A case's stored state (:class:`CaseState`) is its current rows -- ``(score, person_id)`` of its best
``depth`` compared candidates, in rank order --, a bound (every compared candidate not stored ranks
after it; ``None``: the rows hold the whole window), and the two totals its probabilities need:

* ``pairs``, the number N of candidates compared with the case (DNA-excluded pairs not counted), and
* ``rest``, the sum of the Bayes factors ``2**score`` of the compared candidates *not* stored.

A case's posteriors (:func:`posteriors`) are those of :func:`reunite.matching.rank.case_posteriors`:
with ``T = sum(2**s for stored rows) + rest``, candidate j has
``(prior/N) 2**s_j / ((1 - prior) + (prior/N) T)``.

**Why this is exact.** A stored case keeps one invariant: its rows are exactly the compared
candidates that rank at or above its bound (all of them when there is no bound). A night's delta
screens give, for each case not screened in full, its pairs with the new versions of the new and
changed candidates (``fresh``) and with the changed candidates' *old* versions, scored again from
the stored rows with the same fitted model, so each is the very score that was counted (``gone``);
each as a :class:`Delta`: its best pairs -- at least every one that ranks at or above the bound --,
the others as a count and a Bayes-factor sum (the matcher's per-case sum outside its kept rows,
:func:`reunite.matching.rank.outside_sums`).
By the invariant, the stored rows of changed persons are among ``gone.rows``, and everything in
``gone.rest`` was in ``rest``. :func:`merge_case` then

1. drops the stored rows of changed persons (their terms leave with them: the rows' part of the
   sum is re-summed from their scores every time, never decremented),
2. subtracts from ``rest`` the old terms of changed persons that were not stored, and
   ``N -= gone.pairs``,
3. merges the fresh rows that rank at or above the bound into the rows, keeps the best ``depth``,
   adds the cut rows and the fresh rows below the bound to ``rest`` (keeping the invariant), and
   ``N += fresh.pairs``.

``rest`` is updated with :func:`math.fsum`, and every term it ever receives or loses ranks after
the bound, so is at most the bound's Bayes factor ``B``; its error after a night is a few ulps of
``B`` times the number of terms summed (float64 sums of at most a few thousand terms each). The
probabilities' denominator is at least ``1 - prior``, so a posterior moves by at most about
``(prior/N) * error(rest) / (1 - prior)``: below 1e-9 while a case's ``2 * top_k``-th candidate
scores under about 30 bits (in the synthetic benchmark data it scores under 10). The large terms
-- the stored rows -- are exact: a strong candidate that changes or leaves takes its exact term
with it. Scores are float32 values stored as float64: exact. A row's probability is
``2**(log_factor + score)`` with one factor per case (:func:`log_factor`), stored with the case's
totals and recomputed from its state after every change, so a row that stays is never rescaled
(no error builds up over nights).

When too many stored rows leave for the first ``top_k`` to be known (:func:`merge_case` returns
``None``), or a case is new, changed, has no totals (stored before revision 0005), or its DNA
exclusions changed (a pair leaves its window), the case is screened against every candidate and
its state is made from that screen (:func:`state_from_screen`).

What a night then writes is decided here too, from the states before and after
(:func:`night_writes`: the rows that enter and leave, factors, bounds, totals); the store only
writes it (``Store.commit_run(..., merged=True)``), and the tests apply it to an in-memory store.
"""

from __future__ import annotations

import bisect
import hashlib
import math
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Literal

import numpy as np

from reunite.store.fitted import Bound, CaseTotals

__all__ = [
    "CaseState",
    "Delta",
    "FullScreenCause",
    "NightWrites",
    "awaiting_a_night",
    "cases_to_screen_in_full",
    "delta_of",
    "exact",
    "exclusion_digest",
    "full_screen_causes",
    "log_factor",
    "merge_case",
    "merge_delta",
    "night_writes",
    "posteriors",
    "rank_key",
    "result_rows",
    "row_changes",
    "state_from_screen",
    "states_from_store",
]


@dataclass(frozen=True, slots=True)
class CaseState:
    """What the store holds for one case: see the module docstring."""

    rows: tuple[Bound, ...]
    bound: Bound | None
    pairs: int
    rest: float
    exclusions: str

    @property
    def totals(self) -> CaseTotals:
        return CaseTotals(self.pairs, self.rest, self.exclusions)


def rank_key(key: Bound) -> tuple[float, str]:
    """Sort key of a ``(score, person_id)``: score high first, then person id (the matcher's order).

    >>> sorted([(2.0, "P2"), (5.0, "P9"), (2.0, "P1")], key=rank_key)
    [(5.0, 'P9'), (2.0, 'P1'), (2.0, 'P2')]
    """
    return (-key[0], key[1])


def exclusion_digest(person_ids: Iterable[str]) -> str:
    """A short digest of a case's DNA-excluded persons (any order).

    >>> exclusion_digest(["P2", "P1"]) == exclusion_digest(["P1", "P2"]) != exclusion_digest([])
    True
    """
    joined = "\n".join(sorted(set(person_ids)))
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:16]


def exclusions_by_case(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Digest of each case's excluded persons, for the cases that have any."""
    persons: dict[str, list[str]] = {}
    for case_id, person_id in pairs:
        persons.setdefault(case_id, []).append(person_id)
    return {c: exclusion_digest(p) for c, p in persons.items()}


NO_EXCLUSIONS = exclusion_digest(())


def state_from_screen(rows: Sequence[Bound], pairs: int, rest: float, depth: int, exclusions: str) -> CaseState:
    """A case's state from a screen against every candidate that kept its best ``depth`` rows.

    >>> state_from_screen([(3.0, "P1"), (1.0, "P2")], 5, 0.75, 2, NO_EXCLUSIONS).bound
    (1.0, 'P2')
    """
    ordered = tuple(sorted(((float(s), str(p)) for s, p in rows), key=rank_key))
    bound = ordered[-1] if len(ordered) >= depth else None
    return CaseState(ordered, bound, int(pairs), float(rest), exclusions)


def states_from_store(
    topk: Mapping[str, Sequence[Bound]], bounds: Mapping[str, Bound], totals: Mapping[str, CaseTotals],
) -> dict[str, CaseState]:
    """The state of every case that has totals (the others must be screened in full)."""
    return {c: CaseState(tuple(_ranked(list(topk.get(c, ())))), bounds.get(c), t.pairs, t.rest, t.exclusions)
            for c, t in totals.items()}


def exact(rows: Sequence[Bound], bound: Bound | None, top_k: int) -> bool:
    """Whether the first ``top_k`` of ``rows`` (rank order) are the case's true top-k: no candidate
    that is not stored can rank above them.

    >>> exact([(5.0, "P1"), (4.0, "P2")], (4.5, "P9"), 2), exact([(5.0, "P1"), (4.0, "P2")], None, 2)
    (False, True)
    """
    return bound is None or bisect.bisect_right(rows, rank_key(bound), key=rank_key) >= top_k


@dataclass(frozen=True, slots=True)
class Delta:
    """A case's pairs with one side of a night's candidates (the new versions, or the changed
    candidates' old ones): its best ``rows`` (score, person) -- at least every pair that ranks at
    or above the case's bound (every pair when it has none; the nightly screen keeps a few and
    looks again where those may not be all, :func:`reunite.rescreen.pairs.delta_side`) --, and the other
    pairs summed: ``rest``, the sum of their Bayes factors. ``pairs`` counts them all, rows
    included."""

    rows: tuple[Bound, ...] = ()
    rest: float = 0.0
    pairs: int = 0


def delta_of(pairs: Iterable[Bound], depth: int) -> Delta:
    """The :class:`Delta` of a case's pairs: the best ``depth`` as rows, the others summed.

    >>> delta_of([(1.0, "P1"), (3.0, "P2"), (2.0, "P3")], 2)
    Delta(rows=((3.0, 'P2'), (2.0, 'P3')), rest=2.0, pairs=3)
    """
    ordered = sorted(((float(s), str(p)) for s, p in pairs), key=rank_key)
    return Delta(tuple(ordered[:depth]), _bf_sum(s for s, _ in ordered[depth:]), len(ordered))


def _ranked(rows: list[Bound]) -> list[Bound]:
    """``rows`` sorted by :func:`rank_key`, in place: by person id, then (stable) by score, high first.

    >>> _ranked([(2.0, "P2"), (5.0, "P9"), (2.0, "P1")])
    [(5.0, 'P9'), (2.0, 'P1'), (2.0, 'P2')]
    """
    rows.sort(key=itemgetter(1))
    rows.sort(key=itemgetter(0), reverse=True)
    return rows


def _factors(scores: Iterable[float]) -> list[float]:
    """Bayes factors ``2**score``, as the matcher computes them (float64 exp2)."""
    return list(np.exp2(np.fromiter(scores, dtype=np.float64)).tolist())


def _bf_sum(scores: Iterable[float]) -> float:
    return math.fsum(_factors(scores))


def merge_case(
    state: CaseState, *, gone: Delta, fresh: Delta, leaving: Collection[str], depth: int, top_k: int,
) -> CaseState | None:
    """The case's state after a night's delta, or ``None`` when its first ``top_k`` are no longer known.

    ``gone``: the case's pairs with the changed candidates' old versions (as scored before);
    ``fresh``: its pairs with the new and changed candidates' new versions; ``leaving``: every
    changed person (their stored rows go). A fresh pair that ranks after the case's bound is not
    stored but summed into ``rest``, so the stored rows stay exactly the candidates that rank at or
    above the bound: those of a changed person are then among ``gone.rows`` (``gone`` holds them
    when it holds the best ``depth`` of its pairs), and ``gone.rest`` only holds terms of
    candidates that were not stored.

    >>> old = CaseState(((9.0, "P1"), (4.0, "P2")), (4.0, "P2"), 10, 3.0, NO_EXCLUSIONS)
    >>> new = merge_case(old, gone=delta_of([(1.0, "P3")], 2), fresh=delta_of([(1.5, "P3"), (6.0, "P4")], 2),
    ...                  leaving={"P3"}, depth=2, top_k=1)
    >>> new.rows, new.bound, new.pairs, round(new.rest, 6)  # 3 - 2**1 (P3 before) + 2**4 (P2, cut) + 2**1.5 (P3)
    (((9.0, 'P1'), (6.0, 'P4')), (6.0, 'P4'), 11, 19.828427)
    """
    stored = {p for _, p in state.rows}
    kept = [r for r in state.rows if r[1] not in leaving]
    incoming = [(float(s), str(p)) for s, p in fresh.rows]
    below: list[Bound] = []
    if state.bound is not None:
        score, person = state.bound  # a row ranks after the bound: a lower score, or the same and a later id
        after = [s < score or (s == score and p > person) for s, p in incoming]
        below = [r for r, a in zip(incoming, after, strict=True) if a]
        incoming = [r for r, a in zip(incoming, after, strict=True) if not a]
    merged = _ranked(kept + incoming)
    cut, merged = merged[depth:], merged[:depth]
    leave_rest = [s for s, p in gone.rows if p not in stored]  # old terms of candidates not stored
    factors = _factors([*leave_rest, *(s for s, _ in cut), *(s for s, _ in below)])
    left = len(leave_rest)
    rest = max(0.0, math.fsum([state.rest, -gone.rest, fresh.rest, *(-v for v in factors[:left]), *factors[left:]]))
    # pairs the fresh side summed rank after its last row: the stored rows end there at best
    fresh_cut = fresh.rows[-1] if fresh.rows and fresh.pairs > len(fresh.rows) else None
    limits = [b for b in (state.bound, merged[-1] if cut else None, fresh_cut) if b is not None]
    bound = min(limits, key=rank_key) if limits else None
    if not exact(merged, bound, top_k):
        return None
    return CaseState(tuple(merged), bound, state.pairs - gone.pairs + fresh.pairs, rest, state.exclusions)


def merge_delta(
    states: Mapping[str, CaseState], cases: Iterable[str], *, gone: Mapping[str, Delta],
    fresh: Mapping[str, Delta], leaving: Collection[str], depth: int, top_k: int,
) -> tuple[dict[str, CaseState], set[str]]:
    """Merge a night's delta pairs into the ``cases`` (each must have a state).

    Returns the new states of the cases the delta touched, and the cases that must be screened in
    full because their first ``top_k`` are no longer known.
    """
    after: dict[str, CaseState] = {}
    full: set[str] = set()
    leaving = set(leaving)
    nothing = Delta()
    for case_id in cases:
        state = states[case_id]
        was, now = gone.get(case_id, nothing), fresh.get(case_id, nothing)
        if not was.pairs and not now.pairs and not any(p in leaving for _, p in state.rows):
            continue  # nothing entered or left its window
        merged = merge_case(state, gone=was, fresh=now, leaving=leaving, depth=depth, top_k=top_k)
        if merged is None:
            full.add(case_id)
        else:
            after[case_id] = merged
    return after, full


def cases_to_screen_in_full(
    open_ids: Iterable[str], states: Mapping[str, CaseState], changed: Collection[str],
    exclusions: Mapping[str, str],
) -> set[str]:
    """Open cases whose state cannot be merged into: new or changed, without totals, or whose DNA
    exclusions differ from those their totals were counted with.

    >>> s = CaseState((), None, 0, 0.0, NO_EXCLUSIONS)
    >>> sorted(cases_to_screen_in_full(["c1", "c2", "c3", "c4"], {"c1": s, "c2": s, "c3": s}, {"c2"},
    ...                                {"c3": exclusion_digest(["P1"])}))
    ['c2', 'c3', 'c4']
    """
    return {c for c in open_ids
            if c in changed or c not in states or states[c].exclusions != exclusions.get(c, NO_EXCLUSIONS)}


FullScreenCause = Literal["new", "changed", "no_totals", "exclusions", "read_otherwise", "unscreened", "window"]
"""Why a night screened an open case against every candidate (the first that applies, in this order)."""


def full_screen_causes(
    in_full: Iterable[str], states: Mapping[str, CaseState], exclusions: Mapping[str, str], *,
    new: Collection[str], changed: Collection[str], read_otherwise: Collection[str] = (),
    unscreened: Collection[str] = (),
) -> dict[FullScreenCause, int]:
    """How many of the cases ``in_full`` were screened against every candidate for each cause: new
    (or restored), changed, without stored totals (reopened), DNA exclusions changed since their
    totals were counted, read otherwise today, written outside a run, or else a merge that could not
    prove their first ``top_k`` (``window``). A case counts once, under its first cause.

    >>> s = CaseState((), None, 0, 0.0, NO_EXCLUSIONS)
    >>> full_screen_causes(["c1", "c2", "c3", "c4"], {"c2": s, "c3": s, "c4": s},
    ...                    {"c3": exclusion_digest(["P1"])}, new=["c1"], changed=["c2"])
    {'new': 1, 'changed': 1, 'exclusions': 1, 'window': 1}
    """
    counts: dict[FullScreenCause, int] = {}
    new, changed, read_otherwise, unscreened = (set(ids) for ids in (new, changed, read_otherwise, unscreened))
    for case_id in sorted(set(in_full)):
        cause: FullScreenCause
        if case_id in new:
            cause = "new"
        elif case_id in changed:
            cause = "changed"
        elif case_id not in states:
            cause = "no_totals"
        elif states[case_id].exclusions != exclusions.get(case_id, NO_EXCLUSIONS):
            cause = "exclusions"
        elif case_id in read_otherwise:
            cause = "read_otherwise"
        elif case_id in unscreened:
            cause = "unscreened"
        else:
            cause = "window"
        counts[cause] = counts.get(cause, 0) + 1
    return {cause: counts[cause] for cause in sorted(counts, key=_CAUSE_ORDER.index)}


def awaiting_a_night(
    open_ids: Iterable[str], states: Mapping[str, CaseState], exclusions: Mapping[str, str],
) -> tuple[list[str], list[str]]:
    """The open cases whose stored ranking the next re-screen redoes, as the store is now: those whose
    DNA exclusions changed since their ranking was stored (an excluded person is still listed in it,
    and every probability is as before the exclusion), and those with no stored ranking (reopened by a
    superseded confirmation, or written outside a run). ``export`` and ``verify`` read the stored
    ranking between nights: they say so rather than give these as the night's result.

    >>> s = CaseState(((3.0, "P1"),), None, 1, 0.0, NO_EXCLUSIONS)
    >>> awaiting_a_night(["c1", "c2", "c3"], {"c1": s, "c2": s}, {"c2": exclusion_digest(["P1"])})
    (['c2'], ['c3'])
    """
    excluded: list[str] = []
    unranked: list[str] = []
    for case_id in sorted(set(open_ids)):
        if case_id not in states:
            unranked.append(case_id)
        elif states[case_id].exclusions != exclusions.get(case_id, NO_EXCLUSIONS):
            excluded.append(case_id)
    return excluded, unranked


_CAUSE_ORDER: tuple[FullScreenCause, ...] = ("new", "changed", "no_totals", "exclusions", "read_otherwise",
                                             "unscreened", "window")


def posteriors(state: CaseState, prior: float) -> tuple[list[float], float]:
    """Each stored row's probability of being the case's child, and the probability that the child is
    among the compared candidates at all -- :func:`reunite.matching.rank.case_posteriors` from the
    stored state.

    >>> p, any_match = posteriors(CaseState(((10.0, "P1"), (0.0, "P2")), None, 2, 0.0, NO_EXCLUSIONS), 0.5)
    >>> [round(v, 3) for v in p], round(any_match, 3)
    ([0.997, 0.001], 0.998)
    """
    if state.pairs <= 0:
        return [0.0 for _ in state.rows], 0.0
    scores = np.array([s for s, _ in state.rows], dtype=np.float64)
    log_factor, log_total = _log_factor(state, prior)
    probabilities = np.exp2(log_factor + scores).tolist()
    return probabilities, float(np.exp2(log_factor + log_total))


def log_factor(state: CaseState, prior: float) -> float | None:
    """The case's posterior factor: each stored row's probability is ``2**(log_factor + score)``
    (as :func:`posteriors` gives it); ``None`` for a case that compared no candidate.

    >>> state = CaseState(((10.0, "P1"), (0.0, "P2")), None, 2, 0.0, NO_EXCLUSIONS)
    >>> round(2 ** (log_factor(state, 0.5) + 10.0), 3) == round(posteriors(state, 0.5)[0][0], 3)
    True
    """
    return _log_factor(state, prior)[0] if state.pairs > 0 else None


def _log_factor(state: CaseState, prior: float) -> tuple[float, float]:
    """``log2((prior/N) / denominator)`` -- a row's posterior is ``2**(this + score)`` -- and the
    log2 of the case's Bayes-factor sum."""
    # log2 of sum(2**s) + rest, scaled by the largest term (scores far beyond +-1000 bits stay finite)
    logs = [s for s, _ in state.rows] + ([math.log2(state.rest)] if state.rest > 0 else [])
    top = max(logs, default=0.0)
    scaled = math.fsum(np.exp2(np.asarray(logs, dtype=np.float64) - top).tolist())
    log_total = top + math.log2(scaled) if scaled > 0 else -math.inf
    log_prior = float(np.log2(prior / max(state.pairs, 1)))
    log_not_prior = float(np.log2(1.0 - prior)) if prior < 1.0 else -math.inf  # (no warning to silence)
    log_denominator = float(np.logaddexp2(log_not_prior, log_prior + log_total))
    return log_prior - log_denominator, log_total


@dataclass(frozen=True, slots=True)
class RowChanges:
    """How a night changes the stored rows of merged cases: rows that ``enter`` (case, rank,
    person, score, probability), rows that ``leave`` (case, person), and each case's new
    :func:`log_factor` (``log_factors``): a row's probability is ``2**(log_factor + score)``, so
    the rows that stay need no write."""

    enter: list[tuple[str, int, str, float, float]]
    leave: list[tuple[str, str]]
    log_factors: dict[str, float | None]


def row_changes(before: Mapping[str, CaseState], after: Mapping[str, CaseState], prior: float,
                rewritten: Collection[str] = ()) -> RowChanges:
    """The row changes that turn the stored state ``before`` of the cases in ``after`` into ``after``.

    A row of a person in ``rewritten`` (a changed record) is written again even at the same score:
    its reasons are those of the new record (two levels may weigh the same).

    >>> old = {"c1": CaseState(((5.0, "P1"), (3.0, "P2")), None, 2, 0.0, NO_EXCLUSIONS)}
    >>> new = {"c1": CaseState(((5.0, "P1"), (4.0, "P3")), None, 3, 0.0, NO_EXCLUSIONS)}
    >>> changes = row_changes(old, new, 0.5)
    >>> [r[:4] for r in changes.enter], changes.leave, list(changes.log_factors)
    ([('c1', 2, 'P3', 4.0)], [('c1', 'P2')], ['c1'])
    >>> abs(2 ** (changes.log_factors["c1"] + 5.0) - posteriors(new["c1"], 0.5)[0][0]) < 1e-15
    True
    >>> [r[:3] for r in row_changes(old, new, 0.5, rewritten={"P1"}).enter]
    [('c1', 1, 'P1'), ('c1', 2, 'P3')]
    """
    enter: list[tuple[str, int, str, float, float]] = []
    leave: list[tuple[str, str]] = []
    factors: dict[str, float | None] = {}
    for case_id, state in sorted(after.items()):
        was = before.get(case_id)
        old = {p: s for s, p in was.rows} if was is not None else {}
        factor = factors[case_id] = log_factor(state, prior)
        now = set()
        for rank, (score, person_id) in enumerate(state.rows, 1):
            now.add(person_id)
            if old.get(person_id) != score or (person_id in rewritten and person_id in old):
                if person_id in old:
                    leave.append((case_id, person_id))  # re-scored: its old row goes first
                enter.append((case_id, rank, person_id, score,
                              float(np.exp2(factor + score)) if factor is not None else 0.0))
        leave += [(case_id, p) for p in old if p not in now]
    return RowChanges(enter, leave, factors)


Key = tuple[str, str]  # (case_id, person_id)


def result_rows(states: Mapping[str, CaseState], prior: float, reasons: Mapping[Key, str]) -> list[dict[str, Any]]:
    """Every stored row of the cases in ``states``, ranked, with probabilities from their state.

    >>> state = CaseState(((10.0, "P1"), (0.0, "P2")), None, 2, 0.0, NO_EXCLUSIONS)
    >>> [(r["rank"], r["person_id"], round(r["probability"], 3), r["reasons"])
    ...  for r in result_rows({"c1": state}, 0.5, {("c1", "P1"): "same name"})]
    [(1, 'P1', 0.997, 'same name'), (2, 'P2', 0.001, '')]
    """
    rows: list[dict[str, Any]] = []
    for case_id, state in sorted(states.items()):
        probabilities, _ = posteriors(state, prior)
        rows += [{"case_id": case_id, "rank": rank, "person_id": person_id, "score": score,
                  "probability": probability, "reasons": reasons.get((case_id, person_id), "")}
                 for rank, ((score, person_id), probability) in enumerate(zip(state.rows, probabilities,
                                                                               strict=True), start=1)]
    return rows


@dataclass(frozen=True, slots=True)
class NightWrites:
    """Everything a run changes in the stored ranking, decided from the stored state alone: the
    store only writes it (:meth:`reunite.store.Store.commit_run` with ``merged=True``).

    ``replace``: cases whose stored rows all go, ``results`` holding all their new rows;
    ``leave``: the ``(case, person)`` rows of the other cases that go (cut, or written again);
    ``results``: the rows that enter, each ``case_id, rank, person_id, score, probability,
    reasons`` (the run's history gets the same rows); ``log_factors``, ``bounds`` and ``totals``:
    each touched case's new factor, bound (only those that move, or of replaced and new cases) and
    totals; ``gained``: cases with a person in their first ``top_k`` that was not there before."""

    results: list[dict[str, Any]]
    replace: frozenset[str]
    leave: list[Key]
    log_factors: dict[str, float | None]
    bounds: dict[str, Bound | None]
    totals: dict[str, CaseTotals]
    gained: int


def night_writes(before: Mapping[str, CaseState], after: Mapping[str, CaseState], replace: Collection[str],
                 prior: float, top_k: int, *, rewritten: Collection[str] = (),
                 reasons: Callable[[Collection[Key]], Mapping[Key, str]] | None = None) -> NightWrites:
    """The writes that turn the stored states ``before`` into ``after``.

    Cases in ``replace`` (screened against every candidate) get every row written anew; the other
    cases of ``after`` (merged) only the rows that change (:func:`row_changes`; a person in
    ``rewritten``, a changed record, is written again even at the same score). ``reasons`` gives
    the reasons text of the rows written (default none).

    >>> old = {"c1": CaseState(((5.0, "P1"), (3.0, "P2")), (3.0, "P2"), 9, 1.0, NO_EXCLUSIONS)}
    >>> new = {"c1": CaseState(((5.0, "P1"), (4.0, "P3")), (4.0, "P3"), 10, 9.0, NO_EXCLUSIONS),
    ...        "c2": CaseState(((2.0, "P3"),), None, 1, 0.0, NO_EXCLUSIONS)}
    >>> writes = night_writes(old, new, {"c2"}, 0.5, 2, reasons=lambda keys: {k: "why" for k in keys})
    >>> [(r["case_id"], r["rank"], r["person_id"], r["reasons"]) for r in writes.results]
    [('c2', 1, 'P3', 'why'), ('c1', 2, 'P3', 'why')]
    >>> writes.leave, sorted(writes.bounds), writes.gained
    ([('c1', 'P2')], ['c1', 'c2'], 2)
    """
    replaced = frozenset(c for c in replace if c in after)
    merged = {c: s for c, s in after.items() if c not in replaced}
    changes = row_changes(before, merged, prior, rewritten)
    full = {c: s for c, s in after.items() if c in replaced}
    keys = [(c, p) for c, s in sorted(full.items()) for _, p in s.rows] + [(c, p) for c, _, p, _, _ in changes.enter]
    texts = reasons(keys) if reasons is not None and keys else {}
    results = result_rows(full, prior, texts)
    results += [{"case_id": c, "rank": rank, "person_id": p, "score": score, "probability": probability,
                 "reasons": texts.get((c, p), "")} for c, rank, p, score, probability in changes.enter]
    bounds = {c: s.bound for c, s in after.items()  # (a merged case's bound mostly stays: not rewritten)
              if c in replaced or c not in before or before[c].bound != s.bound}
    was = {c: {p for _, p in s.rows[:top_k]} for c, s in before.items()}
    gained = sum(bool({p for _, p in s.rows[:top_k]} - was.get(c, set())) for c, s in after.items())
    return NightWrites(results, replaced, changes.leave,
                       {**changes.log_factors, **{c: log_factor(s, prior) for c, s in full.items()}},
                       bounds, {c: s.totals for c, s in after.items()}, gained)
