"""Generate ``src/reunite/data/lunar_months.tsv``: every month of the lunar years 1900-2100 as
lunar_python computes them (first day, length, leap or not).

Reading a lunar date asks lunar_python for its year, some milliseconds of astronomy per year: a
nightly re-screen of a few cases spent about 0.1 s of its start on it. The table holds the same
numbers (``tests/unit/test_lunar_table.py`` checks every year against lunar_python); years outside
it are still computed.

Run::

    python tools/build_lunar_table.py            # writes src/reunite/data/lunar_months.tsv
"""

from __future__ import annotations

import argparse
from pathlib import Path

from lunar_python import LunarYear

FIRST_YEAR, LAST_YEAR = 1900, 2100
_JD_1970 = 2440588  # Julian day number (noon) of 1970-01-01, as reunite.normalize.dates counts days
OUT = Path(__file__).resolve().parents[1] / "src" / "reunite" / "data" / "lunar_months.tsv"


def rows(first_year: int = FIRST_YEAR, last_year: int = LAST_YEAR) -> list[tuple[int, int, int, int]]:
    """(lunar year, month (negative: leap), first day in days since 1970-01-01, days) of every month."""
    out = []
    for year in range(first_year, last_year + 1):
        for month in LunarYear.fromYear(year).getMonthsInYear():
            if month.getYear() == year:
                out.append((year, int(month.getMonth()), int(month.getFirstJulianDay()) - _JD_1970,
                            int(month.getDayCount())))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    lines = [f"# lunar months {FIRST_YEAR}-{LAST_YEAR} from lunar_python (tools/build_lunar_table.py); "
             "month < 0: leap month; first_day: days since 1970-01-01",
             "year\tmonth\tfirst_day\tdays"]
    lines += ["\t".join(map(str, row)) for row in rows()]
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({len(lines) - 2} months)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
