"""The vectorized comparison kernels equal the slow per-pair reference; symmetric ones are symmetric;
a closer birth date never lowers a score."""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from reunite.matching.blocking import block
from reunite.matching.compare import compare
from reunite.matching.comparisons import REGISTRY, ROUNDED_BIRTH
from reunite.matching.comparisons.birth import Level as Birth
from reunite.matching.comparisons.birth_month import Level as BirthMonth
from reunite.matching.comparisons.birth_monthday import Level as Birthday
from reunite.matching.engine import EngineLimits
from reunite.matching.model import default_model
from reunite.matching.prepare import Prepared, prepare
from reunite.matching.reference import (
    NAMES,
    candidate_rows,
    case_rows,
    record_names,
    reference_levels,
)
from reunite.matching.score import pair_contributions, score_chunk
from reunite.matching.spec import COMPARISONS, ComparisonSpec
from reunite.normalize.features import RecordTable
from reunite.pipeline import load_side

SETTINGS = settings(max_examples=60, deadline=None)

SPECS = st.builds(
    ComparisonSpec,
    name_similarity=st.sampled_from((0.75, 0.88, 0.95)),
    birth_band_days=st.sampled_from(((366, 731, 1096), (60, 400, 2000))),
    birth_month_days=st.sampled_from((7, 31)),
    same_day_days=st.sampled_from((0, 1, 3)),
    birthday_near_days=st.sampled_from((5, 60, 150)),
    nearby_km=st.sampled_from((50.0, 150.0, 1200.0)),
    late_registration_days=st.sampled_from(((183, 1096), (30, 3000))),
    timeline_grace_days=st.sampled_from((0, 731, 4000)),
)


def _tables(case_frame: pd.DataFrame, cand_frame: pd.DataFrame) -> tuple[RecordTable, RecordTable]:
    cases, candidates = load_side(case_frame, "cases"), load_side(cand_frame, "candidates")
    assume(len(cases) > 0 and len(candidates) > 0)  # every row's date may have been quarantined
    return cases, candidates


def _all_pairs(prep: Prepared) -> tuple[np.ndarray[Any, np.dtype[np.int64]], np.ndarray[Any, np.dtype[np.int64]]]:
    case, cand = np.meshgrid(np.arange(len(prep.cases)), np.arange(len(prep.candidates)), indexing="ij")
    return case.ravel().astype(np.int64), cand.ravel().astype(np.int64)


def _check_against_reference(cases: RecordTable, candidates: RecordTable, spec: ComparisonSpec,
                             limits: EngineLimits) -> None:
    prep = prepare(cases, candidates)
    case, cand = _all_pairs(prep)
    levels = compare(prep, spec, case, cand, limits=limits)
    for p in range(case.size):
        expected = reference_levels(cases, candidates, int(case[p]), int(prep.cand_order[cand[p]]), spec)
        assert tuple(levels[:, p].tolist()) == expected, (
            f"pair case {case[p]} / candidate row {prep.cand_order[cand[p]]}"
        )


@SETTINGS
@given(case_rows(), candidate_rows(), SPECS, st.booleans())
def test_every_level_equals_the_per_pair_reference(
    case_frame: pd.DataFrame, cand_frame: pd.DataFrame, spec: ComparisonSpec, memo: bool
) -> None:
    # the lookup tables of names and places, whatever their size (screening chunks use them), their
    # name rows read from the screen-wide table of every case name or computed for the batch
    limits = EngineLimits(table_cells_per_pair=10**9, memo_cells=10**9 if memo else 0)
    _check_against_reference(*_tables(case_frame, cand_frame), spec, limits)


@settings(max_examples=25, deadline=None)
@given(case_rows(), candidate_rows(), SPECS, st.booleans())
def test_the_pair_by_pair_kernels_equal_the_reference(
    case_frame: pd.DataFrame, cand_frame: pd.DataFrame, spec: ComparisonSpec, memo: bool
) -> None:
    # no lookup tables (batches of scattered pairs, such as the random pairs u is fitted on), and
    # pinyin similarity over distinct pairs (process.cpdist: past 8M distinct-value cells in real data);
    # with ``memo`` the levels of every case name, kept for the whole screen, are looked up instead
    limits = EngineLimits(table_cells=0, similarity_cells=0, memo_cells=10**9 if memo else 0)
    _check_against_reference(*_tables(case_frame, cand_frame), spec, limits)


@SETTINGS
@given(case_rows(), candidate_rows(), st.booleans())
def test_screening_scores_equal_the_explained_contributions(
    case_frame: pd.DataFrame, cand_frame: pd.DataFrame, tables: bool
) -> None:
    # score_chunk (lookup tables, values spread by runs, weights summed) against pair_contributions
    # (the pairs alone, as explain() computes them), every blocking pass, chunks of a few pairs
    from reunite.matching.spec import BlockingSpec

    cases, candidates = _tables(case_frame, cand_frame)
    prep = prepare(cases, candidates)
    model = default_model()
    passes = BlockingSpec(passes=("birth_window", "given_pinyin", "surname_county"), chunk_pairs=5,
                          max_name_share=1.0)
    limits = EngineLimits(table_cells_per_pair=10**9 if tables else 0)
    for chunk in block(prep, passes):
        result = score_chunk(prep, model, chunk, len(prep.candidates), limits=limits)  # every pair kept
        assert result.case.size == len(chunk)
        levels, contributions = pair_contributions(prep, model, result.case, result.cand)
        assert result.levels.tolist() == levels.tolist()
        np.testing.assert_allclose(result.score, contributions.sum(axis=0), rtol=1e-5, atol=1e-4)
        np.testing.assert_allclose(result.contributions, contributions, rtol=1e-6, atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 500), st.sampled_from(("day", "month", "year")), st.booleans(),
       st.lists(st.integers(-4, 4), min_size=1, max_size=6), SPECS)
def test_a_birth_on_the_day_a_baby_was_lost_reads_as_the_reference_does(
    age: int, birth_written: str, loss_to_day: bool, offsets: list[int], spec: ComparisonSpec
) -> None:
    # the loss day as a second reading of the registered birth (a baby registered the day it came):
    # candidates born around it, cases lost at any age, their birth and loss known to the day or not
    birth = datetime.date(1990, 3, 14)
    loss = birth + datetime.timedelta(days=age)
    written = {"day": birth.isoformat(), "month": f"{birth.year}年{birth.month}月", "year": f"{birth.year}年"}
    cases = pd.DataFrame({"case_id": ["c"], "sex": ["F"], "birth_date": [written[birth_written]],
                          "missing_date": [loss.isoformat() if loss_to_day else f"{loss.year}年{loss.month}月"]})
    people = pd.DataFrame({
        "person_id": [f"p{i}" for i in range(len(offsets))], "sex": ["F"] * len(offsets),
        "birth_date": [(loss + datetime.timedelta(days=k)).isoformat() for k in offsets]})
    _check_against_reference(*_tables(cases, people), spec, EngineLimits())


def test_names_beyond_max_name_slots_are_not_compared() -> None:
    cases = load_side(pd.DataFrame({"case_id": ["c"], "name": ["黄华"], "sex": ["M"], "birth_date": ["1985"]}),
                      "cases")
    candidates = load_side(pd.DataFrame({
        "person_id": ["first", "fifth"], "sex": ["M", "M"], "birth_date": ["1985", "1985"],
        "name": ["黄华", "张（章）丽"], "former_names": ["", "陈静;程晶;刘芳;王伟;李娜;赵敏;周强;黄华"],
    }), "candidates")
    # 黄华 is the 10th name: past MAX_NAME_SLOTS (8), not compared, and the record is flagged
    assert [n.given for n in record_names(candidates, 1)] == ["丽", "丽", "静", "晶", "芳", "伟", "娜", "敏"]
    assert candidates.flags["more_than_8_names"].tolist() == [False, True]
    spec = ComparisonSpec(comparisons=("given_name",))
    prep = prepare(cases, candidates)
    position = np.argsort(prep.cand_order)
    levels = compare(prep, spec, np.zeros(2, dtype=np.int64), position.astype(np.int64))
    assert levels[0].tolist() == [5, 0]
    assert [reference_levels(cases, candidates, 0, j, spec)[0] for j in (0, 1)] == [5, 0]


# -- term-frequency values ---------------------------------------------------------------------
def _codes(prep: Prepared, side: str, field: str, row: int) -> set[int]:
    matrix = getattr(getattr(prep, side), field)
    return {int(v) for v in matrix[row] if v >= 0}


SAME_CHARACTERS = REGISTRY["given_name"].labels.index("given name same characters")
SAME_PINYIN = REGISTRY["given_name"].labels.index("given name same pinyin")


@SETTINGS
@given(case_rows(), candidate_rows())
def test_agreeing_values_are_values_both_records_carry(case_frame: pd.DataFrame, cand_frame: pd.DataFrame) -> None:
    prep = prepare(*_tables(case_frame, cand_frame))
    case, cand = _all_pairs(prep)
    values: dict[str, Any] = {}
    levels = compare(prep, ComparisonSpec(), case, cand, values)
    for p in range(case.size):
        i, j = int(case[p]), int(cand[p])
        given_level, surname_level = int(levels[0, p]), int(levels[1, p])
        if given_level == SAME_CHARACTERS:
            shared = _codes(prep, "cases", "given", i) & _codes(prep, "candidates", "given", j)
            assert int(values["given_name"][p]) in shared
        if given_level == SAME_PINYIN:
            # the candidate's own (primary) reading: term frequencies count those
            assert int(values["given_name"][p]) in _codes(prep, "candidates", "given_py", j)
        if surname_level == 2:
            shared = _codes(prep, "cases", "surname", i) & _codes(prep, "candidates", "surname", j)
            assert int(values["surname"][p]) in shared


def test_values_are_minus_one_where_the_names_do_not_agree() -> None:
    cases = load_side(pd.DataFrame({"case_id": ["c"], "name": ["王小红"], "sex": ["F"], "birth_date": ["1988"]}),
                      "cases")
    candidates = load_side(pd.DataFrame({"person_id": ["p"], "name": ["李娜"], "sex": ["F"],
                                         "birth_date": ["1988"]}), "candidates")
    prep = prepare(cases, candidates)
    values: dict[str, Any] = {}
    levels = compare(prep, ComparisonSpec(), np.array([0]), np.array([0]), values)
    assert levels[:2, 0].tolist() == [0, 0]
    assert values["given_name"].tolist() == [-1] and values["surname"].tolist() == [-1]


def test_agreeing_through_a_second_reading_weighs_no_more_than_the_reported_reading() -> None:
    from reunite.matching.spec import BlockingSpec
    from reunite.pipeline import screen

    model = default_model().fit_frequencies(
        {"given": {"小红": 0.05}, "pinyin": {"xiao hong": 0.05, "ming": 1e-6}, "surname": {"李": 0.07}}, 10**7
    )
    cases = pd.DataFrame({"case_id": ["heteronym", "same"], "name": ["王小公", "王晓红"], "sex": ["F", "F"],
                          "birth_date": ["1988-05-03", "1988-05-03"]})
    people = pd.DataFrame({"person_id": ["p"], "name": ["李小红"], "sex": ["F"], "birth_date": ["1988-05-03"]})
    result = screen(cases, people, model=model, fit_to_data=False, blocking=BlockingSpec(max_name_share=1.0))
    heteronym, same = (result.explain(c, "p").fields[0] for c in ("heteronym", "same"))
    assert heteronym[1] == same[1] == "given name same pinyin"
    assert heteronym[2] <= same[2]


# -- symmetry ----------------------------------------------------------------------------------
def _swapped(prep: Prepared) -> Prepared:
    """The same codes with the two sides' roles exchanged."""
    return Prepared(
        cases=prep.candidates, candidates=prep.cases, cand_order=prep.cand_order, tiebreak=prep.tiebreak,
        pinyin_vocab=prep.pinyin_vocab, given_freq=prep.given_freq, pinyin_freq=prep.pinyin_freq,
        surname_freq=prep.surname_freq, frequency_base=prep.frequency_base, given_readings=prep.given_readings,
        surname_readings=prep.surname_readings, regions=prep.regions,
    )


@SETTINGS
@given(case_rows(), candidate_rows(), SPECS)
def test_names_birth_marks_and_region_are_symmetric(
    case_frame: pd.DataFrame, cand_frame: pd.DataFrame, spec: ComparisonSpec
) -> None:
    # By definition: best over all name pairs of a symmetric per-name level (Jaro-Winkler is
    # symmetric), the gap between two intervals, Jaccard of mark sets, and region codes/distance.
    # Registration and timeline read one side's registration and the other's missing date: not symmetric;
    # nor are the lunar reading of a case's bare birth date, the leap twin of a lunar one and a baby's
    # loss day read as its registered birth (case-side readings): they are left out here, the
    # candidates' registration day too (swapped, it is read as a case's loss day).
    prep = prepare(*_tables(case_frame, cand_frame))
    no_lunar = dataclasses.replace(prep.cases, alt_known=np.zeros_like(prep.cases.alt_known),
                                   leap_known=np.zeros_like(prep.cases.leap_known),
                                   event_known=np.zeros_like(prep.cases.event_known))
    no_event = dataclasses.replace(prep.candidates, event_known=np.zeros_like(prep.candidates.event_known))
    prep = dataclasses.replace(prep, cases=no_lunar, candidates=no_event)
    swapped = _swapped(prep)
    case, cand = _all_pairs(prep)
    for name in ("given_name", "surname", "birth", "birth_monthday", "marks", "region"):
        one = ComparisonSpec(comparisons=(name,), name_similarity=spec.name_similarity,
                             birth_band_days=spec.birth_band_days, birth_month_days=spec.birth_month_days,
                             same_day_days=spec.same_day_days, nearby_km=spec.nearby_km)
        forward = compare(prep, one, case, cand)[0]
        backward = compare(swapped, one, cand, case)[0]
        if name == "region":
            # the county in a candidate's valid ID is one-sided evidence, and so is a case place known
            # only to its city or province (vague_place compares those): compare pairs with neither
            level = prep.regions.level
            county_or_unknown = (level[prep.cases.region_id[case]] % 3 == 0) & \
                (level[prep.candidates.region_id[cand]] % 3 == 0)
            keep = (prep.candidates.id_county[cand] == 0) & county_or_unknown
            forward, backward = forward[keep], backward[keep]
        if name == "birth":
            # "born in the case's month / year" read the case's precision, one-sided: "within a month" here
            case_levels = (Birth.IN_CASE_MONTH, Birth.IN_CASE_YEAR)
            forward = np.where(np.isin(forward, case_levels), np.int8(Birth.WITHIN_MONTH), forward)
            backward = np.where(np.isin(backward, case_levels), np.int8(Birth.WITHIN_MONTH), backward)
        assert forward.tolist() == backward.tolist(), name


# -- a closer birth date never lowers a score ----------------------------------------------------
_DAY = datetime.date(1970, 1, 1)


def _day(days: int) -> str:
    return (_DAY + datetime.timedelta(days=days)).isoformat()


def _closer_pair_scores(case_birth: str, missing: str, far: int, near: int, registered: str,
                        name: str, region: str) -> tuple[Any, Any]:
    cases = load_side(pd.DataFrame({"case_id": ["c"], "name": [name], "sex": ["F"], "birth_date": [case_birth],
                                    "missing_date": [missing], "missing_region": ["360302"]}), "cases")
    candidates = load_side(pd.DataFrame({
        "person_id": ["far", "near"], "name": [name, name], "sex": ["F", "F"],
        "birth_date": [_day(far), _day(near)], "registration_date": [registered, registered],
        "region": [region, region],
    }), "candidates")
    assert len(candidates) == 2 and len(cases) == 1
    prep = prepare(cases, candidates)
    position = np.argsort(prep.cand_order).astype(np.int64)
    levels, contributions = pair_contributions(prep, default_model(), np.zeros(2, dtype=np.int64), position)
    return levels, contributions


_BIRTH_CELLS = st.sampled_from(("1988", "1988-05", "1988-05-03", "1988年5月3日", "1990-12-31"))
_OFFSETS = st.integers(-4000, 4000)


def _move_closer(case_birth: str, offset: int, fraction: float) -> tuple[int, int]:
    cases = load_side(pd.DataFrame({"case_id": ["c"], "sex": ["F"], "birth_date": [case_birth]}), "cases")
    lo, hi = int(cases.birth_lo[0]), int(cases.birth_hi[0])
    far = lo + offset if offset < 0 else hi + offset
    target = lo if far < lo else hi if far > hi else far
    near = far + round((target - far) * fraction)
    return far, near


@SETTINGS
@given(_BIRTH_CELLS, _OFFSETS, st.floats(0.0, 1.0), st.sampled_from(("", "1992-06-01", "2003")),
       st.sampled_from(("", "2001-03-02", "1989")), st.sampled_from(NAMES), st.sampled_from(("", "360313")))
@example("1988-05-03", -123, 0.5, "", "", "王小红", "")  # far on 1 January
def test_a_closer_birth_date_never_lowers_the_birth_weight(
    case_birth: str, offset: int, fraction: float, missing: str, registered: str, name: str, region: str
) -> None:
    far, near = _move_closer(case_birth, offset, fraction)
    levels, contributions = _closer_pair_scores(case_birth, missing, far, near, registered, name, region)
    birth = COMPARISONS.index("birth")
    # by design a far date on the 1st of a month (1 January) is also read as that month (year)
    assume(levels[birth, 0] != REGISTRY["birth"].labels.index(ROUNDED_BIRTH))
    assert levels[birth, 1] >= levels[birth, 0]
    assert contributions[birth, 1] >= contributions[birth, 0]


@SETTINGS
@given(_BIRTH_CELLS, _OFFSETS, st.floats(0.0, 1.0), st.sampled_from(NAMES), st.sampled_from(("", "360313")))
@example("1988-05-03", -123, 0.5, "王小红", "")  # far on 1 January: found on random draws
@example("1990-12-31", 366, 0.125, "王小红", "")
def test_a_closer_birth_date_never_lowers_the_total_score_without_event_dates(
    case_birth: str, offset: int, fraction: float, name: str, region: str
) -> None:
    # Without a missing date and a registration date, only the birth comparisons read the birth date.
    # Two exceptions are by design: a far date on or near the case's birthday (in the case's month, for
    # a case known to the month), in another year, is evidence of its own (a registered birth shifted by
    # whole years keeps the birthday, or keeps it roughly); and a far date
    # on the 1st of a month (1 January) is also read as that month (year), as registers write a day
    # nobody knew.
    far, near = _move_closer(case_birth, offset, fraction)
    levels, contributions = _closer_pair_scores(case_birth, "", far, near, "", name, region)
    assume(levels[COMPARISONS.index("birth_monthday"), 0] not in (Birthday.SAME, Birthday.NEAR))
    assume(levels[COMPARISONS.index("birth_month"), 0] != BirthMonth.SAME)
    assume((_DAY + datetime.timedelta(days=far)).day != 1)  # 1 January is no birthday to compare either
    total = contributions.sum(axis=0, dtype=np.float32)
    assert total[1] >= total[0]


def test_a_closer_birth_date_never_lowers_the_total_score() -> None:
    # Baby born 1990-01-01, lost 1990-04-11; candidate born 1990-04-12, moved 2 days closer.
    far = (datetime.date(1990, 4, 12) - _DAY).days
    levels, contributions = _closer_pair_scores("1990-01-01", "1990-04-11", far, far - 2, "", "王小红", "")
    total = contributions.sum(axis=0, dtype=np.float32)
    assert total[1] >= total[0], (levels.tolist(), contributions.tolist())
