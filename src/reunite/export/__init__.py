"""Export: spreadsheet-safe CSV files for sampling teams, every output written whole or not at all."""

from __future__ import annotations

from reunite.export.csv import (
    PLAN_FILE,
    replace_quarantine,
    set_aside_quarantine,
    write_csv,
    write_csv_columns,
    write_plan_csv,
    write_quarantine,
    write_region_summary_csv,
)
from reunite.export.files import (
    REUNITE_HTML_MARK,
    Replaceable,
    atomic_output,
    check_output,
    check_output_dir,
    csv_headed,
    reunite_html,
    write_text,
)

__all__ = [
    "PLAN_FILE",
    "REUNITE_HTML_MARK",
    "Replaceable",
    "atomic_output",
    "check_output",
    "check_output_dir",
    "csv_headed",
    "replace_quarantine",
    "reunite_html",
    "set_aside_quarantine",
    "write_csv",
    "write_csv_columns",
    "write_plan_csv",
    "write_quarantine",
    "write_region_summary_csv",
    "write_text",
]
