"""A case that gives the birth only to the month or the year (issue 9): a birth inside it has a level of
its own, whose m follows the screened cases' share of such cases as u does. Each test fails on the code
before these levels (no such level: "within a month" for both)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reunite.errors import ConfigError
from reunite.matching.comparisons.birth import Level as Birth
from reunite.matching.model import FellegiSunter, default_model
from reunite.matching.prepare import prepare
from reunite.matching.score import pair_contributions
from reunite.matching.spec import COMPARISONS
from reunite.pipeline import fit_population, load_side

BIRTH = COMPARISONS.index("birth")


def _score(case_birth: str, births: list[str]) -> tuple[np.ndarray, np.ndarray]:
    cases = load_side(pd.DataFrame([{"case_id": "c", "sex": "F", "birth_date": case_birth}]), "cases")
    candidates = load_side(pd.DataFrame([{"person_id": f"p{i}", "sex": "F", "birth_date": b}
                                         for i, b in enumerate(births)]), "candidates")
    prep = prepare(cases, candidates)
    position = np.argsort(prep.cand_order).astype(np.int64)
    levels, weights = pair_contributions(prep, default_model(), np.zeros(len(births), dtype=np.int64), position)
    return levels[BIRTH], weights[BIRTH]


def test_a_birth_in_a_case_s_month_is_more_than_within_a_month() -> None:
    levels, weights = _score("1990-03", ["1990-03-15", "1990-04-10", "1990-02-27", "1990-09-15"])
    assert levels.tolist() == [Birth.IN_CASE_MONTH, Birth.WITHIN_MONTH, Birth.WITHIN_MONTH, Birth.WITHIN_1_YEAR]
    assert weights[0] > weights[1] + 1.0  # one month of a window of decades, not two
    # a case known to the day: the same day, or within a month, as before
    day, day_weights = _score("1990-03-15", ["1990-03-15", "1990-03-20"])
    assert day.tolist() == [Birth.SAME_DAY, Birth.WITHIN_MONTH]
    assert day_weights[0] > weights[0] > day_weights[1]


def test_a_birth_in_a_case_s_year_weighs_less_than_a_month_and_more_than_a_year_off() -> None:
    levels, weights = _score("1990", ["1990-06-15", "1991-01-20", "1989-12-20", "1991-08-15", "1991-03-01"])
    # a month beyond the case's year is in it too (a lunar year runs into the next), never nearer; a 1st of
    # the month read as the month gains nothing when the dates as written already agree
    assert levels.tolist() == [Birth.IN_CASE_YEAR, Birth.IN_CASE_YEAR, Birth.IN_CASE_YEAR, Birth.WITHIN_1_YEAR,
                               Birth.WITHIN_1_YEAR]
    assert weights[0] == weights[1] > weights[3]
    assert _score("1990", ["1990-03-01"])[0].tolist() == [Birth.IN_CASE_YEAR]
    _, month_weights = _score("1990-06", ["1990-06-15"])
    assert month_weights[0] > weights[0]


def test_the_levels_of_a_case_s_precision_follow_the_screened_cases_share_of_it() -> None:
    model = default_model()
    shares = model.precision_shares
    assert shares is not None and set(shares) == {"month", "year"}
    month = int(Birth.IN_CASE_MONTH)
    before = model.m_of("baby")[BIRTH].copy()
    model.fit_precision_shares({"month": 2 * shares["month"], "year": shares["year"]})
    after = model.m_of("baby")[BIRTH]
    ratio = (2 * shares["month"] + 0.001) / (shares["month"] + 0.001)
    assert after[month] == pytest.approx(before[month] * ratio)
    assert after.sum() == pytest.approx(1.0)
    others = np.delete(after, month) / np.delete(before, month)
    assert np.allclose(others, others[0])  # the other levels keep their proportions
    assert FellegiSunter.from_dict(model.to_dict()).precision_shares == pytest.approx(
        {"month": 2 * shares["month"], "year": shares["year"]})
    # weighed against the old shares as u weighs its pairs: 20,000 prior pairs beside 20,000 new ones
    half = default_model().fit_precision_shares({"month": 0.0, "year": 0.0}, pairs=20_000, prior_pairs=20_000)
    assert half.precision_shares == pytest.approx({"month": shares["month"] / 2, "year": shares["year"] / 2})
    with pytest.raises(ConfigError, match="precision shares"):
        model.fit_precision_shares({"day": 0.5})


def test_a_screen_of_cases_known_to_the_month_moves_m_as_it_moves_u() -> None:
    rng = np.random.default_rng(3)
    months = [f"{y}-{m:02d}" for y, m in zip(rng.integers(1985, 1995, 40), rng.integers(1, 13, 40), strict=True)]
    cases = load_side(pd.DataFrame({"case_id": [f"c{i}" for i in range(40)], "sex": "F", "birth_date": months}),
                      "cases")
    days = pd.Timestamp("1985-01-01") + pd.to_timedelta(rng.integers(0, 3650, 600), unit="D")
    candidates = load_side(pd.DataFrame({"person_id": [f"p{i}" for i in range(600)], "sex": "F",
                                         "birth_date": days.strftime("%Y-%m-%d")}), "candidates")
    shipped = default_model()
    fitted, _ = fit_population(shipped, cases, candidates, size=20_000)
    assert fitted.precision_shares is not None and shipped.precision_shares is not None
    # every case known to the month: u of "in the case's month" holds (mostly) this share, and so does m
    weight = 20_000 / 40_000
    expected = weight * 1.0 + (1 - weight) * shipped.precision_shares["month"]
    assert fitted.precision_shares["month"] == pytest.approx(expected)
    month = int(Birth.IN_CASE_MONTH)
    assert fitted.m_[BIRTH][month] > 2 * shipped.m_[BIRTH][month]


def test_a_lunar_month_s_leap_twin_is_a_case_month_too() -> None:
    # 农历1984年十月 is 1984-10-24 .. 11-22, its leap twin 闰十月 1984-11-23 .. 12-21
    levels, _ = _score("农历1984年十月", ["1984-11-10", "1984-12-10", "1984-12-30"])
    assert levels.tolist() == [Birth.IN_CASE_MONTH, Birth.IN_CASE_MONTH, Birth.WITHIN_MONTH]
