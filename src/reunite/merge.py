"""The nightly merge as arithmetic over stored state: no database, no screening, no I/O.

A case's stored state (:class:`CaseState`) is its current rows -- ``(score, person_id)`` of its best
``depth`` compared candidates, in rank order --, a bound (every compared candidate not stored ranks
after it; ``None``: the rows hold the whole window), and the two totals its probabilities need:

* ``pairs``, the number N of candidates compared with the case (DNA-excluded pairs not counted), and
* ``rest``, the sum of the Bayes factors ``2**score`` of the compared candidates *not* stored.

A case's posteriors (:func:`posteriors`) are those of :func:`reunite.matching.rank.case_posteriors`:
with ``T = sum(2**s for stored rows) + rest``, candidate j has
``(prior/N) 2**s_j / ((1 - prior) + (prior/N) T)``.

**Why this is exact.** A night's delta screens give, for each case not screened in full, every pair
of the new and changed candidates (``fresh``: their new versions) and every pair of the changed
candidates' *old* versions (``gone``, scored again from the stored old rows with the same fitted
model, so each is the very score that was counted). :func:`merge_case` then

1. drops the stored rows of changed persons (their terms leave with them: ``T`` is re-summed from
   the rows, never decremented),
2. subtracts from ``rest`` the old terms of changed persons that were not stored -- each at most
   the bound's Bayes factor, since they ranked after it --, and ``N -= len(gone)``,
3. merges the fresh pairs into the rows, keeps the best ``depth``, adds the cut rows' terms to
   ``rest``, and ``N += len(fresh)``.

``rest`` is updated with :func:`math.fsum` (one rounding per update), and only ever holds terms no
larger than the bound's, so its absolute error stays within a few ulps of the largest term it ever
held. The probabilities' denominator is at least ``1 - prior``, so a posterior moves by at most
``(prior/N) * error(rest) / (1 - prior)``: far below 1e-9 for any bound under ~2**40 (a candidate
*outside* a case's 2 * top-k best that scores 40 bits). The large terms -- the stored rows -- are
re-summed from their scores in every run, so a strong candidate that changes or leaves takes its
exact term with it. Scores are float32 values stored as float64: exact.

When too many stored rows leave for the first ``top_k`` to be known (:func:`merge_case` returns
``None``), or a case is new, changed, has no totals (stored before revision 0005), or its DNA
exclusions changed (a pair leaves its window), the case is screened against every candidate and
its state is made from that screen (:func:`state_from_screen`).
"""

from __future__ import annotations

import bisect
import hashlib
import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from reunite.store.fitted import Bound, CaseTotals

__all__ = [
    "CaseState",
    "cases_to_screen_in_full",
    "exact",
    "exclusion_digest",
    "merge_case",
    "merge_delta",
    "posteriors",
    "rank_key",
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
    return {c: CaseState(tuple(sorted(topk.get(c, ()), key=rank_key)), bounds.get(c), t.pairs, t.rest, t.exclusions)
            for c, t in totals.items()}


def exact(rows: Sequence[Bound], bound: Bound | None, top_k: int) -> bool:
    """Whether the first ``top_k`` of ``rows`` (rank order) are the case's true top-k: no candidate
    that is not stored can rank above them.

    >>> exact([(5.0, "P1"), (4.0, "P2")], (4.5, "P9"), 2), exact([(5.0, "P1"), (4.0, "P2")], None, 2)
    (False, True)
    """
    return bound is None or bisect.bisect_right(rows, rank_key(bound), key=rank_key) >= top_k


def _bf(score: float) -> float:
    return float(np.exp2(np.float64(score)))


def merge_case(
    state: CaseState, *, gone: Sequence[Bound], fresh: Sequence[Bound], leaving: Collection[str], depth: int,
    top_k: int,
) -> CaseState | None:
    """The case's state after a night's delta, or ``None`` when its first ``top_k`` are no longer known.

    ``gone``: the pairs of the changed candidates' old versions with this case (as scored before);
    ``fresh``: the pairs of the new and changed candidates' new versions; ``leaving``: every changed
    person (their stored rows go).

    >>> old = CaseState(((9.0, "P1"), (4.0, "P2")), (4.0, "P2"), 10, 3.0, NO_EXCLUSIONS)
    >>> new = merge_case(old, gone=[(1.0, "P3")], fresh=[(1.5, "P3"), (6.0, "P4")], leaving={"P3"},
    ...                  depth=2, top_k=1)
    >>> new.rows, new.pairs, round(new.rest, 6)  # 3 - 2**1 (P3 before) + 2**4 (P2, cut) + 2**1.5 (P3, cut)
    (((9.0, 'P1'), (6.0, 'P4')), 11, 19.828427)
    """
    stored = {p: s for s, p in state.rows}
    old = {p: s for s, p in gone}
    old.update((p, s) for p, s in stored.items() if p in leaving)  # a stored row of a changed person
    kept = [(s, p) for s, p in state.rows if p not in leaving]
    merged = sorted(kept + [(float(s), str(p)) for s, p in fresh], key=rank_key)
    cut, merged = merged[depth:], merged[:depth]
    terms = [state.rest]
    terms += [-_bf(s) for p, s in old.items() if p not in stored]
    terms += [_bf(s) for s, _ in cut]
    rest = max(0.0, math.fsum(terms))
    limits = [b for b in (state.bound, merged[-1] if cut else None) if b is not None]
    bound = min(limits, key=rank_key) if limits else None
    if not exact(merged, bound, top_k):
        return None
    return CaseState(tuple(merged), bound, state.pairs - len(old) + len(fresh), rest, state.exclusions)


def merge_delta(
    states: Mapping[str, CaseState], cases: Iterable[str], *, gone: Mapping[str, Sequence[Bound]],
    fresh: Mapping[str, Sequence[Bound]], leaving: Collection[str], depth: int, top_k: int,
) -> tuple[dict[str, CaseState], set[str]]:
    """Merge a night's delta pairs into the ``cases`` (each must have a state).

    Returns the new states of the cases the delta touched, and the cases that must be screened in
    full because their first ``top_k`` are no longer known.
    """
    after: dict[str, CaseState] = {}
    full: set[str] = set()
    leaving = set(leaving)
    for case_id in cases:
        state = states[case_id]
        was, now = gone.get(case_id, ()), fresh.get(case_id, ())
        if not was and not now and not any(p in leaving for _, p in state.rows):
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
    # log2 of sum(2**s) + rest, scaled by the largest term (scores far beyond +-1000 bits stay finite)
    logs = scores.tolist() + ([math.log2(state.rest)] if state.rest > 0 else [])
    top = max(logs, default=0.0)
    scaled = math.fsum(np.exp2(np.asarray(logs, dtype=np.float64) - top).tolist())
    log_total = top + math.log2(scaled) if scaled > 0 else -math.inf
    log_prior = float(np.log2(prior / state.pairs))
    with np.errstate(divide="ignore"):
        log_denominator = float(np.logaddexp2(np.log2(1.0 - prior), log_prior + log_total))
    probabilities = np.exp2(log_prior + scores - log_denominator).tolist()
    return probabilities, float(np.exp2(log_prior + log_total - log_denominator))


@dataclass(frozen=True, slots=True)
class RowChanges:
    """How a night changes the stored rows of merged cases: rows that ``enter`` (case, rank,
    person, score, probability), rows that ``leave`` (case, person), and rows that stay with their
    score and get a new probability (``reweigh``: case, person, probability)."""

    enter: list[tuple[str, int, str, float, float]]
    leave: list[tuple[str, str]]
    reweigh: list[tuple[str, str, float]]


def row_changes(before: Mapping[str, Sequence[Bound]], after: Mapping[str, CaseState], prior: float) -> RowChanges:
    """The row changes that turn the stored rows ``before`` of the cases in ``after`` into their
    rows ``after``, every probability recomputed from the new state (:func:`posteriors`).

    >>> old = {"c1": [(5.0, "P1"), (3.0, "P2")]}
    >>> new = {"c1": CaseState(((5.0, "P1"), (4.0, "P3")), None, 3, 0.0, NO_EXCLUSIONS)}
    >>> changes = row_changes(old, new, 0.5)
    >>> [r[:4] for r in changes.enter], changes.leave, [r[:2] for r in changes.reweigh]
    ([('c1', 2, 'P3', 4.0)], [('c1', 'P2')], [('c1', 'P1')])
    """
    enter: list[tuple[str, int, str, float, float]] = []
    leave: list[tuple[str, str]] = []
    reweigh: list[tuple[str, str, float]] = []
    for case_id, state in sorted(after.items()):
        old = {p: s for s, p in before.get(case_id, ())}
        probabilities, _ = posteriors(state, prior)
        now = set()
        for rank, ((score, person_id), probability) in enumerate(zip(state.rows, probabilities, strict=True), 1):
            now.add(person_id)
            if old.get(person_id) == score:
                reweigh.append((case_id, person_id, probability))
            else:
                if person_id in old:
                    leave.append((case_id, person_id))  # re-scored: its old row goes first
                enter.append((case_id, rank, person_id, score, probability))
        leave += [(case_id, p) for p in old if p not in now]
    return RowChanges(enter, leave, reweigh)
