"""A bad date never drops a person: the row is screened with the widest reading and flagged (issue 10)."""

from __future__ import annotations

import pandas as pd
import pytest

from reunite.pipeline import screen

CASES = pd.DataFrame({
    "case_id": ["C1", "C2"], "name": ["王小红", "李建国"], "sex": ["女", "男"],
    "birth_date": ["1993年2月", "1990-01-01"], "missing_region": ["360302", "510104"],
})


@pytest.mark.parametrize(
    ("bad_date", "reason"),
    [("1993-02-30", "impossible date"), ("19930231", "impossible date"), ("1993-13-02", "impossible date"),
     ("33999", "excel serial number"), ("2099-01-01", "in the future")],
)
def test_person_with_an_unusable_birth_date_is_still_ranked(bad_date: str, reason: str) -> None:
    people = pd.DataFrame({
        "person_id": ["P1", "P2", "P3"], "name": ["王小红", "赵强", "李建国"], "sex": ["F", "F", "M"],
        "birth_date": [bad_date, "1993-02-11", "1990-01-01"], "region": ["360302", "360302", "510104"],
    })
    result = screen(CASES, people, top_k=3)
    report = result.candidates.report
    assert (report.read, report.accepted, report.quarantined) == (3, 3, 0)
    assert report.read == report.accepted + report.quarantined
    ranked = result.to_pandas()
    assert "P1" in result.candidates.ids.tolist()
    if reason != "in the future":  # a future date is unknown: no birth-window block, but screened
        first = ranked[(ranked.case_id == "C1") & (ranked["rank"] == 1)]
        assert first.person_id.tolist() == ["P1"]
    flags = [p for p in report.problems if p.row == 2]
    assert [(p.column, p.value, p.fatal) for p in flags] == [("birth_date", bad_date, False)]
    assert flags[0].reason.startswith(reason)
    assert "flagged 1 accepted row(s)" in report.summary()


def test_screen_reads_the_dates_as_on_the_day_given() -> None:
    """``screen(today=)``: a birth in 2025-03 is in the future as on 2025-01-15 (flagged, read as
    unknown, so outside the case's birth window) and a month as on 2025-06-01 (ranked)."""
    import datetime

    cases = pd.DataFrame({"case_id": ["C1"], "name": ["王红"], "sex": ["F"], "birth_date": ["2024-12"]})
    people = pd.DataFrame({"person_id": ["P1", "P2"], "name": ["王红", "王丽"], "sex": ["F", "F"],
                           "birth_date": ["2025-03", "2024-11-20"]})
    early = screen(cases, people, top_k=3, today=datetime.date(2025, 1, 15))
    later = screen(cases, people, top_k=3, today=datetime.date(2025, 6, 1))
    assert [p.reason.split(":")[0] for p in early.candidates.report.problems] == ["in the future"]
    assert later.candidates.report.problems == []
    assert early.to_pandas()["person_id"].tolist() == ["P2"]
    assert sorted(later.to_pandas()["person_id"]) == ["P1", "P2"]
