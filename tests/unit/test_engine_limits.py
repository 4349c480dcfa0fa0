"""EngineLimits choose how the engine computes, never what: a screen gives the same bits under any
limits, and they stay out of the model."""

from __future__ import annotations

import dataclasses
import functools

import pandas as pd
import pytest

from reunite.errors import ConfigError
from reunite.matching.engine import DEFAULT_LIMITS, EngineLimits
from reunite.normalize import RecordTable
from reunite.pipeline import RANKED_COLUMNS, ScreenResult, load_side, screen
from reunite.synth import generate

# every strategy's other side: no name tables, no memo, pinyin similarity pair by pair, a histogram cut
# and a survivors cut for any input, weights summed per comparison, no counted windows (count_cells 0) ...
SMALLEST = EngineLimits(table_cells_per_pair=0, table_cells=0, similarity_cells=0, memo_cells=0,
                        histogram_rows_per_cell=10**9, exact_sort_rows=0, pattern_cells=0, count_cells=0,
                        move_cells=0)
# ... and tables of any size
LARGEST = EngineLimits(table_cells_per_pair=10**9, table_cells=10**12, similarity_cells=10**12, memo_cells=10**12,
                       histogram_rows_per_cell=0, exact_sort_rows=10**9, pattern_cells=10**12, count_cells=10**12,
                       move_cells=10**12)


@functools.cache
def _tables() -> tuple[RecordTable, RecordTable]:
    data = generate(30, 2000, seed=9)
    return load_side(pd.DataFrame(data.cases), "cases"), load_side(pd.DataFrame(data.candidates), "candidates")


def _rows(result: ScreenResult) -> list[list[object]]:
    return [result.columns[name].tolist() for name in (*RANKED_COLUMNS, "_case_rest")]


@pytest.mark.parametrize("limits", [SMALLEST, LARGEST], ids=["smallest", "largest"])
def test_a_screen_is_the_same_under_any_limits(limits: EngineLimits) -> None:
    cases, candidates = _tables()
    expected = screen(cases, candidates, top_k=5, seed=2)
    got = screen(cases, candidates, top_k=5, seed=2, limits=limits)
    assert got.limits is limits
    assert _rows(got) == _rows(expected)
    assert got.model.to_dict() == expected.model.to_dict()  # the fit of u and m too
    assert got.pairs_compared == expected.pairs_compared
    pair = (str(got.columns["case_id"][0]), str(got.columns["person_id"][0]))
    assert got.explain(*pair).fields == expected.explain(*pair).fields


def test_limits_are_no_part_of_a_model() -> None:
    cases, candidates = _tables()
    body = screen(cases, candidates, top_k=1, limits=SMALLEST, em=False).model.to_dict()
    assert not {f.name for f in dataclasses.fields(EngineLimits)} & {str(key) for key in _keys(body)}


def _keys(value: object) -> set[object]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list | tuple):
        return {k for v in value for k in _keys(v)}
    return set()


def test_the_defaults_are_the_tuned_values() -> None:
    assert EngineLimits() == DEFAULT_LIMITS
    assert dataclasses.astuple(DEFAULT_LIMITS) == (8, 64_000_000, 8_000_000, 32_000_000, 4, 200_000, 1 << 20,
                                                   96_000_000, 24_000_000)


@pytest.mark.parametrize("bad", [-1, 1.5, True, "8"])
def test_a_limit_is_a_whole_number_at_least_zero(bad: object) -> None:
    with pytest.raises(ConfigError, match="table_cells_per_pair"):
        EngineLimits(table_cells_per_pair=bad)  # type: ignore[arg-type]
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_LIMITS.memo_cells = 0  # type: ignore[misc]
