"""The finer evidence of issue 9, pair by pair: each level fires where it should and moves the score
the way it should with the shipped model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from reunite.matching.compare import compare
from reunite.matching.comparisons.birth import Level as Birth
from reunite.matching.comparisons.birth_month import Level as Month
from reunite.matching.comparisons.birth_monthday import Level as Birthday
from reunite.matching.comparisons.given_name import Level as Given
from reunite.matching.comparisons.region import Level as Region
from reunite.matching.comparisons.registration import Level as Registration
from reunite.matching.comparisons.route import Level as Route
from reunite.matching.comparisons.vague_place import Level as Vague
from reunite.matching.kinds import CASE_KINDS, case_kinds
from reunite.matching.model import default_model
from reunite.matching.prepare import prepare
from reunite.matching.score import pair_contributions
from reunite.matching.spec import COMPARISONS, ComparisonSpec
from reunite.pipeline import load_side


def _score(case: dict[str, str], people: list[dict[str, str]]) -> tuple[np.ndarray, np.ndarray]:
    cases = load_side(pd.DataFrame([{"case_id": "c", "sex": "F", "birth_date": "", "alias": "", **case}]), "cases")
    frame = pd.DataFrame([{"person_id": f"p{i}", "sex": "F", "birth_date": "", **p} for i, p in enumerate(people)])
    candidates = load_side(frame, "candidates")
    prep = prepare(cases, candidates)
    position = np.argsort(prep.cand_order).astype(np.int64)
    return pair_contributions(prep, default_model(), np.zeros(len(people), dtype=np.int64), position)


def test_a_bare_case_date_is_also_read_as_lunar() -> None:
    # 农历 1988-03-18 is solar 1988-05-03; the family wrote the lunar date with bare digits
    levels, weights = _score({"birth_date": "1988-03-18"},
                             [{"birth_date": "1988-05-03"}, {"birth_date": "1988-06-20"}])
    birth = COMPARISONS.index("birth")
    assert levels[birth].tolist() == [Birth.LUNAR, Birth.WITHIN_1_YEAR]
    assert weights[birth, 0] > weights[birth, 1]
    # said to be solar: no lunar reading
    said, _ = _score({"birth_date": "1988-03-18", "birth_calendar": "阳历"}, [{"birth_date": "1988-05-03"}])
    assert said[birth, 0] == Birth.WITHIN_1_YEAR


def test_a_first_of_the_month_may_mean_the_month_and_1_january_the_year() -> None:
    levels, weights = _score({"birth_date": "1990-07-15"}, [
        {"birth_date": "1990-07-01"},   # within a month anyway
        {"birth_date": "1990-01-01"},   # "born in 1990"
        {"birth_date": "1990-03-01"},   # "born in March 1990": four months off
        {"birth_date": "1990-03-02"},   # a real day four months off
    ])
    birth = COMPARISONS.index("birth")
    assert levels[birth].tolist() == [Birth.WITHIN_MONTH, Birth.ROUNDED, Birth.WITHIN_1_YEAR, Birth.WITHIN_1_YEAR]
    assert weights[birth, 1] > weights[birth, 3]
    # on the case's side too, and 1 January is no birthday to match in another year
    levels, _ = _score({"birth_date": "1990-01-01"}, [{"birth_date": "1990-08-08"}, {"birth_date": "1988-01-01"}])
    assert levels[birth].tolist() == [Birth.ROUNDED, Birth.WITHIN_2_YEARS]
    assert levels[COMPARISONS.index("birth_monthday")].tolist() == [-1, -1]


def test_a_place_known_only_to_the_city_or_province_has_its_own_levels() -> None:
    people = [{"region": "江西省萍乡市安源区"}, {"region": "江西省南昌市东湖区"}, {"region": "湖南省长沙市"}]
    region, vague = COMPARISONS.index("region"), COMPARISONS.index("vague_place")
    city, w_city = _score({"missing_region": "江西省萍乡市"}, people)
    assert city[vague].tolist() == [Vague.SAME_CITY, Vague.PROVINCE_OF_CITY, Vague.OTHER_PROVINCE]
    assert city[region].tolist() == [-1, -1, -1]
    assert w_city[vague, 0] > w_city[vague, 1] > w_city[vague, 2]
    province, _ = _score({"missing_region": "江西"}, people)
    assert province[vague].tolist() == [Vague.SAME_PROVINCE, Vague.SAME_PROVINCE, Vague.OTHER_PROVINCE]
    county, _ = _score({"missing_region": "江西省萍乡市安源区"}, people)
    assert county[vague].tolist() == [-1, -1, -1] and county[region].tolist()[0] == Region.SAME_COUNTY


def test_the_same_birthday_in_another_year_is_evidence() -> None:
    levels, weights = _score({"birth_date": "1988-05-03"}, [
        {"birth_date": "1986-05-03"}, {"birth_date": "1986-09-20"}, {"birth_date": "1988-05-03"}])
    monthday = COMPARISONS.index("birth_monthday")
    # the same day is the birth comparison's, not this one's
    assert levels[monthday].tolist() == [Birthday.SAME, Birthday.DIFFERS, -1]
    assert weights.sum(axis=0)[0] > weights.sum(axis=0)[1]


def test_the_case_s_month_in_another_year_is_evidence_for_a_case_known_to_the_month() -> None:
    # a registered birth shifted by whole years keeps its month: for a case known only to the month the
    # birthday comparison has no day to read, the month comparison does
    levels, weights = _score({"birth_date": "1988年5月"}, [
        {"birth_date": "1990-05-17"},   # the case's month, two years on
        {"birth_date": "1990-07-01"},   # another month, two years on
        {"birth_date": "1987-05-31"},   # the case's month, a year before (within the birth's first band)
        {"birth_date": "1987-06-10"},   # another month within the first band: "born within 1 year" says it
        {"birth_date": "1988-05-20"},   # inside the month: the birth comparison's
        {"birth_date": "1990-01-01"},   # 1 January: "born that year", no month
    ])
    month, monthday = COMPARISONS.index("birth_month"), COMPARISONS.index("birth_monthday")
    assert levels[month].tolist() == [Month.SAME, Month.DIFFERS, Month.SAME, -1, -1, -1]
    assert levels[monthday].tolist() == [-1] * 6
    assert weights[month, 0] > 0 > weights[month, 1]
    assert weights.sum(axis=0)[0] > weights.sum(axis=0)[1]
    # a lunar month is the case's month too (农历 1988 年三月 is solar 1988-04-16 .. 1988-05-15), around the
    # turn of the year as well; a case known to the day or the year is not read
    lunar, _ = _score({"birth_date": "农历1988年三月"}, [{"birth_date": "1991-05-15"}, {"birth_date": "1991-05-16"}])
    assert lunar[month].tolist() == [Month.SAME, Month.DIFFERS]
    december, _ = _score({"birth_date": "1988-12"}, [{"birth_date": "1991-12-31"}, {"birth_date": "1985-01-02"}])
    assert december[month].tolist() == [Month.SAME, Month.DIFFERS]
    for cell in ("1988-05-03", "1988"):
        other, _ = _score({"birth_date": cell}, [{"birth_date": "1990-05-17"}])
        assert other[month].tolist() == [-1]


def test_a_birthday_a_day_off_in_another_year_is_the_same_birthday() -> None:
    # "born the same day" allows a day either way; the birthday in another year does too, around the
    # turn of a month and of the year, and not two days off (that is a birthday near)
    levels, weights = _score({"birth_date": "1988-05-03"}, [
        {"birth_date": "1985-05-04"}, {"birth_date": "1990-05-02"}, {"birth_date": "1985-05-05"},
        {"birth_date": "1985-05-01"}])
    monthday = COMPARISONS.index("birth_monthday")
    assert levels[monthday].tolist() == [Birthday.SAME, Birthday.SAME, Birthday.NEAR, Birthday.NEAR]
    assert weights[monthday, 0] > weights[monthday, 2]
    levels, _ = _score({"birth_date": "1988-03-31"}, [{"birth_date": "1991-04-01"}, {"birth_date": "1985-03-30"}])
    assert levels[monthday].tolist() == [Birthday.SAME, Birthday.SAME]
    levels, _ = _score({"birth_date": "1988-12-31"}, [{"birth_date": "1986-12-30"}, {"birth_date": "1990-01-01"}])
    assert levels[monthday].tolist() == [Birthday.SAME, -1]  # 1 January is "born that year": no birthday


def test_a_birthday_near_in_another_year_is_weaker_evidence_than_the_same() -> None:
    # a lunar birthday written as solar lies weeks off (农历 1988-03-18 is solar 1988-05-03), a register
    # rounds to the month: within birthday_near_days around the year, in another year, is "near"
    levels, weights = _score({"birth_date": "1988-05-03"}, [
        {"birth_date": "1986-05-03"}, {"birth_date": "1987-03-18"}, {"birth_date": "1990-06-30"},
        {"birth_date": "1985-07-05"}, {"birth_date": "1986-09-03"}])
    monthday = COMPARISONS.index("birth_monthday")
    assert default_model().spec.birthday_near_days == 60
    assert levels[monthday].tolist() == [Birthday.SAME, Birthday.NEAR, Birthday.NEAR, Birthday.DIFFERS,
                                         Birthday.DIFFERS]
    assert weights[monthday, 0] > weights[monthday, 1] > weights[monthday, 3]
    # around the turn of the year too
    levels, _ = _score({"birth_date": "1988-12-20"}, [{"birth_date": "1986-02-10"}, {"birth_date": "1990-02-25"}])
    assert levels[monthday].tolist() == [Birthday.NEAR, Birthday.DIFFERS]


def test_a_birthday_near_within_a_year_is_counted_once() -> None:
    # births 300-366 days apart have birthdays within two months around the year by construction, and
    # "born within 1 year" says so already: the birthday reads only "the same" there, near or not beyond
    levels, weights = _score({"birth_date": "1988-05-03"}, [
        {"birth_date": "1987-06-20"}, {"birth_date": "1989-04-10"}, {"birth_date": "1989-05-02"},
        {"birth_date": "1987-03-18"}, {"birth_date": "1987-01-20"}])
    birth, monthday = COMPARISONS.index("birth"), COMPARISONS.index("birth_monthday")
    assert default_model().spec.birth_band_days[0] == 366
    assert levels[birth].tolist() == [Birth.WITHIN_1_YEAR] * 3 + [Birth.WITHIN_2_YEARS] * 2
    assert levels[monthday].tolist() == [-1, -1, Birthday.SAME, Birthday.NEAR, Birthday.DIFFERS]
    assert weights[monthday, 0] == weights[monthday, 1] == 0.0


def test_a_baby_registered_as_born_the_day_it_came_agrees_within_a_month() -> None:
    # given away at about three months: the new family registered the day it came (the loss) as the birth
    case = {"birth_date": "1993-02-24", "missing_date": "1993-06-02"}
    levels, weights = _score(case, [
        {"birth_date": "1993-06-02"}, {"birth_date": "1993-06-03"}, {"birth_date": "1993-06-05"},
        {"birth_date": "1993-02-24"}])
    birth = COMPARISONS.index("birth")
    assert levels[birth].tolist() == [Birth.WITHIN_MONTH, Birth.WITHIN_MONTH, Birth.WITHIN_1_YEAR, Birth.SAME_DAY]
    assert weights[birth, 3] > weights[birth, 0] > weights[birth, 2]
    # a birth known to the month only, the loss to the day: read the same way
    month, _ = _score({"birth_date": "1990年12月", "missing_date": "1991-05-06"}, [{"birth_date": "1991-05-06"}])
    assert month[birth].tolist() == [Birth.WITHIN_MONTH]
    # not when the loss is known only to the month, nor when the child was no longer a baby
    levels, _ = _score({"birth_date": "1993-02-24", "missing_date": "1993年6月"}, [{"birth_date": "1993-06-02"}])
    assert levels[birth].tolist() == [Birth.WITHIN_1_YEAR]
    levels, _ = _score({"birth_date": "1993-02-24", "missing_date": "1994-06-02"}, [{"birth_date": "1994-06-02"}])
    assert levels[birth].tolist() == [Birth.WITHIN_2_YEARS]


def test_a_province_on_a_known_trafficking_route_counts() -> None:
    # lost in 贵州 (52); registered in 福建 (35, the main route), in 黑龙江 (23), at home
    levels, weights = _score({"missing_region": "贵州省"},
                             [{"region": "福建省"}, {"region": "黑龙江省"}, {"region": "贵州省"}])
    route = COMPARISONS.index("route")
    assert levels[route].tolist() == [Route.MAIN_ROUTE, Route.OFF_ROUTE, -1]
    assert weights[route, 0] > 0 > weights[route, 1]


def test_registration_soon_after_the_loss_is_its_own_level() -> None:
    case = {"birth_date": "1990-03-01", "missing_date": "1994-06-01"}
    levels, weights = _score(case, [
        {"birth_date": "1990-03-01", "registration_date": "1995-01-10"},   # within 2 years of the loss
        {"birth_date": "1990-03-01", "registration_date": "2001-01-10"},   # years after the loss
        {"birth_date": "1990-03-01", "registration_date": "1990-04-01"},   # on time, before the loss
    ])
    registration = COMPARISONS.index("registration")
    assert levels[registration].tolist() == [
        Registration.SOON_AFTER_MISSING, Registration.AFTER_MISSING, Registration.BEFORE_MISSING]
    assert weights[registration, 0] >= weights[registration, 1] > weights[registration, 2]


def test_a_registration_months_after_the_loss_is_its_own_band() -> None:
    # lost at four; a family registers a child soon after it came, or years later (school, a drive)
    case = {"birth_date": "1990-03-01", "missing_date": "1994-06-01"}
    levels, weights = _score(case, [
        {"birth_date": "1990-03-01", "registration_date": "1994-08-10"},   # two months after the loss
        {"birth_date": "1990-03-01", "registration_date": "1994-12-01"},   # 183 days after: still months
        {"birth_date": "1990-03-01", "registration_date": "1994-12-02"},   # past six months, within 2 years
        {"birth_date": "1990-03-01", "registration_date": "1996-06-01"},   # 731 days after: within 2 years
        {"birth_date": "1990-03-01", "registration_date": "1996-06-02"},   # years after
    ])
    registration = COMPARISONS.index("registration")
    assert levels[registration].tolist() == [
        Registration.MONTHS_AFTER_MISSING, Registration.MONTHS_AFTER_MISSING, Registration.SOON_AFTER_MISSING,
        Registration.SOON_AFTER_MISSING, Registration.AFTER_MISSING]
    assert weights[registration, 0] >= weights[registration, 2] >= weights[registration, 4] > 0
    # the bands are configuration
    cases = load_side(pd.DataFrame([{"case_id": "c", "sex": "F", **case}]), "cases")
    people = load_side(pd.DataFrame([
        {"person_id": "p0", "sex": "F", "birth_date": "1990-03-01", "registration_date": "1994-08-10"},
        {"person_id": "p1", "sex": "F", "birth_date": "1990-03-01", "registration_date": "1994-06-20"}]), "candidates")
    spec = ComparisonSpec(registration_after_loss_days=(30, 400))
    prep = prepare(cases, people)
    levels = compare(prep, spec, np.zeros(2, dtype=np.int64), np.argsort(prep.cand_order).astype(np.int64))
    assert levels[registration].tolist() == [Registration.SOON_AFTER_MISSING, Registration.MONTHS_AFTER_MISSING]


def test_a_registration_surely_before_the_loss_is_its_own_level() -> None:
    # lost in June 1994 (the month only: 1994-06-01 .. 1994-06-30)
    case = {"birth_date": "1990-03-01", "missing_date": "1994-06"}
    levels, weights = _score(case, [
        {"birth_date": "1990-03-01", "registration_date": "1990-04-01"},   # on time, years before the loss
        {"birth_date": "1990-03-01", "registration_date": "1994-05-31"},   # years late, still before it
        {"birth_date": "1990-03-01", "registration_date": "1994-06-15"},   # may be after it: years late
        {"birth_date": "1994-01-01", "registration_date": "1994-05-01"},   # born 1994: may be on time, before
        {"birth_date": "1993-12-01", "registration_date": "1994-06-02"},   # on time, may be after the loss
    ])
    registration = COMPARISONS.index("registration")
    # a late register keeps its delay level before the loss too: taken by the new level, it emptied
    # "late" and "years late" of dated cases and lifted "years after the loss" by monotone pooling
    assert levels[registration].tolist() == [
        Registration.BEFORE_MISSING, Registration.YEARS_LATE, Registration.YEARS_LATE,
        Registration.BEFORE_MISSING, Registration.ON_TIME]
    # learned, not forbidden: a strong penalty, yet finite, and below a registration of unknown relation
    assert -np.inf < weights[registration, 0] < weights[registration, 2]
    # with no loss date the delay alone speaks
    levels, _ = _score({"birth_date": "1990-03-01"}, [
        {"birth_date": "1990-03-01", "registration_date": "1990-04-01"},
        {"birth_date": "1990-03-01", "registration_date": "1994-05-31"},
    ])
    assert levels[registration].tolist() == [Registration.ON_TIME, Registration.YEARS_LATE]


def test_a_birth_written_as_the_1st_is_registered_late_only_if_late_under_every_reading() -> None:
    # a baby lost in June 1990; registers write 1 January for "born in 1990" and the 1st for "that month"
    case = {"birth_date": "1990-05-20", "missing_date": "1990-06-10"}
    levels, _ = _score(case, [
        {"birth_date": "1990-01-01", "registration_date": "1990-11-20"},   # may be born in November: on time
        {"birth_date": "1990-05-01", "registration_date": "1990-12-20"},   # born in May at the latest: late
        {"birth_date": "1990-01-02", "registration_date": "1990-11-20"},   # a real day: late
        {"birth_date": "1990-01-01", "registration_date": "1991-08-01"},   # late under every reading
        {"birth_date": "1989-12-01", "registration_date": "1990-07-20"},   # December 1989: late
    ])
    registration = COMPARISONS.index("registration")
    assert levels[registration].tolist() == [
        Registration.ON_TIME, Registration.SOON_AFTER_MISSING, Registration.MONTHS_AFTER_MISSING,
        Registration.SOON_AFTER_MISSING, Registration.MONTHS_AFTER_MISSING]
    # and before any loss: the delay bands read the latest day the same way
    levels, _ = _score({"birth_date": "1990-05-20"}, [
        {"birth_date": "1990-01-01", "registration_date": "1990-12-20"},
        {"birth_date": "1990-01-01", "registration_date": "1991-09-01"},
        {"birth_date": "1990-01-02", "registration_date": "1990-12-20"},
    ])
    assert levels[registration].tolist() == [Registration.ON_TIME, Registration.LATE, Registration.LATE]


def test_kinds_weigh_the_same_evidence_differently() -> None:
    model = default_model()
    registration = COMPARISONS.index("registration")
    on_time = {kind: float(model.kind_weights(kind)[registration][Registration.ON_TIME]) for kind in CASE_KINDS}
    # a child lost at five is registered only after the loss: "on time" speaks against a match more
    assert on_time["child"] < on_time["baby"]
    cases = load_side(pd.DataFrame({"case_id": ["a", "b"], "sex": ["F", "F"], "birth_date": ["1990-03-01"] * 2,
                                    "missing_date": ["1990-03-20", "1995-03-01"]}), "cases")
    people = load_side(pd.DataFrame({"person_id": ["p"], "sex": ["F"], "birth_date": ["1990"]}), "candidates")
    assert [CASE_KINDS[k] for k in case_kinds(prepare(cases, people).cases)] == ["baby", "child"]


def test_labelled_pairs_fit_m_per_kind_and_the_scores_use_it() -> None:
    from reunite.pipeline import train

    cases = pd.DataFrame({"case_id": [f"c{i}" for i in range(20)], "name": ["王小红"] * 20, "sex": ["F"] * 20,
                          "birth_date": ["1990-03-01"] * 20, "missing_date": ["1990-03-10"] * 20})
    people = pd.DataFrame({"person_id": [f"p{i}" for i in range(20)], "name": ["李小红"] * 20,
                           "sex": ["F"] * 20, "birth_date": ["1990-03-01"] * 20})
    fitted = train(cases, people, confirmed=[(f"c{i}", f"p{i}") for i in range(20)])
    shipped = default_model()
    given, surname = COMPARISONS.index("given_name"), COMPARISONS.index("surname")
    # every confirmed baby kept the given name and lost the surname: the baby kind's m says so
    assert fitted.m_of("baby")[given][-1] > shipped.m_of("baby")[given][-1]
    assert fitted.m_of("baby")[surname][0] > shipped.m_of("baby")[surname][0]


def test_train_em_learns_m_without_labels(tmp_path: Path) -> None:
    from reunite.pipeline import train
    from reunite.synth import generate, write

    paths = write(generate(300, 6_000, seed=5), tmp_path / "data")
    shipped = default_model()
    fitted = train(paths.cases, paths.candidates, em=True)
    kept = train(paths.cases, paths.candidates)
    moved = [np.abs(a - b).max() for a, b in zip(fitted.m_of("baby"), shipped.m_of("baby"), strict=True)]
    assert max(moved) > 1e-3
    # without EM m is the shipped one, but for the birth levels that follow the data's rounded births and
    # its cases' shares of births known only to the month or year
    assert kept.rounded_share is not None and kept.precision_shares is not None
    shipped.fit_rounded_share(kept.rounded_share).fit_precision_shares(kept.precision_shares)
    assert all(np.abs(a - b).max() < 1e-9 for a, b in zip(kept.m_of("baby"), shipped.m_of("baby"), strict=True))


def test_a_lunar_birthday_registered_with_its_digits_as_the_solar_date_agrees() -> None:
    # 农历1988年七月初七 is solar 1988-08-18; many registers wrote 1988-07-07
    levels, weights = _score({"birth_date": "农历1988年七月初七"},
                             [{"birth_date": "1988-07-07"}, {"birth_date": "1988-05-20"}, {"birth_date": "1988-08-18"}])
    birth = COMPARISONS.index("birth")
    assert levels[birth].tolist() == [Birth.LUNAR, Birth.WITHIN_1_YEAR, Birth.SAME_DAY]
    assert weights[birth, 0] > weights[birth, 1]
    # a lunar month's digits: July 1988
    month, _ = _score({"birth_date": "农历1988年七月"}, [{"birth_date": "1988-07-05"}])
    assert month[birth].tolist() == [Birth.LUNAR]


def test_a_lunar_month_with_a_leap_twin_is_also_read_as_the_leap_month() -> None:
    # 1984 has 闰十月: 农历1984年十月十八 is 1984-11-10, 闰十月十八 1984-12-10; a family that writes 十月
    # may mean either, and the pair is judged on the better reading
    levels, weights = _score({"birth_date": "农历1984年十月十八"}, [
        {"birth_date": "1984-12-10"},   # the leap twin's day
        {"birth_date": "1984-11-10"},   # the regular month's day
        {"birth_date": "1985-01-05"},   # 26 days after the twin, 56 after the regular day
        {"birth_date": "1985-06-01"},
    ])
    birth = COMPARISONS.index("birth")
    assert levels[birth].tolist() == [Birth.SAME_DAY, Birth.SAME_DAY, Birth.WITHIN_MONTH, Birth.WITHIN_1_YEAR]
    assert weights[birth, 0] == weights[birth, 1] > weights[birth, 2]
    # an explicit 闰 keeps the leap month alone; a year with no leap tenth month has no twin
    leap, _ = _score({"birth_date": "农历1984年闰十月十八"},
                     [{"birth_date": "1984-12-10"}, {"birth_date": "1984-11-10"}])
    assert leap[birth].tolist() == [Birth.SAME_DAY, Birth.WITHIN_MONTH]
    plain, _ = _score({"birth_date": "农历1985年十月十八"}, [{"birth_date": "1985-12-29"}])
    assert plain[birth].tolist() == [Birth.WITHIN_MONTH]  # 1985-11-29 and a month later: no twin
    # a lunar month alone: the leap month is a second reading of it too (1984年十月 ends on 11-22, 闰十月 on 12-21)
    month, _ = _score({"birth_date": "农历1984年十月"}, [{"birth_date": "1985-01-15"}, {"birth_date": "1985-02-25"}])
    assert month[birth].tolist() == [Birth.WITHIN_MONTH, Birth.WITHIN_1_YEAR]


def test_a_childhood_name_kept_as_a_former_name_matches_the_case_s() -> None:
    # the register kept the childhood name 毛毛 as a 曾用名: read whole, not as surname 毛 + given name 毛
    levels, weights = _score({"name": "", "alias": "毛毛"},
                             [{"name": "王建军", "former_names": "毛毛"}, {"name": "王建军", "former_names": ""}])
    given = COMPARISONS.index("given_name")
    assert levels[given].tolist() == [Given.SAME_CHARACTERS, Given.DIFFERS]
    assert weights[given, 0] > weights[given, 1]


def test_the_fit_of_m_reads_as_many_cases_as_the_pair_budget_allows() -> None:
    import pytest

    from reunite.errors import ConfigError
    from reunite.matching.learn import MAX_FIT_PAIRS
    from reunite.pipeline import screen
    from reunite.run_config import DEFAULT_FIT_MAX_PAIRS, RunConfig
    from reunite.synth import generate

    assert DEFAULT_FIT_MAX_PAIRS == MAX_FIT_PAIRS
    data = generate(150, 3000, seed=21)
    cases, people = pd.DataFrame(data.cases), pd.DataFrame(data.candidates)
    whole = screen(cases, people, top_k=3, seed=3).fit_report
    budget = screen(cases, people, top_k=3, seed=3, fit_max_pairs=24_000).fit_report
    assert whole is not None and budget is not None
    assert whole.cases == 150 and 30 < budget.cases < 150 and budget.pairs < whole.pairs
    with pytest.raises(ConfigError, match="fit_max_pairs"):
        RunConfig(fit_max_pairs=0)


def test_a_childhood_name_made_of_the_given_name_s_last_character() -> None:
    # 小红, 阿红 and 红红 are what a family calls a child named 红 or 丽红; 小红 says nothing of 红梅
    people = [{"name": "王红"}, {"name": "张丽红"}, {"name": "赵红梅"}, {"name": "李芳"}]
    given = COMPARISONS.index("given_name")
    levels, weights = _score({"name": "", "alias": "小红"}, people)
    assert levels[given].tolist() == [Given.CHILDHOOD_KEY, Given.CHILDHOOD_KEY, Given.DIFFERS, Given.DIFFERS]
    assert weights[given, 1] > weights[given, 2] == weights[given, 3]
    # a hong sounds like hong itself (similar pinyin, the stronger level); 丽红 only by its character
    levels, _ = _score({"name": "", "alias": "阿红"}, people)
    assert levels[given].tolist() == [Given.SIMILAR_PINYIN, Given.CHILDHOOD_KEY, Given.DIFFERS, Given.DIFFERS]
    # a doubled character also sounds like the name itself: the stronger level of the two counts
    levels, _ = _score({"name": "", "alias": "红红"}, people)
    assert levels[given, 1] == Given.CHILDHOOD_KEY and levels[given, 0] >= Given.CHILDHOOD_KEY
    # either way round: a register that kept the childhood name 娜娜 as a 曾用名, a case that gives 李娜
    levels, _ = _score({"name": "李娜"}, [{"name": "王小红", "former_names": "娜娜"}])
    assert levels[given].tolist() == [Given.CHILDHOOD_KEY]
