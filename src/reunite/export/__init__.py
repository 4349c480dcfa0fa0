"""Export: spreadsheet-safe CSV files for sampling teams."""

from __future__ import annotations

from reunite.export.csv import write_csv, write_plan_csv, write_region_summary_csv

__all__ = ["write_csv", "write_plan_csv", "write_region_summary_csv"]
