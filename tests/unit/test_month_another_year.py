"""benchmarks/month_another_year.py: its classes, to the day, and a tiny run end to end."""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from pathlib import Path

import pandas as pd
import pytest

from reunite.normalize.dates import parse_date

_SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "month_another_year.py"


@pytest.fixture(scope="module")
def script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("month_another_year", _SCRIPT)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["month_another_year"] = mod
    spec.loader.exec_module(mod)
    return mod


def test_classes_to_the_day(script) -> None:  # type: ignore[no-untyped-def]
    may = parse_date("1988年5月")
    assert may is not None
    expected = {
        "1988-05-31": "inside the case's month",
        "1987-05-31": "the case's month, within a year",     # 336 days before the month
        "1986-05-01": "the case's month, another year",
        "1990-06-30": "a month either side, another year",  # 30 days past the month's days of the year
        "1990-07-02": "another month, another year",
        "1989-03-31": "a month either side, within a year",
    }
    assert {day: script.month_class(may, dt.date.fromisoformat(day)) for day in expected} == expected
    # a lunar month spans two solar months (农历 1988 年三月 is 1988-04-16 .. 1988-05-15), December the turn
    lunar = parse_date("农历1988年三月")
    assert lunar is not None
    assert script.month_class(lunar, dt.date(1991, 4, 16)) == "the case's month, another year"
    december = parse_date("1988-12")
    assert december is not None
    assert script.month_class(december, dt.date(1985, 1, 20)) == "a month either side, another year"
    case = dt.date(1988, 5, 3)
    assert [script.day_class(case, dt.date.fromisoformat(d)) for d in
            ("1986-05-04", "1986-06-20", "1986-09-20", "1987-05-20", "1988-01-01")] == [
        "same birthday", "near (2-60 days)", "differs", "null", "null"]


def test_a_tiny_run(script, tmp_path: Path, capsys: pytest.CaptureFixture[str],  # type: ignore[no-untyped-def]
                    monkeypatch: pytest.MonkeyPatch) -> None:
    pd.DataFrame({"case_id": ["c1", "c2"], "birth_date": ["1988年5月", "1988-05-03"],
                  "birth_calendar": ["", ""]}).to_csv(tmp_path / "cases.csv", index=False)
    pd.DataFrame({"person_id": ["p1", "p2", "p3"], "birth_date": ["1990-05-17", "1990-07-01", "1986-05-03"]}).to_csv(
        tmp_path / "candidates.csv", index=False)
    pd.DataFrame({"case_id": ["c1", "c2"], "person_id": ["p1", "p3"]}).to_csv(tmp_path / "truth.csv", index=False)
    pd.DataFrame({"case_id": ["c1", "c1", "c2"], "rank": [1, 2, 1], "person_id": ["p1", "p2", "p3"]}).to_csv(
        tmp_path / "ranked.csv", index=False)
    monkeypatch.setattr(sys, "argv", ["month_another_year.py", "--ranked", "ranked.csv", str(tmp_path)])
    script.main()
    out = capsys.readouterr().out
    assert "cases known to the month: 1 with a child, recall@10 1.000" in out
    assert "cases known to the day: 1 with a child, recall@10 1.000" in out
