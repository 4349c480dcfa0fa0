"""Export: spreadsheet-safe CSV files for sampling teams, every output written whole or not at all."""

from __future__ import annotations

from reunite.export.csv import (
    replace_quarantine,
    set_aside_quarantine,
    write_csv,
    write_csv_columns,
    write_plan_csv,
    write_quarantine,
    write_region_summary_csv,
)
from reunite.export.files import atomic_output, check_output, check_output_dir, write_text

__all__ = [
    "atomic_output",
    "check_output",
    "check_output_dir",
    "replace_quarantine",
    "set_aside_quarantine",
    "write_csv",
    "write_csv_columns",
    "write_plan_csv",
    "write_quarantine",
    "write_region_summary_csv",
    "write_text",
]
