"""Where the true child's registered birth falls against the case's birth, beside the best-ranked strangers
(benchmarks/README.md "The month of birth, another year").

For cases known only to the month (a birth cell read as 2-31 days: 1988年5月, a lunar month): the share of the
children and of the top-20 strangers born inside the month, in its days of the year within a year or another
year, a month either side another year, or elsewhere. For cases known to the day: ``birth_monthday``'s levels
beyond the first band (same birthday within a day, near within 60 days around the year, differs). Reads
``cases.csv``, ``candidates.csv``, ``truth.csv`` (case_id, person_id) and a RANKED file in each directory.

    python benchmarks/month_another_year.py --ranked ranked-after-fit.csv DIR [DIR ...]
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections import Counter
from pathlib import Path

import pandas as pd

from reunite.normalize.dates import DateError, DateInterval, parse_date

TOP = 20


def _interval(cell: str, calendar: str = "") -> DateInterval | None:
    try:
        return parse_date(cell, calendar)
    except DateError:
        return None


def _place(day: dt.date) -> int:
    """The day's place in a leap year (0-365)."""
    return (dt.date(2000, day.month, day.day) - dt.date(2000, 1, 1)).days


def month_class(case: DateInterval, day: dt.date) -> str:
    """Where a candidate's birth day falls against a case known to the month."""
    if case.lo <= day <= case.hi:
        return "inside the case's month"
    first, span = _place(case.lo), (_place(case.hi) - _place(case.lo)) % 366
    past = (_place(day) - first) % 366
    gap = min(abs((day - case.lo).days), abs((day - case.hi).days))
    year = "within a year" if gap <= 366 else "another year"
    if past <= span:
        return f"the case's month, {year}"
    return f"a month either side, {year}" if min(past - span, 366 - past) <= 31 else f"another month, {year}"


def day_class(case: dt.date, day: dt.date) -> str:
    """``birth_monthday``'s level of a case known to the day (the same gaps, a day either way)."""
    if (day.month, day.day) == (1, 1):
        return "null"
    gap = abs((case - day).days)
    apart = abs(_place(case) - _place(day))
    apart = min(apart, 366 - apart)
    if gap < 300:
        return "null"
    if apart <= 1:
        return "same birthday"
    if gap <= 366:
        return "null"
    return "near (2-60 days)" if apart <= 60 else "differs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ranked", default="ranked-after-fit.csv", help="the RANKED file's name in each directory")
    parser.add_argument("dirs", nargs="+", type=Path)
    args = parser.parse_args()
    counts: dict[str, Counter[str]] = {k: Counter() for k in ("month child", "month stranger", "day child",
                                                              "day stranger")}
    top: dict[str, list[bool]] = {"month": [], "day": []}
    for d in args.dirs:
        cases = pd.read_csv(d / "cases.csv", dtype=str, keep_default_na=False)
        cand = pd.read_csv(d / "candidates.csv", dtype=str, keep_default_na=False)
        truth = pd.read_csv(d / "truth.csv", dtype=str, keep_default_na=False)
        ranked = pd.read_csv(d / args.ranked, dtype=str, keep_default_na=False)
        ranked["rank"] = ranked["rank"].astype(int)
        born = dict(zip(cand["person_id"], cand["birth_date"], strict=True))
        child_of = dict(zip(truth["case_id"], truth["person_id"], strict=True))
        by_case = dict(tuple(ranked.groupby("case_id")))
        for row in cases.to_dict("records"):
            case = _interval(row["birth_date"], row.get("birth_calendar", ""))
            if case is None:
                continue
            days = (case.hi - case.lo).days + 1
            kind = "day" if days == 1 else "month" if days <= 31 else ""
            if not kind or (kind == "day" and (case.lo.month, case.lo.day) == (1, 1)):
                continue
            child = child_of.get(row["case_id"], "")
            group = by_case.get(row["case_id"], ranked.iloc[:0])
            strangers = group.loc[(group["person_id"] != child) & (group["rank"] <= TOP), "person_id"].tolist()
            for side, people in (("child", [child] if child else []), ("stranger", strangers)):
                for person in people:
                    day = _interval(born.get(person, ""))
                    if day is None or day.lo != day.hi:
                        continue
                    label = month_class(case, day.lo) if kind == "month" else day_class(case.lo, day.lo)
                    counts[f"{kind} {side}"][label] += 1
            if child:
                top[kind].append(bool((group.loc[group["person_id"] == child, "rank"] <= 10).any()))
    for kind in ("month", "day"):
        child, stranger = counts[f"{kind} child"], counts[f"{kind} stranger"]
        child.pop("null", None)
        stranger.pop("null", None)
        labels = sorted(set(child) | set(stranger))
        table = pd.DataFrame({"child": [child[k] for k in labels],
                              f"top-{TOP} strangers": [stranger[k] for k in labels]}, index=labels, dtype=float)
        print(f"cases known to the {kind}: {len(top[kind])} with a child, recall@10 "
              f"{sum(top[kind]) / max(len(top[kind]), 1):.3f}")
        print((table / table.sum().clip(lower=1)).round(3).to_string())
        print()


if __name__ == "__main__":
    main()
