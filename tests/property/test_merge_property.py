"""The nightly merge, as pure functions (no database, no screening): any sequence of deltas merged
into a case's state gives the top-k and the probabilities of a state made from every pair at once."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from reunite.matching.rank import case_posteriors
from reunite.merge import NO_EXCLUSIONS, CaseState, delta_of, merge_case, posteriors, rank_key, state_from_screen

TOP_K, DEPTH, PRIOR = 3, 6, 0.5

# float32 scores as the matcher makes them, strong ones included (a true match scores 20-60 bits)
scores = st.floats(-40, 60, width=32)
# one night: persons (by number) that enter or change (a new score) or leave the case's window (None)
nights = st.lists(st.dictionaries(st.integers(0, 40), st.one_of(st.none(), scores), max_size=16),
                  min_size=1, max_size=6)


def full_state(window: dict[str, float]) -> CaseState:
    """What a screen against every candidate stores: the best DEPTH rows, the rest summed."""
    ordered = sorted(((s, p) for p, s in window.items()), key=rank_key)
    rest = math.fsum(float(np.exp2(np.float64(s))) for s, _ in ordered[DEPTH:])
    return state_from_screen(ordered[:DEPTH], len(window), rest, DEPTH, NO_EXCLUSIONS)


@settings(max_examples=300, deadline=None)
@given(first=st.dictionaries(st.integers(0, 40), scores, max_size=30), deltas=nights)
def test_merged_deltas_equal_one_full_state(first: dict[int, float], deltas: list[dict[int, float | None]]) -> None:
    window = {f"P{p}": s for p, s in first.items()}
    state = full_state(window)
    for night in deltas:
        changed = {f"P{p}" for p in night if f"P{p}" in window}
        gone = [(window[p], p) for p in changed]
        for p, s in night.items():
            if s is None:
                window.pop(f"P{p}", None)
            else:
                window[f"P{p}"] = s
        fresh = [(float(s), f"P{p}") for p, s in night.items() if s is not None]
        # each side as the delta screens give it: the best DEPTH pairs, the others summed
        merged = merge_case(state, gone=delta_of(gone, DEPTH), fresh=delta_of(fresh, DEPTH),
                            leaving=changed | {f"P{p}" for p in night}, depth=DEPTH, top_k=TOP_K)
        state = merged if merged is not None else full_state(window)  # screened in full
    want = full_state(window)
    assert state.rows[:TOP_K] == want.rows[:TOP_K]
    assert state.pairs == want.pairs == len(window)
    got_p, got_any = posteriors(state, PRIOR)
    want_p, want_any = posteriors(want, PRIOR)
    assert np.allclose(got_p[:TOP_K], want_p[:TOP_K], rtol=0, atol=1e-9)
    assert abs(got_any - want_any) <= 1e-9


def test_pairs_a_fresh_delta_summed_bound_the_state() -> None:
    """A case without a bound gets more new pairs than a delta lists; when the listed ones leave,
    the summed one must not be lost (found by the property test above: the merged state kept two
    rows of three)."""
    window = {f"P{p}": 0.0 for p in range(7)}
    state = merge_case(full_state({}), gone=delta_of([], DEPTH), fresh=delta_of([(0.0, p) for p in window], DEPTH),
                       leaving=set(window), depth=DEPTH, top_k=TOP_K)
    assert state is not None and state.bound == (0.0, "P5")
    leaving = {"P0", "P1", "P2", "P3"}
    gone = delta_of([(0.0, p) for p in sorted(leaving)], DEPTH)
    assert merge_case(state, gone=gone, fresh=delta_of([], DEPTH), leaving=leaving, depth=DEPTH, top_k=TOP_K) is None


@settings(max_examples=200, deadline=None)
@given(st.lists(scores, min_size=1, max_size=40))
def test_posteriors_from_a_state_equal_the_matchers(values: list[float]) -> None:
    """:func:`posteriors` of a state is :func:`case_posteriors` of all the case's pairs."""
    score = np.asarray(values, dtype=np.float32)
    group = np.zeros(score.size, dtype=np.int64)
    posterior, any_match, count = case_posteriors(group, score, 1, PRIOR)
    window = {f"P{i}": float(s) for i, s in enumerate(score.tolist())}
    state = full_state(window)
    got, got_any = posteriors(state, PRIOR)
    at = {p: i for i, p in enumerate(window)}
    want = [float(posterior[at[p]]) for _, p in state.rows]
    assert np.allclose(got, want, rtol=1e-12, atol=1e-300)
    assert math.isclose(got_any, float(any_match[0]), rel_tol=1e-12) and state.pairs == int(count[0])
