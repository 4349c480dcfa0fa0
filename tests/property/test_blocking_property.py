"""Blocking returns exactly the pairs a brute-force filter over every pair returns, chunk by chunk."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from reunite.matching.blocking import block, in_pass, preview
from reunite.matching.prepare import prepare
from reunite.matching.reference import candidate_rows, case_rows, reference_blocking
from reunite.matching.spec import BlockingSpec
from reunite.pipeline import load_side

PASSES = ("birth_window", "given_pinyin", "late_window", "surname_county")

SPECS = st.builds(
    BlockingSpec,
    passes=st.permutations(PASSES).flatmap(lambda p: st.integers(1, 4).map(lambda n: tuple(p[:n]))),
    birth_margin_days=st.sampled_from((1, 200, 1096, 4000)),
    late_days=st.sampled_from((1, 366, 2000)),
    late_margin_days=st.sampled_from((1, 1500, 2922)),
    missing_age_days=st.sampled_from((366, 1500, 16 * 366)),
    # shares that are exact binary fractions, so the float32 frequencies compare exactly
    max_name_share=st.sampled_from((0.125, 0.25, 0.5, 1.0)),
    # larger than any candidate table here: see test_blocking.py for the too-common surname rule
    max_name_block=st.just(1000),
    chunk_pairs=st.sampled_from((1, 3, 7, 50, 2_000_000)),
)


@settings(max_examples=80, deadline=None)
@given(case_rows(max_size=10), candidate_rows(max_size=14), SPECS, st.booleans())
def test_block_returns_exactly_the_brute_force_pairs(
    case_frame: pd.DataFrame, cand_frame: pd.DataFrame, spec: BlockingSpec, no_case_births: bool
) -> None:
    if no_case_births:  # babies: only the missing date bounds the birth window
        case_frame = case_frame.assign(birth_date="")
    cases, candidates = load_side(case_frame, "cases"), load_side(cand_frame, "candidates")
    assume(len(cases) > 0 and len(candidates) > 0)
    prep = prepare(cases, candidates)
    expected = reference_blocking(cases, candidates, spec)

    got: dict[str, list[tuple[int, int]]] = {name: [] for name in spec.passes}
    covered: list[int] = []
    for chunk in block(prep, spec):
        assert chunk.cases.size >= 1
        assert chunk.cases.tolist() == list(range(int(chunk.cases[0]), int(chunk.cases[-1]) + 1))
        assert np.isin(chunk.case, chunk.cases).all()
        assert len(chunk) <= spec.chunk_pairs or chunk.cases.size == 1
        covered.extend(chunk.cases.tolist())
        start = 0
        for name, size in zip(spec.passes, chunk.pass_sizes, strict=True):
            case, cand = chunk.case[start:start + size], chunk.cand[start:start + size]
            assert in_pass(prep, spec, name, case, cand).all()
            got[name].extend(zip(case.tolist(), prep.cand_order[cand].tolist(), strict=True))
            start += size
        assert start == len(chunk)

    assert covered == list(range(len(cases)))  # every case in exactly one chunk, in order
    for name in spec.passes:
        assert len(got[name]) == len(set(got[name])), f"{name}: duplicate pairs"
        assert set(got[name]) == expected[name], name
    counts = preview(prep, spec).pairs_per_pass
    assert counts == {name: len(expected[name]) for name in spec.passes}


@settings(max_examples=40, deadline=None)
@given(case_rows(max_size=10), candidate_rows(max_size=14), SPECS)
def test_the_union_does_not_depend_on_the_order_of_passes_or_on_chunking(
    case_frame: pd.DataFrame, cand_frame: pd.DataFrame, spec: BlockingSpec
) -> None:
    cases, candidates = load_side(case_frame, "cases"), load_side(cand_frame, "candidates")
    assume(len(cases) > 0 and len(candidates) > 0)
    prep = prepare(cases, candidates)

    def union(s: BlockingSpec) -> set[tuple[int, int]]:
        pairs = [(int(a), int(b)) for c in block(prep, s) for a, b in zip(c.case, c.cand, strict=True)]
        assert len(pairs) == len(set(pairs))
        return set(pairs)

    reversed_spec = BlockingSpec(
        passes=tuple(reversed(spec.passes)), birth_margin_days=spec.birth_margin_days,
        late_days=spec.late_days, late_margin_days=spec.late_margin_days,
        missing_age_days=spec.missing_age_days, max_name_share=spec.max_name_share,
        max_name_block=spec.max_name_block, chunk_pairs=10**9,
    )
    assert union(spec) == union(reversed_spec)
