"""Blocking on hand-made tables: each pass's rule, the edge cases of dates and sex, chunks, preview."""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd
import pytest

from reunite.matching.blocking import block, preview
from reunite.matching.prepare import prepare
from reunite.matching.reference import reference_blocking, resident_id
from reunite.matching.spec import BlockingPass, BlockingSpec
from reunite.normalize.features import RecordTable
from reunite.pipeline import load_side, screen


def _cases(**columns: list[str]) -> RecordTable:
    n = len(next(iter(columns.values())))
    return load_side(pd.DataFrame({"case_id": [f"c{i}" for i in range(n)], **columns}), "cases")


def _candidates(**columns: list[str]) -> RecordTable:
    n = len(next(iter(columns.values())))
    return load_side(pd.DataFrame({"person_id": [f"p{i}" for i in range(n)], **columns}), "candidates")


def _pairs(cases: RecordTable, candidates: RecordTable, spec: BlockingSpec) -> dict[str, set[tuple[str, str]]]:
    """Pairs each pass adds, as (case id, person id)."""
    prep = prepare(cases, candidates)
    out: dict[str, set[tuple[str, str]]] = {name: set() for name in spec.passes}
    for chunk in block(prep, spec):
        start = 0
        for name, size in zip(spec.passes, chunk.pass_sizes, strict=True):
            rows = prep.cand_order[chunk.cand[start:start + size]]
            out[name] |= {(str(cases.ids[a]), str(candidates.ids[b]))
                          for a, b in zip(chunk.case[start:start + size], rows, strict=True)}
            start += size
    return out


def _ids(pairs: set[tuple[str, str]]) -> list[str]:
    return sorted(p for _, p in pairs)


BIRTH_ONLY = BlockingSpec(passes=("birth_window",), birth_margin_days=366)


def test_birth_window_keeps_compatible_sexes_within_the_margin() -> None:
    cases = _cases(sex=["F"], birth_date=["1988-05-03"])
    candidates = _candidates(
        sex=["F", "", "M", "F", "F", "F"],
        birth_date=["1989-05-03", "1987-05-04", "1988-05-03", "1989-05-05", "1987-05-01", ""],
    )
    # p0 366 days later, p1 unknown sex 364 days before; p2 male; p3/p4 just outside; p5 no date
    assert _ids(_pairs(cases, candidates, BIRTH_ONLY)["birth_window"]) == ["p0", "p1"]


def test_a_case_of_unknown_sex_meets_both_sexes() -> None:
    cases = _cases(sex=[""], birth_date=["1988"])
    candidates = _candidates(sex=["F", "M", ""], birth_date=["1988-02-01", "1988-12-01", "1989-01-01"])
    assert _ids(_pairs(cases, candidates, BIRTH_ONLY)["birth_window"]) == ["p0", "p1", "p2"]


def test_a_candidate_without_birth_date_is_placed_by_a_valid_id() -> None:
    import datetime

    valid = resident_id("360302", datetime.date(1988, 5, 3), 124)
    broken = valid[:-1] + ("0" if valid[-1] != "0" else "1")
    cases = _cases(sex=["F"], birth_date=["1988-05"])
    candidates = _candidates(sex=["F", "F"], birth_date=["", ""], id_number=[valid, broken])
    assert _ids(_pairs(cases, candidates, BIRTH_ONLY)["birth_window"]) == ["p0"]


def test_a_case_without_birth_date_is_bounded_by_its_missing_date() -> None:
    spec = BlockingSpec(passes=("birth_window",), birth_margin_days=10, missing_age_days=366)
    cases = _cases(sex=["F"], birth_date=[""], missing_date=["1990-01-01"])
    candidates = _candidates(
        sex=["F"] * 4, birth_date=["1988-12-20", "1988-12-31", "1990-01-11", "1990-01-12"],
    )
    # born at most 366 days before the loss, 10 days margin: 1988-12-21 .. 1990-01-11
    assert _ids(_pairs(cases, candidates, spec)["birth_window"]) == ["p1", "p2"]


def test_a_case_without_any_date_meets_every_dated_candidate_of_its_sex() -> None:
    cases = _cases(sex=["M"], birth_date=[""], missing_date=[""])
    candidates = _candidates(sex=["M", "M", "F", "M"], birth_date=["1950", "2010-03-04", "1988", ""])
    assert _ids(_pairs(cases, candidates, BIRTH_ONLY)["birth_window"]) == ["p0", "p1"]


def test_given_pinyin_meets_homophones_at_any_birth_date_but_skips_common_readings() -> None:
    spec = BlockingSpec(passes=("given_pinyin",), max_name_share=0.5)
    cases = _cases(name=["王晓红"], alias=["娜娜"], sex=["F"], birth_date=["1988"])
    candidates = _candidates(
        name=["李小红", "张娜娜", "刘娜娜", "陈静", "赵晓红", "钱小红"],
        sex=["F", "F", "F", "F", "M", "F"], birth_date=["1960", "1970", "1980", "1990", "1988", ""],
    )
    # "xiao hong" is carried by 3 of 6 candidates (not more than half): kept; 赵晓红 is male
    assert _ids(_pairs(cases, candidates, spec)["given_pinyin"]) == ["p0", "p1", "p2", "p5"]
    # above 0.4, "xiao hong" (3/6) is too common to block on; "na na" (2/6) is not
    common = BlockingSpec(passes=("given_pinyin",), max_name_share=0.4)
    assert _ids(_pairs(cases, candidates, common)["given_pinyin"]) == ["p1", "p2"]


def test_later_passes_add_only_pairs_the_earlier_ones_missed() -> None:
    spec = BlockingSpec(passes=("birth_window", "given_pinyin", "surname_county"), birth_margin_days=366,
                        max_name_share=1.0)
    cases = _cases(name=["王小红"], sex=["F"], birth_date=["1988"], missing_region=["360302"])
    candidates = _candidates(
        name=["李小红", "李小红", "王芳", "王芳"], sex=["F", "F", "F", "F"],
        birth_date=["1988-06-01", "1970", "1970", "1970"], region=["", "", "江西省萍乡市安源区", "360313"],
    )
    pairs = _pairs(cases, candidates, spec)
    assert {name: _ids(found) for name, found in pairs.items()} == {
        "birth_window": ["p0"], "given_pinyin": ["p1"], "surname_county": ["p2"],
    }
    assert preview(prepare(cases, candidates), spec).pairs_per_pass == {
        "birth_window": 1, "given_pinyin": 1, "surname_county": 1,
    }


@pytest.mark.parametrize("chunk_pairs", [1, 2, 5, 1000])
def test_chunks_hold_whole_cases_and_stay_under_the_budget(chunk_pairs: int) -> None:
    spec = BlockingSpec(passes=("birth_window", "given_pinyin"), chunk_pairs=chunk_pairs)
    cases = _cases(name=["王小红", "李娜", "", "张伟"], sex=["F", "F", "", "M"],
                   birth_date=["1988", "1990", "", "1985"])
    candidates = _candidates(name=["李小红", "陈娜", "张伟", "王芳"], sex=["F", "F", "M", ""],
                             birth_date=["1988", "1990-03", "1985-01-02", "1989"])
    chunks = list(block(prepare(cases, candidates), spec))
    assert np.concatenate([c.cases for c in chunks]).tolist() == [0, 1, 2, 3]
    for chunk in chunks:
        assert len(chunk) <= chunk_pairs or chunk.cases.size == 1
        assert set(chunk.case.tolist()) <= set(chunk.cases.tolist())
    assert sum(len(c) for c in chunks) == preview(prepare(cases, candidates), spec).total


def test_preview_reports_counts_and_reduction() -> None:
    cases = _cases(sex=["F", "M"], birth_date=["1988", "1990"])
    candidates = _candidates(sex=["F", "F", "M", "M"], birth_date=["1988", "2000", "1990", "1960"])
    result = preview(prepare(cases, candidates), BIRTH_ONLY)
    assert result.pairs_per_pass == {"birth_window": 2}
    assert (result.n_cases, result.n_candidates, result.total) == (2, 4, 2)
    assert result.reduction_ratio == pytest.approx(1 - 2 / 8)
    text = result.format()
    assert "2 cases x 4 candidates" in text and "birth_window" in text and "0.750000" in text


def _surname_tables() -> tuple[RecordTable, RecordTable]:
    cases = _cases(name=["王芳"], sex=["F"], birth_date=["1988"], missing_region=["360302"])
    candidates = _candidates(
        name=["王丽", "王强"], former_names=["王红", ""], sex=["F", "F"], birth_date=["2005", "2005"],
        region=["360302", "360302"],
    )
    return cases, candidates


def test_surname_county_counts_candidates_not_names_toward_max_name_block() -> None:
    cases, candidates = _surname_tables()
    spec = BlockingSpec(passes=("surname_county",), max_name_block=2)  # two candidates share 王 in 360302
    assert _ids(_pairs(cases, candidates, spec)["surname_county"]) == ["p0", "p1"]


def test_the_reference_counts_candidates_toward_max_name_block() -> None:
    cases, candidates = _surname_tables()
    found = {name: sorted(p) for name, p in reference_blocking(cases, candidates, BlockingSpec(
        passes=("surname_county",), max_name_block=2)).items()}
    assert found == {"surname_county": [(0, 0), (0, 1)]}
    at_most_one = BlockingSpec(passes=("surname_county",), max_name_block=1)
    assert reference_blocking(cases, candidates, at_most_one) == {"surname_county": set()}
    assert _pairs(cases, candidates, at_most_one) == {"surname_county": set()}


def test_screen_never_proposes_a_candidate_of_the_other_sex() -> None:
    passes: tuple[BlockingPass, ...] = ("birth_window", "given_pinyin", "surname_county")
    cases = pd.DataFrame({"case_id": ["c1"], "name": ["王小红"], "sex": ["女"], "birth_date": ["1988-05-03"],
                          "missing_region": ["360302"]})
    people = pd.DataFrame({"person_id": ["p1", "p2"], "name": ["王强", "李娜"], "sex": ["M", "F"],
                           "birth_date": ["2001-01-01", "1970-01-01"], "region": ["360302", "110105"]})
    result = screen(cases, people, blocking=BlockingSpec(passes=passes), fit_to_data=False)
    assert "M" not in result.to_pandas()["sex"].tolist()


def test_a_valid_id_stands_in_for_an_empty_sex_cell() -> None:
    # A girl's ID (even sequence digit) on a candidate whose sex cell is empty: never proposed for a boy.
    girl_id = resident_id("360302", datetime.date(1988, 5, 3), 2)
    boy_id = resident_id("360302", datetime.date(1988, 5, 3), 3)
    cases = _cases(sex=["男"], birth_date=["1988-05-03"])
    candidates = _candidates(sex=["", ""], birth_date=["1988-05-03", "1988-05-03"], id_number=[girl_id, boy_id])
    pairs = _pairs(cases, candidates, BlockingSpec(passes=("birth_window",)))
    assert pairs["birth_window"] == {("c0", "p1")}
